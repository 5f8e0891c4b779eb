"""German, French and Dutch with the real catalogs at 80x24: the main screens keep every key of
their footer whole, the header keeps the sync state, and no fixed-width text is cut mid-word (the
card's tab titles, the form's labels, the back-office menu)."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from textual.widgets import Label, TabbedContent, TabPane

from pos_customers.domain import i18n
from pos_customers.domain.i18n import _, tr
from pos_customers.ui.screens.backoffice import BackOfficeScreen, TemplateScreen
from pos_customers.ui.screens.customer import TAB_TITLES, CustomerScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.keys import KeysScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.screens.sync import SyncScreen
from tests.ui.conftest import settle, sign_in
from tests.ui.test_pseudo_locale import screen_lines

SIZE = (80, 24)


def whole(text: str, line: str) -> bool:
    """``text`` is on ``line`` as whole words (not the start of a longer, cut word)."""
    return re.search(rf"(?:^|[\s▏│▊]){re.escape(text)}(?:[\s▎│]|$)", line) is not None


def footer_keys_cut(app, lines: list[str]) -> list[str]:
    """The keys of the screen's own footer shown with only part of their label."""
    footer = (lines[-1] if lines else "").lower()
    screen = app.screen
    own = [b for b in screen.BINDINGS if getattr(b, "show", False) and getattr(b, "description", "")
           and screen.check_action(b.action, ()) is not False]
    cut = []
    for binding in own:
        key = app.get_key_display(binding)
        label = f"{key} {tr(binding.description)}".lower()
        if re.search(rf"(?:^|\s){re.escape(key)} ", footer) and not re.search(rf"{re.escape(label)}(?:\s|$)", footer):
            cut.append(label)
    if own and f"{app.get_key_display(own[0])} {tr(own[0].description)}".lower() not in footer:
        cut.append(f"(first key missing) {app.get_key_display(own[0])} {tr(own[0].description)}")
    return cut


def labels_too_long(screen) -> list[str]:
    """The field labels (a column of fixed width) that would wrap or be cut; the custom attributes'
    labels are data typed by managers, not the catalog's."""
    labels = [label for label in screen.query(Label).filter(".field-label")
              if not any((w.id or "").startswith("attr-") for w in label.parent.children)]
    return [str(label.content) for label in labels
            if 0 < label.content_size.width < cell_len(str(label.content))]  # 0: a hidden row


def check(app, what: str, *, header: bool = True) -> list[str]:
    lines = screen_lines(app)
    shown = "\n".join(lines)
    assert footer_keys_cut(app, lines) == [], f"{what}: footer keys cut\n{shown}"
    if header:
        sync = app.sync_line or _("standalone")
        assert sync in lines[0], f"{what}: the header lost the sync state {sync!r}\n{shown}"
    return lines


@pytest.mark.parametrize("lang", ["de", "fr", "nl"])
async def test_the_main_screens_fit_in(make_app, monkeypatch, lang):
    monkeypatch.setenv("POS_CUSTOMERS_LANG", lang)
    i18n.set_language(lang)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert i18n.language() == lang
        check(app, "sign-in", header=False)
        await sign_in(app, pilot, "1001", "2468")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"an")
        await settle(app, pilot)
        check(app, "search results")

        await pilot.press(*" müller", "enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        tabs = card.query_one("#tabs", TabbedContent)
        # the card's own tabs, up to Organizations/People, fit at 80 columns; the strip scrolls to
        # the tabs that only some customers have (stores, credit, online) and to Activity
        titles = [tr(TAB_TITLES[p.id]) for p in card.query(TabPane)
                  if p.id in TAB_TITLES and p.id != "tab-activity" and tabs.get_tab(p.id).display]
        for tab in ("tab-account", "tab-addresses"):
            tabs.active = tab
            await settle(app, pilot)
            lines = check(app, f"card, {tab}")
            strip = next((line for line in lines if whole(titles[0], line)), "")
            cut = [t for t in titles if not whole(t, strip)]
            assert cut == [], f"card: tab titles cut or off the first view: {cut}\n{strip}"
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        check(app, "new-customer form")
        assert labels_too_long(form) == [], "form: labels wider than their column"
        await pilot.press("escape")
        await settle(app, pilot)
        if not isinstance(app.screen, SearchScreen):
            await pilot.press("enter")  # "leave without saving?"
            await settle(app, pilot)

        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        assert "…" not in "\n".join(screen_lines(app)), "F1: a line is cut"
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, BackOfficeScreen)
        lines = check(app, "back office")
        missing = [tr(label) for _key, label, _make in BackOfficeScreen.ENTRIES
                   if not any(whole(tr(label), line) for line in lines)]
        assert missing == [], f"back office: menu items cut: {missing}\n" + "\n".join(lines)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TemplateScreen)
        check(app, "template")
        assert labels_too_long(app.screen) == [], "template: labels wider than their column"
        await pilot.press("escape", "escape")
        await settle(app, pilot)

        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        check(app, "sync screen")
