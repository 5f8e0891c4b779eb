"""Headquarters' store credit ledger on SQLite and PostgreSQL: the route (scope, 404), credit.moved
events applied once and refused per event (role, below zero, scope, anonymized, shape), the order
system's movements, and headquarters' own audit rows."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.errors import Conflict
from tests.hq.test_api import created, enrol, ref


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


@pytest.fixture
def world(api, hq):
    """Anna of BER01 with 20.00 EUR refunded to credit; HAM01 is another store (own scope)."""
    ber, _ = enrol(api, hq, "BER01")
    ham, _ = enrol(api, hq, "HAM01")
    cid = str(uuid.uuid4())
    r = api.post("/v1/push", json={"events": [created(cid, ref(), "BER01", "0000000000001-00000-t1")]}, headers=ber)
    assert r.json()["applied"], r.text
    hq.credit_move(cid, currency="EUR", kind="refunded", amount_minor=2000, reason="Return of W-1")
    return {"ber": ber, "ham": ham, "cid": cid}


def moved(cid, amount, kind="corrected", role="manager", seq=5, currency="EUR", **payload):
    mid = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "seq": seq, "hlc": f"00000000000{seq:02d}-00000-t1", "type": "credit.moved",
            "entity": "store_credit", "entity_id": mid,
            "payload": {"id": mid, "customer_id": cid, "currency": currency, "kind": kind, "amount_minor": amount,
                        "reason": "why", "associate": "1001", "role": role} | payload}


def balance(api, world, who="ber"):
    r = api.get(f"/v1/customers/{world['cid']}/credit", headers=world[who])
    assert r.status_code == 200, r.text
    return {b["currency"]: b["balance_minor"] for b in r.json()["balances"]}


def test_movements_apply_once_in_order_and_a_batch_sees_its_own(api, world, hq):
    cid, ber = world["cid"], world["ber"]
    events = [moved(cid, -1500, seq=5), moved(cid, -500, seq=6), moved(cid, -1, seq=7), moved(cid, 300, "added", seq=8)]
    r = api.post("/v1/push", json={"events": events}, headers=ber).json()
    assert r["applied"] == [events[0]["id"], events[1]["id"], events[3]["id"]]
    assert [(x["id"], x["status"], x["field"]) for x in r["refused"]] == [(events[2]["id"], 409, "payload.amount_minor")]
    assert "below zero" in r["refused"][0]["reason"]
    again = api.post("/v1/push", json={"events": events[:2]}, headers=ber).json()
    assert again["duplicates"] == [events[0]["id"], events[1]["id"]] and again["applied"] == []
    assert balance(api, world) == {"EUR": 300}
    acct = api.get(f"/v1/customers/{cid}/credit", headers=ber).json()
    assert [(m["kind"], m["amount_minor"], m["balance_minor"], m["by"]) for m in acct["movements"]] == [
        ("added", 300, 300, "BER01:1001"), ("corrected", -500, 0, "BER01:1001"),
        ("corrected", -1500, 500, "BER01:1001"), ("refunded", 2000, 2000, "headquarters")]
    trail = [r for r in hq.own_audit() if r.entity == "store_credit"]
    assert [r.action for r in trail] == ["credit_refunded", "credit_corrected", "credit_corrected", "credit_added"]
    assert trail[1].changes["balance"]["new"] == "+5.00 EUR"


@pytest.mark.parametrize("role, status, field", [("associate", 403, "payload.role"),
                                                  ("support", 403, "payload.role")])
def test_a_role_that_may_not_move_credit_is_refused(api, world, role, status, field):
    e = moved(world["cid"], 100, "added", role=role)
    r = api.post("/v1/push", json={"events": [e]}, headers=world["ber"]).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(status, field)]
    assert balance(api, world) == {"EUR": 2000}


def test_another_stores_till_is_refused_and_unknowns_are_404(api, world):
    cid = world["cid"]
    r = api.post("/v1/push", json={"events": [moved(cid, 100, "added")]}, headers=world["ham"]).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.customer_id")]
    assert api.get(f"/v1/customers/{cid}/credit", headers=world["ham"]).status_code == 403
    unknown = str(uuid.uuid4())
    assert api.get(f"/v1/customers/{unknown}/credit", headers=world["ber"]).status_code == 404
    r = api.post("/v1/push", json={"events": [moved(unknown, 100, "added")]}, headers=world["ber"]).json()
    assert [x["status"] for x in r["refused"]] == [404]


@pytest.mark.parametrize("change, where", [
    ({"kind": "used"}, "kind"), ({"amount_minor": 0}, "amount_minor"), ({"amount_minor": 1.5}, "amount_minor"),
    ({"amount_minor": 10**14}, "amount_minor"), ({"currency": "eur"}, "currency"), ({"reason": ""}, "reason"),
    ({"reason": "a\u202eb"}, "reason"), ({"kind": "added", "amount_minor": -5}, "amount_minor")])
def test_a_movement_that_does_not_fit_is_a_422(api, world, change, where):
    e = moved(world["cid"], 100, "added")
    e["payload"] |= change
    r = api.post("/v1/push", json={"events": [e]}, headers=world["ber"])
    assert r.status_code == 422, r.text
    loc = r.json()["detail"][0]["loc"]
    assert loc[:4] == ["body", "events", 0, "payload"]
    assert where in str(r.json()["detail"][0]), r.text
    assert balance(api, world) == {"EUR": 2000}


def test_the_order_systems_movements_keep_the_rule_per_currency(hq, world, hq_engine):
    cid = world["cid"]
    with pytest.raises(Conflict):
        hq.credit_move(cid, currency="EUR", kind="used", amount_minor=-2001, reason="Sale")
    with pytest.raises(Conflict):
        hq.credit_move(cid, currency="CHF", kind="expired", amount_minor=-1)
    hq.credit_move(cid, currency="CHF", kind="refunded", amount_minor=990, movement_id="r-1")
    assert hq.credit_move(cid, currency="CHF", kind="refunded", amount_minor=990, movement_id="r-1") is None
    acct = hq.credit_account(None, cid)
    assert [(b.currency, b.balance_minor) for b in acct.balances] == [("CHF", 990), ("EUR", 2000)]
    with hq_engine.connect() as conn:
        assert sorted(conn.execute(select(t.credit_movement.c.n)).scalars()) == [1, 2]


def test_an_anonymized_customers_credit_keeps_its_amounts_not_its_reasons_and_moves_no_more(api, world, hq):
    cid, ber = world["cid"], world["ber"]
    event = {"id": str(uuid.uuid4()), "seq": 9, "hlc": "0000000000009-00000-t1", "type": "customer.anonymized",
             "entity": "customer", "entity_id": cid,
             "payload": {"id": cid, "fields": {"first_name": "", "last_name": "", "emails": []}}}
    assert api.post("/v1/push", json={"events": [event]}, headers=ber).json()["refused"] == []
    acct = hq.credit_account(None, cid)
    assert [(m.amount_minor, m.reason) for m in acct.movements] == [(2000, "")]
    r = api.post("/v1/push", json={"events": [moved(cid, -100, seq=10)]}, headers=ber).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(409, "payload.customer_id")]
