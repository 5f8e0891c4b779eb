"""Delete on request: anonymization reaches headquarters and every store, and no byte of the old
name, email or phone is left in the terminal's file or headquarters' (SQLite) file."""

from __future__ import annotations

import json

import pytest

from pos_customers.domain.errors import ValidationFailed
from pos_customers.services import sync
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.services.search import search_customers
from pos_customers.services.privacy import access_report, anonymize_customer, report_text
from pos_customers.services.records import add_note
from pos_customers.services.access import sign_in
from pos_customers.services.associates import add_associate
from tests.helpers import person
from tests.sync.conftest import terminal

NAME, EMAIL, PHONE = "Quirinus", "quirinus.zwiebelhaus@example.org", "01512 9876543"
SECRETS = [b"Quirinus", b"Zwiebelhaus", b"zwiebelhaus", b"quirinus", b"9876543", "Zwiebelhaus".encode("utf-16-le")]


def file_bytes(path) -> bytes:
    out = path.read_bytes()
    for suffix in ("-wal", "-shm", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            out += extra.read_bytes()
    return out


def test_anonymization_leaves_no_byte_behind_here_at_hq_and_at_another_store(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    view = create_customer(ber, admin, person(NAME, "Zwiebelhaus", EMAIL, PHONE, "10115", birth="1971-02-03"))
    add_note(ber, admin, view.id, "Quirinus Zwiebelhaus prefers paper receipts")
    for _ in range(3):  # edits leave old versions of pages and index segments behind
        search_customers(ber, admin, "zwiebelhaus")
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    assert get_customer(ham, admin, view.id).last_name == "Zwiebelhaus"
    assert b"Zwiebelhaus" in file_bytes(ber.db.path) and b"Zwiebelhaus" in file_bytes(hq_server.db_path)

    with pytest.raises(ValidationFailed) as err:
        anonymize_customer(ber, admin, view.id, "wrong")
    assert view.reference_display in err.value.errors[0].message
    result = anonymize_customer(ber, admin, view.id, view.reference_display.lower())
    assert result.erased["emails"] == 1 and result.erased["notes"] == 1 and result.erased["audit rows redacted"] >= 1
    after = get_customer(ber, admin, view.id)
    assert after.display_name == "Anonymized customer" and not after.emails and not after.phones
    assert after.birth_date is None and after.addresses == ()
    assert search_customers(ber, admin, "zwiebelhaus").rows == []
    for secret in SECRETS:
        assert secret not in file_bytes(ber.db.path), secret

    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    assert get_customer(ham, admin, view.id).display_name == "Anonymized customer"
    for secret in SECRETS:
        assert secret not in file_bytes(ham.db.path), secret
        assert secret not in file_bytes(hq_server.db_path), secret
    # the email is free again: the same person registers anew
    again = create_customer(ber, admin, person(NAME, "Zwiebelhaus", EMAIL))
    assert again.id != view.id and again.primary_email == EMAIL
    # the audit trail still verifies, and says what happened
    from pos_customers.services.doctor import verify_audit
    assert verify_audit(ber, admin).problems == []


def test_anonymization_is_for_managers_and_cannot_be_repeated(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    add_associate(ber, admin, number="1002", name="Jonas Becker", role="associate", pin="1357")
    jonas = sign_in(ber, "1002", "1357")
    view = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    with pytest.raises(PermissionDenied):
        anonymize_customer(ber, jonas, view.id, view.reference)
    assert get_customer(ber, admin, view.id).last_name == "Müller"
    anonymize_customer(ber, admin, view.id, view.reference)
    with pytest.raises(ValidationFailed, match="already anonymized"):
        anonymize_customer(ber, admin, view.id, view.reference)


def test_an_edit_made_elsewhere_cannot_bring_the_data_back(tmp_path, hq_server, admin):
    from dataclasses import replace

    from pos_customers.services.customers import draft_from_view, update_customer

    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    view = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    at_ham = get_customer(ham, admin, view.id)
    update_customer(ham, admin, view.id, replace(draft_from_view(at_ham), company="Globex"), opened=at_ham)
    anonymize_customer(ber, admin, view.id, view.reference)
    for svc in (ber, ham, ber, ham):
        sync.sync_now(svc, admin)
    assert get_customer(ham, admin, view.id).display_name == "Anonymized customer"
    assert get_customer(ham, admin, view.id).company == ""
    assert get_customer(ber, admin, view.id).company == ""


def test_access_request_reports_terminal_and_headquarters(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    view = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", "0151 23456789", "10115"))
    add_note(ber, admin, view.id, "asked for her data")
    sync.sync_now(ber, admin)
    report = access_report(ber, admin, view.id)
    assert report["terminal"]["customer"]["last_name"] == "Müller"
    assert report["terminal"]["notes"][0]["text"] == "asked for her data"
    assert report["headquarters"]["customer"]["fields"]["emails"][0]["address"] == "anna@example.org"
    assert report["headquarters"]["notes"][0]["text"] == "asked for her data"
    json.dumps(report)  # all of it is plain JSON
    text = report_text(report)
    assert "anna@example.org" in text and "asked for her data" in text and view.reference_display in text
    hq_server.stop()
    offline = access_report(ber, admin, view.id)
    assert "unreachable" in offline["headquarters"]["unavailable"]
