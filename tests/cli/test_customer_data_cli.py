"""`customers orders / order / stores / preferred-store / carts / payments / payment-delete` against
headquarters in this process, and the roles the services enforce for the command line too."""

import json
import sqlite3

import pytest

from pos_customers.domain.enums import Role
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import sync
from pos_customers.services.context import Actor, Services
from pos_customers.storage.engine import Database
from tests import templates
from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)
from tests.helpers import customer_data_chain, stock_customer
from tests.ui.test_customer_data_ui import Link


def q(db, sql, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture
def connected(store, tmp_path, monkeypatch):  # noqa: F811
    """The CLI's till enrolled at headquarters (in this process); Anna there with two carts, two
    saved payments and two orders (W-100002 with a line and a shipment)."""
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de")
    assert r.exit_code == 0, r.output
    anna = r.output.split()[1]
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    db = Database(store.db)
    svc, actor = Services(db), Actor.command_line()
    link = Link(customer_data_chain(hq, svc, actor))
    monkeypatch.setattr(sync, "_client", link.client)
    sync.sync_now(svc, actor)
    (cid,), = q(store.db, "SELECT id FROM customer")
    stock_customer(hq, cid)
    store.anna, store.cid = anna, cid
    yield store
    db.dispose()
    hq.engine.dispose()


def test_orders_lines_stores_carts_and_payments_are_listed(connected):
    r = connected("customers", "orders", connected.anna)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("W-100002") and "1 shipment " in r.output
    assert "from headquarters" in r.output  # stderr: where the rows came from
    r = connected("customers", "order", connected.anna, "w-100002")
    assert r.exit_code == 0, r.output
    assert "Rain jacket" in r.output and "129,90 €" in r.output and "DHL DHL0001234: delivered" in r.output
    detail = json.loads(connected("customers", "order", connected.anna, "W-100002", "--json").stdout)
    assert detail["lines"][0]["total_minor"] == 12990 and detail["shipments"][0]["carrier"] == "DHL"
    r = connected("customers", "stores", connected.anna)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split()[:2] == ["BER01", "Berlin"] and "Alexanderplatz 9" in lines[1]
    assert any("WEB" in x and "Online shop" in x for x in lines)
    stores = json.loads(connected("customers", "stores", connected.anna, "--json").stdout)
    assert [s["code"] for s in stores] == ["BER01", "MUC01", "WEB"]
    carts = json.loads(connected("customers", "carts", connected.anna, "--json").stdout)
    assert [c["name"] for c in carts] == ["Reserved in store", "Web cart 20 Nov"]
    r = connected("customers", "carts", connected.anna)
    assert "Wool scarf" in r.output and "63,95 €" in r.output
    r = connected("customers", "payments", connected.anna)
    assert r.exit_code == 0 and "Mastercard   •••• 4444  expires 04/27" in r.output
    payments = json.loads(connected("customers", "payments", connected.anna, "--json").stdout)
    assert {p["last4"] for p in payments} == {"1111", "4444"} and "token_ref" in payments[0]


def test_preferred_store_is_set_and_cleared_audited_and_sent(connected):
    r = connected("customers", "preferred-store", connected.anna, "muc01")
    assert r.exit_code == 0 and r.output.strip().endswith("preferred store MUC01")
    assert q(connected.db, "SELECT preferred_store FROM customer") == [("MUC01",)]
    assert json.loads(connected("customers", "show", connected.anna, "--json").stdout)["preferred_store"] == "MUC01"
    assert connected("customers", "stores", connected.anna).output.startswith("* MUC01")
    r = connected("customers", "preferred-store", connected.anna, "NOPE1")
    assert r.exit_code == 2 and "No store NOPE1" in r.output and len(r.output.strip().splitlines()) == 1
    r = connected("customers", "preferred-store", connected.anna, "--clear")
    assert r.exit_code == 0 and "no preferred store" in r.output
    payloads = [json.loads(p) for p, in q(connected.db, "SELECT payload FROM outbox_event"
                                                        " WHERE event_type = 'customer.updated'")]
    assert [p["fields"] for p in payloads] == [{"preferred_store": "MUC01"}, {"preferred_store": ""}]
    assert connected("customers", "preferred-store", connected.anna).exit_code == 2  # neither code nor --clear


def test_a_saved_payment_is_deleted_after_confirming(connected):
    r = connected("customers", "payment-delete", connected.anna, "1111", input="n\n")
    assert r.exit_code == 1 and "nothing deleted" in r.output
    r = connected("customers", "payment-delete", connected.anna, "1111", input="y\n")
    assert r.exit_code == 0, r.output
    assert "deleted the saved payment Visa •••• 1111" in r.output
    [(payload,)] = q(connected.db, "SELECT payload FROM outbox_event WHERE event_type = 'payment.deleted'")
    assert json.loads(payload)["role"] == "admin"  # the shell's user owns the file: an administrator
    assert q(connected.db, "SELECT action FROM audit_event WHERE action = 'payment_delete'") == [("payment_delete",)]
    r = connected("customers", "payments", connected.anna)
    assert "1111" not in r.output and "4444" in r.output
    r = connected("customers", "payment-delete", connected.anna, "9999", "--yes")
    assert r.exit_code == 1 and "no saved payment 9999" in r.output


@pytest.mark.parametrize("args, words", [
    (("payment-delete", "ANNA", "1111", "--yes"), "may not delete a customer's saved payment"),
    (("edit", "ANNA", "--credit-limit", "1500.00"), "may not set or change a customer's credit limit")])
def test_the_roles_hold_at_the_command_line_too(connected, monkeypatch, args, words):
    """The services refuse whoever acts without the permission, the command line included: one
    line saying who may, exit code 3, nothing written."""
    monkeypatch.setattr(Actor, "command_line", classmethod(lambda cls: Actor("", "cli:clerk", Role.ASSOCIATE)))
    before = q(connected.db, "SELECT count(*) FROM audit_event"), q(connected.db, "SELECT count(*) FROM outbox_event")
    r = connected("customers", *[connected.anna if a == "ANNA" else a for a in args])
    assert r.exit_code == 3, r.output
    assert r.output.strip() == f"error: not allowed: cli:clerk (associate) {words}: ask a manager or an administrator"
    after = q(connected.db, "SELECT count(*) FROM audit_event"), q(connected.db, "SELECT count(*) FROM outbox_event")
    assert after == before
