"""One date-time format: the card, the Sync screen and `customers show` print the same instant the
same way, in the store's locale (domain/formats.py)."""

from __future__ import annotations

import sqlite3

from textual.widgets import DataTable
from typer.testing import CliRunner

from pos_customers.cli import app as cli
from pos_customers.domain import formats
from pos_customers.services.search import search_customers
from tests.conftest import FIXED_NOW
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import cells


async def test_card_sync_screen_and_cli_show_print_one_instant_alike(make_app, shop, db_path, admin):
    with sqlite3.connect(db_path) as conn:  # the changes waiting to be sent were made at the same instant
        conn.execute("UPDATE outbox_event SET created_at = ?", (FIXED_NOW.replace(tzinfo=None).isoformat(" "),))
        conn.execute("INSERT INTO setting (key, value) VALUES ('hq_url', 'http://127.0.0.1:9')")
    shop.forget_settings()
    anna = search_customers(shop, admin, "anna müller").rows[0]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot)
        expected = formats.datetime_text(FIXED_NOW)
        assert formats.format_locale() == "en_DE" and expected == "24 Nov 2026, " + FIXED_NOW.astimezone().strftime(
            "%H:%M")  # the tests' language, the Berlin store's conventions
        app.open_customer(anna.customer_id)
        await settle(app, pilot)
        account = {row[0]: row[1] for row in cells(app.screen.query_one("#account-table", DataTable))}
        assert account["Registered"] == expected
        contacts = cells(app.screen.query_one("#contacts-table", DataTable))
        assert ["phone", "01512 3456789"] == contacts[1][:2]  # the store's country: its national form
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        state = {row[0]: row[1] for row in cells(app.screen.query_one("#state", DataTable))}
        assert state["Waiting to send"].endswith(f" changes, oldest {expected}"), state
    r = CliRunner().invoke(cli, ["customers", "show", anna.reference, "--db", str(db_path)])
    assert r.exit_code == 0, r.output
    assert f"  created       {expected}\n" in r.output
    assert "  phone         01512 3456789 (" in r.output  # as on the card
