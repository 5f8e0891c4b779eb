"""Account sharing scope between tills: the setting reaches every till; the till refuses a second
registered account per email offline; two tills that were offline park the second push, resolved by
merging with the account or by changing the email."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos_customers.domain.enums import AccountType
from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq.account_scope import set_scope
from pos_customers.services import sync
from pos_customers.services.account_scope import (change_account_email, current_scope, merge_into_account,
                                                  parked_clash)
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.services.records import add_note
from pos_customers.storage.tables import Customer, OutboxEvent
from tests.helpers import person
from tests.sync.conftest import terminal

MAIL = "anna@example.org"


def account(first="Anna", email=MAIL):
    return person(first, "Müller", email, account_type=AccountType.REGISTERED)


def parked(svc) -> list[OutboxEvent]:
    with svc.db.read() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_not(None))).all())


def hq_emails(server) -> list[str]:
    import json

    from pos_customers.hq import tables as t
    with server.hq.engine.connect() as conn:
        return sorted(e["address"] for (f,) in conn.execute(select(t.customer.c.fields))
                      for e in json.loads(f).get("emails") or [])


@pytest.fixture
def two_tills(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE")
    set_scope(hq_server.hq, "chain", by="test")
    for till in (ber, ham):
        sync.sync_now(till, admin)
        assert current_scope(till, admin).value == "chain"
    return ber, ham


def test_offline_check_names_the_other_account_and_guests_may_share(two_tills, admin):
    ber, _ = two_tills
    anna = create_customer(ber, admin, account())
    with pytest.raises(ValidationFailed) as no:
        create_customer(ber, admin, account("Ann", "Anna@Example.org"))
    [err] = no.value.errors
    assert err.field == "emails.0.address"
    assert anna.reference_display in err.message and "guest" in err.message
    create_customer(ber, admin, person("Ann", "Müller", MAIL))  # a guest: allowed


def _clash(two_tills, admin, hq_server):
    ber, ham = two_tills
    create_customer(ber, admin, account())
    mine = create_customer(ham, admin, account("Ann"))  # offline, each till alone: both fine here
    add_note(ham, admin, mine.id, "asked for the newsletter")
    assert sync.sync_now(ber, admin).parked == 0
    assert sync.sync_now(ham, admin).parked == 1
    [event] = parked(ham)
    assert (event.event_type, event.parked_status, event.parked_field) == ("customer.created", 409,
                                                                          "payload.fields.emails")
    assert event.parked_holder and "Merge" in event.parked_reason
    assert parked_clash(ham, admin, event.id).address == MAIL
    return ber, ham, mine, event


def test_a_clash_parked_then_merged_into_the_account(two_tills, admin, hq_server):
    ber, ham, mine, event = _clash(two_tills, admin, hq_server)
    done = merge_into_account(ham, admin, event.id[:8])
    assert done.notes_moved == 1 and done.removed_reference == mine.reference_display
    with ham.db.read() as s:
        assert s.get(Customer, mine.id) is None
    assert sync.sync_now(ham, admin).parked == 0
    assert parked(ham) == []
    assert hq_emails(hq_server) == [MAIL]
    sync.sync_now(ber, admin)
    assert get_customer(ber, admin, done.account.id).first_name == "Anna"


def test_a_clash_parked_then_resolved_by_another_email(two_tills, admin, hq_server):
    ber, ham, mine, event = _clash(two_tills, admin, hq_server)
    changed = change_account_email(ham, admin, event.id, "ann.mueller@example.org")
    assert changed.primary_email == "ann.mueller@example.org"
    assert sync.sync_now(ham, admin).parked == 0
    assert parked(ham) == []
    assert hq_emails(hq_server) == sorted([MAIL, "ann.mueller@example.org"])


def test_store_scope_lets_two_stores_register_the_same_email(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE")
    set_scope(hq_server.hq, "store", by="test")
    for till in (ber, ham):
        sync.sync_now(till, admin)
        create_customer(till, admin, account())
    assert [sync.sync_now(till, admin).parked for till in (ber, ham)] == [0, 0]
    assert hq_emails(hq_server) == [MAIL, MAIL]


def test_the_command_line_changes_the_email_of_a_parked_clash(two_tills, admin, hq_server, tmp_path):
    from typer.testing import CliRunner

    from pos_customers.cli import app

    ber, ham, mine, event = _clash(two_tills, admin, hq_server)
    runner = CliRunner()
    db = str(tmp_path / "HAM01.db")
    same = runner.invoke(app, ["--db", db, "sync", "change-email", event.id[:8], "ANNA@example.org"])
    assert same.exit_code == 2 and "another email" in same.output and "Traceback" not in same.output
    r = runner.invoke(app, ["--db", db, "sync", "change-email", event.id[:8], "ann.m@example.org"])
    assert r.exit_code == 0, r.output
    assert "now has ann.m@example.org" in r.output
    assert sync.sync_now(ham, admin).parked == 0
    r = runner.invoke(app, ["--db", db, "sync", "merge-account", event.id[:8]])
    assert r.exit_code == 1 and "no event" in r.output
