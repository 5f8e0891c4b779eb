"""Sync conflicts on one terminal: the state they give a customer, and resolving them.

Conflicts arrive the way headquarters sends them (a pull page, through the real pull code, from a
mock transport); the two-terminal flows through a real headquarters are in tests/sync."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from pos_customers.domain.enums import SyncState
from pos_customers.domain.errors import ValidationFailed
from pos_customers.services import sync
from pos_customers.services.auth import PermissionDenied
from pos_customers.services.conflicts import resolve_conflict
from pos_customers.services.context import Actor, NotFound
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.privacy import anonymize_customer
from pos_customers.services.search import search_customers
from pos_customers.storage.tables import AuditEvent, Customer, OutboxEvent, SyncConflict
from pos_customers.sync.client import HqClient
from pos_customers.sync.engine import SyncEngine
from tests.helpers import person

_SEQ = [0]


def pull(svc, *items) -> None:
    """Headquarters' next pull page holds ``items`` (applied by the real pull code)."""
    _SEQ[0] += 1
    page = {"items": [{"seq": _SEQ[0], **i} for i in items], "cursor": _SEQ[0], "more": False}
    client = HqClient("http://hq.test", "credential",
                      transport=httpx.MockTransport(lambda request: httpx.Response(200, json=page)))
    SyncEngine(svc.db, client).pull_page()


def conflict_doc(svc, customer_id: str, field: str, lost, *, key: str = "e1") -> dict:
    from pos_customers.storage.documents import customer_fields

    with svc.db.read() as s:
        row = s.get(Customer, customer_id)
        stamp, kept = row.field_clocks[field], customer_fields(s, row)[field]
    return {"id": f"{key}:{field}", "customer_id": customer_id, "field": field, "kept": kept,
            "kept_stamp": stamp, "lost": lost, "lost_stamp": "0" + stamp[1:], "origin_store": "HAM01",
            "at": "2026-11-24T09:15:00+00:00"}


def pull_conflict(svc, customer_id: str, field: str = "last_name", lost="Mueller-Schmidt", *, key: str = "e1") -> str:
    doc = conflict_doc(svc, customer_id, field, lost, key=key)
    pull(svc, {"t": "conflict", "key": doc["id"], "deleted": False, "doc": doc})
    return doc["id"]


def state(svc, customer_id: str) -> SyncState:
    return get_customer(svc, Actor.command_line(), customer_id).sync_state


def outbox(svc) -> list[tuple[str, str]]:
    with svc.db.read() as s:
        return [(e.event_type, e.entity_id) for e in s.exec(select(OutboxEvent).order_by(OutboxEvent.seq))]


def clear_outbox(svc) -> None:
    """As if headquarters held everything sent so far."""
    with svc.db.write() as s:
        for e in s.exec(select(OutboxEvent)):
            s.delete(e)
        for c in s.exec(select(Customer)):
            c.sync_state = SyncState.SYNCED
            s.add(c)


@pytest.fixture
def anna(svc, admin) -> str:
    cid = create_customer(svc, admin, person("Anna", "Müller", "anna@example.org")).id
    clear_outbox(svc)
    return cid


def edit(svc, actor, customer_id, **fields):
    view = get_customer(svc, actor, customer_id)
    draft = draft_from_view(view)
    for k, v in fields.items():
        setattr(draft, k, v)
    return update_customer(svc, actor, customer_id, draft, opened=view)


def test_a_pulled_conflict_marks_the_customer_and_the_list_shows_it(svc, admin, anna):
    assert state(svc, anna) == SyncState.SYNCED
    pull_conflict(svc, anna)
    assert state(svc, anna) == SyncState.CONFLICT
    assert [r.sync_state for r in search_customers(svc, admin, "anna", limit=5).rows] == [SyncState.CONFLICT]
    assert sync.status(svc, admin).conflicts == 1


def test_edits_and_pulled_documents_do_not_hide_an_open_conflict(svc, admin, anna):
    pull_conflict(svc, anna)
    edit(svc, admin, anna, title="Dr.")
    assert state(svc, anna) == SyncState.CONFLICT  # conflict wins over pending
    with svc.db.read() as s:
        from pos_customers.storage.documents import customer_document
        doc = customer_document(s, s.get(Customer, anna))
    doc["fields"]["company"] = "ACME"
    doc["clocks"]["company"] = "9" + doc["clocks"]["company"][1:]
    pull(svc, {"t": "customer", "doc": doc})
    view = get_customer(svc, admin, anna)
    assert (view.company, view.sync_state) == ("ACME", SyncState.CONFLICT)


def test_a_conflict_resolved_elsewhere_arrives_deleted_and_the_mark_goes(svc, admin, anna):
    cid = pull_conflict(svc, anna)
    doc = conflict_doc(svc, anna, "last_name", "Mueller-Schmidt") | {"resolution": "kept",
                                                                     "resolved_by": "HAM01"}
    pull(svc, {"t": "conflict", "key": cid, "deleted": True, "doc": doc})
    assert state(svc, anna) == SyncState.SYNCED
    [c] = sync.conflicts_for(svc, admin, anna)
    assert (c.resolution, c.resolved_by, c.resolved_at is not None) == ("kept", "store HAM01", True)
    assert sync.status(svc, admin).conflicts == 0


def test_a_resolution_pulled_while_an_edit_waits_leaves_it_pending(svc, admin, anna):
    cid = pull_conflict(svc, anna)
    edit(svc, admin, anna, title="Dr.")
    pull(svc, {"t": "conflict", "key": cid, "deleted": True, "doc": conflict_doc(svc, anna, "last_name", "x")})
    assert state(svc, anna) == SyncState.PENDING


def test_resolving_one_of_two_conflicts_keeps_the_mark(svc, admin, anna):
    first = pull_conflict(svc, anna, key="e1")
    second = pull_conflict(svc, anna, "first_name", "Anne", key="e2")
    resolve_conflict(svc, admin, first, take_other=False)
    assert state(svc, anna) == SyncState.CONFLICT
    resolve_conflict(svc, admin, second, take_other=True)
    view = get_customer(svc, admin, anna)
    assert (view.first_name, view.last_name, view.sync_state) == ("Anne", "Müller", SyncState.PENDING)
    assert outbox(svc) == [("conflict.resolved", first), ("customer.updated", anna), ("conflict.resolved", second)]


def test_keep_changes_no_field_and_records_who_chose(svc, admin, associate, anna):
    cid = pull_conflict(svc, anna)
    resolve_conflict(svc, associate, cid, take_other=False)
    assert get_customer(svc, admin, anna).last_name == "Müller"
    with svc.db.read() as s:
        row = s.get(SyncConflict, cid)
        assert (row.resolution, row.resolved_by, row.resolved_at is not None) == ("kept", "1002", True)
        audit = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (audit.associate_number, audit.action, audit.entity_id) == ("1002", "resolve_conflict", anna)
        assert audit.changes["resolution"] == {"old": None, "new": "kept"}
    assert outbox(svc) == [("conflict.resolved", cid)]


def test_only_open_conflicts_of_known_customers_are_resolved(svc, admin, anna):
    cid = pull_conflict(svc, anna)
    with pytest.raises(NotFound):
        resolve_conflict(svc, admin, "nope:last_name", take_other=False)
    resolve_conflict(svc, admin, cid, take_other=False)
    with pytest.raises(ValidationFailed, match="already resolved"):
        resolve_conflict(svc, admin, cid, take_other=True)
    assert get_customer(svc, admin, anna).last_name == "Müller"
    assert outbox(svc) == [("conflict.resolved", cid)]


def test_resolving_needs_the_edit_permission(svc, admin, anna):
    from pos_customers.domain.enums import Role

    cid = pull_conflict(svc, anna)
    with pytest.raises(PermissionDenied):
        resolve_conflict(svc, Actor("3001", "Sam", Role.SUPPORT, "T-test"), cid, take_other=True)
    assert state(svc, anna) == SyncState.CONFLICT and outbox(svc) == []


def test_a_value_that_no_longer_passes_the_checks_is_refused_and_nothing_is_written(svc, admin, anna):
    other = create_customer(svc, admin, person("Hans", "Meier", cards=["CARD123456"])).id
    clear_outbox(svc)
    cid = pull_conflict(svc, anna, "cards", ["CARD123456"])  # the card went to Hans meanwhile
    with pytest.raises(ValidationFailed, match="belongs to another customer"):
        resolve_conflict(svc, admin, cid, take_other=True)
    assert get_customer(svc, admin, anna).cards == () and get_customer(svc, admin, other).cards == ("CARD123456",)
    assert sync.conflicts_for(svc, admin, anna)[0].resolved_at is None
    assert state(svc, anna) == SyncState.CONFLICT and outbox(svc) == []


def test_a_field_not_edited_by_hand_can_only_be_kept(svc, admin, anna):
    cid = pull_conflict(svc, anna, "password_changed_at", "2026-01-01T00:00:00+00:00")
    with pytest.raises(ValidationFailed, match="only the kept value"):
        resolve_conflict(svc, admin, cid, take_other=True)
    resolve_conflict(svc, admin, cid, take_other=False)
    assert outbox(svc) == [("conflict.resolved", cid)]


def test_an_anonymized_customer_has_no_conflicts_left(svc, admin, anna):
    cid = pull_conflict(svc, anna)
    view = get_customer(svc, admin, anna)
    anonymize_customer(svc, admin, anna, view.reference)
    assert state(svc, anna) == SyncState.PENDING
    with pytest.raises(NotFound):
        resolve_conflict(svc, admin, cid, take_other=True)
