"""The customer card in the reader's language: tab titles and texts from the catalog, reference data
(address purposes) with the label stored for that language, and a hint on how to switch tabs."""

from __future__ import annotations


import pytest
from textual.widgets import DataTable, Static, TabbedContent

from pos_customers.domain import i18n
from pos_customers.services.backoffice import rename_purpose
from pos_customers.ui.screens.customer import CustomerScreen
from tests.ui.conftest import settle, sign_in
from tests.helpers import TestCatalog as _Catalog


GERMAN = {"Account": "Konto", "Addresses": "Adressen", "Store credit": "Guthaben", "Activity": "Verlauf",
          "Purpose": "Zweck", "←/→ tabs": "←/→ Reiter", "shift+tab: tabs": "shift+tab: Reiter",
          "person": "Person", "active": "aktiv", "guest": "Gast", "group {group}": "Gruppe {group}"}


@pytest.fixture
def german():
    i18n.install("de", _Catalog(GERMAN))
    yield
    i18n.forget_catalogs()
    i18n.set_language("en")


async def open_card(app, pilot, query: str = "anna müller") -> CustomerScreen:
    await sign_in(app, pilot, "1001", "2468")
    await pilot.press(*query, "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerScreen)
    return app.screen


def tab_titles(card: CustomerScreen) -> list[str]:
    tabs = card.query_one("#tabs", TabbedContent)
    return [tabs.get_tab(pane_id).label.plain for pane_id in ("tab-account", "tab-addresses", "tab-credit",
                                                               "tab-activity")]


def purposes(card: CustomerScreen) -> list[str]:
    table = card.query_one("#addresses-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_the_card_in_german_shows_translated_tabs_and_the_purpose_label_stored_for_german(
        make_app, shop, admin, german):
    rename_purpose(shop, admin, "HOME", "Daheim", language="de")  # as the back office stores it
    i18n.set_language("de")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        assert tab_titles(card) == ["Konto", "Adressen", "Guthaben", "Verlauf"]
        assert "Person · Gruppe — · aktiv · Gast" in str(card.query_one("#head-more", Static).render())
        card.query_one("#tabs", TabbedContent).active = "tab-addresses"
        await settle(app, pilot)
        assert purposes(card) == ["Daheim"]
        assert card.query_one("#addresses-table", DataTable).columns  # the column titles from the catalog
        assert [c.label.plain for c in card.query_one("#addresses-table", DataTable).columns.values()][0] == "Zweck"


async def test_in_english_the_purpose_keeps_its_default_label(make_app, shop, admin):
    rename_purpose(shop, admin, "HOME", "Daheim", language="de")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        assert purposes(card) == ["Home"]


async def test_switching_the_language_relabels_the_open_card(make_app, german):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        assert tab_titles(card) == ["Account", "Addresses", "Store credit", "Activity"]
        i18n.set_language("de")
        card.retranslate()
        await settle(app, pilot)
        assert tab_titles(card) == ["Konto", "Adressen", "Guthaben", "Verlauf"]
        assert purposes(card) == ["Privat"]  # the shipped reference data's German label


async def test_the_card_says_how_to_switch_tabs_from_where_the_focus_is(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        hint = card.query_one("#tabs-hint", Static)
        # the tabs out of view are counted: "+6 →" more with → (Organizations' label fits, only
        # its trailing space is cut: it is not counted)
        assert str(hint.render()) == "←/→ tabs +6→" and hint.region.right <= 80 and hint.region.width > 0
        await pilot.press("right")  # the tab strip has the focus: → is the next tab
        await settle(app, pilot)
        assert card.query_one("#tabs", TabbedContent).active == "tab-contacts"
        await pilot.press("tab")  # into the tab: the hint says how to get back
        await settle(app, pilot)
        assert isinstance(app.focused, DataTable)
        assert str(hint.render()).startswith("shift+tab: tabs")
        await pilot.press("shift+tab")
        await settle(app, pilot)
        assert str(hint.render()).startswith("←/→ tabs +")


async def test_the_activity_tab_cuts_the_changes_to_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        card.query_one("#tabs", TabbedContent).active = "tab-activity"
        await settle(app, pilot)
        table = card.query_one("#activity-table", DataTable)
        # nothing to scroll sideways: the changes are cut with "…", Enter shows them whole
        assert table.virtual_size.width <= table.size.width
        assert len(str(table.get_row_at(0)[3])) > list(table.columns.values())[3].width


async def test_a_note_being_typed_stays_when_the_language_changes(make_app, german):
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press(*"Rückruf")
        i18n.set_language("de")
        card.retranslate()
        await settle(app, pilot)
        assert card.query_one("#note-input", Input).value == "Rückruf"
        assert app.focused is card.query_one("#note-input", Input)
        assert tab_titles(card)[0] == "Konto"
