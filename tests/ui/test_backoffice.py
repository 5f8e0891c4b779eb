import pytest
from textual.widgets import DataTable, Input, Select

from pos_customers.ui.screens.backoffice import (AssociatesScreen, AuditScreen, BackOfficeScreen,
                                                 PurposesScreen, TemplateScreen)
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.form_modal import FormModal
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import cells, db_rows


def select_labels(select: Select) -> list[str]:
    """The choices a Select offers, as the person reads them (its blank prompt left out)."""
    from textual.widgets import OptionList

    options = select.query_one(OptionList)
    labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return labels[1:] if labels[:1] == [str(select.prompt)] else labels


async def open_menu(app, pilot, entry: int):
    await pilot.press("f9")
    await settle(app, pilot)
    assert isinstance(app.screen, BackOfficeScreen)
    app.screen.query_one("#menu").highlighted = entry
    await pilot.press("enter")
    await settle(app, pilot)


async def test_template_edit_then_create_shows_the_copied_values(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 0)
        screen = app.screen
        assert isinstance(screen, TemplateScreen)
        screen.query_one("#group_code", Select).value = "LOYAL"
        screen.query_one("#receipt_email", Input).value = "bons@store.example"
        await settle(app, pilot)
        assert "copied onto every new customer" in str(screen.query_one("#warning").render())
        assert "CostCenter=110" in str(screen.query_one("#preview").render())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#group_code", Select).value == "LOYAL"
        await pilot.press(*"Eva", "tab", "tab", *"Lang", "ctrl+s")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT group_code, receipt_email FROM customer WHERE last_name = 'Lang'") == [
        ("LOYAL", "bons@store.example")]


async def test_template_refuses_bad_values_and_saves_nothing(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 0)
        app.screen.query_one("#currency", Input).value = "euro"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TemplateScreen)
        assert "ISO 4217" in str(app.screen.query_one("#err-currency").render())
    assert db_rows(shop, "SELECT currency FROM store_template") == [("EUR",)]


async def test_leaving_a_changed_template_asks_first(make_app, shop):
    from pos_customers.ui.screens.dialogs import ConfirmModal
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 0)
        await pilot.press("escape")  # nothing changed: straight back
        await settle(app, pilot)
        assert isinstance(app.screen, BackOfficeScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        app.screen.query_one("#receipt_email", Input).value = "bons@store.example"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # keep editing: the change is still there
        await settle(app, pilot)
        assert app.screen.query_one("#receipt_email", Input).value == "bons@store.example"
        await pilot.press("escape", "y")
        await settle(app, pilot)
        assert isinstance(app.screen, BackOfficeScreen)
    assert db_rows(shop, "SELECT receipt_email FROM store_template") == [("",)]


async def test_retire_a_purpose_in_use_and_the_default_rule(make_app, shop):
    from pos_customers.ui.screens.dialogs import ConfirmModal
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 1)
        assert isinstance(app.screen, PurposesScreen)
        await pilot.press("x")  # HOME is the Person default: refused, nothing changes
        await settle(app, pilot)
        assert db_rows(shop, "SELECT active FROM address_purpose WHERE code = 'HOME'") == [(1,)]
        await pilot.press("delete")  # in use by the fixtures' addresses: refused before any question
        await settle(app, pilot)
        assert isinstance(app.screen, PurposesScreen)
        assert db_rows(shop, "SELECT count(*) FROM address_purpose WHERE code = 'HOME'") == [(1,)]
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[r[0] for r in cells(table)].index("POBOX"))
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        await pilot.press(*"holiday", "tab", *"Holiday home", "ctrl+s")
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert cells(table)[table.cursor_row][0] == "HOLIDAY"  # on the row just added
        await pilot.press("delete")  # unused: asks, then deletes
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press(*"holiday", "tab", *"Again", "ctrl+s")
        await settle(app, pilot)
        assert "already exists" in str(app.screen.query_one("#err-code").render())
        assert app.focused is app.screen.query_one("#f-code", Input)  # on the field to correct
    assert db_rows(shop, "SELECT code, active FROM address_purpose WHERE code IN ('POBOX', 'HOLIDAY')"
                         " ORDER BY code") == [("HOLIDAY", 1), ("POBOX", 0)]


async def test_associate_sees_no_back_office_and_the_service_refuses_too(make_app, shop):
    from pos_customers.services import backoffice as bo
    from pos_customers.services.context import PermissionDenied
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        assert not isinstance(app.screen, BackOfficeScreen)
        with pytest.raises(PermissionDenied):
            bo.update_template(shop, app.actor, group_code="LOYAL")


async def test_manager_adds_an_associate_but_not_an_admin(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 5)
        assert isinstance(app.screen, AssociatesScreen)
        await pilot.press("a")
        await settle(app, pilot)
        modal = app.screen
        assert select_labels(modal.query_one("#f-role", Select)) == [
            "associate", "manager"]  # support: an administrator or headquarters gives it
        modal.query_one("#f-number", Input).value = "1003"
        modal.query_one("#f-name", Input).value = "Lea Wolf"
        modal.query_one("#f-pin", Input).value = "4321"
        modal.query_one("#f-pin_again", Input).value = "4312"  # a typo: nothing is written
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is modal and "two PINs differ" in str(modal.query_one("#err-pin_again").render())
        assert db_rows(shop, "SELECT count(*) FROM associate WHERE number = '1003'") == [(0,)]
        modal.query_one("#f-pin_again", Input).value = "4321"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, AssociatesScreen)
    assert db_rows(shop, "SELECT name, role FROM associate WHERE number = '1003'") == [("Lea Wolf", "associate")]


async def test_store_audit_filters(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 6)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        assert screen.query_one(DataTable).row_count > 3
        screen.query_one("#entity", Input).value = "customer"
        await settle(app, pilot)
        assert {r[2].split()[0] for r in cells(screen.query_one(DataTable))} == {"customer"}
        from pos_customers.ui.screens.dialogs import DetailModal
        table = screen.query_one(DataTable)
        table.focus()
        await pilot.press("enter")  # the whole change, which the column cuts
        await settle(app, pilot)
        assert isinstance(app.screen, DetailModal)
        shown = str(app.screen.query_one("#detail").render())
        assert shown == "\n".join(app.screen.lines) and "last_name: — → " in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        screen.query_one("#since", Input).value = "not a date"
        await settle(app, pilot)
        assert "since must be a date" in str(screen.query_one("#status").render())


async def test_back_office_screens_are_in_the_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Back office: Address purposes" in titles and "Back office: Store audit" in titles
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        assert not [c for c in app.get_system_commands(app.screen) if c.title.startswith("Back office")]


async def test_support_edits_another_stores_template(make_app, shop, admin):
    from pos_customers.services.associates import add_associate
    from pos_customers.storage.tables import Store, StoreTemplate
    with shop.db.write() as s:
        s.add(Store(code="HAM01", number=103, name="Hamburg", country="DE", currency="EUR", language="de"))
        s.flush()
        s.add(StoreTemplate(store_code="HAM01", currency="EUR", language="de", address_country="DE"))
    add_associate(shop, admin, number="3001", name="Sam Support", role="support", pin="8642")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "3001", "8642")
        await open_menu(app, pilot, 0)
        app.screen.query_one("#store", Select).value = "HAM01"
        await settle(app, pilot)
        assert app.screen.store_code == "HAM01"
        app.screen.query_one("#group_code", Select).value = "B2B"
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT store_code, group_code FROM store_template ORDER BY store_code") == [
        ("BER01", None), ("HAM01", "B2B")]
