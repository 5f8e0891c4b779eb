"""Two stores edit the same field offline, through a real headquarters: the conflict shows "!"
on both until someone keeps the winner or takes the other value there, which every store then
follows."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import select as model_select

from pos_customers.domain.customer import CustomerDraft, EmailInput
from pos_customers.domain.enums import SyncState
from pos_customers.hq import tables as t
from pos_customers.services import sync
from pos_customers.services.conflicts import resolve_conflict
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.records import activity
from pos_customers.services.search import search_customers
from pos_customers.storage.tables import OutboxEvent
from tests.helpers import person
from tests.sync.conftest import terminal


def edit(svc, admin, customer_id, **fields):
    view = get_customer(svc, admin, customer_id)
    return update_customer(svc, admin, customer_id, CustomerDraft(**{**draft_from_view(view).__dict__, **fields}),
                           opened=view)


def state_in_list(svc, admin, query):
    return [r.sync_state for r in search_customers(svc, admin, query, limit=5).rows]


def hq_customer(server, customer_id):
    with server.hq.engine.connect() as conn:
        row = conn.execute(select(t.customer.c.fields).where(t.customer.c.id == customer_id)).one()
        records = conn.execute(select(t.record.c.key, t.record.c.deleted, t.record.c.doc)
                               .where(t.record.c.kind == "conflict")).all()
    return json.loads(row.fields), {r.key: (r.deleted, json.loads(r.doc)) for r in records}


def company_conflict(tmp_path, hq_server, admin):
    """Anna at Berlin and Hamburg; Hamburg sets the company, then Berlin (later: Berlin wins)."""
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org")).id
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    edit(ham, admin, anna, company="Globex")
    edit(ber, admin, anna, company="ACME")
    return ber, ham, anna


def test_a_conflict_shows_on_both_terminals_until_resolved(tmp_path, hq_server, admin):
    ber, ham, anna = company_conflict(tmp_path, hq_server, admin)
    sync.sync_now(ham, admin)
    assert get_customer(ham, admin, anna).sync_state == SyncState.SYNCED  # no conflict yet
    sync.sync_now(ber, admin)  # Berlin's push meets Hamburg's value: the answer carries the conflict
    assert get_customer(ber, admin, anna).sync_state == SyncState.CONFLICT
    sync.sync_now(ham, admin)  # Hamburg pulls the conflict
    for svc in (ber, ham):
        view = get_customer(svc, admin, anna)
        assert (view.company, view.sync_state) == ("ACME", SyncState.CONFLICT)
        assert state_in_list(svc, admin, "anna müller") == [SyncState.CONFLICT]
        assert sync.status(svc, admin).conflicts == 1
    # later edits and syncs do not hide it: an edit of another field is sent, the "!" stays
    edit(ber, admin, anna, title="Dr.")
    assert get_customer(ber, admin, anna).sync_state == SyncState.CONFLICT
    for svc in (ber, ham, ber):
        sync.sync_now(svc, admin)
    for svc in (ber, ham):
        view = get_customer(svc, admin, anna)
        assert (view.title, view.sync_state) == ("Dr.", SyncState.CONFLICT)


def test_taking_the_other_value_is_an_edit_that_every_store_follows(tmp_path, hq_server, admin):
    ber, ham, anna = company_conflict(tmp_path, hq_server, admin)
    for svc in (ham, ber, ham):
        sync.sync_now(svc, admin)
    [conflict] = sync.conflicts_for(ham, admin, anna)
    assert (conflict.field, conflict.kept, conflict.lost) == ("company", "ACME", "Globex")

    done = resolve_conflict(ham, admin, conflict.id, take_other=True)

    assert (done.resolution, done.resolved_by) == ("taken", admin.name)  # no associate number at the command line
    view = get_customer(ham, admin, anna)
    assert (view.company, view.sync_state) == ("Globex", SyncState.PENDING)
    actions = [(a.action, a.changes) for a in activity(ham, admin, anna)[:2]]
    assert actions[0] == ("resolve_conflict", {"field": {"old": None, "new": "company"},
                                               "resolution": {"old": None, "new": "taken"},
                                               "kept": {"old": None, "new": "ACME"},
                                               "other": {"old": None, "new": "Globex"}})
    assert actions[1] == ("update", {"company": {"old": "ACME", "new": "Globex"}})
    with ham.db.read() as s:
        events = [(e.event_type, e.entity, e.entity_id, e.payload) for e in
                  s.exec(model_select(OutboxEvent).order_by(OutboxEvent.seq))]
    assert [e[:3] for e in events] == [("customer.updated", "customer", anna),
                                       ("conflict.resolved", "conflict", conflict.id)]
    assert events[0][3]["fields"] == {"company": "Globex"}
    assert events[1][3] == {"id": conflict.id, "customer_id": anna, "resolution": "taken"}

    sync.sync_now(ham, admin)
    assert get_customer(ham, admin, anna).sync_state == SyncState.SYNCED
    fields, records = hq_customer(hq_server, anna)
    # the edit's base was the kept value's stamp: a plain overwrite, no new conflict
    assert fields["company"] == "Globex"
    assert {k: deleted for k, (deleted, _) in records.items()} == {conflict.id: True}
    assert records[conflict.id][1]["resolution"] == "taken"

    sync.sync_now(ber, admin)  # Berlin follows: the new value, the conflict gone, no "!"
    view = get_customer(ber, admin, anna)
    assert (view.company, view.sync_state) == ("Globex", SyncState.SYNCED)
    assert state_in_list(ber, admin, "anna müller") == [SyncState.SYNCED]
    [at_ber] = sync.conflicts_for(ber, admin, anna)
    assert (at_ber.resolution, at_ber.resolved_by) == ("taken", "store HAM01") and at_ber.resolved_at
    assert sync.status(ber, admin).conflicts == 0


def test_keeping_the_winner_changes_no_field_and_clears_the_conflict_everywhere(tmp_path, hq_server, admin):
    ber, ham, anna = company_conflict(tmp_path, hq_server, admin)
    for svc in (ham, ber, ham):
        sync.sync_now(svc, admin)
    [conflict] = sync.conflicts_for(ber, admin, anna)

    resolve_conflict(ber, admin, conflict.id, take_other=False)

    view = get_customer(ber, admin, anna)
    assert (view.company, view.sync_state) == ("ACME", SyncState.PENDING)  # the resolution is still to send
    with ber.db.read() as s:
        assert [e.event_type for e in s.exec(model_select(OutboxEvent))] == ["conflict.resolved"]
    assert activity(ber, admin, anna)[0].changes["resolution"] == {"old": None, "new": "kept"}
    for svc in (ber, ham):
        sync.sync_now(svc, admin)
        view = get_customer(svc, admin, anna)
        assert (view.company, view.sync_state) == ("ACME", SyncState.SYNCED)
    fields, records = hq_customer(hq_server, anna)
    assert fields["company"] == "ACME" and records[conflict.id][0] is True


def test_taking_a_value_this_terminal_sent_but_never_pulled_back(tmp_path, hq_server, admin):
    """Hamburg sends its (losing) value and hears of the conflict in the push answer, before any
    pull: its file still holds the value that lost, yet headquarters must get it again."""
    ber, ham, anna = company_conflict(tmp_path, hq_server, admin)
    sync.sync_now(ber, admin)  # ACME (the later edit) reaches headquarters first
    sync.engine(ham).push_batch()  # Hamburg's Globex loses; no pull
    [conflict] = sync.conflicts_for(ham, admin, anna)
    assert (conflict.kept, conflict.lost) == ("ACME", "Globex")
    assert get_customer(ham, admin, anna).sync_state == SyncState.CONFLICT

    resolve_conflict(ham, admin, conflict.id, take_other=True)
    for svc in (ham, ber):
        sync.sync_now(svc, admin)
        view = get_customer(svc, admin, anna)
        assert (view.company, view.sync_state) == ("Globex", SyncState.SYNCED)
    fields, records = hq_customer(hq_server, anna)
    assert fields["company"] == "Globex" and list(records) == [conflict.id]


def test_taking_a_list_value_takes_the_whole_list(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org")).id
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    edit(ham, admin, anna, emails=[EmailInput("anna@example.org", primary=True),
                                   EmailInput("anna.work@example.org", "work", marketing_consent=True)])
    edit(ber, admin, anna, emails=[EmailInput("a.mueller@example.org", primary=True)])
    for svc in (ham, ber, ham):
        sync.sync_now(svc, admin)
    [conflict] = sync.conflicts_for(ber, admin, anna)
    assert conflict.field == "emails"
    resolve_conflict(ber, admin, conflict.id, take_other=True)
    for svc in (ber, ham):
        sync.sync_now(svc, admin)
    for svc in (ber, ham):
        view = get_customer(svc, admin, anna)
        assert [(e.address, e.purpose, e.primary, e.marketing_consent) for e in view.emails] == [
            ("anna@example.org", "personal", True, False), ("anna.work@example.org", "work", False, True)]
        assert view.sync_state == SyncState.SYNCED


def test_a_store_that_opens_the_customer_later_sees_only_open_conflicts(tmp_path, hq_server, admin):
    ber, ham, anna = company_conflict(tmp_path, hq_server, admin)
    for svc in (ham, ber):
        sync.sync_now(svc, admin)
    muc = terminal(tmp_path, hq_server, "MUC01")  # its own customers only: Anna is pulled in
    view = sync.open_remote(muc, admin, anna)
    assert (view.company, view.sync_state) == ("ACME", SyncState.CONFLICT)
    [conflict] = sync.conflicts_for(ber, admin, anna)
    resolve_conflict(ber, admin, conflict.id, take_other=False)
    sync.sync_now(ber, admin)
    sync.sync_now(muc, admin)  # the resolution reaches the store that pulled her in
    assert get_customer(muc, admin, anna).sync_state == SyncState.SYNCED
    lisbon = terminal(tmp_path, hq_server, "LIS01")  # and a store opening her now gets no conflict
    assert sync.open_remote(lisbon, admin, anna).sync_state == SyncState.SYNCED
    assert sync.conflicts_for(lisbon, admin, anna) == []
