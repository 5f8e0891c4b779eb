"""What the associate reads: a customer whose name holds a bidi override (written straight into the
database, as a pull would) shows neutralised in the results list and on the card; sign-in says the
same words for every refusal; the store audit shows a lockout to the manager; F2 capitalises the
typed name; edit forms open with the cursor after the first field's text, nothing selected."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from textual.widgets import DataTable, Input

from pos_customers.domain.text import REPLACEMENT
from pos_customers.services.access import refusal
from pos_customers.services.customers import create_customer
from pos_customers.storage import customers as stored
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.screens.sign_in import SignInScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.helpers import person
from tests.ui.conftest import new_customer_form, settle, sign_in
from tests.ui.test_backoffice import open_menu
from tests.ui.test_flows import cells, db_rows

HIDDEN = ("\u202e", "\u200b", "\x1b")


def write_as_a_pull_would(svc, customer_id: str, **fields) -> None:
    """Straight into the database through the storage layer a pull uses: no form, no check."""
    conn = sqlite3.connect(svc.db.path)
    try:
        previous = stored.read(conn, customer_id)
        stored.replace(conn, replace(previous, **fields), previous)
        conn.commit()
    finally:
        conn.close()


def screen_text(app) -> str:
    return app.export_screenshot()


def results_text(results: ResultsList) -> str:
    return "\n".join("".join(seg.text for seg in results.render_line(y)) for y in range(results.row_count + 1))


async def test_a_pulled_name_with_a_bidi_override_shows_neutralised_in_the_list_and_on_the_card(
        make_app, shop, admin):
    view = create_customer(shop, admin, person("Ann", "Lee", "ann.lee@example.org"))
    write_as_a_pull_would(shop, view.id, first_name="Ann\u202eeL", last_name="Lee\u200b",
                          company="\x1b[31mACME")
    assert db_rows(shop, "SELECT first_name FROM customer WHERE id = ?", view.id) == [("Ann\u202eeL",)]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"ann.lee@")
        await settle(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        assert results.row_count == 1
        drawn = results_text(results)
        assert f"Ann{REPLACEMENT}eL Lee{REPLACEMENT}" in drawn
        assert not any(h in drawn for h in HIDDEN)
        assert not any(h in screen_text(app) for h in HIDDEN)
        await pilot.press("enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        head = str(card.query_one("#head").render())
        assert head.startswith(f"Ann{REPLACEMENT}eL Lee{REPLACEMENT}")
        account = {row[0]: row[1] for row in cells(card.query_one("#account-table", DataTable))}
        assert account["First name"] == f"Ann{REPLACEMENT}eL" and account["Company"] == f"{REPLACEMENT}[31mACME"
        screen = screen_text(app)
        assert REPLACEMENT in screen and not any(h in screen for h in HIDDEN)
        for tab in ("tab-contacts", "tab-addresses", "tab-activity"):
            card.query_one("#tabs").active = tab
            await settle(app, pilot)
            assert not any(h in screen_text(app) for h in HIDDEN)
        # the edit form shows the mark too, and the check names it: the associate deletes it
        card.query_one("#tabs").active = "tab-account"
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#first_name", Input).value == f"Ann{REPLACEMENT}eL"
        assert not any(h in screen_text(app) for h in HIDDEN)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form and "First name cannot contain" in str(form.query_one("#err-first_name").render())


async def test_markup_in_a_name_is_shown_as_typed(make_app, shop, admin):
    view = create_customer(shop, admin, person("Bob", "Lee", "bob.lee@example.org"))
    write_as_a_pull_would(shop, view.id, first_name="[b]Bob[/b]")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"bob.lee@")
        await settle(app, pilot)
        assert "[b]Bob[/b] Lee" in results_text(app.screen.query_one("#results", ResultsList))
        await pilot.press("enter")
        await settle(app, pilot)
        assert str(app.screen.query_one("#head").render()).startswith("[b]Bob[/b] Lee")


async def test_sign_in_says_the_same_for_an_unknown_number_a_wrong_pin_and_a_locked_associate(make_app, shop):
    app = make_app()
    expected = str(refusal(app.config.max_pin_attempts, __import__("datetime").timedelta(
        minutes=app.config.lockout_minutes)))
    async with app.run_test(size=(80, 24)) as pilot:
        said = {}
        await sign_in(app, pilot, "4242", "1234")
        said["unknown"] = str(app.screen.query_one("#error").render())
        await sign_in(app, pilot, "1002", "0000")
        said["wrong"] = str(app.screen.query_one("#error").render())
        for _ in range(4):
            await sign_in(app, pilot, "1002", "0000")
        said["locking"] = str(app.screen.query_one("#error").render())
        await sign_in(app, pilot, "1002", "1357")
        said["locked, right PIN"] = str(app.screen.query_one("#error").render())
        assert isinstance(app.screen, SignInScreen)
        assert set(said.values()) == {expected}, said
        assert "1002" not in expected and "4242" not in expected
        # the manager sees the lockout in the store audit
        await sign_in(app, pilot, "1001", "2468")
        assert isinstance(app.screen, SearchScreen)
        await open_menu(app, pilot, 6)
        rows = cells(app.screen.query_one("#audit", DataTable))
        locked = [r for r in rows if r[3] == "locked"]
        assert len(locked) == 1 and locked[0][1] == "1002" and locked[0][2] == "associate 1002"
        assert "failed_attempts: 4 → 5" in locked[0][4]
    (until,), = db_rows(shop, "SELECT locked_until FROM associate WHERE number = '1002'")
    assert until is not None


async def test_f2_capitalises_the_typed_name_and_the_associate_can_correct_it(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await new_customer_form(app, pilot, "jan de vries")
        first, last = form.query_one("#first_name", Input), form.query_one("#last_name", Input)
        assert (first.value, last.value) == ("Jan", "de Vries")
        assert app.focused is first and first.selection.is_empty and first.cursor_position == 3
        last.focus()
        await settle(app, pilot)
        last.value = ""
        await pilot.press(*"De Vries")  # this family writes it with a capital: as typed, nothing re-cased
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.2)
        assert isinstance(app.screen, CustomerScreen)
    assert db_rows(shop, "SELECT first_name, last_name FROM customer WHERE last_name LIKE '%Vries'") == [
        ("Jan", "De Vries")]


async def test_the_edit_form_opens_with_the_cursor_after_the_first_name_nothing_selected(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        first = form.query_one("#first_name", Input)
        assert app.focused is first
        assert first.value == "Zoë" and first.selection.is_empty and first.cursor_position == len("Zoë")
        await pilot.press("e")  # a stray key: added at the end, never replacing the name
        assert first.value == "Zoëe"
        await pilot.press("backspace", "ctrl+s")
        await settle(app, pilot, 0.2)
        assert isinstance(app.screen, CustomerScreen)
    assert db_rows(shop, "SELECT first_name FROM customer WHERE last_name = 'Weiß'") == [("Zoë",)]
