"""The associate sets "must change password at next sign-in" on the edit form; the card shows it."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Checkbox, DataTable

from pos_customers.services.customers import create_customer
from pos_customers.ui.screens.customer import CustomerScreen
from tests.helpers import db_rows, person
from tests.ui.conftest import settle, sign_in


async def test_the_flag_is_set_on_the_form_saved_and_shown_on_the_card(make_app, shop, admin):
    view = create_customer(shop, admin, replace(person("Eva", "Lang", "eva@example.org"), account_type="registered"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"eva lang", "enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        box = app.screen.query_one("#must_change_password", Checkbox)
        assert box.display and not box.value and not box.has_class("hidden")
        box.focus()
        await pilot.press("space", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
        rows = app.screen.query_one("#account-table", DataTable)
        shown = dict((str(rows.get_row_at(i)[0]), str(rows.get_row_at(i)[1])) for i in range(rows.row_count))
        assert shown["Last password change"] == "— · must change at next sign-in"
    assert db_rows(shop, "SELECT must_change_password FROM customer WHERE id = ?", view.id) == [(1,)]
    (changes,), = db_rows(shop, "SELECT changes FROM audit_event WHERE entity_id = ? AND action = 'update'", view.id)
    assert '"must_change_password"' in changes
