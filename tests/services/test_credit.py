"""Store credit at the till: read from headquarters and kept for offline, added and corrected by
managers (refused without the role, below zero, without a reason), queued, applied once at
headquarters, refused there per event (parked, visible on the card)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos_customers.domain.credit import CREDIT_ROLES, CreditKind
from pos_customers.domain.enums import EventKind, Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq.audit import HQ_TRAIL
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import credit, sync
from pos_customers.services.context import Actor, Permission, PermissionDenied
from pos_customers.services.customers import create_customer
from pos_customers.storage.tables import AuditEvent, OutboxEvent
from tests import templates
from tests.helpers import DOWN, customer_data_chain, person



@pytest.fixture
def hq(tmp_path):
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    yield hq
    hq.engine.dispose()


@pytest.fixture
def till(svc, admin, hq):
    """The BER01 till enrolled at headquarters (in this process), Anna pushed there with a refund
    of 45.50 EUR to store credit."""
    http = customer_data_chain(hq, svc, admin)
    anna = create_customer(svc, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(svc, admin, transport=http)
    hq.credit_move(anna.id, currency="EUR", kind="refunded", amount_minor=4550, reason="Return of S-1")
    return svc, http, anna


def outbox(svc):
    with svc.db.read() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.event_type == EventKind.CREDIT_MOVED.value)))


def test_the_balance_comes_from_headquarters_and_stays_for_offline(till, manager):
    svc, http, anna = till
    view = credit.credit_account(svc, manager, anna.id, transport=http)
    assert view.source == "headquarters" and view.as_of is not None
    assert [(x.currency, x.balance_minor) for x in view.lines] == [("EUR", 4550)]
    assert [(m.kind, m.amount_minor, m.reason) for m in view.movements] == [("refunded", 4550, "Return of S-1")]
    offline = credit.credit_account(svc, manager, anna.id, transport=DOWN)
    assert offline.source == "cache" and offline.as_of == view.as_of and offline.lines == view.lines


def test_a_manager_adds_credit_offline_and_headquarters_applies_it_once(till, manager, hq):
    svc, http, anna = till
    credit.credit_account(svc, manager, anna.id, transport=http)
    moved = credit.move_credit(svc, manager, anna.id, kind="added", amount_minor=1000, reason="Goodwill")
    view = credit.credit_account(svc, manager, anna.id, transport=DOWN)  # headquarters down: queued
    assert view.line("EUR").balance_minor == 4550 and view.line("EUR").expected_minor == 5550
    assert [(p.id, p.amount_minor, p.parked) for p in view.pending] == [(moved.id, 1000, False)]
    assert view.pending[0].by == "BER01:1001"  # queued: said as headquarters' ledger will say it
    with svc.db.read() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "credit_added")).one()
    assert row.associate_number == "1001" and row.changes["store_credit"] == {"old": "+45.50 EUR",
                                                                               "new": "+55.50 EUR"}
    (event,) = outbox(svc)
    assert event.payload["role"] == "manager" and event.entity_id == moved.id
    # sent twice (a retry after a lost answer): applied once
    sync.sync_now(svc, manager, transport=http)
    assert outbox(svc) == []
    again = {"id": event.id, "seq": event.seq, "hlc": event.hlc, "type": event.event_type, "entity": event.entity,
             "entity_id": event.entity_id, "payload": event.payload}
    who = hq.authenticate(svc.settings()["hq_credential"])
    assert hq.push(who, [again]).duplicates == [event.id]
    view = credit.credit_account(svc, manager, anna.id, transport=http)
    assert view.pending == [] and [(x.currency, x.balance_minor) for x in view.lines] == [("EUR", 5550)]
    assert view.movements[0].by == "BER01:1001" and view.movements[0].reason == "Goodwill"
    assert hq.credit_account(None, anna.id).balances[0].balance_minor == 5550
    # headquarters' own trail records it too
    assert [r.action for r in hq.own_audit() if r.entity == "store_credit"] == ["credit_refunded", "credit_added"]
    assert all(r.terminal == HQ_TRAIL for r in hq.own_audit())


def test_only_managers_and_administrators_move_credit(till, associate):
    svc, _http, anna = till
    assert {r for r in Role if Actor("x", "x", r).can(Permission.MOVE_CREDIT)} == CREDIT_ROLES
    for role in (Role.ASSOCIATE, Role.SUPPORT):
        with pytest.raises(PermissionDenied):
            credit.move_credit(svc, Actor("1002", "Jonas", role), anna.id, kind="added", amount_minor=500,
                               reason="why not")
    assert outbox(svc) == []
    with svc.db.read() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action.like("credit_%"))).all() == []


@pytest.mark.parametrize("kind, amount, reason, field", [
    ("added", -100, "x", "amount"),           # added is positive
    ("added", 0, "x", "amount"),
    ("corrected", -4551, "typo", "amount"),   # below zero
    ("used", -100, "sale", "kind"),           # the order system's, not the till's
    ("added", 100, "   ", "reason"),
    ("added", 100, "a\u202eb", "reason"),
    ("bonus", 100, "x", "kind"),
])
def test_a_movement_that_does_not_fit_is_refused_at_the_till(till, manager, kind, amount, reason, field):
    svc, http, anna = till
    credit.credit_account(svc, manager, anna.id, transport=http)
    with pytest.raises(ValidationFailed) as no:
        credit.move_credit(svc, manager, anna.id, kind=kind, amount_minor=amount, reason=reason)
    assert [e.field for e in no.value.errors] == [field]
    assert outbox(svc) == []


def test_a_correction_below_zero_at_headquarters_is_parked_visibly(till, manager, hq):
    """Another store spent the credit meanwhile: this till's correction, fine by what it knew, is
    refused at headquarters for that event only, and parked where people see it."""
    svc, http, anna = till
    credit.credit_account(svc, manager, anna.id, transport=http)
    moved = credit.move_credit(svc, manager, anna.id, kind="corrected", amount_minor=-4000, reason="Typo in refund")
    hq.credit_move(anna.id, currency="EUR", kind=CreditKind.USED, amount_minor=-1000, reason="Sale W-9")
    credit.move_credit(svc, manager, anna.id, kind="added", amount_minor=200, reason="Coffee")
    sync.sync_now(svc, manager, transport=http)
    (parked,) = outbox(svc)
    assert parked.entity_id == moved.id and parked.parked_status == 409 and "below zero" in parked.parked_reason
    view = credit.credit_account(svc, manager, anna.id, transport=http)
    assert view.line("EUR").balance_minor == 4550 - 1000 + 200 == view.line("EUR").expected_minor
    assert [(p.id, p.parked) for p in view.pending] == [(moved.id, True)]
    assert "below zero" in view.pending[0].parked_reason


def test_headquarters_refuses_a_role_that_may_not_move_credit(till, manager, hq):
    """A till that sends an associate's movement anyway (an old or altered till) is refused per event."""
    svc, http, anna = till
    moved = credit.move_credit(svc, manager, anna.id, kind="added", amount_minor=300, reason="x")
    with svc.db.write() as s:
        row = s.exec(select(OutboxEvent).where(OutboxEvent.entity_id == moved.id)).one()
        row.payload = {**row.payload, "role": "associate"}
        s.add(row)
    sync.sync_now(svc, manager, transport=http)
    (parked,) = outbox(svc)
    assert parked.parked_status == 403 and parked.parked_field == "payload.role"
    assert hq.credit_account(None, anna.id).balances[0].balance_minor == 4550


def test_the_order_systems_movements_keep_the_rule(till, hq):
    from pos_customers.hq.errors import Conflict

    _svc, _http, anna = till
    with pytest.raises(Conflict):
        hq.credit_move(anna.id, currency="EUR", kind="used", amount_minor=-4551, reason="Sale")
    assert hq.credit_move(anna.id, currency="EUR", kind="used", amount_minor=-4550, reason="Sale",
                          movement_id="m-1").balance_minor == 0
    assert hq.credit_move(anna.id, currency="EUR", kind="used", amount_minor=-4550, reason="Sale",
                          movement_id="m-1") is None  # the same movement again: once
    assert hq.credit_move(anna.id, currency="CHF", kind="refunded", amount_minor=990).balance_minor == 990
    acct = hq.credit_account(None, anna.id)
    assert [(b.currency, b.balance_minor) for b in acct.balances] == [("CHF", 990), ("EUR", 0)]
    assert [m.kind for m in acct.movements] == ["refunded", "used", "refunded"]


def test_an_access_request_holds_the_kept_store_credit(till, manager):
    from pos_customers.services.privacy import access_report

    svc, http, anna = till
    credit.credit_account(svc, manager, anna.id, transport=http)
    report = access_report(svc, manager, anna.id, transport=http)
    (kept,) = report["terminal"]["store_credit"]
    assert kept["balances"] == [{"currency": "EUR", "balance_minor": 4550}]


def test_a_movement_sent_counts_until_the_kept_copy_holds_it_and_never_twice(till, manager):
    svc, http, anna = till
    credit.credit_account(svc, manager, anna.id, transport=http)  # kept: 45.50
    added = credit.move_credit(svc, manager, anna.id, kind="added", amount_minor=1000, reason="Goodwill")
    sync.sync_now(svc, manager, transport=http)  # sent and taken: gone from the outbox, not in the kept copy
    assert outbox(svc) == []
    view = credit.credit_account(svc, manager, anna.id, transport=DOWN)
    assert view.line("EUR").balance_minor == 4550 and view.line("EUR").expected_minor == 5550
    assert [(p.id, p.sent, p.parked) for p in view.pending] == [(added.id, True, False)]
    assert credit.balance_here(svc, anna.id, "EUR") == 5550  # what the dialog's title says
    # the check counts it too: the whole 55.50 may be corrected away offline, not a cent more
    with pytest.raises(ValidationFailed, match="below zero"):
        credit.move_credit(svc, manager, anna.id, kind="corrected", amount_minor=-5551, reason="Too much")
    credit.move_credit(svc, manager, anna.id, kind="corrected", amount_minor=-5550, reason="Closed")
    assert credit.balance_here(svc, anna.id, "EUR") == 0
    with pytest.raises(ValidationFailed, match="below zero"):
        credit.move_credit(svc, manager, anna.id, kind="corrected", amount_minor=-1, reason="Again")
    # headquarters' copy now holds the sent movement: counted there, not again beside it
    view = credit.credit_account(svc, manager, anna.id, transport=http)
    assert view.line("EUR").balance_minor == 5550 and [p.amount_minor for p in view.pending] == [-5550]
    assert view.line("EUR").expected_minor == 0 == credit.balance_here(svc, anna.id, "EUR")
