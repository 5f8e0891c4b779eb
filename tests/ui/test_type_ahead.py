"""Keys that arrive in one burst (tmux send-keys, a scanner, keys bunched up over SSH) are applied
in the order typed in every text box: the editing keys (Backspace, Delete, Home, End, the arrows,
ctrl+w …) are not overtaken by the printable keys after them."""

import pytest
from textual import events
from textual.widgets import Input

from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import db_rows


def burst(app, *keys: str) -> None:
    """Every key handed to the app at once, as the terminal driver does with a burst."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_a_burst_of_editing_keys_in_the_search_box_and_in_the_form(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        burst(app, "a", "backspace", *"hans meyer", "ctrl+w", *"meierr", "backspace", "home", "x",
              "backspace", "delete", "h", "end", "left", "right")
        await settle(app, pilot)
        assert app.screen.query_one("#query", Input).value == "hans meier"
        assert app.screen.query_one("#results", ResultsList).row_count == 1

        await pilot.press("escape", "f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        burst(app, *"Eva", "tab", "tab", *"Lang", "tab")
        await settle(app, pilot)
        email = form.query_one("#email", Input)
        email.focus()
        await settle(app, pilot)
        burst(app, "a", "backspace", *"stefan@x.org", "ctrl+a", *"ab", "ctrl+k", "ctrl+u",
              *"eva.lang@example.orgg", "backspace", "ctrl+s")
        await settle(app, pilot, 0.3)
        assert not isinstance(app.screen, CustomerFormScreen)
    assert db_rows(shop, "SELECT e.address FROM customer_email e JOIN customer c ON c.id = e.customer_id"
                         " WHERE c.last_name = 'Lang'") == [("eva.lang@example.org",)]


def test_every_text_box_of_the_app_is_a_text_input():
    """One shape: a Textual Input made directly would bring the out-of-order keys back."""
    import ast
    from pathlib import Path

    import pos_customers.ui

    made = [f"{path.name}:{node.lineno}" for path in Path(pos_customers.ui.__file__).parent.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in ("Input", "TextArea")]
    assert made == []


@pytest.mark.parametrize("keys", [("escape", "z", "o", "e"), ("alt+z", "o", "e")], ids=["esc-then-keys", "alt-z"])
async def test_keys_typed_on_the_results_after_a_card_start_a_new_search(make_app, keys):
    """Back from a card the results list keeps the cursor on the row that was opened; a name typed
    then (in one burst, as over SSH) goes to the search box as a new search, none of it lost, and
    Backspace on the list edits the query. A terminal reads Esc and the letter right after it as
    one key (alt+z): the card closes all the same, and the "e" never reaches the card (where it
    would open the edit form)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"mül ann")
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, SearchScreen)
        burst(app, *keys)
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen), app.screen
        box = app.screen.query_one("#query", Input)
        assert app.focused is box and box.value == "zoe"
        assert app.screen._shown_query == "zoe"
        await pilot.press("down")
        assert isinstance(app.focused, ResultsList)
        await pilot.press("backspace", "x")
        await settle(app, pilot)
        assert app.focused is box and box.value == "zox"


@pytest.mark.parametrize("typing", ["burst", "one by one"])
async def test_a_name_typed_in_the_search_box_after_a_card_replaces_the_last_query(make_app, typing):
    """A card opened with Enter from the search box leaves the focus there; back from it the old
    query is selected, so the next name typed is a new search, not added to the old one. End keeps
    the old query to go on typing."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"mül ann", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, SearchScreen)
        if typing == "burst":
            burst(app, "escape", *"zoe")
        else:
            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press(*"zoe")
        await settle(app, pilot)
        box = app.screen.query_one("#query", Input)
        assert app.focused is box and box.value == "zoe"
        assert app.screen._shown_query == "zoe"
        await pilot.press("enter")  # Zoe's card
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("end", *" w")
        await settle(app, pilot)
        assert box.value == "zoe w"
