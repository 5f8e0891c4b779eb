"""Refused events are parked, never dropped: a fake headquarters (httpx.MockTransport) answers the
push with a ``refused`` list, a 422 naming one event, or a refusal of the whole request."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlmodel import select

from pos_customers.domain.customer import CustomerDraft
from pos_customers.domain.protocol import PullItemKind
from pos_customers.services import sync
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.records import add_note
from pos_customers.storage.tables import AuditEvent, CustomerGroup, OutboxEvent
from pos_customers.sync.engine import PULL_HANDLERS
from tests.helpers import person
from tests.sync.conftest import terminal
from tests.sync.fake_hq import FakeHq, refuse


@pytest.fixture
def till(svc, admin):
    sync.connect(svc, admin, url="http://hq.test", credential="secret", terminal_id="T-test")
    return svc


def run_sync(svc, actor, hq: FakeHq):
    return sync.sync_now(svc, actor, transport=httpx.MockTransport(hq))


def outbox(svc) -> list[OutboxEvent]:
    with svc.db.read() as s:
        return list(s.exec(select(OutboxEvent).order_by(OutboxEvent.seq)).all())


def audit_rows(svc, action: str) -> list[AuditEvent]:
    with svc.db.read() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


def rename(svc, actor, customer_id: str, last: str):
    view = get_customer(svc, actor, customer_id)
    return update_customer(svc, actor, customer_id,
                           CustomerDraft(**{**draft_from_view(view).__dict__, "last_name": last}), opened=view)


def test_an_event_refused_in_the_answer_is_parked_and_the_rest_leaves_the_outbox(till, admin):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    hans = create_customer(till, admin, person("Hans", "Meier", "hans@example.org"))
    hq = FakeHq(refuse(anna.id))
    result = run_sync(till, admin, hq)
    assert result.pushed >= 2 and result.parked == 1  # store.created and Hans went; Anna's creation did not
    [left] = outbox(till)
    assert (left.entity_id, left.event_type) == (anna.id, "customer.created")
    assert left.parked_at is not None and left.parked_status == 403
    assert left.parked_reason == "store BER01 may not create customers of store HAM01"
    assert left.parked_field == "payload.store_code" and left.attempts == 1
    assert get_customer(till, admin, anna.id).sync_state == "pending"
    assert get_customer(till, admin, hans.id).sync_state == "synced"
    st = sync.status(till, admin)
    assert (st.parked, st.waiting, st.outbox, st.last_error) == (1, 0, 1, "")
    # a parked event is not sent again, however often the terminal syncs
    hq.pushes.clear()
    run_sync(till, admin, FakeHq())
    run_sync(till, admin, hq)
    assert hq.sent() == [] and outbox(till)[0].parked_at is not None


def test_events_behind_a_parked_event_wait_and_the_rest_of_the_outbox_goes_on(till, admin):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    hq = FakeHq(refuse(anna.id))
    run_sync(till, admin, hq)
    rename(till, admin, anna.id, "Schmidt")
    note = add_note(till, admin, anna.id, "prefers email")
    hans = create_customer(till, admin, person("Hans", "Meier", "hans@example.org"))
    hq.pushes.clear()
    run_sync(till, admin, FakeHq())
    # only Hans went: Anna's edit and the note on her wait behind her parked creation
    assert [e.entity_id for e in outbox(till)] == [anna.id, anna.id, note.id]
    assert get_customer(till, admin, hans.id).sync_state == "synced"
    views = sync.parked_events(till, admin)
    created = outbox(till)[0].id
    assert [(v.kind, v.parked, v.waiting_behind) for v in views] == [
        ("customer.created", True, None), ("customer.updated", False, created), ("note.created", False, created)]
    assert all(v.customer.endswith("Schmidt") and v.customer_id == anna.id for v in views)
    assert str(views[1].reason).startswith("waiting behind a parked event")
    assert (sync.status(till, admin).parked, sync.status(till, admin).waiting) == (1, 2)
    # retried: the next sync sends her creation, then what waited, in order
    assert sync.retry_parked(till, admin, created[:8]) == 1
    accept = FakeHq()
    run_sync(till, admin, accept)
    assert [e["type"] for e in accept.pushes[0]] == ["customer.created", "customer.updated", "note.created"]
    assert outbox(till) == [] and get_customer(till, admin, anna.id).sync_state == "synced"
    [row] = audit_rows(till, "sync_retry")
    assert (row.entity, row.entity_id) == ("customer", anna.id)
    assert row.changes["parked"]["old"].startswith("403 store BER01")


def test_edits_refused_in_the_same_batch_as_their_creation_wait_behind_it(till, admin):
    """Created and edited offline, sent in one batch, the creation refused: headquarters refuses
    the edit too (it never got the customer), but only the creation is parked, with the true
    reason; the edit waits behind it and goes once the creation is retried."""
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    rename(till, admin, anna.id, "Schmidt")
    run_sync(till, admin, FakeHq(refuse(anna.id)))
    created, edited = outbox(till)
    assert (created.event_type, created.parked_at is not None) == ("customer.created", True)
    assert (edited.event_type, edited.parked_at, edited.parked_reason) == ("customer.updated", None, "")
    assert (sync.status(till, admin).parked, sync.status(till, admin).waiting) == (1, 1)
    sync.retry_parked(till, admin, created.id)
    accept = FakeHq()
    run_sync(till, admin, accept)
    assert [e["type"] for e in accept.pushes[0]] == ["customer.created", "customer.updated"]
    assert outbox(till) == [] and get_customer(till, admin, anna.id).sync_state == "synced"


def test_a_422_naming_one_event_parks_it_and_the_batch_goes_again_without_it(till, admin):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    hans = create_customer(till, admin, person("Hans", "Meier", "hans@example.org"))
    rename(till, admin, hans.id, "Maier")  # depends on Hans's creation: held back with it
    eva = create_customer(till, admin, person("Eva", "Lang", "eva@example.org"))

    def decide(events):
        for i, e in enumerate(events):
            if e["entity_id"] == hans.id:
                return httpx.Response(422, json={"detail": [
                    {"type": "list_type", "loc": ["body", "events", i, "customer.created", "payload", "fields",
                                                  "emails"],
                     "msg": "Input should be\na valid list", "input": "x"}]})
        return FakeHq.ok(events)

    hq = FakeHq(decide)
    run_sync(till, admin, hq)
    assert len(hq.pushes) == 2  # the batch, then the batch less Hans
    assert hans.id not in [e["entity_id"] for e in hq.pushes[1]]
    assert {anna.id, eva.id} <= set(e["entity_id"] for e in hq.pushes[1])
    left = outbox(till)
    assert [(e.entity_id, e.event_type, e.parked_at is not None) for e in left] == [
        (hans.id, "customer.created", True), (hans.id, "customer.updated", False)]
    assert (left[0].parked_status, left[0].parked_reason, left[0].parked_field) == (
        422, "Input should be a valid list", "payload.fields.emails")
    assert get_customer(till, admin, anna.id).sync_state == "synced"
    assert get_customer(till, admin, hans.id).sync_state == "pending"
    assert sync.status(till, admin).last_error == ""


def test_a_422_that_leaves_nothing_to_send_parks_and_stops(till, admin):
    run_sync(till, admin, FakeHq())  # store.created and the audit rows so far
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    hq = FakeHq(lambda events: httpx.Response(422, json={"detail": [
        {"loc": ["body", "events", 0, "payload", "reference"], "msg": "bad check symbol"}]})
        if events else FakeHq.ok(events))
    run_sync(till, admin, hq)
    [left] = outbox(till)
    assert left.entity_id == anna.id and left.parked_field == "payload.reference"
    # the events were resent without Anna until only the audit rows were left
    assert [len(batch) for batch in hq.pushes] == [1, 0]


@pytest.mark.parametrize("status, detail", [
    (401, "unknown or revoked credential"),
    (403, "this terminal's store is closed"),
    (404, "Not Found"),
    (409, "terminal re-enrolled"),
    (422, [{"loc": ["body", "audit", 0, "at"], "msg": "not a date"}]),
    (422, [{"loc": ["body", "events", 0, "payload"], "msg": "x"}, {"loc": ["body"], "msg": "too large"}]),
    (422, [{"loc": ["body", "events", 99], "msg": "index beyond the batch"}]),
    (422, "not a list"),
])
def test_a_refusal_of_the_whole_request_parks_nothing_and_is_recorded(till, admin, status, detail):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    before = [(e.id, e.attempts) for e in outbox(till)]
    hq = FakeHq(lambda events: httpx.Response(status, json={"detail": detail}))
    with pytest.raises(sync.HqRefused):
        run_sync(till, admin, hq)
    assert len(hq.pushes) == 1
    after = outbox(till)
    assert [(e.id, e.attempts - 1) for e in after] == before
    assert all(e.parked_at is None for e in after)
    st = sync.status(till, admin)
    assert st.parked == 0 and st.last_error.startswith(f"push: headquarters refused ({status})")
    assert get_customer(till, admin, anna.id).sync_state == "pending"


def test_discarding_needs_a_manager_and_is_audited(till, admin, associate, manager):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    run_sync(till, admin, FakeHq())
    rename(till, admin, anna.id, "Schmidt")
    run_sync(till, admin, FakeHq(refuse(anna.id, 409, "customer was merged", "payload.id")))
    [parked] = sync.parked_events(till, admin)
    with pytest.raises(PermissionDenied):
        sync.discard_parked(till, associate, parked.id)
    assert [e.id for e in outbox(till)] == [parked.id] and audit_rows(till, "sync_discard") == []
    done = sync.discard_parked(till, manager, parked.id)
    assert (done.kind, done.also, done.local_only) == ("customer.updated", (), False)
    assert outbox(till) == []
    # headquarters will not get the new name: the customer says so
    assert get_customer(till, admin, anna.id).sync_state == "local"
    [row] = audit_rows(till, "sync_discard")
    assert (row.entity, row.entity_id, row.associate_number) == ("customer", anna.id, "1001")
    assert row.changes["event"]["old"] == f"customer.updated {parked.id}"
    assert row.changes["refused"]["old"] == "409 customer was merged"
    assert "last_name" in row.changes["fields"]["old"]
    assert row.changes["sync_state"] == {"old": "pending", "new": "local"}


def test_discarding_a_refused_creation_takes_what_waits_behind_it_and_leaves_the_customer_local(till, admin,
                                                                                                  manager):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    run_sync(till, admin, FakeHq(refuse(anna.id)))
    rename(till, admin, anna.id, "Schmidt")
    add_note(till, admin, anna.id, "prefers email")
    created = outbox(till)[0]
    done = sync.discard_parked(till, manager, created.id)
    assert done.local_only and len(done.also) == 2
    assert outbox(till) == [] and sync.status(till, admin).parked == 0
    view = get_customer(till, admin, anna.id)
    assert (view.last_name, view.sync_state) == ("Schmidt", "local")
    [row] = audit_rows(till, "sync_discard")
    assert [x.split()[0] for x in row.changes["also_discarded"]["old"]] == ["customer.updated", "note.created"]


def test_retry_all_and_unknown_or_waiting_ids_are_refused_with_a_message(till, admin):
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    hans = create_customer(till, admin, person("Hans", "Meier", "hans@example.org"))
    run_sync(till, admin, FakeHq(lambda events: FakeHq.ok(events, [
        {"id": e["id"], "status": 403, "reason": "no", "field": None}
        for e in events if e["entity_id"] in (anna.id, hans.id)])))
    rename(till, admin, anna.id, "Schmidt")
    waiting = outbox(till)[-1]
    with pytest.raises(sync.NotFound, match="waits behind parked event"):
        sync.retry_parked(till, admin, waiting.id)
    with pytest.raises(sync.NotFound, match="no event"):
        sync.retry_parked(till, admin, "ffffffff")
    with pytest.raises(sync.NotFound, match="at least 4"):
        sync.retry_parked(till, admin, "a")
    assert sync.retry_parked(till, admin, all_parked=True) == 2
    assert sync.status(till, admin).parked == 0 and len(audit_rows(till, "sync_retry")) == 2
    assert outbox(till)[0].parked_field == ""


def test_pulled_items_go_through_one_handler_per_kind(till, admin):
    assert set(PULL_HANDLERS) == set(PullItemKind)
    hq = FakeHq()
    hq.pull_items = [{"t": "group", "doc": {"code": "VIP", "name": "Very important"}},
                     {"t": "a-kind-from-the-future", "doc": {"id": "x"}}]
    run_sync(till, admin, hq)
    with till.db.read() as s:
        assert s.get(CustomerGroup, "VIP").name == "Very important"
    assert sync.status(till, admin).cursor == 7
    hq.pull_items = [{"t": "group", "deleted": True, "doc": {"code": "VIP"}}]
    run_sync(till, admin, hq)
    with till.db.read() as s:
        assert s.get(CustomerGroup, "VIP") is None


def test_a_real_headquarters_refusing_one_event_parks_it_and_takes_the_rest(tmp_path, hq_server, admin):
    """Against the headquarters process: an update of a customer it does not know is refused in its
    answer (parked, 200); a payload of the wrong shape is named by its 422 (parked, batch sent again)."""
    ber = terminal(tmp_path, hq_server, "BER01")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    rename(ber, admin, anna.id, "Schmidt")
    [template] = outbox(ber)
    ghost, broken = str(uuid.uuid4()), str(uuid.uuid4())
    with ber.db.write() as s:  # queued as a damaged or out-of-date terminal would have queued them
        for entity_id, payload in (
                (ghost, {**template.payload, "id": ghost}),
                (broken, {**template.payload, "id": broken,
                          "fields": {**template.payload["fields"], "emails": "not a list"}})):
            s.add(OutboxEvent(id=str(uuid.uuid4()), hlc=template.hlc, event_type=template.event_type,
                              entity="customer", entity_id=entity_id, payload=payload))
    hans = create_customer(ber, admin, person("Hans", "Meier", "hans@example.org"))
    result = sync.sync_now(ber, admin)
    assert result.parked == 2
    left = {e.entity_id: e for e in outbox(ber)}
    assert set(left) == {ghost, broken} and all(e.parked_at is not None for e in left.values())
    assert left[ghost].parked_status in (403, 404) and left[ghost].parked_reason
    assert left[broken].parked_status == 422 and left[broken].parked_field.endswith("emails")
    assert get_customer(ber, admin, anna.id).sync_state == "synced"
    assert get_customer(ber, admin, hans.id).sync_state == "synced"
    st = sync.status(ber, admin)
    assert (st.parked, st.last_error) == (2, "")
    # retried as they are, headquarters refuses them again: parked again, nothing else held up
    assert sync.retry_parked(ber, admin, all_parked=True) == 2
    assert sync.sync_now(ber, admin).parked == 2
    assert {e.entity_id: e.attempts for e in outbox(ber)} == {ghost: 2, broken: 2}
