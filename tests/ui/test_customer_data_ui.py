"""The card's Stores, Active carts and Saved payments tabs and the Orders tab's lines and shipments,
driven by keys at 80x24 against headquarters in this process (and with headquarters down)."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from textual.widgets import DataTable

from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import customer_data as data
from pos_customers.services import sync
from pos_customers.services.customers import get_customer
from pos_customers.services.search import search_customers
from pos_customers.storage.tables import AuditEvent, CustomerDataCache, OutboxEvent
from pos_customers.sync.client import HqClient
from tests import templates
from tests.helpers import customer_data_chain, stock_customer
from tests.ui.conftest import settle, sign_in

SIZE = (80, 24)


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


class Link:
    """Which headquarters the till's client reaches: the in-process one, or none (down)."""

    def __init__(self, transport):
        self.transport = transport

    def client(self, svc, *, timeout: float = 10.0, transport=None) -> HqClient:
        settings = svc.settings()
        return HqClient(settings["hq_url"], settings.get("hq_credential", ""), timeout=timeout,
                        transport=transport or self.transport)


@pytest.fixture
def hq_link(tmp_path, shop, admin, monkeypatch):
    """The shop's till enrolled at headquarters (in this process); Anna there with two carts, two
    saved payments and two orders (one with lines and shipments); the store directory filled."""
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    link = Link(customer_data_chain(hq, shop, admin))
    monkeypatch.setattr(sync, "_client", link.client)
    sync.sync_now(shop, admin)
    anna = search_customers(shop, admin, "anna müller").rows[0]
    stock_customer(hq, anna.customer_id)
    link.anna = anna.customer_id
    yield link
    hq.engine.dispose()


async def open_tab(app, pilot, tab: str, table: str | None = None, *, who=("1001", "2468")):
    await sign_in(app, pilot, *who)
    await pilot.press(*"anna müller", "enter")
    await settle(app, pilot)
    app.screen.query_one("#tabs").active = f"tab-{tab}"
    await settle(app, pilot)
    if table:
        app.screen.query_one(f"#{table}", DataTable).focus()
        await settle(app, pilot)


def cells(app, table: str) -> list[list[str]]:
    t = app.screen.query_one(f"#{table}", DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


def footer_keys(app) -> set[str]:
    return {b.binding.id for b in app.screen.active_bindings.values() if b.binding.show and b.enabled}


async def test_a_manager_deletes_a_saved_payment_after_confirming(make_app, hq_link, shop):
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "payments", "payments-table")
        assert [row[:3] for row in cells(app, "payments-table")] == [
            ["Mastercard", "•••• 4444", "04/27"], ["Visa", "•••• 1111", "04/28"]]
        assert "card.delete_payment" in footer_keys(app)
        await pilot.press("down", "delete")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        assert "Visa •••• 1111" in str(app.screen.query_one("#question").render())
        await pilot.press("n")  # no: nothing happens
        await settle(app, pilot)
        assert len(cells(app, "payments-table")) == 2
        await pilot.press("delete")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot, 0.1)
        assert [row[1] for row in cells(app, "payments-table")] == ["•••• 4444"]
        app.screen.query_one("#tabs").active = "tab-activity"
        await settle(app, pilot)
        assert cells(app, "activity-table")[0][1:3] == ["1001", "saved payment deleted"]
        # F1 lists the tab's keys with the card's
        app.screen.query_one("#tabs").active = "tab-payments"
        await settle(app, pilot)
        app.screen.query_one("#payments-table", DataTable).focus()
        await pilot.press("f1")
        await settle(app, pilot)
        keys = app.screen.query_one(DataTable)
        listed = [str(keys.get_row_at(i)[1]) for i in range(keys.row_count)]
        assert any("delete the saved payment" in d for d in listed) and any("Edit this customer" in d for d in listed)
        await pilot.press("escape")
    with shop.db.read() as s:
        assert s.get(CustomerDataCache, ("payment", f"{hq_link.anna}:p0")) is None
        event = s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "payment.deleted")).one()
        assert event.payload["role"] == "manager" and event.entity_id == f"{hq_link.anna}:p0"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "payment_delete")).one().associate_number == "1001"


async def test_an_associate_may_not_delete_a_saved_payment(make_app, hq_link, shop):
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "payments", "payments-table", who=("1002", "1357"))
        assert "card.delete_payment" not in footer_keys(app)
        await pilot.press("delete")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert len(cells(app, "payments-table")) == 2
    with shop.db.read() as s:
        assert s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "payment.deleted")).all() == []


async def test_the_stores_tab_sets_the_preferred_store(make_app, hq_link, shop, admin):
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        asked = hq_link.transport.paths
        before = len(asked)
        await open_tab(app, pilot, "stores", "stores-table", who=("1002", "1357"))
        # the card asks for the order history once: the Stores tab counts the orders it kept
        assert [p for p in asked[before:] if p.endswith("/orders")] == [f"/v1/customers/{hq_link.anna}/orders"]
        rows = cells(app, "stores-table")
        assert [r[1] for r in rows] == ["BER01 Berlin Alexanderplatz\nAlexanderplatz 9, 10178 Berlin",
                                        "MUC01 München Marienplatz\nMarienplatz 21, 80331 München",
                                        "WEB Online shop\nonline: no street address"]
        assert rows[2][2] == "no phone\nopen"
        assert rows[1][2:] == ["089 2318200\ntemporarily closed", "1 order"]
        assert rows[0][3] == "registered, served 1×"  # created here
        await pilot.press("down", "p")
        await settle(app, pilot, 0.1)
        assert [c.split("\n")[0] for c in cells(app, "stores-table")[0][:2]] == ["★", "MUC01 München Marienplatz"]
    assert get_customer(shop, admin, hq_link.anna).preferred_store == "MUC01"
    with shop.db.read() as s:
        event = s.exec(select(OutboxEvent).order_by(OutboxEvent.seq.desc())).first()
    assert event.event_type == "customer.updated" and event.payload["fields"] == {"preferred_store": "MUC01"}


async def test_enter_shows_a_carts_lines_and_an_orders_lines_and_shipments(make_app, hq_link):
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "carts", "carts-table")
        assert [r[:2] + r[4:] for r in cells(app, "carts-table")] == [
            ["MUC01", "Reserved in store", "3", "63,95 €"], ["WEB", "Web cart 20 Nov", "3", "63,95 €"]]
        await pilot.press("enter")
        await settle(app, pilot)
        assert [r[0] for r in cells(app, "lines-table")] == ["Wool scarf", "Travel mug"]
        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.query_one("#tabs").active = "tab-orders"
        await settle(app, pilot)
        assert [r[0] + " " + r[4] for r in cells(app, "orders-table")] == ["W-100002 1", "S-100001 0"]
        app.screen.query_one("#orders-table", DataTable).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert cells(app, "lines-table") == [["Rain jacket", "SKU-3", "1", "129,90 €", "129,90 €"]]
        assert cells(app, "shipments-table")[0][:3] == ["DHL", "DHL0001234", "delivered"]


async def test_with_headquarters_down_the_tabs_show_the_kept_copy(make_app, hq_link, shop, admin):
    data.carts(shop, admin, hq_link.anna)  # seen once while headquarters answered
    data.saved_payments(shop, admin, hq_link.anna)
    data.order_detail(shop, admin, hq_link.anna, "o-2")
    data.customer_stores(shop, admin, hq_link.anna)
    hq_link.transport = httpx.MockTransport(down)
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "carts", "carts-table")
        assert len(cells(app, "carts-table")) == 2
        assert "Headquarters is not reachable" in app.screen.query_one("#tab-carts").query_one(".muted").render().plain
        app.screen.query_one("#tabs").active = "tab-payments"
        await settle(app, pilot)
        assert len(cells(app, "payments-table")) == 2
        app.screen.query_one("#tabs").active = "tab-stores"
        await settle(app, pilot)
        assert cells(app, "stores-table")[0][1].split("\n")[1] == "Alexanderplatz 9, 10178 Berlin"
        app.screen.query_one("#tabs").active = "tab-orders"
        await settle(app, pilot)
        app.screen.query_one("#orders-table", DataTable).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert cells(app, "lines-table")[0][0] == "Rain jacket"


# -- snapshots at 80x24 -------------------------------------------------------------------------------------

def at_tab(tab: str, table: str | None = None, *keys: str):
    async def run(pilot):
        await open_tab(pilot.app, pilot, tab, table)
        for k in keys:
            await pilot.press(k)
            await settle(pilot.app, pilot)
    return run


@pytest.mark.parametrize("tab,table,keys", [
    ("stores", "stores-table", ()), ("carts", "carts-table", ()), ("payments", "payments-table", ()),
    ("carts", "carts-table", ("enter",)), ("orders", "orders-table", ()), ("orders", "orders-table", ("enter",)),
    ("payments", "payments-table", ("delete",))],
    ids=["stores", "carts", "payments", "cart-lines", "orders", "order-lines-and-shipments", "delete-payment"])
def test_snapshots(snap_compare, make_app, hq_link, tab, table, keys):
    assert snap_compare(make_app(sync_seconds=3600), terminal_size=SIZE, run_before=at_tab(tab, table, *keys))
