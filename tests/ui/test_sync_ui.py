"""The app with a terminal enrolled at a real headquarters process: F5, the Sync screen, orders."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from pos_customers.services import sync
from pos_customers.services.associates import add_associate
from pos_customers.services.context import Actor
from pos_customers.services.customers import create_customer
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from tests.helpers import person
from tests.sync.conftest import HqProcess, terminal
from tests.ui.conftest import settle, sign_in


@pytest.fixture
def hq_server(tmp_path):
    server = HqProcess(tmp_path / "hq.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def two_stores(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    ham = terminal(tmp_path, hq_server, "HAM01")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", "0151 23456789", "10115"))
    sync.sync_now(ber, admin)
    hq_server.hq.put_records([("order", "o-1", {"customer_id": anna.id, "doc": {
        "id": "o-1", "customer_id": anna.id, "number": "W-100231", "ordered_at": "2026-10-02T15:04:00+00:00",
        "store_code": "WEB", "status": "delivered", "total": "129.90", "currency": "EUR"}})])
    add_associate(ham, admin, number="2001", name="Lea Wolf", role="associate", pin="1357")
    return ber, ham, anna


def app_for(svc) -> PosApp:
    app = PosApp(svc, config=UiConfig(debounce_ms=10, sync_seconds=3600), demo=True)
    app.theme = "textual-dark"
    return app


async def test_f5_finds_another_stores_customer_and_brings_her_here(two_stores):
    ber, ham, anna = two_stores
    app = app_for(ham)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        await pilot.press(*"anna müller")
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot, 0.2)
        table = app.screen.query_one("#remote", DataTable)
        assert table.row_count == 1
        assert "BER01" in str(table.get_row_at(0))
        await pilot.press("enter")
        await settle(app, pilot, 0.2)
        assert type(app.screen).__name__ == "CustomerScreen" and app.screen.customer_id == anna.id
        # the orders tab shows headquarters' order history
        app.screen.query_one("TabbedContent").active = "tab-orders"
        await settle(app, pilot, 0.2)
        orders = app.screen.query_one("#orders-table", DataTable)
        assert "W-100231" in str(orders.get_row_at(0))
    # she is in Hamburg's file now, and in Hamburg's future pulls
    assert sync.search_all_stores(ham, Actor.command_line(), "anna") == []


async def test_sync_screen_shows_the_queue_and_sync_now_drains_it(two_stores, hq_server):
    ber, ham, anna = two_stores
    add_associate(ber, Actor.command_line(),
                  number="1001", name="Maria Schneider", role="manager", pin="2468")
    hq_server.stop()
    create_customer(ber, Actor.command_line(),
                    person("Eva", "Lang", "eva@example.org"))
    app = app_for(ber)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        await pilot.press("ctrl+r")
        await settle(app, pilot, 0.3)
        assert "HQ offline" in app.sync_line and "to send" in app.sync_line
        assert "HQ offline" in app.screen.sub_title
        state = app.screen.query_one("#state", DataTable)
        rows = {str(state.get_row_at(i)[0]): str(state.get_row_at(i)[1]) for i in range(state.row_count)}
        assert "unreachable" in rows["Last error"]
        hq_server.start()
        await pilot.press("ctrl+r")
        await settle(app, pilot, 0.5)
        assert app.sync_line == "HQ online"
        rows = {str(state.get_row_at(i)[0]): str(state.get_row_at(i)[1]) for i in range(state.row_count)}
        assert rows["Waiting to send"].startswith("0 ")
