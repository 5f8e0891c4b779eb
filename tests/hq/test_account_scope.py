"""Account sharing scope at headquarters: one registered account per email in the chain, a region
or a store, refused per event (409 naming the holder), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.account_scope import scope_of, set_scope
from pos_customers.hq.push import push

from .test_api import api, created, enrol, ref, updated  # noqa: F401  (the api fixture)

MAIL = "anna@example.org"


def claims(engine):
    with engine.connect() as conn:
        return {(k, e): c for k, e, c in conn.execute(select(t.account_email.c.scope_key, t.account_email.c.email,
                                                             t.account_email.c.customer_id))}


def registered(cid, reference, store, stamp, email=MAIL, **kw):
    return created(cid, reference, store, stamp, email=email, account_type="registered", **kw)


def test_shared_by_default_then_chain_refuses_a_second_account_per_event(api, hq, hq_engine):
    assert scope_of(hq).value == "shared"
    a, _ = enrol(api, hq, "BER01", country="DE")
    b, _ = enrol(api, hq, "HAM01", country="DE")
    anna = str(uuid.uuid4())
    r = api.post("/v1/push", json={"events": [registered(anna, ref(0, 1), "BER01", "0000000000001-00000-a")]},
                 headers=a)
    assert r.json()["refused"] == []
    done = set_scope(hq, "chain", by="test")
    assert (done.before, done.after, done.claims) == ("shared", "chain", 1)
    assert claims(hq_engine) == {("chain", MAIL): anna}

    dup = registered(str(uuid.uuid4()), ref(0, 2), "HAM01", "0000000000002-00000-b", email="Anna@Example.org",
                     first="Ann")
    guest = created(str(uuid.uuid4()), ref(1, 2), "HAM01", "0000000000003-00000-b")  # a guest may share
    r = api.post("/v1/push", json={"events": [dup, guest]}, headers=b)
    assert r.status_code == 200
    body = r.json()
    assert body["applied"] == [guest["id"]]
    [no] = body["refused"]
    assert (no["id"], no["status"], no["field"], no["holder"]) == (dup["id"], 409, "payload.fields.emails", anna)
    assert "anna@example.org" in no["reason"] and "Merge" in no["reason"]
    # the guest turning registered with the address is refused as well; dropping the address lets it in
    turn = updated(guest["payload"]["id"], "0000000000004-00000-b", {"account_type": "registered"},
                   {"account_type": "0000000000003-00000-b"})
    r = api.post("/v1/push", json={"events": [turn]}, headers=b)
    assert [x["status"] for x in r.json()["refused"]] == [409], r.text
    other = [{"address": "cleo@example.org", "purpose": "personal", "primary": True, "marketing_consent": False}]
    fix = updated(guest["payload"]["id"], "0000000000005-00000-b", {"account_type": "registered", "emails": other},
                  {"account_type": "0000000000003-00000-b", "emails": "0000000000003-00000-b"})
    assert api.post("/v1/push", json={"events": [fix]}, headers=b).json()["refused"] == []
    assert claims(hq_engine) == {("chain", MAIL): anna, ("chain", "cleo@example.org"): guest["payload"]["id"]}


def test_store_scope_allows_the_same_email_in_two_stores_region_follows_the_directory(api, hq, hq_engine):
    a, _ = enrol(api, hq, "BER01", country="DE")
    b, _ = enrol(api, hq, "HAM01", country="DE")
    c, _ = enrol(api, hq, "VIE01", country="AT")
    set_scope(hq, "store", by="test")
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    assert api.post("/v1/push", json={"events": [registered(one, ref(0, 1), "BER01", "0000000000001-00000-a")]},
                    headers=a).json()["refused"] == []
    assert api.post("/v1/push", json={"events": [registered(two, ref(0, 2), "HAM01", "0000000000002-00000-b")]},
                    headers=b).json()["refused"] == []
    again = registered(str(uuid.uuid4()), ref(1, 1), "BER01", "0000000000003-00000-a")
    assert [x["status"] for x in api.post("/v1/push", json={"events": [again]}, headers=a).json()["refused"]] == [409]
    # per region (no --region given: the country): BER01 and HAM01 share one, so the change reports it
    done = set_scope(hq, "region", by="test")
    assert [(k, e) for k, e, _ in done.shared] == [("country:DE", MAIL)]
    vienna = registered(str(uuid.uuid4()), ref(0, 3), "VIE01", "0000000000004-00000-c")
    assert api.post("/v1/push", json={"events": [vienna]}, headers=c).json()["refused"] == []
    with hq_engine.connect() as conn:  # every store pulls the setting with each store's scope key
        doc = conn.execute(select(t.record.c.doc).where(t.record.c.kind == "setting")).scalar_one()
    assert '"VIE01":"country:AT"' in doc.replace(" ", "")


def test_two_pushes_claiming_one_address_at_once_leave_one_holder(hq, hq_engine, api):
    heads = [enrol(api, hq, code, country="DE")[0] for code in ("BER01", "HAM01")]
    set_scope(hq, "chain", by="test")
    from pos_customers.hq.enrolment import authenticate

    whos = [authenticate(hq, h["Authorization"].split()[1]) for h in heads]
    results, barrier = [], threading.Barrier(2)

    def go(i):
        barrier.wait()
        ev = registered(str(uuid.uuid4()), ref(0, i + 1), ("BER01", "HAM01")[i], f"000000000000{i}-00000-x")
        for _ in range(5):
            try:
                results.append(push(hq, whos[i], [ev]))
                return
            except Exception as exc:  # the batch is answered 409 as a whole: sent again
                assert getattr(exc, "status", None) == 409, exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(len(r.applied) for r in results) == [0, 1]
    assert sorted(len(r.refused) for r in results) == [0, 1]
    assert len(claims(hq_engine)) == 1
