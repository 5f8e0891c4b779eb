"""The card's Store credit tab at 80x24: a manager adds credit with keys (queued, audited, shown),
an associate is not offered it; the tab's snapshot."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import sync
from pos_customers.services.search import search_customers
from pos_customers.storage.tables import AuditEvent, OutboxEvent
from tests import templates
from tests.helpers import customer_data_chain
from tests.ui.test_pseudo_locale import screen_lines
from tests.ui.conftest import settle
from tests.ui.test_customer_data_ui import Link, cells, footer_keys, open_tab

SIZE = (80, 24)
HQ_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def credit_link(tmp_path, shop, admin, monkeypatch):
    """The shop's till enrolled at headquarters (in this process, its clock fixed); Anna there with
    a refund to store credit and part of it used in a sale."""
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")), now=lambda: HQ_NOW)
    link = Link(customer_data_chain(hq, shop, admin))
    monkeypatch.setattr(sync, "_client", link.client)
    sync.sync_now(shop, admin)
    anna = search_customers(shop, admin, "anna müller").rows[0].customer_id
    hq.credit_move(anna, currency="EUR", kind="refunded", amount_minor=4550, reason="Return of S-100001",
                   by="headquarters:orders")
    hq.credit_move(anna, currency="EUR", kind="used", amount_minor=-1250, reason="Sale S-100007",
                   by="headquarters:orders")
    link.hq, link.anna = hq, anna
    yield link
    hq.engine.dispose()


async def test_a_manager_adds_store_credit_on_the_card(make_app, credit_link, shop):
    app = make_app(sync_seconds=3600)  # no background sync: the outbox is looked at
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit", "credit-table")
        assert "33,00 €" in str(app.screen.query_one("#credit-balance").render())
        assert [r[1:4] for r in cells(app, "credit-table")] == [["used in sale", "-12,50 €", "33,00 €"],
                                                                 ["refund", "+45,50 €", "45,50 €"]]
        assert "card.credit" in footer_keys(app)
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CreditModal"
        await pilot.press(*"40", "enter")  # no reason yet: refused in the dialog
        await settle(app, pilot)
        assert "reason" in str(app.screen.query_one("#credit-error").render())
        app.screen.query_one("#credit-reason").focus()
        await pilot.press(*"Late delivery", "enter")
        await settle(app, pilot, 0.1)
        assert type(app.screen).__name__ == "CustomerScreen"
        app.screen.query_one("#tabs").active = "tab-credit"
        await settle(app, pilot)
        rows = cells(app, "credit-table")
        assert rows[0][1:3] == ["added (queued)", "+40,00 €"] and rows[0][4:6] == ["BER01:1001", "Late delivery"]
        # at 80 columns who made it is whole (a long reason is what gets cut), in the shape of
        # headquarters' ledger lines (the synced refund's By says BER01:… too)
        assert any(" BER01:1001 " in line for line in screen_lines(app)), "\n".join(screen_lines(app))
        assert "Queued here: +40,00 € → 73,00 €" in " ".join(
            str(w.render()) for w in app.screen.query("#tab-credit Label"))
    with shop.db.read() as s:
        event = s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "credit.moved")).one()
        assert event.payload | {"id": "-"} == {"id": "-", "customer_id": credit_link.anna, "currency": "EUR",
                                                "kind": "added", "amount_minor": 4000, "reason": "Late delivery",
                                                "associate": "1001", "role": "manager"}
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "credit_added")).one().associate_number == "1001"


async def test_the_tabs_keys_work_from_the_tab_strip_and_only_on_their_tab(make_app, credit_link, shop):
    """c (Store credit) and delete (Saved payments) are the card's while their tab is shown: the focus
    on the tab strip is enough, and F1 lists them; on another tab c is not the credit's."""
    from textual.widgets import DataTable, Tabs

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit")
        app.screen.query_one("#tabs Tabs", Tabs).focus()
        await settle(app, pilot)
        assert "card.credit" in footer_keys(app)
        await pilot.press("f1")
        await settle(app, pilot)
        keys = app.screen.query_one(DataTable)
        assert any("store credit" in str(keys.get_row_at(i)[1]) for i in range(keys.row_count))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CreditModal"
        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.query_one("#tabs").active = "tab-payments"
        await settle(app, pilot)
        assert "card.credit" not in footer_keys(app)
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CustomerScreen"


async def test_an_associate_sees_the_credit_but_may_not_move_it(make_app, credit_link, shop):
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit", "credit-table", who=("1002", "1357"))
        assert len(cells(app, "credit-table")) == 2
        assert "card.credit" not in footer_keys(app)
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
    with shop.db.read() as s:
        assert s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "credit.moved")).all() == []


def test_snapshot_store_credit_tab(snap_compare, make_app, credit_link):
    async def run(pilot):
        await open_tab(pilot.app, pilot, "credit", "credit-table")
    assert snap_compare(make_app(sync_seconds=3600), terminal_size=SIZE, run_before=run)


def test_snapshot_store_credit_dialog(snap_compare, make_app, credit_link):
    async def run(pilot):
        await open_tab(pilot.app, pilot, "credit", "credit-table")
        await pilot.press("c", *"-5", "tab")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(sync_seconds=3600), terminal_size=SIZE, run_before=run)


async def test_a_burst_that_picks_correct_on_the_list_saves_a_correction(make_app, credit_link, shop):
    """The kind picked by a letter typed on the list is the one saved, however fast ctrl+s follows."""
    from tests.ui.test_type_ahead import burst

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit", "credit-table")
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CreditModal"
        burst(app, *"-1.00", "tab", "tab", *"race check", "shift+tab", "shift+tab", "shift+tab", "c", "ctrl+s")
        await settle(app, pilot, 0.1)
        assert type(app.screen).__name__ == "CustomerScreen", str(app.screen.query_one("#credit-error").render())
    with shop.db.read() as s:
        event = s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "credit.moved")).one()
    assert (event.payload["kind"], event.payload["amount_minor"], event.payload["reason"]) == (
        "corrected", -100, "race check")


async def test_a_malformed_amount_or_currency_is_refused_at_its_field(make_app, credit_link, shop):
    from textual.widgets import Input

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit", "credit-table")
        await pilot.press("c")
        await settle(app, pilot)
        modal = app.screen
        modal.query_one("#credit-kind").value = "corrected"
        modal.query_one("#credit-reason", Input).value = "Signs"
        await pilot.press(*"---10.00", "ctrl+s")
        await settle(app, pilot)
        amount = modal.query_one("#credit-amount", Input)
        assert "Amount must be a number like -5,00" in str(modal.query_one("#credit-error").render())
        assert amount.has_class("-invalid") and app.focused is amount
        currency = modal.query_one("#credit-currency", Input)
        currency.focus()
        await pilot.press("ctrl+u", *"---", "E", "ctrl+s")  # letters only: the dashes never get in
        await settle(app, pilot)
        assert currency.value == "E" and currency.has_class("-invalid") and app.focused is currency
        assert "'E' is not a currency code like EUR" in str(modal.query_one("#credit-error").render())
        assert app.screen is modal
    with shop.db.read() as s:
        assert s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "credit.moved")).all() == []


async def test_the_card_reads_again_after_a_sync_that_moved_something(make_app, credit_link, shop):
    """A sync in the background while the card is shown, or one asked for on the Sync screen while
    the card waits behind it: the Store credit tab shows what headquarters holds after it, without
    reopening the card."""
    from pos_customers.services import credit as store_credit

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, "credit", "credit-table")
        store_credit.move_credit(shop, app.actor, credit_link.anna, kind="added", amount_minor=4000,
                                 reason="Late delivery")
        app.screen.action_reload()
        await settle(app, pilot)
        assert cells(app, "credit-table")[0][1] == "added (queued)"
        app.run_sync()  # the background sync sends it: headquarters applies it
        await settle(app, pilot, 0.1)
        assert [r[1:4] for r in cells(app, "credit-table")][0] == ["added", "+40,00 €", "73,00 €"]
        assert "73,00 €" in str(app.screen.query_one("#credit-balance").render())
        card = app.screen
        credit_link.hq.credit_move(credit_link.anna, currency="EUR", kind="used", amount_minor=-300,
                                   reason="Sale S-100009", by="headquarters:orders")
        await pilot.press("f8")
        await settle(app, pilot)
        assert app.screen is not card
        await pilot.press("ctrl+r")
        await settle(app, pilot, 0.1)
        await pilot.press("escape")
        await settle(app, pilot, 0.1)
        assert app.screen is card
        assert [r[1:4] for r in cells(app, "credit-table")][0] == ["used in sale", "-3,00 €", "70,00 €"]
