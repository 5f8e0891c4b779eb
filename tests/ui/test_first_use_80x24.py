"""What a new user meets on a fresh store at 80x24, in German: no message cut mid-sentence, the
surname searched for in view, every column and tab reachable, every label on one line."""

from __future__ import annotations

import pytest

from pos_customers.domain import i18n
from pos_customers.services.customers import create_customer
from pos_customers.ui.screens.search import SearchScreen
from tests.helpers import person
from tests.ui.conftest import settle, sign_in
from tests.ui.test_pseudo_locale import screen_lines

SIZE = (80, 24)


def german(monkeypatch) -> None:
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    i18n.set_language("de")


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_an_unknown_segment_is_said_whole(make_app, monkeypatch, lang):
    monkeypatch.setenv("POS_CUSTOMERS_LANG", lang)
    i18n.set_language(lang)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"seg:vip")
        await settle(app, pilot)
        shown = " ".join(line.strip() for line in screen_lines(app))
        end = {"de": "(die Zentrale legt sie fest)", "en": "(headquarters defines them)"}[lang]
        assert end in shown, "\n".join(screen_lines(app))
        # the next search has its one status line back
        await pilot.press(*["backspace"] * 7, *"meier")
        await settle(app, pilot)
        lines = screen_lines(app)
        assert lines[5].split()[0] == "Name" and "Hans Meier" in lines[6], "\n".join(lines)


async def test_a_long_name_keeps_its_surname_in_view(shop, admin, make_app, monkeypatch):
    german(monkeypatch)
    create_customer(shop, admin, person("Maximilian", "Meier", "max@example.org"))
    create_customer(shop, admin, person("Brigitte", "Schmidt"))
    create_customer(shop, admin, person("Hannelore-Friederike", "Schmidt"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot)
        await pilot.press(*"meier")
        await settle(app, pilot)
        shown = "\n".join(screen_lines(app))
        assert "Maximilian Meier" in shown, shown
        await pilot.press("escape", *"schmidt")
        await settle(app, pilot)
        shown = "\n".join(screen_lines(app))
        assert "Brigitte Schmidt" in shown, shown
        assert "… Schmidt" in shown and "Hannelore" not in shown.replace("Hannelore…", ""), shown


async def test_the_card_counts_the_tabs_out_of_view(make_app, monkeypatch):
    from textual.widgets import TabbedContent

    from pos_customers.ui.screens.customer import CustomerScreen

    german(monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"anna müller", "enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        head = screen_lines(app)[1]
        assert "←/→ Reiter +" in head and head.rstrip().endswith("→"), "\n".join(screen_lines(app))
        hidden = int(head.rsplit("+", 1)[1].split()[0].rstrip("→"))
        tabs = card.query_one("#tabs", TabbedContent)
        first = str(tabs.get_tab("tab-account").label)
        for _ in range(hidden + 8):  # → to the last tab: none hidden to the right, some to the left
            await pilot.press("right")
            await settle(app, pilot)
            lines = screen_lines(app)
            strip = lines[next(i for i, line in enumerate(lines) if "━━━" in line) - 1]  # above its underline
            if strip.lstrip().startswith(first):  # the first tab's label still shows: none counted hidden
                assert "←+" not in lines[1], "\n".join(lines)
            if tabs.active == "tab-activity":
                break
        head = screen_lines(app)[1]
        assert "←+" in head and not head.rstrip().endswith("→"), "\n".join(screen_lines(app))


async def test_an_open_list_in_the_form_says_its_esc_in_german(make_app, monkeypatch):
    from textual.widgets import Select

    german(monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        select = app.screen.query(Select).first()
        select.focus()
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert select.expanded
        footer = screen_lines(app)[-1]
        assert "Esc Schließen" in footer and "Dismiss" not in footer, footer


@pytest.mark.parametrize(("lang", "yes", "word"), [("de", "j", "Verwerfen (j)"), ("fr", "o", "(o)"),
                                                   ("nl", "j", "(j)"), ("en", "y", "Discard (y)")])
async def test_a_confirmation_takes_the_languages_yes_key_and_y(make_app, monkeypatch, lang, yes, word):
    from pos_customers.ui.screens.dialogs import ConfirmModal

    monkeypatch.setenv("POS_CUSTOMERS_LANG", lang)
    i18n.set_language(lang)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot)
        for key in (yes, "y"):
            await pilot.press("f2", *"Eva")
            await settle(app, pilot)
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmModal)
            lines = screen_lines(app)
            shown = "\n".join(lines)
            assert word in shown and (yes == "y" or "(y)" not in shown), shown
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, SearchScreen), (key, "\n".join(screen_lines(app)))


async def test_the_form_shows_and_hints_dates_and_amounts_the_stores_way(make_app, monkeypatch):
    from pos_customers.domain import formats
    from pos_customers.ui.screens.form import CustomerFormScreen

    german(monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot, "1001", "2468")
        formats.set_format_locale("de_DE")
        await pilot.press(*"anna müller", "enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#birth_date").value == "27.03.1984"
        assert form.query_one("#credit_limit").placeholder == "z. B. 1.500,00"
        form.query_one("#credit_limit").value = "1.500,00"
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        assert not isinstance(app.screen, CustomerFormScreen), "\n".join(screen_lines(app))
        await pilot.press("e")
        await settle(app, pilot)
        assert app.screen.query_one("#credit_limit").value == "1.500,00"
        assert app.screen.query_one("#birth_date").value == "27.03.1984"
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("escape", "f2")
        await settle(app, pilot)
        assert app.screen.query_one("#birth_date").placeholder == "z. B. 27.03.1984"


def wrapped_labels(screen) -> list[str]:
    """The field labels, a manager's attribute names included, that would wrap or be cut."""
    from rich.cells import cell_len
    from textual.widgets import Label

    return [str(label.content) for label in screen.query(".field-label").results(Label)
            if 0 < label.content_size.width < cell_len(str(label.content))]


@pytest.mark.parametrize("lang", ["de", "nl", "en"])
async def test_no_field_label_wraps(make_app, monkeypatch, lang):
    from pos_customers.ui.screens.account_options import AccountOptionsScreen
    from pos_customers.ui.screens.address import AddressModal

    monkeypatch.setenv("POS_CUSTOMERS_LANG", lang)
    i18n.set_language(lang)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot, "1001", "2468")
        await app.push_screen(AccountOptionsScreen())
        await settle(app, pilot)
        assert wrapped_labels(app.screen) == [], "\n".join(screen_lines(app))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press(*"anna müller", "enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert wrapped_labels(app.screen) == [], "\n".join(screen_lines(app))
        await app.push_screen(AddressModal(draft=None, purposes=[("home", "home")], default_purpose="home",
                                           default_country="NL"))
        await settle(app, pilot)
        assert wrapped_labels(app.screen) == [], "\n".join(screen_lines(app))


async def test_keys_are_written_one_way_on_every_screen(make_app, monkeypatch):
    from pos_customers.ui.screens.address import AddressModal
    from pos_customers.ui.screens.keys import KeysScreen

    german(monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await sign_in(app, pilot)
        footer = screen_lines(app)[-1]
        assert "^q" in footer and "Esc" in footer, footer
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        shown = "\n".join(screen_lines(app))
        assert "^q" in shown and "ctrl+q" not in shown, shown
        await pilot.press("escape")
        await settle(app, pilot)
        await app.push_screen(AddressModal(draft=None, purposes=[("home", "home")], default_purpose="home",
                                           default_country="DE"))
        await settle(app, pilot)
        shown = "\n".join(screen_lines(app))
        assert "^s OK · Esc abbrechen" in shown and "ctrl+s" not in shown, shown
