"""The customer form and the back office in the current language: labels, validation messages and
reference data (a purpose's stored German label), and at 80x24 with words longer than English."""

from __future__ import annotations

import gettext
import math

import pytest
from textual.widgets import Input, Label, Select

from pos_customers.domain import i18n
from pos_customers.services import backoffice as bo
from pos_customers.ui.screens.address import AddressModal
from pos_customers.ui.screens.backoffice import (AccountOptionsScreen, BackOfficeScreen, PurposesScreen,
                                                 TemplateScreen)
from pos_customers.ui.screens.form import CustomerFormScreen
from tests.ui.conftest import settle, sign_in
from tests.ui.test_backoffice import open_menu, select_labels
from tests.ui.test_flows import cells, db_rows
from tests.helpers import TestCatalog as _Catalog


class _Longer(gettext.NullTranslations):
    """Every text 40% longer than its English (German runs about that much longer)."""

    @staticmethod
    def _longer(message: str) -> str:
        return message + "~" * math.ceil(len(message) * 0.4) if message else message

    def gettext(self, message: str) -> str:
        return self._longer(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._longer(singular if n == 1 else plural)


@pytest.fixture
def in_language():
    def use(catalog: gettext.NullTranslations) -> None:
        i18n.install("de", catalog)
        i18n.set_language("de")
    yield use
    i18n.forget_catalogs()


GERMAN = {"First name": "Vorname", "Last name": "Nachname", "New customer": "Neuer Kunde",
          "Email is not valid: {reason}": "E-Mail ist ungültig: {reason}", "Purpose": "Zweck",
          "Customer type": "Kundentyp", "Person": "Person", "Organization": "Organisation"}


async def test_the_form_in_german_labels_errors_and_stored_purpose_labels(make_app, shop, admin, in_language):
    bo.rename_purpose(shop, admin, "HOME", "Privat", language="de")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        in_language(_Catalog(GERMAN))  # the associate's language (chosen after signing in)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.title == "Neuer Kunde"
        assert str(form.query_one("#label-first_name", Label).render()) == "Vorname *"
        assert "Weiblich" in select_labels(form.query_one("#gender", Select))  # the gender list's German label
        email = form.query_one("#email", Input)
        email.focus()
        await pilot.press(*"eva@")
        await settle(app, pilot, 0.3)
        error = str(form.query_one("#err-email").render())
        assert error.startswith("E-Mail ist ungültig: "), error
        await pilot.press("f4")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, AddressModal)
        purposes = select_labels(modal.query_one("#purpose", Select))
        assert "Privat" in purposes and "Home" not in purposes
        assert str(modal.query_one("#purpose", Select).selection) == "HOME"


def _fits(screen) -> list[str]:
    """The fields of a screen each keep room to type in (a long label wraps, it does not push
    the field out), and nothing is wider than the terminal."""
    problems = []
    for widget in screen.query("Input, Select"):
        if not widget.display or not widget.parent.display or "hidden" in widget.parent.classes:
            continue
        if widget.size.width < 8:
            problems.append(f"#{widget.id} is {widget.size.width} wide")
        if widget.region.right > 80:
            problems.append(f"#{widget.id} ends at column {widget.region.right}")
    return problems


async def test_form_and_back_office_fit_80x24_with_longer_words(make_app, shop, in_language):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        in_language(_Longer())
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        assert _fits(app.screen) == []
        assert str(app.screen.query_one("#label-first_name", Label).render()).startswith("First name~")
        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, AddressModal)
        assert _fits(app.screen) == []
        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.dirty = False
        await pilot.press("escape")
        await settle(app, pilot)
        for entry, kind in ((0, TemplateScreen), (1, PurposesScreen), (7, AccountOptionsScreen)):
            await open_menu(app, pilot, entry)
            assert isinstance(app.screen, kind)
            assert _fits(app.screen) == [], kind.__name__
            assert app.screen.title.endswith("~")
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, BackOfficeScreen)
            await pilot.press("escape")
            await settle(app, pilot)


async def test_a_purpose_label_typed_in_the_back_office_is_the_one_the_form_offers(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 1)
        screen = app.screen
        assert isinstance(screen, PurposesScreen) and screen.current == "HOME"
        await pilot.press("l")
        await settle(app, pilot)
        await pilot.press(*"fr", "tab", *"Domicile", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        assert "fr: Domicile" in cells(screen.query_one("#rows"))[0][-1]
        assert db_rows(shop, "SELECT labels FROM address_purpose WHERE code = 'HOME'")[0][0].count("Domicile") == 1
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        i18n.set_language("fr")  # a French associate
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, AddressModal)
        assert "Domicile" in select_labels(app.screen.query_one("#purpose", Select))
