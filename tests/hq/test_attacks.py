"""Headquarters trusts no terminal: each attack of issue 11 ("What goes wrong" 2) as a regression test,
and the per-event decisions of a push (refused events are not applied, the rest of the batch is).
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from tests.hq.test_api import created, enrol, ref, state, updated

T0 = "0000000000001-00000-a"


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


@pytest.fixture
def stores(api, hq):
    """BER01 (number 1), HAM01 (number 2), both scope own; HQ01 (number 3) sees all."""
    return {code: enrol(api, hq, code, **kw)[0] for code, kw in
            (("BER01", {}), ("HAM01", {}), ("HQ01", {"scope": "all"}))}


def push(api, headers, *events, audit=None):
    body = {"events": list(events)} | ({"audit": audit} if audit is not None else {})
    return api.post("/v1/push", json=body, headers=headers)


def event(kind, entity, entity_id, payload, stamp=T0):
    return {"id": str(uuid.uuid4()), "seq": 1, "hlc": stamp, "type": kind, "entity": entity,
            "entity_id": entity_id, "payload": payload}


def customer_ids(engine):
    with engine.connect() as conn:
        return set(conn.execute(select(t.customer.c.id)).scalars())


def applied_ids(engine):
    with engine.connect() as conn:
        return set(conn.execute(select(t.applied_event.c.id)).scalars())


def pulled(api, headers, kind="customer"):
    r = api.get("/v1/pull", headers=headers)
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["t"] == kind]


def loc_of(r):
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


# -- the attacks of the issue -----------------------------------------------------------------------------

def test_an_update_for_an_unknown_customer_is_refused_and_creates_nobody(api, hq_engine, stores):
    cid = str(uuid.uuid4())
    ev = updated(cid, T0, {"first_name": "Mallory"}, {})
    ev["payload"].update(reference=ref(5, store_number=2), store_code="HAM01")
    r = push(api, stores["BER01"], ev)
    assert r.status_code == 200 and r.json()["applied"] == []
    assert r.json()["refused"] == [{"id": ev["id"], "status": 404, "field": "payload.id", "holder": None,
                                    "reason": f"customer {cid} is unknown at headquarters",
                                    "code": "customer {customer} is unknown at headquarters",
                                    "params": {"customer": cid}}]
    assert customer_ids(hq_engine) == set() and ev["id"] not in applied_ids(hq_engine)
    assert pulled(api, stores["HAM01"]) == []


@pytest.mark.parametrize("entity", ["customer_note", "x"])
def test_customer_checks_do_not_depend_on_the_entity_name(api, hq_engine, stores, entity):
    ev = created(str(uuid.uuid4()), ref(), "BER01", T0)
    ev.update(entity=entity, entity_id="not-a-uuid")
    ev["payload"].update(id="not-a-uuid", reference="bad")
    r = push(api, stores["BER01"], ev)
    locs = [e["loc"] for e in r.json()["detail"]]
    assert r.status_code == 422
    assert ["body", "events", 0, "payload", "id"] in locs and ["body", "events", 0, "payload", "reference"] in locs
    assert customer_ids(hq_engine) == set()
    # a valid customer under another entity name is refused too: the kind decides, not the entity
    ok = created(str(uuid.uuid4()), ref(), "BER01", T0)
    assert loc_of(push(api, stores["BER01"], {**ok, "entity": entity})) == ["body", "events", 0, "entity"]
    assert push(api, stores["BER01"], ok).json()["applied"] == [ok["id"]]
    assert len(pulled(api, stores["HQ01"])) == 1  # a scope-all store's pull still works


def test_a_note_without_a_customer_is_refused_naming_the_field(api, stores):
    note = event("note.created", "customer_note", str(uuid.uuid4()), {"text": "hello"})
    note["payload"]["id"] = note["entity_id"]
    assert loc_of(push(api, stores["BER01"], note)) == ["body", "events", 0, "payload", "customer_id"]


@pytest.mark.parametrize("at", ["not a date", "0001-01-01T00:00:00+01:00", 1700000000])
def test_an_audit_row_with_a_date_that_is_not_a_date_is_refused(api, hq_engine, stores, at):
    row = {"id": 1, "at": at, "associate": "1", "terminal": "t", "store": "BER01", "entity": "customer",
           "entity_id": "x", "action": "create", "changes": {}, "prev_hash": "0" * 64, "hash": "0" * 64}
    assert loc_of(push(api, stores["BER01"], audit=[row])) == ["body", "audit", 0, "at"]
    with hq_engine.connect() as conn:
        assert conn.execute(select(t.audit)).first() is None


def test_emails_that_are_not_a_list_are_refused_naming_the_field(api, hq_engine, stores):
    good = created(str(uuid.uuid4()), ref(1), "BER01", T0)
    bad = created(str(uuid.uuid4()), ref(2), "BER01", T0, emails="anna@example.org")
    assert loc_of(push(api, stores["BER01"], good, bad)) == ["body", "events", 1, "payload", "fields", "emails"]
    assert customer_ids(hq_engine) == set()  # a body that does not fit is refused as a whole


def test_a_group_without_a_code_is_refused(api, stores):
    ev = event("group.changed", "customer_group", "VIP", {"name": "VIP"})
    assert loc_of(push(api, stores["BER01"], ev)) == ["body", "events", 0, "payload", "code"]


@pytest.mark.parametrize("cursor", ["1" * 30, "-1", str(2**62 + 1), "x"])
def test_an_out_of_range_cursor_is_refused(api, stores, cursor):
    r = api.get("/v1/pull", params={"cursor": cursor}, headers=stores["BER01"])
    assert loc_of(r) == ["query", "cursor"]
    assert api.get("/v1/pull", headers=stores["BER01"]).status_code == 200  # and the next request is served


@pytest.mark.parametrize("limit", ["0", "5001", "1" * 30])
def test_an_out_of_range_limit_is_refused(api, stores, limit):
    assert loc_of(api.get("/v1/pull", params={"limit": limit}, headers=stores["BER01"])) == ["query", "limit"]


@pytest.mark.parametrize("change, where", [
    ({"type": "customer.exploded"}, ["body", "events", 0]),
    ({"seq": "1"}, ["body", "events", 0, "seq"]),
    ({"hlc": "yesterday"}, ["body", "events", 0, "hlc"]),
    ({"id": "42"}, ["body", "events", 0, "id"]),
])
def test_malformed_envelopes_are_refused_naming_the_field(api, stores, change, where):
    ev = created(str(uuid.uuid4()), ref(), "BER01", T0) | change
    assert loc_of(push(api, stores["BER01"], ev)) == where


@pytest.mark.parametrize("fields, where", [
    ({"birth_date": "not a date"}, "birth_date"),
    ({"birth_date": 19900101}, "birth_date"),
    ({"password_changed_at": "0001-01-01T00:00:00+01:00"}, "password_changed_at"),
    ({"first_name": 5}, "first_name"),
    ({"first_name": "x" * 81}, "first_name"),
    ({"first_name": "nul\x00"}, "first_name"),
    ({"favourite_colour": "green"}, "favourite_colour"),
    ({"phones": [{"e164": "12", "purpose": "mobile", "primary": True, "marketing_consent": False}]}, "phones"),
    ({"emails": [{"address": "a@example.org"}]}, "emails"),
    ({"emails": [{"address": "a@example.org", "purpose": "x", "primary": "yes", "marketing_consent": False}]},
     "emails"),
    ({"emails": [{"address": f"a{i}@example.org", "purpose": "personal", "primary": False,
                  "marketing_consent": False} for i in range(21)]}, "emails"),
])
def test_wrong_field_values_are_422_naming_the_field(api, hq_engine, stores, fields, where):
    cid = str(uuid.uuid4())
    ev = created(cid, ref(), "BER01", T0)
    ev["payload"]["fields"].update(fields)
    loc = loc_of(push(api, stores["BER01"], ev))
    assert loc[:6] == ["body", "events", 0, "payload", "fields", where]
    assert customer_ids(hq_engine) == set()


def test_a_reference_failing_its_check_symbol_is_refused(api, stores):
    good = ref()
    typo = good[:3] + ("1" if good[3] != "1" else "2") + good[4:]
    ev = created(str(uuid.uuid4()), typo, "BER01", T0)
    r = push(api, stores["BER01"], ev)
    assert loc_of(r) == ["body", "events", 0, "payload", "reference"] and "check" in r.json()["detail"][0]["msg"]


# -- per-event authorization ------------------------------------------------------------------------------

def test_a_store_creates_customers_only_for_itself_with_its_own_references(api, hq_engine, stores):
    cid = str(uuid.uuid4())
    for_other = created(cid, ref(), "HAM01", T0)
    other_ref = created(cid, ref(1, store_number=2), "BER01", T0)
    r = push(api, stores["BER01"], for_other, other_ref).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.store_code"),
                                                                 (403, "payload.reference")]
    assert r["applied"] == [] and customer_ids(hq_engine) == set()
    # HAM01 with its own reference: yes
    assert push(api, stores["HAM01"], other_ref | {"payload": {**other_ref["payload"], "store_code": "HAM01"}}
                ).json()["refused"] == []


def test_a_reference_belongs_to_one_customer(api, hq_engine, stores):
    first = created(str(uuid.uuid4()), ref(), "BER01", T0)
    again = created(str(uuid.uuid4()), ref(), "BER01", T0)
    r = push(api, stores["BER01"], first, again).json()
    assert r["applied"] == [first["id"]] and r["refused"][0]["status"] == 409
    assert customer_ids(hq_engine) == {first["entity_id"]}


def test_updates_only_for_customers_in_scope(api, hq_engine, stores):
    cid = str(uuid.uuid4())
    push(api, stores["BER01"], created(cid, ref(), "BER01", T0))
    before = state(hq_engine)
    edit = updated(cid, "0000000000002-00000-h", {"first_name": "Mallory"}, {"first_name": T0})
    anon = event("customer.anonymized", "customer", cid, {"id": cid, "fields": {"first_name": ""}})
    r = push(api, stores["HAM01"], edit, anon).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.id")] * 2
    assert state(hq_engine) == before
    # the scope-all store may; and HAM01 after opening the customer (pull-in)
    assert push(api, stores["HQ01"], edit).json()["applied"] == [edit["id"]]
    assert api.post(f"/v1/customers/{cid}/pull-in", headers=stores["HAM01"]).status_code == 200
    again = updated(cid, "0000000000003-00000-h", {"title": "Dr"}, {})
    assert push(api, stores["HAM01"], again).json()["applied"] == [again["id"]]


def test_other_stores_associates_and_notes_are_refused(api, hq_engine, stores):
    cid = str(uuid.uuid4())
    push(api, stores["BER01"], created(cid, ref(), "BER01", T0))
    associate = event("associate.changed", "associate", "7",
                      {"number": "7", "name": "Eve", "role": "admin", "pin_hash": "x", "store_code": "BER01"})
    note_id = str(uuid.uuid4())
    note = event("note.created", "customer_note", note_id, {"id": note_id, "customer_id": cid, "text": "hi"})
    stranger = str(uuid.uuid4())
    lost = event("note.created", "customer_note", note_id,
                 {"id": str(uuid.uuid4()), "customer_id": stranger, "text": "hi"})
    r = push(api, stores["HAM01"], associate, note, lost).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [
        (403, "payload.store_code"), (403, "payload.customer_id"), (404, "payload.customer_id")]
    assert api.get("/v1/stores/BER01/associate", headers=stores["BER01"]).json() == []
    # BER01 writes its note; HAM01 (after pulling the customer in) may not overwrite it
    assert push(api, stores["BER01"], note).json()["applied"] == [note["id"]]
    api.post(f"/v1/customers/{cid}/pull-in", headers=stores["HAM01"])
    forged = {**note, "id": str(uuid.uuid4()), "payload": {**note["payload"], "text": "forged"}}
    r = push(api, stores["HAM01"], forged).json()
    assert r["refused"][0]["status"] == 403
    assert [n["text"] for n in api.get("/v1/stores/BER01/note", headers=stores["BER01"]).json()] == ["hi"]


def test_a_refused_event_is_not_recorded_and_applies_once_fixed(api, hq_engine, stores):
    cid, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    create = created(cid, ref(), "BER01", T0)
    bad = updated(stranger, "0000000000002-00000-a", {"first_name": "X"}, {})
    edit = updated(cid, "0000000000003-00000-a", {"first_name": "Anne"}, {"first_name": T0})
    r = push(api, stores["BER01"], create, bad, edit).json()
    assert r["applied"] == [create["id"], edit["id"]] and [x["id"] for x in r["refused"]] == [bad["id"]]
    assert bad["id"] not in applied_ids(hq_engine)
    assert json.loads(state(hq_engine)[0][0][1])["first_name"] == "Anne"
    # fixed (it meant the customer that exists) and sent again with the same id: applied, not a duplicate
    fixed = {**bad, "entity_id": cid, "payload": {**bad["payload"], "id": cid}}
    r = push(api, stores["BER01"], fixed).json()
    assert r["applied"] == [bad["id"]] and r["duplicates"] == [] and r["refused"] == []


def test_an_event_that_depends_on_a_refused_one_is_refused_too(api, hq_engine, stores):
    cid = str(uuid.uuid4())
    create = created(cid, ref(1, store_number=2), "BER01", T0)   # another store's reference
    edit = updated(cid, "0000000000002-00000-a", {"first_name": "Anne"}, {})
    r = push(api, stores["BER01"], create, edit).json()
    assert [(x["id"], x["status"]) for x in r["refused"]] == [(create["id"], 403), (edit["id"], 404)]
    assert customer_ids(hq_engine) == set()


def test_resolving_a_conflict_drops_it_from_every_stores_pull(api, hq_engine, stores):
    a, b = stores["BER01"], stores["HAM01"]
    cid = str(uuid.uuid4())
    push(api, a, created(cid, ref(), "BER01", T0))
    api.post(f"/v1/customers/{cid}/pull-in", headers=b)
    base = {"company": T0}
    push(api, a, updated(cid, "0000000000005-00000-a", {"company": "ACME"}, base))
    conflict = push(api, b, updated(cid, "0000000000003-00000-b", {"company": "Globex"}, base)).json()["conflicts"][0]
    [item] = pulled(api, a, "conflict")
    assert item["deleted"] is False
    cursor = api.get("/v1/pull", headers=a).json()["cursor"]
    resolve = event("conflict.resolved", "sync_conflict", conflict["id"],
                    {"id": conflict["id"], "customer_id": cid, "resolution": "kept"})
    assert push(api, a, resolve).json()["applied"] == [resolve["id"]]
    unknown = event("conflict.resolved", "sync_conflict", "nope",
                    {"id": "nope", "customer_id": cid, "resolution": "taken"})
    assert push(api, a, unknown).json()["refused"][0]["status"] == 404
    later = api.get("/v1/pull", params={"cursor": cursor}, headers=b).json()["items"]
    assert [(i["t"], i["key"], i["deleted"]) for i in later] == [("conflict", conflict["id"], True)]
    assert later[0]["doc"]["resolution"] == "kept"


def test_a_conflict_outside_the_scope_cannot_be_resolved(api, hq_engine, stores):
    a, b = stores["BER01"], stores["HAM01"]
    cid = str(uuid.uuid4())
    push(api, a, created(cid, ref(), "BER01", T0))
    push(api, a, updated(cid, "0000000000005-00000-a", {"company": "ACME"}, {"company": T0}))
    conflict = push(api, stores["HQ01"], updated(cid, "0000000000003-00000-q", {"company": "Globex"},
                                                 {"company": T0})).json()["conflicts"][0]
    resolve = event("conflict.resolved", "sync_conflict", conflict["id"],
                    {"id": conflict["id"], "customer_id": cid, "resolution": "taken"})
    r = push(api, b, resolve).json()
    assert (r["refused"][0]["status"], r["refused"][0]["field"]) == (403, "payload.customer_id")
    assert [i["deleted"] for i in pulled(api, a, "conflict")] == [False]


def test_reading_a_customer_outside_the_scope_is_refused(api, stores):
    cid = str(uuid.uuid4())
    push(api, stores["BER01"], created(cid, ref(), "BER01", T0))
    assert api.get(f"/v1/customers/{cid}", headers=stores["HAM01"]).status_code == 403
    assert api.get(f"/v1/customers/{cid}/orders", headers=stores["HAM01"]).status_code == 403
    assert api.get(f"/v1/customers/{uuid.uuid4()}", headers=stores["BER01"]).status_code == 404
    assert loc_of(api.get("/v1/customers/not-a-uuid/orders", headers=stores["BER01"])) == ["path", "customer_id"]
    assert api.get(f"/v1/customers/{cid}", headers=stores["BER01"]).json()["customer"]["id"] == cid


def test_text_a_database_cannot_hold_is_refused_not_a_500(api, stores):
    a = stores["BER01"]
    assert loc_of(api.get("/v1/customers/search", params={"q": "a\x00b"}, headers=a)) == ["query", "q"]
    r = api.post("/v1/push", content=b'{"events": [], "audit": [{"id": 1, "at": "2026-01-01T00:00:00", '
                                       b'"associate": "\\ud800", "terminal": "t", "store": "s", "entity": "e", '
                                       b'"entity_id": "1", "action": "a", "changes": {}, "prev_hash": "", "hash": ""}]}',
                 headers=a | {"Content-Type": "application/json"})
    assert loc_of(r) == ["body", "audit", 0, "associate"]
    r = api.post("/v1/enrol", json={"token": "x" * 20, "terminal_name": "till\x00"})
    assert loc_of(r) == ["body", "terminal_name"]
