"""F12: the associate's own language, at once on every screen, what was typed kept; and used again
at their next sign-in (the store's language for the others)."""

from __future__ import annotations


import pytest
from textual.widgets import Input, Label, OptionList

from pos_customers.domain import i18n
from pos_customers.services.language import preferred_language
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.language import LanguageModal, own_name
from pos_customers.ui.screens.search import SearchScreen
from tests.ui.conftest import settle, sign_in
from tests.helpers import TestCatalog as _Catalog


@pytest.fixture
def test_catalogs():
    i18n.install("de", _Catalog({"First name": "Vorname", "Language": "Sprache", "Keys": "Tasten"}))
    i18n.install("fr", _Catalog({"First name": "Prénom", "Language": "Langue"}))
    yield
    i18n.forget_catalogs()


async def _pick(app, pilot, code: str) -> None:
    await pilot.press("f12")
    await settle(app, pilot)
    assert isinstance(app.screen, LanguageModal)
    app.screen.query_one("#languages", OptionList).highlighted = i18n.available().index(code)
    await pilot.press("enter")
    await settle(app, pilot)


def _label(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


def test_each_language_is_named_in_itself():
    assert [own_name(code) for code in ("de", "en", "fr", "nl")] == ["Deutsch", "English", "Français", "Nederlands"]


async def test_switching_keeps_the_form_and_is_remembered_at_the_next_sign_in(make_app, shop, test_catalogs,
                                                                             monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)  # POS_CUSTOMERS_LANG=en (tests/conftest.py): the start's English stays
        assert i18n.language() == "en"
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert _label(form, "#label-first_name").startswith("First name")
        await pilot.press(*"Eva")
        await settle(app, pilot)
        await _pick(app, pilot, "de")
        assert i18n.language() == "de"
        assert app.screen is form  # the same form, made again in German
        assert form.query_one("#first_name", Input).value == "Eva"
        assert form.focused is form.query_one("#first_name", Input)
        assert _label(form, "#label-first_name").startswith("Vorname")
        assert form.dirty
        # the search screen under the form follows too
        assert isinstance(app.screen_stack[-2], SearchScreen)
        assert preferred_language(shop, "1002") == "de"
        assert "Language…" in [c.title for c in app.get_system_commands(app.screen)]  # the palette's too

        # the next sign-in without the override: Jonas reads his choice, Maria the store's
        monkeypatch.delenv("POS_CUSTOMERS_LANG", raising=False)
        await _pick(app, pilot, "fr")
        assert _label(form, "#label-first_name").startswith("Prénom")
        assert form.query_one("#first_name", Input).value == "Eva"
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        i18n.set_language("en")
        await sign_in(app, pilot, "1001", "2468")
        assert i18n.language() == "de"  # the Berlin store's
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        await sign_in(app, pilot, "1002", "1357")
        assert i18n.language() == "fr"
        assert preferred_language(shop, "1001") == ""


async def test_the_card_back_office_and_sync_screens_are_made_again_as_they_were(make_app, shop, test_catalogs):
    from textual.widgets import DataTable, Static, TabbedContent

    from pos_customers.ui.screens.backoffice import BackOfficeScreen, PurposesScreen
    from pos_customers.ui.screens.customer import CustomerScreen
    from pos_customers.ui.screens.sync import SyncScreen
    from pos_customers.ui.widgets.open_strip import OpenStrip

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"Anna Müller", "enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        card.query_one("#tabs", TabbedContent).active = "tab-contacts"
        await settle(app, pilot)
        await _pick(app, pilot, "de")
        assert app.screen is card
        assert card.query_one("#tabs", TabbedContent).active == "tab-contacts"
        assert "Anna" in str(card.query_one("#head", Static).render())  # loaded again
        await pilot.press("f7")  # back to the search, Anna still open (made again when it came to the front)
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.query_one("#query", Input).value == "Anna Müller"
        assert app.screen.query_one(OpenStrip).display  # the strip of open customers is back
        await _pick(app, pilot, "nl")
        assert app.screen.query_one(OpenStrip).display
        assert app.screen.query_one("#query", Input).value == "Anna Müller"
        await pilot.press("f9")
        await settle(app, pilot)
        app.push_screen(PurposesScreen())
        await settle(app, pilot)
        rows = app.screen.query_one("#rows", DataTable).row_count
        assert rows
        await _pick(app, pilot, "fr")
        assert isinstance(app.screen, PurposesScreen)
        assert app.screen.query_one("#rows", DataTable).row_count == rows
        assert isinstance(app.screen_stack[-2], BackOfficeScreen)
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        await _pick(app, pilot, "en")
        assert isinstance(app.screen, SyncScreen)
        assert i18n.language() == "en"


async def test_before_sign_in_the_store_language_or_config_toml(make_app, test_catalogs, monkeypatch):
    monkeypatch.delenv("POS_CUSTOMERS_LANG", raising=False)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert i18n.language() == "de"  # the Berlin store's
        await _pick(app, pilot, "fr")  # on the sign-in screen: for now, nobody's choice
        assert i18n.language() == "fr"
        await sign_in(app, pilot)
        assert i18n.language() == "de"
        assert preferred_language(app.services, "1002") == ""
    i18n.set_language("en")
    app = make_app(language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert i18n.language() == "nl"
        await sign_in(app, pilot)
        assert i18n.language() == "nl"


async def test_the_override_keeps_the_language_the_start_chose(make_app, shop, test_catalogs, monkeypatch):
    from pos_customers.services.language import set_preferred_language
    from pos_customers.services.auth import Actor
    from pos_customers.domain.enums import Role

    set_preferred_language(shop, Actor("1002", "Jonas", Role.ASSOCIATE), "nl")
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "fr")  # support over SSH
    i18n.set_language("fr")  # what launch.py does with it
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        assert i18n.language() == "fr"  # not Jonas's own, not the store's
