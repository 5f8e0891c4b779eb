"""Account sharing scope between tills: the setting reaches every till; the till refuses a second
registered account per email offline; two tills that were offline park the second push, resolved by
merging with the account or by changing the email."""

from __future__ import annotations

import json

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


def test_the_form_check_refuses_for_the_scope_before_any_duplicate_question(two_tills, admin):
    """The check a form runs before it saves (and before it asks "may be the same customer … save
    anyway?") refuses what the save would refuse for the scope; a guest draft passes."""
    from pos_customers.services.customers import validate_draft

    ber, _ = two_tills
    anna = create_customer(ber, admin, account())
    [err] = validate_draft(ber, admin, account("Ann", "Anna@Example.org"), new=True)
    assert err.field == "emails.0.address" and anna.reference_display in err.message
    assert validate_draft(ber, admin, person("Ann", "Müller", MAIL), new=True) == []
    # an edit that leaves the address and the account type as they were is not asked again
    assert validate_draft(ber, admin, account(), new=False, before=anna) == []


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


def test_two_accounts_headquarters_holds_are_merged_there_and_every_till_follows(tmp_path, hq_server, admin):
    """Anna (Berlin) and Ann (Hamburg) registered one address while the chain shared emails; then one
    account per email in the chain. Ann's next change of emails is parked; a manager merges her into
    Anna from Hamburg's Sync screen: a request queued for headquarters, a redirect at every till."""
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor, PermissionDenied, Services
    from pos_customers.services.customers import update_customer, draft_from_view
    from pos_customers.services.search import search_customers
    from pos_customers.services.sync import enrol_terminal
    from tests import templates

    ber = terminal(tmp_path, hq_server, "BER01", country="DE")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE")
    anna = create_customer(ber, admin, account())
    ann = create_customer(ham, admin, account("Ann"))
    add_note(ham, admin, ann.id, "asked for the newsletter")
    for till in (ber, ham):
        assert sync.sync_now(till, admin).parked == 0
    set_scope(hq_server.hq, "chain", by="test")
    ham2 = Services(templates.store_db(tmp_path / "HAM01-2.db"))  # Hamburg's second till holds Ann too
    enrol_terminal(ham2, Actor.command_line(), hq_server.url, hq_server.hq.issue_token("HAM01"),
                   terminal_name="HAM01 till 2")
    for till in (ber, ham, ham2):
        sync.sync_now(till, admin)
    assert get_customer(ham2, admin, ann.id).first_name == "Ann"

    view = get_customer(ham, admin, ann.id)
    draft = draft_from_view(view)
    draft.emails[0].marketing_consent = True
    draft.company = "ACME"  # sent with the change that is parked: it joins Anna with the merge
    update_customer(ham, admin, ann.id, draft, opened=view)
    assert sync.sync_now(ham, admin).parked == 1
    [event] = parked(ham)
    assert (event.event_type, event.parked_holder) == ("customer.updated", anna.id)

    associate = Actor("1002", "Jonas", Role.ASSOCIATE, "T-test")
    with pytest.raises(PermissionDenied):
        merge_into_account(ham, associate, event.id)
    manager = Actor("1001", "Maria", Role.MANAGER, "T-test")
    done = merge_into_account(ham, manager, event.id[:8])
    assert done.account.id == anna.id and done.notes_moved == 1
    with ham.db.read() as s:
        assert s.get(Customer, ann.id) is None
        queued = s.exec(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
    assert [e.event_type for e in queued] == ["customer.merged", "customer.updated"]
    # offline: Ann's id and reference open Anna here already; a search finds Anna only
    assert get_customer(ham, admin, ann.reference).id == anna.id
    hits = search_customers(ham, admin, "Müller")
    assert [h.customer_id for h in hits.rows] == [anna.id]

    assert sync.sync_now(ham, admin).parked == 0 and parked(ham) == []
    assert sync.sync_now(ham, admin).parked == 0  # sent once: nothing more to send
    assert hq_emails(hq_server) == [MAIL, MAIL]  # Ann's document stays at headquarters, as a redirect
    # Hamburg's second till pulls the result: Ann is gone, her id opens Anna, her note is Anna's
    sync.sync_now(ham2, admin)
    with ham2.db.read() as s:
        assert s.get(Customer, ann.id) is None
        from pos_customers.storage.tables import CustomerNote
        assert [n.customer_id for n in s.exec(select(CustomerNote)).all()] == [anna.id]
    assert get_customer(ham2, admin, ann.id).id == anna.id
    assert [h.customer_id for h in search_customers(ham2, admin, "Müller").rows] == [anna.id]
    # Berlin pulls Anna with what Ann added (her company), and no redirect to act on
    sync.sync_now(ber, admin)
    assert (get_customer(ber, admin, anna.id).first_name, get_customer(ber, admin, anna.id).company) == \
        ("Anna", "ACME")


def _held_twins(tmp_path, hq_server, admin):
    """Anna (Berlin) and Ann (Hamburg, Acme's buyer and primary contact, with a note) registered one
    address while the chain shared emails; then one account per email. Ann's next change is parked."""
    from pos_customers.services.customers import draft_from_view, update_customer
    from pos_customers.services.memberships import link
    from tests.helpers import organization

    ber = terminal(tmp_path, hq_server, "BER01", country="DE")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE")
    anna = create_customer(ber, admin, account())
    ann = create_customer(ham, admin, account("Ann"))
    acme = create_customer(ham, admin, organization())
    link(ham, admin, ann.id, acme.id, role="buyer", primary=True)
    add_note(ham, admin, ann.id, "asked for the newsletter")
    for till in (ber, ham):
        assert sync.sync_now(till, admin).parked == 0
    set_scope(hq_server.hq, "chain", by="test")
    for till in (ber, ham):
        sync.sync_now(till, admin)
    view = get_customer(ham, admin, ann.id)
    draft = draft_from_view(view)
    draft.emails[0].marketing_consent = True
    update_customer(ham, admin, ann.id, draft, opened=view)
    assert sync.sync_now(ham, admin).parked == 1
    [event] = parked(ham)
    return ber, ham, anna, ann, acme, event


def _links(svc) -> dict[tuple[str, str], tuple]:
    from tests.helpers import db_rows
    return {(o, p): (role, bool(a), bool(pr), bool(ip)) for o, p, role, a, pr, ip in db_rows(
        svc, 'SELECT organization_id, person_id, role, active, "primary", is_primary FROM customer_membership')}


def test_a_merge_headquarters_refuses_puts_the_customer_back_as_it_was(tmp_path, hq_server, admin):
    """Offline, the manager merges Ann into Anna: Ann leaves the till, her Acme link becomes Anna's.
    Headquarters refuses the merge (it knows 1001 as an associate): Ann comes back at once, with her
    note, her link and her parked change; the Sync line says so; discarding the merge says so too."""
    from typer.testing import CliRunner

    from pos_customers.cli import app
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor
    from pos_customers.storage.tables import CustomerNote, CustomerRedirect
    from tests.helpers import db_rows

    ber, ham, anna, ann, acme, event = _held_twins(tmp_path, hq_server, admin)
    before = {t: db_rows(ham, f"SELECT * FROM {t} WHERE customer_id = ?", ann.id)
              for t in ("customer_email", "customer_search", "customer_note")}
    from pos_customers.services.associates import add_associate
    # headquarters knows 1001 as an associate (changed at another till while this one signed her in)
    add_associate(ham, admin, number="1001", name="Maria", role=Role.ASSOCIATE, pin="739184")
    assert sync.sync_now(ham, admin).pushed == 1
    manager = Actor("1001", "Maria", Role.MANAGER, "T-test")
    merge_into_account(ham, manager, event.id)
    assert _links(ham) == {(acme.id, anna.id): ("buyer", True, True, True)}  # moved, one link
    assert [a for (a,) in db_rows(ham, "SELECT action FROM audit_event WHERE entity = 'membership'")][-1] \
        == "merge_moved"
    with ham.db.read() as s:
        assert s.get(Customer, ann.id) is None and s.get(CustomerRedirect, ann.id).undo

    result = sync.sync_now(ham, admin)
    assert result.restored == 1
    refused = {e.event_type: e for e in parked(ham)}
    assert refused["customer.merged"].parked_status == 403
    assert refused["customer.updated"].id == event.id  # the clash waits again, as it was
    assert get_customer(ham, admin, ann.id).first_name == "Ann"
    assert get_customer(ham, admin, ann.reference).id == ann.id  # her reference opens her again
    for t, rows_before in before.items():
        assert db_rows(ham, f"SELECT * FROM {t} WHERE customer_id = ?", ann.id) == rows_before
    with ham.db.read() as s:
        assert s.get(CustomerRedirect, ann.id) is None
        assert [n.customer_id for n in s.exec(select(CustomerNote)).all()] == [ann.id]
    assert _links(ham)[(acme.id, ann.id)] == ("buyer", True, True, True)
    assert not _links(ham).get((acme.id, anna.id), ("", False))[1]
    assert "merge_undone" in [a for (a,) in db_rows(ham, "SELECT action FROM audit_event")]

    runner = CliRunner()
    r = runner.invoke(app, ["--db", str(tmp_path / "HAM01.db"), "sync", "discard",
                            refused["customer.merged"].id[:8], "--yes"])
    assert r.exit_code == 0, r.output
    assert "back on this till" in r.output and "Traceback" not in r.output
    assert get_customer(ham, admin, ann.id).id == ann.id


def test_a_merge_headquarters_applies_moves_the_links_at_every_till_and_keeps_nothing_to_undo(
        tmp_path, hq_server, admin):
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor
    from pos_customers.storage.tables import CustomerRedirect

    ber, ham, anna, ann, acme, event = _held_twins(tmp_path, hq_server, admin)
    merge_into_account(ham, Actor("1001", "Maria", Role.MANAGER, "T-test"), event.id)
    result = sync.sync_now(ham, admin)
    assert (result.parked, result.restored) == (0, 0)
    with ham.db.read() as s:
        assert s.get(CustomerRedirect, ann.id).undo is None  # headquarters has it: nothing kept to put back
    links = _links(ham)
    assert links[(acme.id, anna.id)] == ("buyer", True, True, True)
    assert not links.get((acme.id, ann.id), ("", False))[1]


def test_recover_from_a_backup_made_before_a_merge_keeps_the_merge(tmp_path, hq_server, admin, monkeypatch):
    """The backup still holds Ann; the damaged file had merged her into Anna (not sent yet). The
    rebuilt file has her redirect (and what puts her back), read by SQL and by the page reader."""
    from pos_customers.domain.enums import Role
    from pos_customers.services import backup as backups
    from pos_customers.services.context import Actor, Services
    from pos_customers.storage import salvage
    from pos_customers.storage.engine import Database
    from pos_customers.storage.tables import CustomerRedirect

    monkeypatch.setenv("POS_CUSTOMERS_CONFIG", str(tmp_path / "config.toml"))
    ber, ham, anna, ann, acme, event = _held_twins(tmp_path, hq_server, admin)
    before = backups.backup_now(ham, admin, tmp_path / "before-merge.db")
    merge_into_account(ham, Actor("1001", "Maria", Role.MANAGER, "T-test"), event.id)
    path = ham.db.path
    ham.db.dispose()
    found = salvage.Salvaged()
    assert salvage._read_pages(path, found) and [r["id"] for r in found.redirects] == [ann.id]
    assert found.redirects[0]["into_id"] == anna.id and json.loads(found.redirects[0]["undo"])["rows"]["customer"]

    report = backups.recover(path, admin, backup=before.path, force=True)
    assert report.redirects_carried == 1
    back = Services(Database(path))
    try:
        with back.db.read() as s:
            assert s.get(Customer, ann.id) is None and s.get(CustomerRedirect, ann.id).undo
        assert [e.event_type for e in parked(back)] == []  # the merge goes with the next sync
        assert sync.sync_now(back, admin).parked == 0
        assert get_customer(back, admin, ann.reference).id == anna.id  # Anna came after the backup: pulled
        with back.db.read() as s:
            assert s.get(CustomerRedirect, ann.id).undo is None
    finally:
        back.db.dispose()
