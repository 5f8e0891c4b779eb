"""Every screen in the pseudo-locale ``xx`` (tests/i18n_pseudo.py: each message wrapped in ⟦…⟧ and
40 % longer) at 80x24: no English text of the catalog on screen (it would not be translated), and
no key of the screen's own footer cut (German is as long)."""

from __future__ import annotations

import functools
import html
import re
import tempfile
from pathlib import Path

import pytest
from textual.widgets import TabbedContent, TabPane

from pos_customers.domain import i18n
from pos_customers.domain.i18n import tr
from pos_customers.ui.screens.backoffice import BackOfficeScreen
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.keys import KeysScreen
from pos_customers.ui.screens.language import LanguageModal
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.screens.sync import SyncScreen
from tests.i18n_pseudo import english_phrases, extract, install_pseudo
from tests.ui.conftest import settle, sign_in

SIZE = (80, 24)


@functools.cache
def _template():
    return extract(Path(tempfile.mkdtemp(prefix="pos-customers-pot-")) / "extracted.pot")


@functools.cache
def _phrases() -> frozenset[str]:
    return frozenset(english_phrases(_template()))


@pytest.fixture
def xx(monkeypatch):
    """The app in ``xx``: the override support uses over SSH."""
    install_pseudo(_template())
    monkeypatch.setenv("POS_CUSTOMERS_LANG", i18n.PSEUDO)  # the app keeps the language the start set
    i18n.set_language(i18n.PSEUDO)  # as launch.py does from POS_CUSTOMERS_LANG
    yield
    i18n.forget_catalogs()


_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line (read from the app's own screenshot)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            column = round(x / 12.2)  # rich's SVG: 0.61 of a 20-pixel font a cell
            line = line.ljust(column) + text
        lines.append(line)
    return lines


def check(app, what: str) -> None:
    lines = screen_lines(app)
    shown = "\n".join(" ".join(line.split()) for line in lines)
    english = sorted(p for p in _phrases() if p in shown)
    assert english == [], f"{what}: English on screen: {english[:5]}\n" + "\n".join(lines)
    screen = app.screen
    if isinstance(screen, (KeysScreen, LanguageModal)) or screen.is_modal:
        return
    footer = (lines[-1] if lines else "").lower()  # F2 or f2, Esc or esc: as the footer writes keys
    own = [b for b in screen.BINDINGS if getattr(b, "show", False) and getattr(b, "description", "")
           and screen.check_action(b.action, ()) is not False]
    cut = []
    for binding in own:
        key = app.get_key_display(binding)
        whole = f"{key} {tr(binding.description)}".lower()
        if re.search(rf"(?:^|\s){re.escape(key)} ", footer) and not re.search(rf"{re.escape(whole)}(?:\s|$)", footer):
            cut.append(whole)  # its key is there, not all of its label
    assert cut == [], f"{what}: footer keys cut: {cut}\n{footer}"
    if own:
        first = own[0]
        assert f"{app.get_key_display(first)} {tr(first.description)}".lower() in footer, \
            f"{what}: the screen's first key is not in its footer\n{footer}"


async def test_sign_in_search_help_language_form_and_sync(make_app, xx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert i18n.language() == i18n.PSEUDO
        check(app, "sign-in")
        await sign_in(app, pilot, "1001", "2468")
        assert isinstance(app.screen, SearchScreen)
        check(app, "search, recent customers")
        await pilot.press(*"Müller")
        await settle(app, pilot)
        check(app, "search with results")
        await pilot.press(*"zzzz")
        await settle(app, pilot)
        check(app, "search without results")
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        check(app, "F1 on the search")
        await pilot.press("escape")
        await pilot.press("f12")
        await settle(app, pilot)
        assert isinstance(app.screen, LanguageModal)
        check(app, "the language dialog")
        await pilot.press("escape")
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        check(app, "new-customer form")
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        check(app, "new-customer form, refused")
        await pilot.press("escape")
        await settle(app, pilot)
        if not isinstance(app.screen, SearchScreen):
            await pilot.press("enter")  # "leave without saving?"
            await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        check(app, "sync screen")


async def test_the_card_and_each_of_its_tabs(make_app, xx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"Anna Müller", "enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        tabs = card.query_one("#tabs", TabbedContent)
        for pane in list(card.query(TabPane)):
            if not pane.id or not tabs.get_tab(pane.id).display:
                continue  # a person has no People tab
            tabs.active = pane.id
            await settle(app, pilot)
            check(app, f"card, tab {pane.id}")
        await pilot.press("f1")
        await settle(app, pilot)
        check(app, "F1 on the card")


async def test_back_office_screens(make_app, xx):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, BackOfficeScreen)
        check(app, "back office")
        for key, _label, make in BackOfficeScreen.ENTRIES:
            app.push_screen(make())
            await settle(app, pilot)
            check(app, f"back office: {key}")
            app.pop_screen()
            await settle(app, pilot)
