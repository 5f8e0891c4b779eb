"""The chain's support accounts: made at headquarters, pulled by every till, signing in there
(locked out like associates), and deactivated when headquarters removes them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pos_customers.domain.enums import Role
from pos_customers.hq import tables as t
from pos_customers.services import associates as assoc
from pos_customers.services import backoffice as bo
from pos_customers.services import sync
from pos_customers.services.access import SignInFailed, sign_in
from pos_customers.services.context import Actor, PermissionDenied
from tests.services.test_customers import rows
from tests.sync.conftest import terminal

BY = "cli:hq-admin"


def refused(till, number, pin, **kw) -> str:
    """Sign-in refused (the words are the same for every reason): what the audit trail says happened."""
    with pytest.raises(SignInFailed):
        sign_in(till, number, pin, **kw)
    return rows(till, "SELECT action FROM audit_event ORDER BY id DESC LIMIT 1")[0][0]


def test_a_support_account_reaches_every_till_signs_in_is_locked_and_removed(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    ham = terminal(tmp_path, hq_server, "HAM01")
    hq = hq_server.hq
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    for till in (ber, ham):
        sync.sync_now(till, admin)
        assert rows(till, "SELECT number, name, role, store_code, active, support_account FROM associate"
                          " WHERE number = 'S100'") == [("S100", "Sam Support", "support", None, 1, 1)]
        (pin_hash,) = rows(till, "SELECT pin_hash FROM associate WHERE number = 'S100'")[0]
        assert pin_hash.startswith("$argon2id$")

    # signs in at any till with their own number (typed in any case) and PIN, as support
    sam = sign_in(ham, "s100", "8642")
    assert (sam.associate_number, sam.role, sam.store_code) == ("S100", Role.SUPPORT, None)
    # what they do is audited with their number, and reaches headquarters' copy of the store's trail
    bo.update_template(ber, sign_in(ber, "S100", "8642"), group_code="LOYAL")
    assert ("S100", "sign_in") in rows(ber, "SELECT associate_number, action FROM audit_event")
    assert ("S100", "update") in rows(ber, "SELECT associate_number, action FROM audit_event"
                                          " WHERE entity = 'store_template'")
    sync.sync_now(ber, admin)
    sent = [json.loads(r["row"]) for r in hq.audit_rows("BER01")]
    assert {(r["associate"], r["entity"]) for r in sent} >= {("S100", "associate"), ("S100", "store_template")}

    # locked out like an associate: N wrong PINs, then even the right one is refused for a while
    assert [refused(ber, "S100", "0000", max_attempts=3) for _ in range(3)] == [
        "sign_in_failed", "sign_in_failed", "locked"]
    assert refused(ber, "S100", "8642", max_attempts=3) == "sign_in_refused"
    assert sign_in(ham, "S100", "8642").role == Role.SUPPORT  # the lockout is this till's
    # a pull of something else keeps the lockout; a new PIN from headquarters ends it
    sync.sync_now(ber, admin)
    assert refused(ber, "S100", "8642", max_attempts=3) == "sign_in_refused"
    hq.reset_support("S100", "1357", by=BY)
    sync.sync_now(ber, admin)
    assert refused(ber, "S100", "8642") == "sign_in_failed"
    assert sign_in(ber, "S100", "1357").associate_number == "S100"

    # removed at headquarters: deactivated on every till with the next sync, hash erased
    hq.remove_support("S100", by=BY)
    for till in (ber, ham):
        sync.sync_now(till, admin)
        assert rows(till, "SELECT active, pin_hash FROM associate WHERE number = 'S100'") == [(0, "")]
        assert refused(till, "S100", "1357") == "sign_in_failed"  # as for an unknown number


def test_a_till_enrolled_later_gets_the_accounts_but_not_the_removed_ones(tmp_path, hq_server, admin):
    hq = hq_server.hq
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    hq.add_support("S101", "Kim Support", "9753", by=BY)
    hq.remove_support("S101", by=BY)
    ber = terminal(tmp_path, hq_server, "BER01")
    sync.sync_now(ber, admin)
    assert rows(ber, "SELECT number, active FROM associate WHERE support_account") == [("S100", 1)]


def test_nobody_at_the_store_changes_a_support_account(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    hq_server.hq.add_support("S100", "Sam Support", "8642", by=BY)
    sync.sync_now(ber, admin)
    manager = Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01")
    listed = {a.number: a for a in assoc.list_associates(ber, manager)}
    assert listed["S100"].support_account and listed["S100"].role == "support"  # shown, read-only
    for actor in (manager, admin):
        for change in (lambda a: assoc.change_role(ber, a, "S100", "associate"),
                       lambda a: assoc.reset_pin(ber, a, "S100", "1111"),
                       lambda a: assoc.unlock(ber, a, "S100"),
                       lambda a: assoc.set_active(ber, a, "S100", False)):
            with pytest.raises(PermissionDenied, match="only headquarters"):
                change(actor)
    with pytest.raises(Exception, match="support account"):
        assoc.add_associate(ber, admin, number="S100", name="Mallory", role="associate", pin="1234")
    assert rows(ber, "SELECT name, role, active FROM associate WHERE number = 'S100'") == [
        ("Sam Support", "support", 1)]
    assert sign_in(ber, "S100", "8642").role == Role.SUPPORT
    # nothing about it was queued for headquarters
    assert rows(ber, "SELECT count(*) FROM outbox_event WHERE entity = 'associate'") == [(0,)]
    with hq_server.hq.engine.connect() as conn:
        assert conn.execute(select(t.record.c.key).where(t.record.c.kind == "associate")).all() == []
