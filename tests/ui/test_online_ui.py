"""Shopper assistance on the card, by keys at 80x24 against headquarters in this process: g records
the customer's consent, h asks for the link (shown once); the Online tab's snapshot."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from textual.markup import to_content
from textual.widgets import DataTable, Input

from pos_customers.hq import tables as t
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import sync
from pos_customers.services.customers import draft_from_view, get_customer, update_customer
from pos_customers.services.search import search_customers
from tests import templates
from tests.helpers import customer_data_chain
from tests.ui.conftest import settle, sign_in
from tests.ui.test_customer_data_ui import Link, cells

SIZE = (80, 24)
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def assisted(tmp_path, shop, admin, monkeypatch):
    """The shop's till enrolled at headquarters (in this process, its clock at noon); Anna registered."""
    shop._now = lambda: NOON
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")), now=lambda: NOON,
                      reset_url="https://shop.example/reset")
    link = Link(customer_data_chain(hq, shop, admin))
    monkeypatch.setattr(sync, "_client", link.client)
    anna = get_customer(shop, admin, search_customers(shop, admin, "anna müller").rows[0].customer_id)
    draft = draft_from_view(anna)
    draft.account_type = "registered"
    update_customer(shop, admin, anna.id, draft, opened=anna)
    sync.sync_now(shop, admin)
    link.hq, link.anna = hq, anna.id
    yield link
    hq.engine.dispose()


async def at_online_tab(app, pilot):
    await sign_in(app, pilot)  # the associate 1002
    await pilot.press(*"anna müller", "enter")
    await settle(app, pilot)
    app.screen.query_one("#tabs").active = "tab-online"
    await settle(app, pilot)


def online_rows(app) -> dict[str, str]:
    return {row[0]: row[1] for row in cells(app, "online-table")}


async def test_the_associate_records_consent_and_gets_a_link(make_app, assisted, shop, admin):
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await at_online_tab(app, pilot)
        from pos_customers.ui.widgets.footer import KeysFooter
        footer = str(app.screen.query_one(KeysFooter).render())
        assert "g Assist consent" in footer and "h Assist link" in footer, footer  # the tab's keys, as c is
        assert online_rows(app)["Assistance consent"] == "not given"
        assert online_rows(app)["Online"] == "never signed in online"
        await pilot.press("h")  # without consent: refused, one line, nothing asked of headquarters
        await settle(app, pilot)
        said = " ".join(to_content(n.message).plain if n.markup else n.message for n in app._notifications)
        assert "has not agreed to shopper assistance" in said
        assert "customers assist-consent REF --on" in said and "`" not in said, said  # no markdown backticks
        with assisted.hq.engine.connect() as conn:
            assert conn.execute(select(t.assist_link)).all() == []
        await pilot.press("g")
        await settle(app, pilot)
        view = get_customer(shop, admin, assisted.anna)
        assert (view.assist_consent, view.assist_consent_by, view.assist_consent_at) == (True, "1002", NOON)
        assert online_rows(app)["Assistance consent"].startswith("given · recorded by 1002 24 Nov 2026, 12:00")
        await pilot.press("h")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DetailModal"
        shown = str(app.screen.query_one("#detail").render())
        # the link whole on a line of its own (not wrapped across two at 80 columns), selected to copy
        line = app.screen.query_one("#copy", Input)
        assert app.focused is line and line.value.startswith("https://shop.example/assist?token=")
        assert line.selected_text == line.value and "assist?token=" not in shown
        url = line.value
        await pilot.press("x")  # typed on it: the link stays as it was
        await settle(app, pilot)
        assert line.value == url
        shown = url
        with assisted.hq.engine.connect() as conn:
            (row,) = conn.execute(select(t.assist_link)).all()
        assert row.requested_by == "BER01 1002 (associate)" and row.token_hash not in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#assist-links-table", DataTable).row_count == 1
        # the same from the command palette: the consent withdrawn
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"assist consent")
        await settle(app, pilot, 0.3)
        await pilot.press("enter")
        await settle(app, pilot, 0.2)
        view = get_customer(shop, admin, assisted.anna)
        assert (view.assist_consent, view.assist_consent_by) == (False, "1002")
        assert online_rows(app)["Assistance consent"].startswith("withdrawn · recorded by 1002")


def test_snapshot_online_tab(snap_compare, make_app, assisted, shop, admin):
    from pos_customers.services.assistance import set_consent

    set_consent(shop, admin, assisted.anna, True)
    sync.sync_now(shop, admin)

    async def run(pilot):
        await at_online_tab(pilot.app, pilot)

    assert snap_compare(make_app(sync_seconds=3600), terminal_size=SIZE, run_before=run)


async def test_g_on_a_guest_says_what_to_do_instead_of_doing_nothing(make_app, shop, admin):
    """A standalone till, a guest customer: g is offered (F1 lists it) and answers in one line."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"hans meier", "enter")
        await settle(app, pilot)
        assert "g" in app.screen.active_bindings
        await pilot.press("g")
        await settle(app, pilot)
        said = [n.message for n in app._notifications]
        assert any("Registered first" in m or "registered first" in m for m in said), said
        # the reason is a sentence of its own: no capital after a colon mid-sentence
        assert any(m.startswith("Not recorded. A guest has no online account") for m in said), said
    hans = search_customers(shop, admin, "hans meier").rows[0].customer_id
    assert get_customer(shop, admin, hans).assist_consent is False  # nothing recorded


async def test_a_link_wider_than_its_line_is_also_written_out_whole():
    """A chain's own host can make a link longer than the dialog's line at 80 columns: the line
    still holds it to copy, and the text below writes it out whole, folded, to read off."""
    from textual.app import App

    from pos_customers.ui.screens.dialogs import DetailModal
    long_url = "https://customer-accounts.example-retailer.com/assist?token=" + "x" * 22
    short_url = "https://shop.example/assist?token=" + "y" * 22
    for url, written_out in ((long_url, True), (short_url, False)):
        app = App()
        async with app.run_test(size=SIZE) as pilot:
            app.push_screen(DetailModal("Assistance link", ["Open it on the assisting device."], copy=url))
            await pilot.pause()
            await pilot.pause()
            assert app.screen.query_one("#copy", Input).value == url
            shown = "".join(str(app.screen.query_one("#detail").render()).splitlines())
            assert (url in shown) is written_out, shown
            assert "Open it on the assisting device." in shown
