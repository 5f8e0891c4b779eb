"""The back office's account options, and the new-customer form following them."""

from __future__ import annotations

from textual.widgets import Input, Label, Select

from pos_customers.ui.screens.account_options import AccountOptionsScreen
from pos_customers.ui.screens.backoffice import BackOfficeScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import db_rows

ENTRY = [key for key, _, _ in BackOfficeScreen.ENTRIES].index("options")


async def open_options(app, pilot) -> AccountOptionsScreen:
    await pilot.press("f9")
    await settle(app, pilot)
    app.screen.query_one("#menu").highlighted = ENTRY
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, AccountOptionsScreen)
    return app.screen


async def test_a_manager_requires_the_date_of_birth_and_the_form_asks_for_it(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        screen = await open_options(app, pilot)
        screen.query_one("#opt-birth_date", Select).focus()
        await pilot.press("enter", "down", "enter")  # optional -> required
        await settle(app, pilot)
        assert screen.query_one("#opt-birth_date", Select).value == "required"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, BackOfficeScreen)
        assert db_rows(shop, "SELECT account_options FROM store_template") == [('{"birth_date": "required"}',)]
        assert db_rows(shop, "SELECT action, associate_number FROM audit_event WHERE entity = 'store_template'"
                             " ORDER BY id DESC LIMIT 1") == [("account_options", "1001")]

        await pilot.press("escape", "f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        label = form.query_one("#label-birth_date", Label)
        assert str(label.render()) == "Date of birth *" and label.has_class("required")
        await pilot.press(*"Eva", "tab", "tab", *"Lang", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is form  # refused: nothing saved, the field says why
        assert "Date of birth is required in this store" in str(form.query_one("#err-birth_date").render())
        assert form.focused is form.query_one("#birth_date", Input)
        assert db_rows(shop, "SELECT count(*) FROM customer WHERE last_name = 'Lang'") == [(0,)]
        await pilot.press(*"1990-01-02", "ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, CustomerFormScreen)
    assert db_rows(shop, "SELECT birth_date FROM customer WHERE last_name = 'Lang'") == [("1990-01-02",)]


async def test_a_hidden_field_is_not_on_the_form_and_a_needed_name_is_fixed(make_app, shop):
    from pos_customers.services import account_options as ao
    from pos_customers.services.context import Actor
    from pos_customers.domain.enums import Role

    ao.set_account_options(shop, Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01"),
                           phones="hidden", company="required")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        screen = await open_options(app, pilot)
        assert not screen.query("#opt-last_name")  # the record needs it: no choice offered
        assert screen.query_one("#opt-phones", Select).value == "hidden"
        await pilot.press("escape", "escape", "f2")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#row-phone").has_class("hidden")
        assert form.query_one("#phone_marketing").has_class("hidden")
        assert not form.query_one("#row-email").has_class("hidden")
        assert str(form.query_one("#label-company", Label).render()) == "Company *"
        await pilot.press("f3")  # another email or phone: the dialog opens on the text, says why no phone
        await settle(app, pilot)
        modal = app.screen
        assert app.focused is modal.query_one("#value", Input)
        kind = modal.query_one("#kind", Select)
        assert [v for _label, v in kind._options if v != Select.BLANK] == ["email"]
        assert str(modal.query_one("#kind-why", Label).render()) == \
            "Phone: hidden in this store (the store's account options)"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is form
        form.query_one("#phone", Input).value = "0151 23456789"  # as the search box would pre-fill it
        await pilot.press(*"Eva", "tab", "tab", *"Lang", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert "Company is required in this store" in str(form.query_one("#err-company").render())
        form.query_one("#company", Input).value = "ACME"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, CustomerFormScreen)
    assert db_rows(shop, "SELECT company FROM customer WHERE last_name = 'Lang'") == [("ACME",)]
    assert db_rows(shop, "SELECT count(*) FROM customer_phone p JOIN customer c ON c.id = p.customer_id"
                         " WHERE c.last_name = 'Lang'") == [(0,)]


def test_snapshot_account_options(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await open_options(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


async def test_the_suffix_is_typed_after_the_last_name_and_named_on_the_card(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        await pilot.press(*"Ben", "tab", "tab", *"Berg", "tab")
        assert form.focused is form.query_one("#suffix", Input)
        await pilot.press(*"Jr.", "ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, CustomerFormScreen)
        assert "Ben Berg Jr." in str(app.screen.query_one("#head").render())
    assert db_rows(shop, "SELECT suffix FROM customer WHERE last_name = 'Berg'") == [("Jr.",)]
