"""Every screen fits 80x24: the footer keeps the keys that matter and F1, the header keeps the sync
state, F1's list wraps, and a smaller terminal gets a notice instead of cut widgets; in German too."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from pos_customers.domain import i18n
from pos_customers.ui.app import HEADER_ROOM
from pos_customers.ui.screens.dialogs import TooSmallScreen
from pos_customers.ui.screens.keys import KeysScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.widgets.footer import FooterItem, KeysFooter, fit_items

from .conftest import settle, sign_in
from tests.helpers import TestCatalog as _Catalog


def footer_line(screen) -> str:
    return str(screen.query_one(KeysFooter).render())


def item(key: str, label: str, action: str, *, priority: bool = False) -> FooterItem:
    return FooterItem(key, key, label, action, True, priority, label)


def test_the_least_important_keys_go_first_whole_and_f1_stays_last():
    items = [item("f2", "New customer", "new"), item("f1", "Keys", "keys"), item("f3", "More results", "more"),
             item("^q", "Quit", "quit", priority=True), item("^l", "Lock", "lock")]
    assert [i.action for i in fit_items(items, 200)] == ["new", "more", "quit", "lock", "keys"]
    # " f2 New customer  f3 More results  ^q Quit  f1 Keys": the later plain keys went first
    assert [i.action for i in fit_items(items, 52)] == ["new", "more", "quit", "keys"]
    assert [i.action for i in fit_items(items, 40)] == ["new", "quit", "keys"]
    assert [i.action for i in fit_items(items, 20)] == ["quit", "keys"]
    assert [i.action for i in fit_items(items, 8)] == ["keys"]
    assert fit_items(items, 5) == []  # never half a key


async def test_the_search_footer_at_80_columns_keeps_its_keys_whole_and_f1_last(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")  # a manager: F9 back office too
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        footer = screen.query_one(KeysFooter)
        line = footer_line(screen)
        shown = footer.shown()
        assert len(line) <= 80
        for key in shown:
            assert f"{key.shown} {key.label}" in line  # each key whole
        assert line.rstrip().endswith("F1 Keys")
        actions = [k.action for k in shown]
        assert {"new_customer", "clear", "back_office", "quit", "sync", "keys"} <= set(actions)
        everything = [k.action for k in footer.items()]
        assert set(everything) - set(actions) <= {"lock"}  # not in view at 80: F1 lists it
        assert "more" not in everything  # the recent customers are one page: no F3 to offer


async def test_below_80x24_a_notice_then_the_screen_as_it_was(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await settle(app, pilot)
        await pilot.press(*"anna")
        await settle(app, pilot)
        search = app.screen
        await pilot.resize_terminal(60, 20)
        await settle(app, pilot)
        assert isinstance(app.screen, TooSmallScreen)
        notice = str(app.screen.query_one("#too-small").render())
        assert notice == "Make the terminal at least 80×24"
        assert "60×20" in str(app.screen.query_one("#too-small-size").render())
        await pilot.resize_terminal(100, 23)  # wide enough, not tall enough
        await settle(app, pilot)
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert app.screen is search
        assert search.query_one("#query").value == "anna"


async def test_f1_wraps_long_descriptions_instead_of_cutting_them(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        keys = app.screen
        assert isinstance(keys, KeysScreen)
        table = keys.query_one(DataTable)
        assert not table.show_cursor
        does = table.ordered_columns[1]
        key_column = table.ordered_columns[0]
        # the columns and their padding fit the box: nothing is cut at its right edge
        box = keys.query_one("KeysScreen > Vertical")
        assert key_column.get_render_width(table) + does.get_render_width(table) <= box.content_region.width
        rows = {str(table.get_row_at(i)[0]): (str(table.get_row_at(i)[1]), row.height)
                for i, row in enumerate(table.ordered_rows)}
        text, height = rows["F9"]
        assert text == "Template, address purposes, reference data, associates, audit"
        assert len(text) > does.width and height >= 2  # wrapped over its lines
        assert all(h * does.width >= len(t) for t, h in rows.values())  # every line whole
        assert {"F2", "F8", "^q", "^l", "F1", "^p"} <= set(rows) and "F3" not in rows  # one page: no F3


async def test_the_header_keeps_the_sync_state_and_shortens_the_names(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await settle(app, pilot)
        app.store = replace(app.store, name="Berlin Alexanderplatz Einkaufszentrum am Fernsehturm")
        app.actor = replace(app.actor, name="Maria-Magdalena Schneider-Wolkenstein")
        app._synced("online", 12, None, None, False, parked=1)
        await pilot.pause()
        text = app.screen.sub_title
        assert text.startswith("HQ online · 12 to send · 1 parked · ")
        assert len(text) <= 80 - HEADER_ROOM
        assert "Maria-Magdalena" not in text  # the names were shortened, not the sync state
        wide = app.header_text(200)
        assert wide.endswith("Berlin Alexanderplatz Einkaufszentrum am Fernsehturm · "
                             "Maria-Magdalena Schneider-Wolkenstein (manager)")
        app._synced("offline", 0, None, None, False)
        await pilot.pause()
        assert app.screen.sub_title.startswith("HQ offline · ")


GERMAN = {"Keys": "Tasten", "New customer": "Neu", "Clear": "Leeren", "Quit": "Beenden",
          "Back office": "Backoffice", "HQ online": "Zentrale online", "{n} to send": "{n} zu senden",
          "manager": "Filialleitung", "Keys of this screen": "Tasten dieser Ansicht",
          "Create a customer, pre-filled with what you typed": "Neuen Kunden anlegen, mit dem Getippten",
          "Make the terminal at least {width}×{height}": "Das Terminal muss mindestens {width}×{height} groß sein"}


@pytest.fixture
def german():
    i18n.install("de", _Catalog(GERMAN))
    i18n.set_language("de")
    yield
    i18n.set_language("en")
    i18n.forget_catalogs()


async def test_footer_help_and_header_in_german(make_app, german):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await settle(app, pilot)
        app._synced("online", 3, None, None, False)
        await pilot.pause()
        line = footer_line(app.screen)
        assert "F2 Neu" in line and "^q Beenden" in line and line.rstrip().endswith("F1 Tasten")
        assert "New customer" not in line
        assert app.screen.sub_title.startswith("Zentrale online · 3 zu senden · ")
        assert "(Filialleitung)" in app.header_text(200)
        titles = [c.title for c in app.get_system_commands(app.screen)]  # the palette, once each
        assert titles.count("Tasten") == 1 and titles.count("Beenden") == 1 and "Neu" in titles
        await pilot.press("f1")
        await settle(app, pilot)
        assert str(app.screen.query_one("#keys-title").render()) == "Tasten dieser Ansicht"
        table = app.screen.query_one(DataTable)
        does = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert does["F2"] == "Neuen Kunden anlegen, mit dem Getippten"
        await pilot.press("escape")
        await pilot.resize_terminal(60, 20)
        await settle(app, pilot)
        assert str(app.screen.query_one("#too-small").render()) == "Das Terminal muss mindestens 80×24 groß sein"


async def test_the_search_screen_switches_language_in_place(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"anna")
        await settle(app, pilot)
        search = app.screen
        i18n.install("de", _Catalog({**GERMAN, "Name": "Name", "City": "Ort", "{n} found": "{n} gefunden"}))
        try:
            i18n.set_language("de")
            search.retranslate()
            await settle(app, pilot)
            columns = [title for title, _width in search.query_one("#results")._columns]
            assert "Ort" in columns and "City" not in columns
            assert str(search.query_one("#status").render()).startswith("1 gefunden")
            assert "F2 Neu" in footer_line(search)
            assert search.query_one("#query").value == "anna"
        finally:
            i18n.set_language("en")
            i18n.forget_catalogs()
