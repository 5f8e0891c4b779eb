"""Headquarters' carts, saved payments, order details and store directory: routes, authorization per
store, 4xx for bad input, the payment.deleted event, and no card number ever stored."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from pos_customers.domain.customer_data import SavedPayment, looks_like_pan
from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from tests.hq.test_api import created, enrol, ref, updated

ORDER_ID = "o-1"


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


def cart(cid, k=0, **kw):
    return {"id": f"{cid}:c{k}", "customer_id": cid, "store_code": "WEB", "name": "Web cart 20 Nov",
            "type": "shopping", "created_at": f"2026-11-2{k}T10:00:00+00:00", "currency": "EUR",
            "lines": [{"sku": "SKU-1", "name": "Wool scarf", "quantity": 2, "unit_price_minor": 2450,
                       "total_minor": 4900},
                      {"sku": "SKU-2", "name": "Travel mug", "quantity": 1, "unit_price_minor": 1495,
                       "total_minor": 1495}]} | kw


def payment(cid, k=0, **kw):
    return {"id": f"{cid}:p{k}", "customer_id": cid, "token_ref": f"tok_demoTokenNumber{k}", "brand": "Visa",
            "last4": "1111", "expiry_month": 4, "expiry_year": 2028, "holder": "Anna Müller",
            "added_at": "2026-01-05T09:00:00+00:00"} | kw


@pytest.fixture
def world(api, hq):
    """Anna of BER01 with a cart, two saved payments and an order with lines and two shipments;
    HAM01 is another store (own scope)."""
    ber, _ = enrol(api, hq, "BER01")
    ham, _ = enrol(api, hq, "HAM01")
    cid = str(uuid.uuid4())
    r = api.post("/v1/push", json={"events": [created(cid, ref(), "BER01", "0000000000001-00000-t1")]}, headers=ber)
    assert r.json()["applied"], r.text
    hq.put_carts([cart(cid, 0), cart(cid, 1, name="Reserved in store", type="reserved", store_code="HAM01")])
    hq.put_payments([payment(cid, 0), payment(cid, 1, brand="Mastercard", last4="4444")])
    hq.put_records([("order", ORDER_ID, {"customer_id": cid, "doc": {
        "id": ORDER_ID, "customer_id": cid, "number": "W-100231", "ordered_at": "2026-10-02T15:04:00+00:00",
        "store_code": "WEB", "status": "delivered", "total": "129.90", "currency": "EUR"}})])
    hq.put_order_details([{"id": ORDER_ID, "customer_id": cid, "number": "W-100231", "currency": "EUR",
                           "lines": [{"sku": "SKU-3", "name": "Rain jacket", "quantity": 1,
                                      "unit_price_minor": 12990, "total_minor": 12990}],
                           "shipments": [{"id": "s1", "carrier": "DHL", "tracking": "DHL1234", "status": "delivered",
                                          "shipped_at": "2026-10-03T08:00:00+00:00", "items": 1},
                                         {"id": "s2", "carrier": "DPD", "status": "returned", "items": 0}]}])
    return {"ber": ber, "ham": ham, "cid": cid}


def test_carts_payments_and_order_details_for_the_customers_store(api, world):
    cid, ber = world["cid"], world["ber"]
    carts = api.get(f"/v1/customers/{cid}/carts", headers=ber).json()
    assert [c["name"] for c in carts] == ["Reserved in store", "Web cart 20 Nov"]  # newest first
    assert carts[1]["lines"][0] == {"sku": "SKU-1", "name": "Wool scarf", "quantity": 2,
                                    "unit_price_minor": 2450, "total_minor": 4900}
    payments = api.get(f"/v1/customers/{cid}/saved-payments", headers=ber).json()
    assert {(p["brand"], p["last4"], p["expiry_month"], p["expiry_year"]) for p in payments} == {
        ("Visa", "1111", 4, 2028), ("Mastercard", "4444", 4, 2028)}
    detail = api.get(f"/v1/customers/{cid}/orders/{ORDER_ID}", headers=ber).json()
    assert [line["name"] for line in detail["lines"]] == ["Rain jacket"]
    assert [(s["carrier"], s["status"]) for s in detail["shipments"]] == [("DHL", "delivered"), ("DPD", "returned")]
    # the order list counts the shipments
    assert api.get(f"/v1/customers/{cid}/orders", headers=ber).json()[0]["shipments"] == 2


def test_another_stores_terminal_is_refused_and_unknowns_are_404(api, world):
    cid, ham, ber = world["cid"], world["ham"], world["ber"]
    for path in ("carts", "saved-payments", f"orders/{ORDER_ID}"):
        assert api.get(f"/v1/customers/{cid}/{path}", headers=ham).status_code == 403, path
        assert api.get(f"/v1/customers/{uuid.uuid4()}/{path}", headers=ber).status_code == 404, path
        assert api.get(f"/v1/customers/{cid}/{path}").status_code == 401, path
    # another customer's order is not found through this one
    other = str(uuid.uuid4())
    api.post("/v1/push", json={"events": [created(other, ref(1), "BER01", "0000000000001-00000-t1")]}, headers=ber)
    assert api.get(f"/v1/customers/{other}/orders/{ORDER_ID}", headers=ber).status_code == 404


def test_bad_input_is_a_4xx_naming_the_value(api, world):
    ber = world["ber"]
    r = api.get("/v1/customers/not-a-uuid/carts", headers=ber)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "customer_id"]
    r = api.get(f"/v1/customers/{world['cid']}/orders/{'x' * 65}", headers=ber)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "order_id"]
    r = api.get(f"/v1/customers/{world['cid']}/orders/a%20b", headers=ber)
    assert r.status_code == 422


def test_the_store_directory(api, hq, world):
    hq.set_store_contact("BER01", address="Alexanderplatz 9, 10178 Berlin", phone="+49 30 2472 100")
    hq.set_store_contact("HAM01", status="temporarily closed")
    stores = api.get("/v1/stores", headers=world["ham"]).json()
    assert stores == [
        {"code": "BER01", "name": "Store BER01", "address": "Alexanderplatz 9, 10178 Berlin",
         "phone": "+49 30 2472 100", "status": "open"},
        {"code": "HAM01", "name": "Store HAM01", "address": "", "phone": "", "status": "temporarily closed"},
        {"code": "WEB", "name": "Online shop", "address": "online: no street address", "phone": "",
         "status": "open"}]  # the online shop, the scope of web orders and carts, has its entry
    assert api.get("/v1/stores").status_code == 401


def test_a_preferred_store_outside_the_directory_is_refused_per_event(api, world, hq_engine):
    """A preferred store must be in the chain's directory (the online shop counts): an unknown code
    is refused for its event only (422, naming the field), never stored, never a 500."""
    cid, ber = world["cid"], world["ber"]
    good = updated(cid, "0000000000002-00000-t1", {"preferred_store": "HAM01"}, {})
    bad = updated(cid, "0000000000003-00000-t1", {"preferred_store": "NOPE1"}, {})
    web = updated(cid, "0000000000004-00000-t1", {"preferred_store": "WEB"}, {})
    r = api.post("/v1/push", json={"events": [good, bad]}, headers=ber)
    assert r.status_code == 200
    assert r.json()["applied"] == [good["id"]]
    [refusal] = r.json()["refused"]
    assert (refusal["id"], refusal["status"], refusal["field"]) == (bad["id"], 422, "payload.fields.preferred_store")
    assert "NOPE1" in refusal["reason"]
    with hq_engine.connect() as conn:
        stored = json.loads(conn.execute(select(t.customer.c.fields).where(t.customer.c.id == cid)).scalar())
    assert stored["preferred_store"] == "HAM01"
    new = str(uuid.uuid4())  # a new customer naming an unknown store: refused, not created
    r = api.post("/v1/push", json={"events": [created(new, ref(5), "BER01", "0000000000005-00000-t1",
                                                      preferred_store="ZZZ99"), web]}, headers=ber)
    assert [x["status"] for x in r.json()["refused"]] == [422] and r.json()["applied"] == [web["id"]]
    with hq_engine.connect() as conn:
        assert conn.execute(select(t.customer.c.id).where(t.customer.c.id == new)).first() is None


def test_openapi_documents_the_routes_and_their_refusals(api):
    doc = api.get("/openapi.json").json()
    for path in ("/v1/customers/{customer_id}/carts", "/v1/customers/{customer_id}/saved-payments",
                 "/v1/customers/{customer_id}/orders/{order_id}"):
        op = doc["paths"][path]["get"]
        assert op["summary"] and {"401", "403", "404", "422"} <= set(op["responses"]), path
    assert doc["paths"]["/v1/stores"]["get"]["summary"]
    payment_schema = doc["components"]["schemas"]["SavedPayment"]["properties"]
    assert "last4" in payment_schema and not {"pan", "number", "card_number"} & set(payment_schema)
    assert doc["components"]["schemas"]["ItemLine"]["properties"]["total_minor"]["type"] == "integer"


@pytest.mark.parametrize("bad", [
    {"token_ref": "4111111111111111"}, {"holder": "4111 1111 1111 1111"}, {"last4": "4111111111111111"},
    {"brand": "Visa 5555-5555-5555-4444"}, {"id": "378282246310005"}])
def test_a_card_number_is_refused_in_every_field(hq, bad):
    cid = str(uuid.uuid4())
    with pytest.raises(ValidationError, match="card number|last4|pattern"):
        SavedPayment.model_validate(payment(cid) | bad)
    with pytest.raises(ValidationError):
        hq.put_payments([payment(cid) | bad])
    with hq.engine.connect() as conn:
        assert conn.execute(select(t.saved_payment)).all() == []


def test_pan_shapes():
    assert looks_like_pan("4111111111111111") and looks_like_pan("4111 1111 1111 1111")
    assert looks_like_pan("card 3782-822463-10005 ok")
    assert not looks_like_pan("1111") and not looks_like_pan("tok_abcDEF") and not looks_like_pan("+49 30 2472 100")
    assert not looks_like_pan("2026-11-24T10:00:00+00:00")


def deleted(pid, cid, role="manager", associate="1001", event_id=None):
    return {"id": event_id or str(uuid.uuid4()), "seq": 5, "hlc": "0000000000005-00000-t1", "type": "payment.deleted",
            "entity": "saved_payment", "entity_id": pid,
            "payload": {"id": pid, "customer_id": cid, "associate": associate, "role": role}}


def test_a_deleted_payment_is_gone_for_every_store_and_authorized_per_event(api, world, hq_engine):
    cid, ber, ham = world["cid"], world["ber"], world["ham"]
    pid = f"{cid}:p0"
    # an associate's role may not delete; another store may not touch the customer; an unknown payment is 404
    r = api.post("/v1/push", json={"events": [
        deleted(pid, cid, role="associate"), deleted(f"{cid}:p9", cid)]}, headers=ber).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.role"), (404, "payload.id")]
    r = api.post("/v1/push", json={"events": [deleted(pid, cid)]}, headers=ham).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.customer_id")]
    assert len(api.get(f"/v1/customers/{cid}/saved-payments", headers=ber).json()) == 2
    # headquarters knows associate 1002 of BER01 as an associate: claiming "manager" does not help
    assoc = {"id": str(uuid.uuid4()), "seq": 6, "hlc": "0000000000006-00000-t1", "type": "associate.changed",
             "entity": "associate", "entity_id": "1002",
             "payload": {"number": "1002", "name": "Jonas", "role": "associate", "pin_hash": "x"}}
    r = api.post("/v1/push", json={"events": [assoc, deleted(pid, cid, associate="1002")]}, headers=ber).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(403, "payload.associate")]
    # a manager of the store deletes it
    r = api.post("/v1/push", json={"events": [deleted(pid, cid)]}, headers=ber).json()
    assert r["refused"] == [] and len(r["applied"]) == 1
    assert [p["last4"] for p in api.get(f"/v1/customers/{cid}/saved-payments", headers=ber).json()] == ["4444"]
    with hq_engine.connect() as conn:
        row = conn.execute(select(t.saved_payment).where(t.saved_payment.c.id == pid)).one()
    assert row.deleted_at is not None and row.deleted_by == "BER01:1001"


def test_a_payment_deleted_event_with_a_card_number_is_a_422_naming_it(api, world):
    cid = world["cid"]
    r = api.post("/v1/push", json={"events": [deleted("4111111111111111", cid)]}, headers=world["ber"])
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events", 0, "payload", "id"]
    assert "card number" in r.json()["detail"][0]["msg"]


def test_an_anonymized_customers_carts_and_saved_payments_go(api, world, hq_engine):
    cid, ber = world["cid"], world["ber"]
    event = {"id": str(uuid.uuid4()), "seq": 9, "hlc": "0000000000009-00000-t1", "type": "customer.anonymized",
             "entity": "customer", "entity_id": cid,
             "payload": {"id": cid, "fields": {"first_name": "", "last_name": "", "emails": []}}}
    assert api.post("/v1/push", json={"events": [event]}, headers=ber).json()["refused"] == []
    assert api.get(f"/v1/customers/{cid}/carts", headers=ber).json() == []
    assert api.get(f"/v1/customers/{cid}/saved-payments", headers=ber).json() == []
    with hq_engine.connect() as conn:
        assert conn.execute(select(t.saved_payment)).all() == [] and conn.execute(select(t.cart)).all() == []
    assert len(api.get(f"/v1/customers/{cid}/orders/{ORDER_ID}", headers=ber).json()["lines"]) == 1  # orders stay


def test_a_demo_cart_lists_a_product_once_with_its_quantity():
    from pos_customers.hq.demo import carts_for

    carts = [c for n in range(200) for c in carts_for(f"c{n}", "EUR", ["BER01", "MUC01"])]
    assert carts
    for cart in carts:
        skus = [line["sku"] for line in cart["lines"]]
        assert len(skus) == len(set(skus)), cart
