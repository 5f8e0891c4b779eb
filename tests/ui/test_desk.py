"""Several customers open at once: the desk (ui/desk.py) on its own, then the app driven by keys
at 80x24: open two, switch with the keys, an edited form kept, closing asks, the idle lock
restores them all, quitting asks."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TabbedContent

from pos_customers.ui.desk import HOME, DeskFull, OpenCustomers, shorten
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.dialogs import ConfirmModal
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.screens.sign_in import SignInScreen
from pos_customers.ui.widgets.open_strip import OpenStrip
from tests.helpers import db_rows
from tests.ui.conftest import settle, sign_in


# -- the desk on its own ----------------------------------------------------------------------------

def test_open_switch_and_close_go_back_where_it_was_opened():
    desk = OpenCustomers(cap=3)
    assert desk.open("a", "Anna Müller") and desk.current == "a"
    desk.go(HOME)
    assert desk.open("b") and desk.open("c")  # c opened from b (a duplicate on b's form)
    assert not desk.open("a") and desk.current == "a"  # open already: back to it as it was
    assert desk.places() == [HOME, "a", "b", "c"] and desk.numbered(2) == "b"
    with pytest.raises(DeskFull):
        desk.open("d")
    desk.go("c")
    assert desk.step(1) == HOME and desk.step(-1) == "b"
    assert desk.close("c") == "b"  # back to where it came from
    assert desk.close("a") == "b"  # not the current one: the current stays
    assert desk.close("b") == HOME and len(desk) == 0
    with pytest.raises(KeyError):
        desk.numbered(1)


def test_a_customer_opened_from_a_closed_one_goes_back_to_the_search():
    desk = OpenCustomers()
    desk.open("a")
    desk.open("b")  # from a
    desk.close("a")
    assert desk.get("b").came_from is HOME
    assert desk.close("b") is HOME


def test_unsaved_places_and_when_the_strip_shows():
    desk = OpenCustomers()
    assert not desk.strip_shown
    desk.open("a", "Anna Müller")
    assert not desk.strip_shown  # one customer, in front: the card looks as it always did
    desk.go(HOME)
    assert desk.strip_shown
    desk.open("b", "Hans Meier")
    desk.mark("b", True)
    desk.mark(HOME, True)
    assert desk.unsaved() == [HOME, "b"]
    assert [(p.number, p.text, p.current) for p in desk.strip(80)] == [
        (0, "Search*", False), (1, "Anna Müller", False), (2, "Hans Meier*", True)]


def test_nine_long_names_fit_80_columns_and_the_current_one_stays_readable():
    desk = OpenCustomers()
    for i in range(9):
        desk.open(f"c{i}", f"Maximiliane-Theresa{i} von Hohenzollern-Sigmaringen")
    desk.go("c4")
    desk.mark("c2", True)
    pieces = desk.strip(80)
    drawn = " ".join(f" {p.number} {p.text} " for p in pieces)
    assert len(drawn) <= 80, drawn
    assert [p.number for p in pieces] == list(range(10))
    assert len(pieces[5].text) >= 8 and pieces[3].text.endswith("*")


@pytest.mark.parametrize("name, limit, person, short", [
    ("Anna Müller", 20, True, "Anna Müller"), ("Anna-Lena Müller-Lüdenscheidt", 20, True, "A. Müller-Lüdensche…"),
    ("Anna Müller", 9, True, "A. Müller"), ("Müller & Söhne GmbH", 10, False, "Müller & …"),
    ("Anna Müller", 4, True, "AM"), ("Anna Müller", 1, True, "A"), ("Annabelle", 5, True, "Anna…")])
def test_names_shorten(name, limit, person, short):
    assert shorten(name, limit, person=person) == short and len(short) <= limit


# -- the app at 80x24 -------------------------------------------------------------------------------

def strip_text(app) -> str | None:
    """The strip as the screen in front shows it (None: not shown)."""
    found = app.screen.query(OpenStrip)
    if not found or not found.first().display:
        return None
    return str(found.first().render()).strip()


def card_name(app) -> str:
    assert isinstance(app.screen, CustomerScreen), app.screen
    return app.screen.view.display_name


async def open_from_search(app, pilot, text: str) -> None:
    """At the search: type, Enter opens the first hit."""
    assert isinstance(app.screen, SearchScreen), app.screen
    await pilot.press("escape", *text)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def type_on_edit_form(app, pilot, field: str, text: str) -> None:
    """e on the card in front, then ``text`` typed at the end of ``field``."""
    await pilot.press("e")
    await settle(app, pilot)
    app.screen.query_one(f"#{field}", Input).focus()
    await pilot.press("end", *text)
    await settle(app, pilot)


async def two_open(app, pilot) -> None:
    """Anna's card, back to the search (alt+0) and Hans's card: both open."""
    await sign_in(app, pilot)
    await open_from_search(app, pilot, "anna")
    assert card_name(app) == "Anna Müller" and strip_text(app) is None  # one customer: no strip
    await pilot.press("alt+0")
    await settle(app, pilot)
    assert isinstance(app.screen, SearchScreen)
    assert strip_text(app) == "0 Search   1 Anna Müller"
    await open_from_search(app, pilot, "hans")
    assert card_name(app) == "Hans Meier"


async def test_two_customers_switch_with_keys_each_kept_as_left(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        assert strip_text(app) == "0 Search   1 Anna Müller   2 Hans Meier"
        drawn = app.screen.query_one(OpenStrip).render()
        assert [drawn.plain[s.start:s.end].strip() for s in drawn.spans if "reverse" in str(s.style)] == \
            ["2 Hans Meier"]  # the one in front
        await pilot.press("e")  # Hans's edit form, something typed
        await settle(app, pilot)
        phone = app.screen.query_one("#phone", Input)
        phone.value = ""
        phone.focus()
        await pilot.press(*"0170 1112223")
        await settle(app, pilot)
        assert strip_text(app) == "0 Search   1 Anna Müller   2 Hans Meier*"
        await pilot.press("alt+1")
        await settle(app, pilot)
        assert card_name(app) == "Anna Müller"
        app.screen.query_one("#tabs", TabbedContent).active = "tab-contacts"
        await settle(app, pilot)
        await pilot.press("alt+2")  # Hans's form as it was left, the typed phone in it
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen) and app.screen.dirty
        assert app.screen.query_one("#phone", Input).value == "0170 1112223"
        assert app.focused is app.screen.query_one("#phone", Input)
        await pilot.press("f7")  # round the strip: after the last, the search
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("f7")
        await settle(app, pilot)
        assert card_name(app) == "Anna Müller"
        assert app.screen.query_one("#tabs", TabbedContent).active == "tab-contacts"  # her tab kept
        await pilot.press("ctrl+tab", "ctrl+shift+tab", "ctrl+tab")  # kitty protocol or modifyOtherKeys
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        await pilot.press("ctrl+s")  # saved on Hans: he stays open on his card
        await settle(app, pilot)
        assert card_name(app) == "Hans Meier" and strip_text(app) == "0 Search   1 Anna Müller   2 Hans Meier"
    assert db_rows(shop, "SELECT p.e164 FROM customer_phone p JOIN customer c ON c.id = p.customer_id"
                         " WHERE c.last_name = 'Meier'") == [("+491701112223",)]


async def test_closing_asks_before_dropping_typed_text(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await type_on_edit_form(app, pilot, "last_name", "-Schulz")
        await pilot.press("ctrl+w")  # on a text box: closes the customer (not "delete word") ...
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Close Hans Meier?" in str(app.screen.query_one("#question").render())
        await pilot.press("n")  # ... after asking: kept, as typed
        await settle(app, pilot)
        assert app.screen.query_one("#last_name", Input).value == "Meier-Schulz"
        await pilot.press("ctrl+w", "y")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)  # where Hans was opened from
        assert strip_text(app) == "0 Search   1 Anna Müller"
        assert app.screen.query_one("#query", Input).value == "hans"  # the search as it was left
        await pilot.press("ctrl+w")  # at the search: the search box's own ctrl+w (delete a word)
        await settle(app, pilot)
        assert app.screen.query_one("#query", Input).value == ""
        await pilot.press("alt+1", "escape")  # Escape on a card closes it, as before
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen) and strip_text(app) is None and len(app.desk) == 0
    assert db_rows(shop, "SELECT last_name FROM customer WHERE first_name = 'Hans'") == [("Meier",)]


async def test_the_idle_lock_restores_every_open_customer(make_app, clock):
    app = make_app(idle_minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await type_on_edit_form(app, pilot, "first_name", "-Peter")
        clock.now += 121
        app.lock_if_idle()
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen) and strip_text(app) is None
        await pilot.press("alt+1")  # nothing switches behind the lock
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        await sign_in(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        assert app.screen.query_one("#first_name", Input).value == "Hans-Peter"
        assert strip_text(app) == "0 Search   1 Anna Müller   2 Hans Meier*"
        await pilot.press("alt+1")
        await settle(app, pilot)
        assert card_name(app) == "Anna Müller"


async def test_another_associate_after_the_lock_gets_none_of_them(make_app, clock):
    app = make_app(idle_minutes=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        await sign_in(app, pilot, "1001", "2468")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen) and len(app.desk) == 0 and strip_text(app) is None
        assert not [m for m in app._modes if ":customer:" in m]  # their stacks are gone


async def test_quitting_asks_when_a_form_is_unsaved(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await pilot.press("alt+0", "f2")  # a new customer's form at the search, typed in
        await settle(app, pilot)
        await pilot.press(*"Eva")
        await settle(app, pilot)
        await pilot.press("alt+2", "ctrl+q")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "1 open customer has unsaved changes" in str(app.screen.query_one("#question").render())
        await pilot.press("n")
        await settle(app, pilot)
        assert app.is_running and card_name(app) == "Hans Meier"
        await pilot.press("ctrl+q", "ctrl+q")  # asked, and ctrl+q again on the question quits
        await settle(app, pilot)
        assert not app.is_running


async def test_quitting_with_nothing_unsaved_quits_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        assert not app.is_running


async def test_opening_more_than_the_cap_says_so(make_app, monkeypatch):
    app = make_app()
    said = []
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app.desk, "cap", 2)
        real = app.notify
        monkeypatch.setattr(app, "notify", lambda message, **kw: (said.append(message), real(message, **kw)))
        await two_open(app, pilot)
        await pilot.press("alt+0")
        await open_from_search(app, pilot, "zoë")
        assert isinstance(app.screen, SearchScreen) and len(app.desk) == 2
        assert said[-1] == "2 customers are open: close one (ctrl+w) before opening another."


async def test_f1_lists_the_keys_of_the_open_customers(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await two_open(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        from textual.widgets import DataTable
        rows = [[str(c) for c in r] for r in (app.screen.query_one(DataTable).get_row_at(i)
                                             for i in range(app.screen.query_one(DataTable).row_count))]
        keys = {r[0] for r in rows}
        assert {"^w", "F7, ctrl+tab", "shift+F7, ctrl+shift+tab", "alt+0 … alt+9"} <= keys


def test_the_strip_at_80x24(snap_compare, make_app):
    """Three customers open, an unsaved form on the second: the strip under the header."""
    async def run(pilot):
        app = pilot.app
        await two_open(app, pilot)
        await type_on_edit_form(app, pilot, "first_name", "s")
        await pilot.press("alt+0")
        await open_from_search(app, pilot, "zoë")
        await settle(app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)
