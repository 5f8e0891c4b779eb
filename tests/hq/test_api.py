"""Headquarters through its HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.domain.reference import make_reference
from pos_customers.hq.api import create_app


def fields(first="Anna", last="Müller", email="anna@example.org", **more):
    f = {"customer_type": "person", "title": "", "first_name": first, "middle_name": "", "last_name": last,
         "organization_name": "", "company": "", "birth_date": None, "language": "de", "currency": "EUR",
         "group_code": None, "financial_dimensions": {}, "receipt_option": "print", "receipt_email": "",
         "status": "active", "account_type": "guest", "password_hash": None, "password_changed_at": None,
         "emails": [{"address": email, "purpose": "personal", "primary": True, "marketing_consent": False}],
         "phones": [], "addresses": [], "affiliations": [], "cards": [], "attributes": {}}
    f.update(more)
    return f


def ref(n=0, store_number=1):
    """A real reference of the n-th customer of the store with this number (BER01 is 1, the first added)."""
    return make_reference(store_number, n, terminal=1)


def created(cid, ref, store, stamp, **kw):
    return {"id": str(uuid.uuid4()), "seq": 1, "hlc": stamp, "type": "customer.created", "entity": "customer",
            "entity_id": cid, "payload": {"id": cid, "reference": ref, "store_code": store,
                                          "created_at": "2026-11-24T10:00:00+00:00", "fields": fields(**kw)}}


def updated(cid, stamp, changes, base):
    return {"id": str(uuid.uuid4()), "seq": 2, "hlc": stamp, "type": "customer.updated", "entity": "customer",
            "entity_id": cid, "payload": {"id": cid, "fields": changes, "base": base}}


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


def enrol(api, hq, code, **kw):
    token = hq.add_store(code, f"Store {code}", **kw)
    r = api.post("/v1/enrol", json={"token": token, "terminal_name": "till 1"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['credential']}"}, token


def state(engine):
    with engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(select(t.customer.c.id, t.customer.c.fields, t.customer.c.clocks)
                                                .order_by(t.customer.c.id))],
                [tuple(r) for r in conn.execute(select(t.record.c.kind, t.record.c.key, t.record.c.doc)
                                                .order_by(t.record.c.kind, t.record.c.key))])


def test_openapi_describes_every_route(api):
    doc = api.get("/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/v1/enrol", "/v1/push", "/v1/pull", "/v1/customers/search", "/v1/health",
            "/v1/customers/{customer_id}/pull-in", "/v1/customers/{customer_id}/orders",
            "/v1/stores/{code}/{kind}"} <= paths
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op.get("summary"), f"{path} has no summary"
    # the refusals each route can give are documented (422 wherever there is something to validate)
    expected = {("/v1/push", "post"): {"400", "401", "409", "422"}, ("/v1/pull", "get"): {"401", "422"},
                ("/v1/enrol", "post"): {"400", "401", "422"},
                ("/v1/customers/{customer_id}", "get"): {"401", "403", "404", "422"},
                ("/v1/customers/{customer_id}/orders", "get"): {"401", "403", "404", "422"},
                ("/v1/customers/{customer_id}/pull-in", "post"): {"401", "404", "422"},
                ("/v1/customers/search", "get"): {"401", "422"},
                ("/v1/stores/{code}/{kind}", "get"): {"401", "403", "404", "422"},
                ("/v1/accounts/reset", "post"): {"400", "422"}, ("/v1/accounts/sign-in", "post"): {"400", "401", "422"},
                ("/v1/accounts/reset-link", "post"): {"400", "401", "422"}}
    for (path, method), codes in expected.items():
        assert codes <= set(doc["paths"][path][method]["responses"]), (path, method)


def test_enrolment_token_is_single_use_and_only_hashes_are_kept(api, hq, hq_engine):
    headers, token = enrol(api, hq, "BER01")
    again = api.post("/v1/enrol", json={"token": token})
    assert again.status_code == 401 and "used" in again.json()["detail"]
    credential = headers["Authorization"].split()[1]
    with hq_engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(t.terminal)) for v in row)
        stored += " ".join(str(v) for row in conn.execute(select(t.enrolment)) for v in row)
    assert credential not in stored and token not in stored


def test_every_request_is_authenticated(api, hq):
    enrol(api, hq, "BER01")
    assert api.get("/v1/pull").status_code == 401
    assert api.post("/v1/push", json={"events": []}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get("/v1/customers/search", params={"q": "x"}).status_code == 401


def test_resending_a_batch_changes_nothing(api, hq, hq_engine):
    headers, _ = enrol(api, hq, "BER01")
    cid = str(uuid.uuid4())
    batch = [created(cid, ref(), "BER01", "0000000000001-00000-t1"),
             updated(cid, "0000000000002-00000-t1", {"first_name": "Anne"},
                     {"first_name": "0000000000001-00000-t1"})]
    first = api.post("/v1/push", json={"events": batch}, headers=headers).json()
    assert len(first["applied"]) == 2
    before = state(hq_engine)
    second = api.post("/v1/push", json={"events": batch}, headers=headers).json()
    assert second["applied"] == [] and len(second["duplicates"]) == 2
    assert state(hq_engine) == before
    assert json.loads(before[0][0][1])["first_name"] == "Anne"


def test_concurrent_edits_merge_per_field_and_keep_the_loser(api, hq):
    a, _ = enrol(api, hq, "BER01")
    b, _ = enrol(api, hq, "HAM01")
    cid = str(uuid.uuid4())
    t0 = "0000000000001-00000-a"
    api.post("/v1/push", json={"events": [created(cid, ref(), "BER01", t0)]}, headers=a)
    assert api.post(f"/v1/customers/{cid}/pull-in", headers=b).status_code == 200  # B opened the customer
    base = {"first_name": t0, "last_name": t0, "company": t0}
    # store A changes the first name and the company; store B, offline, the last name and the company
    api.post("/v1/push", json={"events": [updated(cid, "0000000000005-00000-a",
                                                  {"first_name": "Anne", "company": "ACME"}, base)]}, headers=a)
    r = api.post("/v1/push", json={"events": [updated(cid, "0000000000003-00000-b",
                                                      {"last_name": "Mueller", "company": "Globex"}, base)]},
                 headers=b).json()
    assert [c["field"] for c in r["conflicts"]] == ["company"]
    assert r["conflicts"][0]["kept"] == "ACME" and r["conflicts"][0]["lost"] == "Globex"
    page = api.get("/v1/pull", headers=a).json()
    doc = next(i["doc"] for i in page["items"] if i["t"] == "customer")
    assert (doc["fields"]["first_name"], doc["fields"]["last_name"], doc["fields"]["company"]) == \
        ("Anne", "Mueller", "ACME")
    conflicts = [i["doc"] for i in page["items"] if i["t"] == "conflict"]
    assert conflicts and conflicts[0]["lost"] == "Globex"


def test_anonymization_wins_over_a_later_edit(api, hq):
    a, _ = enrol(api, hq, "BER01")
    cid = str(uuid.uuid4())
    t0 = "0000000000001-00000-a"
    api.post("/v1/push", json={"events": [created(cid, ref(), "BER01", t0)]}, headers=a)
    anon = {"id": str(uuid.uuid4()), "seq": 3, "hlc": "0000000000002-00000-a", "type": "customer.anonymized",
            "entity": "customer", "entity_id": cid,
            "payload": {"id": cid, "fields": {"first_name": "", "last_name": "Anonymized", "emails": []}}}
    api.post("/v1/push", json={"events": [anon]}, headers=a)
    late = updated(cid, "0000000000009-00000-b", {"first_name": "Anna"}, {"first_name": t0})
    api.post("/v1/push", json={"events": [late]}, headers=a)
    doc = next(i["doc"] for i in api.get("/v1/pull", headers=a).json()["items"] if i["t"] == "customer")
    assert doc["fields"]["first_name"] == "" and doc["fields"]["emails"] == [] and doc["anonymized_at"]


def test_another_stores_scoped_data_is_refused_with_403(api, hq, hq_engine):
    a, _ = enrol(api, hq, "BER01")
    b, _ = enrol(api, hq, "HAM01")
    template = {"id": str(uuid.uuid4()), "seq": 1, "hlc": "0000000000001-00000-a", "type": "template.updated",
                "entity": "store_template", "entity_id": "BER01",
                "payload": {"store_code": "BER01", "receipt_email": "x@example.org"}}
    assert api.post("/v1/push", json={"events": [template]}, headers=a).status_code == 200
    before = state(hq_engine)
    forged = {**template, "id": str(uuid.uuid4())}
    r = api.post("/v1/push", json={"events": [forged]}, headers=b)
    assert r.status_code == 200 and r.json()["applied"] == []
    [refusal] = r.json()["refused"]
    assert (refusal["id"], refusal["status"], refusal["field"]) == (forged["id"], 403, "payload.store_code")
    assert "BER01" in refusal["reason"]
    assert state(hq_engine) == before
    assert api.get("/v1/stores/BER01/template", headers=b).status_code == 403
    assert api.get("/v1/stores/BER01/note", headers=b).status_code == 403
    assert api.get("/v1/stores/BER01/associate", headers=b).status_code == 403
    assert api.get("/v1/stores/BER01/template", headers=a).json()[0]["receipt_email"] == "x@example.org"
    # and B's pull does not carry A's template
    assert all(i["t"] != "template" for i in api.get("/v1/pull", headers=b).json()["items"])


def test_pull_pages_follow_the_cursor_and_the_scope(api, hq):
    a, _ = enrol(api, hq, "BER01")
    b, _ = enrol(api, hq, "HAM01")
    c, _ = enrol(api, hq, "HQ01", scope="all")
    ids = [str(uuid.uuid4()) for _ in range(7)]
    api.post("/v1/push", json={"events": [created(cid, ref(i), "BER01", f"000000000000{i}-00000-a")
                                          for i, cid in enumerate(ids)]}, headers=a)
    seen, cursor, pages = [], 0, 0
    while True:
        page = api.get("/v1/pull", params={"cursor": cursor, "limit": 3}, headers=a).json()
        seen += [i["doc"]["id"] for i in page["items"] if i["t"] == "customer"]
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert seen == ids and pages >= 3
    assert api.get("/v1/pull", headers=b).json()["items"] == []          # own scope: not BER01's customers
    assert len(api.get("/v1/pull", headers=c).json()["items"]) == 7      # scope "all"
    # HAM01 finds one by search and pulls it in: from then on it is in HAM01's pulls
    hits = api.get("/v1/customers/search", params={"q": "anna müller"}, headers=b).json()
    assert len(hits) == 7 and hits[0]["store_code"] == "BER01"
    got = api.post(f"/v1/customers/{ids[0]}/pull-in", headers=b).json()
    assert got["customer"]["fields"]["first_name"] == "Anna"
    api.post("/v1/push", json={"events": [updated(ids[0], "0000000000100-00000-a", {"title": "Dr"},
                                                  {"title": "0000000000000-00000-a"})]}, headers=a)
    later = api.get("/v1/pull", headers=b).json()["items"]
    assert [i["doc"]["id"] for i in later if i["t"] == "customer"] == [ids[0]]


def test_search_treats_wildcards_as_text(api, hq):
    a, _ = enrol(api, hq, "BER01")
    api.post("/v1/push", json={"events": [created(str(uuid.uuid4()), ref(), "BER01",
                                                  "0000000000001-00000-a")]}, headers=a)
    for q in ["%", "_", '"', "*", "100%"]:
        r = api.get("/v1/customers/search", params={"q": q}, headers=a)
        assert r.status_code == 200 and r.json() == [], q


@pytest.mark.parametrize("bad", [{"id": 'x","evil":"1'}, {"reference": 'AB"CDEFGH'}, {"reference": "short"}])
def test_malformed_customer_events_are_refused_and_change_nothing(api, hq, hq_engine, bad):
    a, _ = enrol(api, hq, "BER01")
    cid = str(uuid.uuid4())
    ev = created(cid, ref(), "BER01", "0000000000001-00000-a")
    ev["payload"].update(bad)
    if "id" in bad:
        ev["entity_id"] = bad["id"]
    before = state(hq_engine)
    r = api.post("/v1/push", json={"events": [ev]}, headers=a)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "events", 0]
    assert state(hq_engine) == before


def test_a_saturated_worker_answers_429_with_retry_after_and_health_still_answers(hq):
    from fastapi.testclient import TestClient

    from pos_customers.hq.api import create_app

    token = hq.add_store("BER01", "Berlin", number=101)
    _, credential, _, _ = hq.enrol(token, "till")
    app = create_app(hq.engine, hq, max_in_flight=4)
    gate = app.state.admission
    client = TestClient(app, headers={"Authorization": f"Bearer {credential}"})
    gate.in_flight = 4  # four requests being served: the fifth is refused at once
    r = client.get("/v1/pull")
    assert r.status_code == 429
    seconds = int(r.headers["retry-after"])
    assert 1 <= seconds <= 2 and r.json() == {
        "detail": f"headquarters is busy: try again in {seconds} s", "retry_after": seconds,
        "code": "headquarters is busy: try again in {seconds} s", "params": {"seconds": seconds}}
    assert client.get("/v1/health").status_code == 200  # a busy headquarters is still up
    gate.in_flight = 3
    assert client.get("/v1/pull").status_code == 200 and gate.in_flight == 3 and gate.refused == 1


def test_a_dropped_database_connection_is_503_with_retry_after_not_500(hq, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    from pos_customers.hq.api import create_app

    token = hq.add_store("BER01", "Berlin", number=101)
    _, credential, _, _ = hq.enrol(token, "till")
    client = TestClient(create_app(hq.engine, hq), headers={"Authorization": f"Bearer {credential}"})

    def dropped(*_args, **_kw):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(hq, "pull", dropped)
    r = client.get("/v1/pull")
    assert r.status_code == 503 and r.headers["retry-after"] == "2" and r.json()["retry_after"] == 2
    monkeypatch.undo()
    assert client.get("/v1/pull").status_code == 200


def test_the_retry_after_grows_with_the_crowd_refused():
    from pos_customers.hq.admission import Gate

    gate = Gate(10)
    gate.in_flight, gate.average = 10, 0.5  # ten being served, half a second each
    first = gate.retry_after(now=100.0)
    assert 1 <= first <= 2  # 11 waiting: served within a second
    for _ in range(200):
        gate.retry_after(now=100.5)
    later = gate.retry_after(now=101.2)  # 200 refused in the last second: 11 s of work at this pace
    assert 11 <= later <= 22


def test_push_and_pull_answer_the_same_at_the_asgi_level_as_through_the_routes(hq, hq_engine):
    from pos_customers.hq.api.fast import pull_query

    fast = create_app(hq_engine, hq)
    routed = create_app(hq_engine, hq)
    routed.fast.routes = {}  # everything through FastAPI's routing, dependencies and validation
    a, b = TestClient(fast), TestClient(routed)
    headers, _ = enrol(a, hq, "BER01")
    cid = str(uuid.uuid4())
    batch = {"events": [created(cid, ref(), "BER01", "0000000000001-00000-t1")]}
    assert a.post("/v1/push", json=batch, headers=headers).json()["applied"] == [batch["events"][0]["id"]]
    bad = {"events": [{**batch["events"][0], "payload": {**batch["events"][0]["payload"], "fields": fields(emails=7)}}]}
    lower = {"Authorization": headers["Authorization"].replace("Bearer", "bearer")}
    requests = [("post", "/v1/push", {"json": batch, "headers": headers}),  # a resend: duplicates
                ("post", "/v1/push", {"json": bad, "headers": headers}),    # 422 naming the field
                ("post", "/v1/push", {"content": b"{", "headers": {**headers, "Content-Type": "application/json"}}),
                ("post", "/v1/push", {"content": json.dumps(batch), "headers": {**headers, "Content-Type": "text/plain"}}),
                ("post", "/v1/push", {"json": batch, "headers": {"Authorization": "Bearer nope"}}),
                ("post", "/v1/push", {"json": batch}),
                ("get", "/v1/pull", {"headers": lower}),
                ("get", "/v1/pull?cursor=0&limit=1", {"headers": headers}),
                ("get", "/v1/pull?cursor=-1", {"headers": headers}),
                ("get", "/v1/pull?cursor=1&cursor=2", {"headers": headers}),
                ("get", "/v1/pull?limit=5001", {"headers": headers}),
                ("get", "/v1/pull?cursor=%2B1&other=x", {"headers": headers}),
                ("get", "/v1/pull", {"headers": {"Authorization": "Bearer nope"}}),
                ("get", "/v1/pull", {"headers": {"Authorization": "Basic eDp5"}})]
    for method, url, kw in requests:
        one, two = getattr(a, method)(url, **kw), getattr(b, method)(url, **kw)
        assert (one.status_code, one.json()) == (two.status_code, two.json()), url
        assert one.status_code != 500
    assert pull_query(b"cursor=12&limit=3") == (12, 3) and pull_query(b"") == (0, 500)
    assert pull_query(b"cursor=1&cursor=2") is None and pull_query(b"cursor= 1") is None
    assert pull_query(b"limit=0") is None and pull_query(b"cursor=" + b"9" * 20) is None


def test_a_body_larger_than_headquarters_takes_is_refused_413_and_nothing_is_applied(hq, hq_engine, monkeypatch):
    """A terminal's body is read into memory whole: over the limit it is refused before that, with a
    length (413 at once) or without one (chunked: 413 once the limit is passed), never a 500."""
    import pos_customers.hq.api as api_module

    api = TestClient(create_app(hq_engine, hq))
    headers, _ = enrol(api, hq, "BER01")
    monkeypatch.setattr(api_module, "MAX_BODY", 2000)
    events = [created(str(uuid.uuid4()), ref(n), "BER01", f"000000000000{n}-00000-t1") for n in range(1, 9)]
    body = json.dumps({"events": events}).encode()
    assert len(body) > 2000
    whole = api.post("/v1/push", content=body, headers={**headers, "Content-Type": "application/json"})
    assert whole.status_code == 413 and "larger than headquarters takes" in whole.json()["detail"], whole.text
    chunked = api.post("/v1/push", content=iter([body[:1500], body[1500:]]),
                       headers={**headers, "Content-Type": "application/json"})
    assert chunked.status_code == 413, chunked.text
    other = api.post("/v1/enrol", content=iter([b'{"token": "', b"x" * 3000, b'"}']),
                     headers={"Content-Type": "application/json"})
    assert 400 <= other.status_code < 500, other.text
    assert state(hq_engine)[0] == []
    small = api.post("/v1/push", json={"events": events[:1]}, headers=headers)
    assert small.status_code == 200 and len(small.json()["applied"]) == 1
