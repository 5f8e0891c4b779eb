"""A sync conflict pulled from headquarters: "!" in the list and on the card, resolved on the
Activity tab with k (keep) or t (take the other value)."""

from __future__ import annotations

import json
import sqlite3

import httpx
from textual.widgets import DataTable, Input, Static, TabbedContent

from pos_customers.services.customers import get_customer
from pos_customers.services.search import search_customers
from pos_customers.sync.client import HqClient
from pos_customers.sync.engine import SyncEngine
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import settle, sign_in

CONFLICT_ID = "7d6a2f1e-0c4b-4c55-9d59-3c1f0f5e8a11:last_name"


def pull_conflict(svc, admin, customer_id: str, *, deleted: bool = False, resolution: str = "") -> None:
    """Headquarters' next pull page holds one conflict about the customer (the real pull path).
    The till is a connected one (conflicts come from headquarters): its headquarters is away."""
    from pos_customers.services.sync import connect

    connect(svc, admin, url="http://127.0.0.1:9", credential="credential")
    view = get_customer(svc, admin, customer_id)
    with svc.db.read() as s:
        from pos_customers.storage.tables import Customer

        stamp = s.get(Customer, customer_id).field_clocks["last_name"]
    doc = {"id": CONFLICT_ID, "customer_id": customer_id, "field": "last_name", "kept": view.last_name,
           "kept_stamp": stamp, "lost": "Mueller-Schmidt", "lost_stamp": "0" + stamp[1:],
           "origin_store": "HAM01", "at": "2026-11-24T09:15:00+00:00"}
    if resolution:
        doc |= {"resolution": resolution, "resolved_by": "HAM01"}
    page = {"items": [{"t": "conflict", "seq": 7, "key": CONFLICT_ID, "deleted": deleted, "doc": doc}],
            "cursor": 7, "more": False}
    client = HqClient("http://hq.test", "credential",
                      transport=httpx.MockTransport(lambda request: httpx.Response(200, json=page)))
    assert SyncEngine(svc.db, client).pull_page() == (1, False)


def db_rows(svc, sql, *args):
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def anna_id(svc, admin) -> str:
    return search_customers(svc, admin, "anna müller", limit=1).rows[0].customer_id


async def open_activity(app, pilot) -> CustomerScreen:
    await pilot.press(*"anna müller", "enter")
    await settle(app, pilot)
    card = app.screen
    assert isinstance(card, CustomerScreen)
    card.query_one("#tabs", TabbedContent).active = "tab-activity"
    await settle(app, pilot)
    card.query_one("#conflicts-table", DataTable).focus()
    await settle(app, pilot)
    return card


def head_text(card) -> str:
    return str(card.query_one("#head", Static).render()) + "\n" + str(card.query_one("#head-more", Static).render())


def rows(table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_t_on_the_activity_tab_takes_the_other_value(make_app, shop, admin):
    anna = anna_id(shop, admin)
    pull_conflict(shop, admin, anna)
    assert db_rows(shop, "SELECT sync_state FROM customer WHERE id = ?", anna) == [("conflict",)]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"anna")
        await settle(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        assert results.get_row_at(0)[0] == "Anna Müller" and results.get_row_at(0)[-1] == "!"  # the S column
        assert "! conflict" in str(app.screen.query_one("#status").render())  # the legend explains it
        await pilot.press(*["backspace"] * 4)
        card = await open_activity(app, pilot)
        assert "sync ! conflict" in head_text(card)
        table = card.query_one("#conflicts-table", DataTable)
        assert rows(table)[0][1:] == ["last_name", "Müller", "Mueller-Schmidt", "HAM01", "open"]
        assert {"k", "t"} <= set(app.screen.active_bindings)

        await pilot.press("t")
        await settle(app, pilot)

        assert "sync pending" in head_text(card) and "!" not in head_text(card)
        table = card.query_one("#conflicts-table", DataTable)
        assert rows(table)[0][1:] == ["last_name", "Müller", "Mueller-Schmidt", "HAM01", "taken (1002)"]
        assert "k" not in app.screen.active_bindings  # nothing open: no keep/take
        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.query_one("#query", Input).value = ""
        await pilot.press(*"schmidt")
        await settle(app, pilot)
        assert app.screen.query_one("#results", ResultsList).get_row_at(0)[0] == "Anna Mueller-Schmidt"
        assert app.screen.query_one("#results", ResultsList).get_row_at(0)[-1] == "↑"
    assert db_rows(shop, "SELECT last_name, sync_state FROM customer WHERE id = ?", anna) == [
        ("Mueller-Schmidt", "pending")]
    assert db_rows(shop, "SELECT resolution, resolved_by, resolved_at IS NOT NULL FROM sync_conflict") == [
        ("taken", "1002", 1)]
    audit = db_rows(shop, "SELECT associate_number, action, changes FROM audit_event WHERE entity_id = ?"
                    " ORDER BY id DESC LIMIT 2", anna)
    assert [(who, action) for who, action, _ in audit] == [("1002", "resolve_conflict"), ("1002", "update")]
    assert json.loads(audit[1][2]) == {"last_name": {"old": "Müller", "new": "Mueller-Schmidt"}}
    events = db_rows(shop, "SELECT event_type, entity_id, payload FROM outbox_event ORDER BY seq DESC LIMIT 2")
    assert [(kind, entity) for kind, entity, _ in events] == [("conflict.resolved", CONFLICT_ID),
                                                             ("customer.updated", anna)]
    assert json.loads(events[0][2]) == {"id": CONFLICT_ID, "customer_id": anna, "resolution": "taken"}
    updated = json.loads(events[1][2])
    assert updated["fields"] == {"last_name": "Mueller-Schmidt"}
    assert updated["base"]["last_name"] == db_rows(  # the kept value's stamp: a plain overwrite at HQ
        shop, "SELECT kept_stamp FROM sync_conflict")[0][0]


async def test_k_keeps_the_value_and_a_resolution_pulled_from_elsewhere_clears_the_mark(make_app, shop, admin):
    anna = anna_id(shop, admin)
    pull_conflict(shop, admin, anna)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        card = await open_activity(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        assert rows(card.query_one("#conflicts-table", DataTable))[0][-1] == "kept (1002)"
    assert db_rows(shop, "SELECT last_name, sync_state FROM customer WHERE id = ?", anna) == [("Müller", "pending")]
    assert [e for e, in db_rows(shop, "SELECT event_type FROM outbox_event WHERE entity = 'conflict'")] == [
        "conflict.resolved"]


async def test_an_associate_without_edit_rights_gets_no_keep_or_take(make_app, shop, admin):
    from pos_customers.services.associates import add_associate

    add_associate(shop, admin, number="3001", name="Sam Support", role="support", pin="9753")
    anna = anna_id(shop, admin)
    pull_conflict(shop, admin, anna)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "3001", "9753")
        card = await open_activity(app, pilot)
        assert "k" not in app.screen.active_bindings and "t" not in app.screen.active_bindings
        await pilot.press("t")
        await settle(app, pilot)
        assert rows(card.query_one("#conflicts-table", DataTable))[0][-1] == "open"
    assert db_rows(shop, "SELECT last_name, sync_state FROM customer WHERE id = ?", anna) == [("Müller", "conflict")]
