"""A customer's stores, carts, saved payments and order details at the till: from headquarters,
kept for offline; the preferred store and deleting a saved payment (roles, audit, outbox, sync)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlmodel import select

from pos_customers.domain.customer_data import PAYMENT_DELETE_ROLES
from pos_customers.domain.enums import EventKind, Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import customer_data as data
from pos_customers.services import sync
from pos_customers.services.context import Actor, Permission, PermissionDenied
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.storage.tables import AuditEvent, CustomerDataCache, OutboxEvent
from tests import templates
from tests.helpers import DOWN, InProcessHq, customer_data_chain, person, stock_customer



@pytest.fixture
def hq(tmp_path):
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    yield hq
    hq.engine.dispose()


@pytest.fixture
def till(svc, admin, hq):
    """The BER01 till (svc) enrolled at an in-process headquarters, Anna pushed there with two
    carts, two saved payments and two orders (tests.helpers.stock_customer)."""
    http = customer_data_chain(hq, svc, admin)
    anna = create_customer(svc, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(svc, admin, transport=http)
    stock_customer(hq, anna.id)
    return svc, http, anna


def kept(svc, kind):
    with svc.db.read() as s:
        return {r.key for r in s.exec(select(CustomerDataCache).where(CustomerDataCache.kind == kind))}


def test_carts_and_payments_come_from_headquarters_and_stay_for_offline(till, admin):
    svc, http, anna = till
    carts, source = data.carts(svc, admin, anna.id, transport=http)
    assert source == "headquarters"
    assert [(c.name, c.store_code, c.items, c.total_minor, c.currency) for c in carts] == [
        ("Reserved in store", "MUC01", 3, 6395, "EUR"), ("Web cart 20 Nov", "WEB", 3, 6395, "EUR")]
    payments, source = data.saved_payments(svc, admin, anna.id, transport=http)
    assert source == "headquarters" and {(p.brand, p.last4, p.expiry) for p in payments} == {
        ("Visa", "1111", "04/28"), ("Mastercard", "4444", "04/27")}
    # headquarters down: the copy kept on this till
    carts, source = data.carts(svc, admin, anna.id, transport=DOWN)
    assert source == "cache" and [c.name for c in carts] == ["Reserved in store", "Web cart 20 Nov"]
    assert [c.lines[0].name for c in carts] == ["Wool scarf", "Wool scarf"]
    payments, source = data.saved_payments(svc, admin, anna.id, transport=DOWN)
    assert source == "cache" and len(payments) == 2
    # a cart headquarters no longer has leaves the copy at the next answer
    with http.hq.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM hq_cart")
    assert data.carts(svc, admin, anna.id, transport=http) == ([], "headquarters")
    assert kept(svc, "cart") == set()


def test_a_till_not_connected_says_so_and_shows_its_own_stores(db, admin):
    from pos_customers.services.context import Services
    from pos_customers.services.store import init_store

    svc = Services(db)
    init_store(svc, admin, code="BER01", number=101, name="Berlin Alexanderplatz", country="DE", currency="EUR",
               language="de")
    anna = create_customer(svc, admin, person("Anna", "Müller"))
    assert data.carts(svc, admin, anna.id) == ([], "not connected")
    stores, source = data.customer_stores(svc, admin, anna.id)
    assert source == "not connected"
    assert [(u.code, u.name, u.registered, u.served) for u in stores] == [("BER01", "Berlin Alexanderplatz", True, 1)]


def test_order_lines_and_shipments_are_kept_for_offline(till, admin):
    svc, http, anna = till
    orders, _ = sync.orders(svc, admin, anna.id, transport=http)
    assert [(o.number, o.shipments) for o in orders] == [("W-100002", 1), ("S-100001", 0)]
    detail, source = data.order_detail(svc, admin, anna.id, "o-2", transport=http)
    assert source == "headquarters" and [line.name for line in detail.lines] == ["Rain jacket"]
    assert [s.carrier for s in detail.shipments] == ["DHL"]
    detail, source = data.order_detail(svc, admin, anna.id, "o-2", transport=DOWN)
    assert source == "cache" and detail.lines[0].total_minor == 12990
    assert data.order_detail(svc, admin, anna.id, "o-1", transport=DOWN) == (None, "cache")  # never asked for


def test_the_stores_she_uses_with_the_directory_kept_for_offline(till, admin):
    svc, http, anna = till
    stores, source = data.customer_stores(svc, admin, anna.id, transport=http)
    assert source == "headquarters"
    assert [(u.code, u.registered, u.orders, u.served, u.status) for u in stores] == [
        ("BER01", True, 0, 1, "open"), ("MUC01", False, 1, 0, "temporarily closed"), ("WEB", False, 1, 0, "open")]
    assert stores[2].name == "Online shop"  # the online shop's own entry in the directory
    assert stores[0].address == "Alexanderplatz 9, 10178 Berlin" and stores[1].phone == "+49 89 2318 200"
    assert stores[1].how == "1 order"
    offline, source = data.customer_stores(svc, admin, anna.id, transport=DOWN)
    assert source == "cache" and offline == stores


def test_the_preferred_store_is_audited_synced_and_checked(till, admin, associate):
    svc, http, anna = till
    data.store_directory(svc, admin, transport=http)  # the directory, kept
    with pytest.raises(ValidationFailed, match="No store PAR01"):
        data.set_preferred_store(svc, associate, anna.id, "PAR01")
    data.set_preferred_store(svc, associate, anna.id, "muc01")
    assert get_customer(svc, admin, anna.id).preferred_store == "MUC01"
    with svc.db.read() as s:
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity_id == anna.id).order_by(AuditEvent.id.desc())).first()
        event = s.exec(select(OutboxEvent).order_by(OutboxEvent.seq.desc())).first()
    assert (audit.action, audit.associate_number, audit.changes) == (
        "update", "1002", {"preferred_store": {"old": None, "new": "MUC01"}})
    assert event.event_type == EventKind.CUSTOMER_UPDATED and event.payload["fields"] == {"preferred_store": "MUC01"}
    sync.sync_now(svc, admin, transport=http)
    with http.hq.engine.connect() as conn:
        fields = json.loads(conn.exec_driver_sql("SELECT fields FROM hq_customer").scalar())
    assert fields["preferred_store"] == "MUC01"
    stores, _ = data.customer_stores(svc, admin, anna.id, transport=http)
    assert [(u.code, u.preferred) for u in stores][0] == ("MUC01", True)  # the preferred one on top
    data.set_preferred_store(svc, associate, anna.id, "")
    assert get_customer(svc, admin, anna.id).preferred_store == ""


def test_the_access_request_lists_the_kept_carts_and_saved_payments(till, admin):
    from pos_customers.services.privacy import access_report, report_text

    svc, http, anna = till
    data.carts(svc, admin, anna.id, transport=http)
    data.saved_payments(svc, admin, anna.id, transport=http)
    report = access_report(svc, admin, anna.id, transport=http)
    assert sorted(p["last4"] for p in report["terminal"]["saved_payments"]) == ["1111", "4444"]
    assert len(report["terminal"]["active_carts"]) == 2
    text = report_text(report)
    assert "Visa •••• 1111  expires 04/2028  Anna Müller" in text and "Reserved in store  MUC01" in text


def test_only_managers_and_administrators_may_delete_a_saved_payment():
    allowed = {role for role in Role if Actor("1", "x", role).can(Permission.DELETE_PAYMENT)}
    assert allowed == set(PAYMENT_DELETE_ROLES) == {Role.MANAGER, Role.ADMIN}


@pytest.mark.parametrize("role", [Role.ASSOCIATE, Role.SUPPORT])
def test_deleting_a_saved_payment_is_refused_to_other_roles(till, admin, role):
    svc, http, anna = till
    data.saved_payments(svc, admin, anna.id, transport=http)
    with svc.db.read() as s:
        before = (len(s.exec(select(AuditEvent)).all()), len(s.exec(select(OutboxEvent)).all()))
    with pytest.raises(PermissionDenied, match="may not delete a customer's saved payment: ask a manager or an "
                                               "administrator$"):
        data.delete_saved_payment(svc, Actor("1002", "Jonas", role), anna.id, f"{anna.id}:p0")
    with svc.db.read() as s:
        assert (len(s.exec(select(AuditEvent)).all()), len(s.exec(select(OutboxEvent)).all())) == before
    assert f"{anna.id}:p0" in kept(svc, "payment")


def test_a_manager_deletes_a_saved_payment_audited_and_sent_to_headquarters(till, admin, manager):
    svc, http, anna = till
    data.saved_payments(svc, admin, anna.id, transport=http)
    gone = data.delete_saved_payment(svc, manager, anna.id, f"{anna.id}:p0")
    assert gone.last4 == "1111"
    with svc.db.read() as s:
        audit = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        event = s.exec(select(OutboxEvent).order_by(OutboxEvent.seq.desc())).first()
    assert (audit.entity, audit.entity_id, audit.action, audit.associate_number) == (
        "customer", anna.id, "payment_delete", "1001")
    assert audit.changes == {"saved_payment": {"old": "Visa •••• 1111 (expires 04/28)", "new": None}}
    assert (event.event_type, event.entity, event.entity_id, event.payload) == (
        "payment.deleted", "saved_payment", f"{anna.id}:p0",
        {"id": f"{anna.id}:p0", "customer_id": anna.id, "associate": "1001", "role": "manager"})
    # not sent yet: headquarters still lists it, the till does not
    assert [p.last4 for p in data.saved_payments(svc, admin, anna.id, transport=http)[0]] == ["4444"]
    assert sync.sync_now(svc, admin, transport=http).parked == 0
    assert [p.last4 for p in http.hq.saved_payments(None, anna.id)] == ["4444"]
    # another till of the chain sees it gone too
    assert [p.last4 for p in data.saved_payments(svc, admin, anna.id, transport=http)[0]] == ["4444"]


def test_the_demo_never_writes_a_card_number(tmp_path, admin):
    """The connected demo's saved payments come from the networks' test card numbers: neither
    headquarters' file nor the till's (after it fetched every saved payment) holds one of them,
    whole or grouped, or anything shaped like a card number where payments are kept."""
    from pos_customers.cli.hq import connected_demo
    from pos_customers.domain.customer_data import looks_like_pan
    from pos_customers.hq.demo import DEMO_CARDS

    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    svc = connected_demo(hq, tmp_path / "till.db", 60, "http://hq.test")
    http = InProcessHq(hq)
    with hq.engine.connect() as conn:
        texts = [v for r in conn.exec_driver_sql("SELECT token_ref, brand, last4, holder FROM hq_saved_payment")
                 for v in r]
        mine = [tuple(r) for r in conn.exec_driver_sql(  # the demo till's own customers (its scope)
            "SELECT p.id, p.customer_id FROM hq_saved_payment p JOIN hq_customer c ON c.id = p.customer_id"
            " WHERE c.home_store = 'BER01'")]
    assert len(mine) > 5
    for cid in {c for _, c in mine}:
        data.saved_payments(svc, admin, cid, transport=http)
    assert kept(svc, "payment") == {p for p, _ in mine}
    # the free texts (ids are UUIDs: digits among hex letters and dashes, checked whole by the model)
    assert texts and not any(looks_like_pan(v) for v in texts)
    with svc.db.read() as s:
        assert not any(looks_like_pan(str(r.doc[k])) for r in s.exec(select(CustomerDataCache))
                       for k in ("token_ref", "brand", "last4", "holder"))
    hq.engine.dispose()
    svc.db.dispose()
    for path in (tmp_path / "hq.db", tmp_path / "till.db"):
        sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for number in DEMO_CARDS.values():
            grouped = " ".join(number[k:k + 4] for k in range(0, len(number), 4))
            for form in (number, grouped, grouped.replace(" ", "-")):
                assert form.encode() not in blob and form.encode("utf-16-le") not in blob, (path.name, form)


def test_the_demo_orders_are_in_their_stores_currency_and_only_web_orders_are_shipped():
    from pos_customers.hq.demo import seed_customer_data

    class Collect:
        def __init__(self):
            self.orders, self.details, self.carts = [], [], []

        def put_records(self, rows):
            self.orders += [r[2]["doc"] for r in rows]

        def put_order_details(self, rows):
            self.details += list(rows)

        def put_carts(self, rows):
            self.carts += list(rows)

        def put_payments(self, rows):
            list(rows)

        def set_store_contact(self, *a, **k):
            pass

    stores = {"ZRH01": "CHF", "VIE01": "EUR", "BER01": "EUR", "LON01": "GBP"}
    docs = [{"id": f"c{i}", "fields": {"currency": cur, "first_name": "A", "last_name": "B"}}
            for i, cur in enumerate(["CHF", "EUR", "GBP", "USD"] * 40)]
    hq = Collect()
    seed_customer_data(hq, docs, stores)
    assert {o["store_code"] for o in hq.orders} > {"WEB", "ZRH01", "VIE01"}
    for order in hq.orders:
        if order["store_code"] != "WEB":
            assert stores[order["store_code"]] == order["currency"]
        if order["status"] == "delivered":
            assert order["store_code"] == "WEB" and order["shipments"] > 0
    usd = [o for o in hq.orders if o["currency"] == "USD"]
    assert usd and {o["store_code"] for o in usd} == {"WEB"}  # no store takes dollars
    for cart in hq.carts:
        if cart["store_code"] != "WEB":
            assert stores[cart["store_code"]] == cart["currency"]
