"""A support account of the chain at the till: it signs in with its own number, and the back
office shows it read-only."""

from __future__ import annotations

from textual.widgets import DataTable

from pos_customers.domain.security import hash_secret
from pos_customers.sync.engine import apply_item
from pos_customers.ui.screens.backoffice import AssociatesScreen
from pos_customers.ui.screens.form_modal import FormModal
from pos_customers.ui.screens.search import SearchScreen
from tests.ui.conftest import settle, sign_in
from tests.ui.test_backoffice import open_menu
from tests.ui.test_flows import db_rows


def pull_support(svc, number="S100", pin="8642"):
    doc = {"number": number, "name": "Sam Support", "pin_hash": hash_secret(pin), "active": True}
    with svc.db.write() as s:
        apply_item(s, {"t": "support", "seq": 1, "key": number, "deleted": False, "doc": doc}, "BER01", {})


async def test_a_support_account_signs_in_with_its_number_typed_in_any_case(make_app, shop):
    pull_support(shop)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "s100", "8642")
        assert isinstance(app.screen, SearchScreen)
        assert (app.actor.associate_number, app.actor.role.value) == ("S100", "support")
    assert db_rows(shop, "SELECT associate_number, action FROM audit_event WHERE action = 'sign_in'") == [
        ("S100", "sign_in")]


async def test_the_back_office_shows_a_support_account_read_only(make_app, shop):
    pull_support(shop)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 5)
        screen = app.screen
        assert isinstance(screen, AssociatesScreen)
        table = screen.query_one("#rows", DataTable)
        row = next(table.get_row(k) for k in table.rows if k.value == "S100")
        assert [str(c) for c in row[:4]] == ["S100", "Sam Support", "support", "chain"]
        table.move_cursor(row=table.get_row_index("S100"))
        for key in ("p", "r", "u", "d"):
            await pilot.press(key)
            await settle(app, pilot)
            assert app.screen is screen and not isinstance(app.screen, FormModal)
        assert sum("only headquarters changes it" in n.message for n in app._notifications) >= 1
    assert db_rows(shop, "SELECT role, active FROM associate WHERE number = 'S100'") == [("support", 1)]
