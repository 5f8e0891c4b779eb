"""The app with a terminal enrolled at a real headquarters process: F5, the Sync screen, orders."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from sqlmodel import select
from textual.widgets import DataTable

from pos_customers.services import sync
from pos_customers.services.associates import add_associate
from pos_customers.services.context import Actor
from pos_customers.services.customers import create_customer
from pos_customers.services.search import search_customers
from pos_customers.storage.tables import Customer, OutboxEvent
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from tests.helpers import person
from tests.sync.conftest import HqServer, terminal
from tests.sync.fake_hq import FakeHq, refuse
from tests.ui.conftest import settle, sign_in
from tests.ui.test_pseudo_locale import screen_lines


@pytest.fixture
def hq_server(tmp_path):
    server = HqServer(tmp_path / "hq.db")
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
        # her Activity tab says how she came here, and who brought her
        app.screen.query_one("TabbedContent").active = "tab-activity"
        await settle(app, pilot, 0.1)
        activity = app.screen.query_one("#activity-table", DataTable)
        assert [str(c) for c in activity.get_row_at(0)][1:3] == ["2001", "brought from headquarters"]
        # F8 works from the card: the Sync screen, and Esc comes back to her
        card = app.screen
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        assert type(app.screen).__name__ == "SyncScreen"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is card
    # she is in Hamburg's file now, and in Hamburg's future pulls
    assert sync.search_all_stores(ham, Actor.command_line(), "anna") == []
    con = sqlite3.connect(ham.db.path)
    assert con.execute("SELECT associate_number, action FROM audit_event WHERE entity_id = ?",
                       (anna.id,)).fetchall() == [("2001", "brought_in")]


async def test_the_header_shows_headquarters_state_right_after_sign_in(two_stores, hq_server):
    """No sync has run (the background sync is an hour away): a health check at sign-in tells."""
    ber, ham, anna = two_stores
    app = app_for(ham)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        await settle(app, pilot, 0.1)
        assert app.sync_line == "HQ online · 2 to send"  # Lea Wolf and her store's setup, not sent yet
        assert "HQ online" in app.screen.sub_title
        assert sync.status(ham, Actor.command_line()).last_pull_at == ""  # a health check, not a sync
        # F5 and F8 are in the footer on a connected till
        keys = {b.id for b in app.screen.active_bindings.values() for b in [b.binding] if b.show}
        assert {"app.all_stores", "app.sync"} <= keys
    hq_server.stop()
    app = app_for(ham)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        await settle(app, pilot, 0.1)
        assert app.sync_line.startswith("HQ offline")
        # at 80 columns the header cuts the store and the associate's name, never the sync state
        first_line = app.export_screenshot().replace("&#160;", " ")
        assert "HQ offline · 2 to send" in first_line


async def test_f8_and_f5_work_in_the_f5_list(two_stores):
    ber, ham, anna = two_stores
    app = app_for(ham)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        await pilot.press(*"anna müller")
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot, 0.2)
        remote = app.screen
        assert type(remote).__name__ == "RemoteSearchScreen"
        await pilot.press("f5")  # again: asks headquarters again, the same one row
        await settle(app, pilot, 0.2)
        assert app.screen is remote and remote.query_one("#remote", DataTable).row_count == 1
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        assert type(app.screen).__name__ == "SyncScreen"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is remote
        # at 80x24 every column but the city is there, the phone number whole, the name's surname too
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot, 0.1)
        lines = screen_lines(app)
        head = next(line for line in lines if "Reference" in line)
        row = next(line for line in lines if "BER01" in line)
        assert all(t in head for t in ("Name", "Reference", "Store", "Email", "Phone")), "\n".join(lines)
        assert "Anna Müller" in row and "01512 3456789" in row, "\n".join(lines)


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


@pytest.fixture
def parked_shop(shop, admin):
    """The shop's terminal points at a headquarters that refused Anna's creation (parked) and took
    the rest; nothing listens at that address now."""
    sync.connect(shop, admin, url="http://127.0.0.1:9", credential="secret", terminal_id="T-test")
    with shop.db.read() as s:
        anna_id = s.exec(select(Customer.id).where(Customer.first_name == "Anna")).one()
    sync.sync_now(shop, admin, transport=httpx.MockTransport(FakeHq(refuse(anna_id, 403, "not your store"))))
    return shop, anna_id


def parked_rows(svc):
    return sqlite3.connect(svc.db.path).execute(
        "SELECT entity_id, parked_at IS NOT NULL FROM outbox_event ORDER BY seq").fetchall()


async def test_sync_screen_lists_parked_events_and_retries_and_discards_them(parked_shop, make_app):
    svc, anna_id = parked_shop
    assert parked_rows(svc) == [(anna_id, 1)]
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        # an associate retries, but may not discard
        await sign_in(app, pilot, "1002", "1357")
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        table = app.screen.query_one("#parked", DataTable)
        assert table.row_count == 1
        from rich.cells import cell_len
        cut = [str(c.label) for c in table.columns.values() if cell_len(str(c.label)) > c.width]
        assert cut == [], f"column titles cut at 80 columns: {cut}"
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "customer.created" and "Anna Müller" in row[2]
        assert row[3] == "403 not your store [payload.store_code]"
        assert {"sync.retry", "sync.discard"} <= {b.id for b in app.screen.BINDINGS}
        await pilot.press("d")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SyncScreen"  # refused before any confirmation
        assert any("may not discard" in n.message for n in app._notifications)
        assert parked_rows(svc) == [(anna_id, 1)]
        await pilot.press("enter")  # the whole refusal, which the Why column cuts
        await settle(app, pilot)
        detail = str(app.screen.query_one("#detail").render())
        assert "403 not your store [payload.store_code]" in detail and "Anna Müller" in detail
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot, 0.1)
        assert parked_rows(svc) == [(anna_id, 0)]
        assert table.row_count == 0
    # parked again; a manager discards it after confirming (n first: nothing happens)
    with svc.db.write() as s:
        row = s.exec(select(OutboxEvent)).one()
        row.parked_at, row.parked_reason, row.parked_status = svc.now(), "not your store", 403
        s.add(row)
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        await pilot.press("ctrl+r")  # headquarters is not there: offline, the event still parked
        await app.workers.wait_for_complete()
        await settle(app, pilot, 0.1)
        assert app.sync_line == "HQ offline · 1 to send · 1 parked"
        await pilot.press("d")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await settle(app, pilot)
        assert parked_rows(svc) == [(anna_id, 1)]
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot, 0.1)
        assert parked_rows(svc) == []
        assert app.screen.query_one("#parked", DataTable).row_count == 0
        # the header and the Connection line follow at once, without waiting for a sync
        assert app.sync_line == "HQ offline"
    con = sqlite3.connect(svc.db.path)
    assert con.execute("SELECT sync_state FROM customer WHERE id = ?", (anna_id,)).fetchone() == ("local",)
    assert con.execute("SELECT action, associate_number FROM audit_event WHERE action LIKE 'sync_%' "
                       "ORDER BY id").fetchall() == [("sync_retry", "1002"), ("sync_discard", "1001")]


async def test_a_busy_headquarters_is_a_wait_in_the_header_not_an_error(svc):
    clock = [500.0]
    app = PosApp(svc, config=UiConfig(debounce_ms=10, sync_seconds=3600), demo=True, monotonic=lambda: clock[0])
    async with app.run_test(size=(80, 24)):
        app._sync_state = ("online", 2, 0)
        app._busy(12)  # what the sync's engine says before it waits out a Retry-After of 12 s
        assert app.sync_line == "HQ busy, retrying in 12 s · 2 to send"
        clock[0] += 5
        assert app.sync_line.startswith("HQ busy, retrying in 7 s")


async def _open_card_by_f5(app, pilot, typed: str) -> None:
    await pilot.press(*typed)
    await settle(app, pilot)
    await pilot.press("f5")
    await settle(app, pilot, 0.2)
    await pilot.press("enter")
    await settle(app, pilot, 0.2)


async def test_f5_on_a_merged_away_reference_opens_the_account_it_went_into(two_stores, hq_server, admin):
    """Ben (Berlin's) merged into Anna at headquarters. Hamburg holds neither: Ben's reference,
    F5, lists Anna (never Ben), Enter opens Anna; F8, Esc, Esc on the card is back at the search.
    Again once Anna is held here: the reference still finds her at headquarters and opens her."""
    from pos_customers.domain.reference import format_reference

    ber, ham, anna = two_stores
    ben = create_customer(ber, admin, person("Ben", "Schulz", "ben@example.org"))
    sync.sync_now(ber, admin)
    hq_server.hq.merge_customers(format_reference(ben.reference), format_reference(anna.reference))
    # Berlin held Ben: its pull brings the redirect, and his reference typed in the search finds Anna
    sync.sync_now(ber, admin)
    found = search_customers(ber, admin, format_reference(ben.reference).lower()).rows
    assert [(r.customer_id, r.matched_by) for r in found] == [(anna.id, "reference")]
    app = app_for(ham)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        search = app.screen
        await pilot.press(*format_reference(ben.reference))
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot, 0.2)
        table = app.screen.query_one("#remote", DataTable)
        listed = [str(table.get_row_at(i)) for i in range(table.row_count)]
        assert len(listed) == 1 and "Anna Müller" in listed[0] and "Ben" not in listed[0], listed
        await pilot.press("enter")
        await settle(app, pilot, 0.2)
        card = app.screen
        assert type(card).__name__ == "CustomerScreen" and card.customer_id == anna.id
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is card
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is search and len(app.desk) == 0
        # Anna is held here now: the reference at headquarters still names her, Enter opens her
        await pilot.press("escape")
        await pilot.press(*format_reference(ben.reference))
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot, 0.2)
        said = str(app.screen.query_one("#msg").render())
        assert "not on this till" not in said and "who is on this till" in said, said
        assert format_reference(anna.reference) in said, said
        await pilot.press("enter")
        await settle(app, pilot, 0.2)
        assert type(app.screen).__name__ == "CustomerScreen" and app.screen.customer_id == anna.id, \
            str(app.screen.query_one("#msg").render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is search


async def test_a_customer_gone_from_the_till_is_one_line_never_a_traceback(two_stores):
    """An id the till does not hold (nor a redirect for it): one line says so, the app goes on."""
    ber, ham, anna = two_stores
    app = app_for(ham)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        search = app.screen
        app.open_customer(anna.id)  # Berlin's: not on this till
        await settle(app, pilot)
        assert app.screen is search and len(app.desk) == 0
        shown = [str(n.message) for n in app._notifications]
        assert any("search for the customer again" in m for m in shown), shown


async def test_a_refused_merge_brings_the_customer_back_and_the_sync_screen_says_so(tmp_path, hq_server, admin):
    """A manager merged Ann into Anna offline with a role headquarters no longer gives 1001: the
    sync from the Sync screen says in one line that Ann is back; discarding the merge says so too."""
    from pos_customers.domain.enums import Role
    from pos_customers.services.account_scope import merge_into_account
    from tests.sync.test_account_scope import _held_twins

    _, ham, anna, ann, _, event = _held_twins(tmp_path, hq_server, admin)
    add_associate(ham, admin, number="1001", name="Maria", role="associate", pin="2468")
    add_associate(ham, admin, number="1003", name="Jan", role="manager", pin="1357")
    sync.sync_now(ham, admin)
    merge_into_account(ham, Actor("1001", "Maria", Role.MANAGER, "T-test"), event.id)
    with ham.db.read() as s:
        assert s.get(Customer, ann.id) is None
    app = app_for(ham)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1003", "1357")
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await settle(app, pilot, 0.2)
        assert any("1 customer is back on this till: headquarters did not apply its merge." in n.message
                   for n in app._notifications)
        with ham.db.read() as s:
            assert s.get(Customer, ann.id) is not None
        table = app.screen.query_one("#parked", DataTable)
        kinds = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert sorted(kinds) == ["customer.merged", "customer.updated"]
        table.move_cursor(row=kinds.index("customer.merged"))
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot, 0.2)
        assert any("is back on this till, not merged." in n.message for n in app._notifications)
    with ham.db.read() as s:
        assert s.get(Customer, ann.id) is not None
        assert [e.event_type for e in s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_not(None)))] \
            == ["customer.updated"]
