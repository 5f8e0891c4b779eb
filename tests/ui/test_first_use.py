"""What a person trying the app the first time ran into, through the real app at 80x24."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.helpers import db_rows
from tests.ui.conftest import settle, sign_in

SIZE = (80, 24)


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_first(app, pilot, typed: str, who=("1002", "1357")) -> None:
    await sign_in(app, pilot, *who)
    await pilot.press(*typed)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot, 0.1)
    assert type(app.screen).__name__ == "CustomerScreen"


async def test_ctrl_e_is_listed_for_an_associate_and_says_why_not(make_app):
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(app, pilot, "hans meier")
        await pilot.press("f1")
        await settle(app, pilot)
        keys = app.screen.query_one(DataTable)
        assert any(str(keys.get_row_at(i)[0]).lower() == "^e" for i in range(keys.row_count))  # F1 writes keys as the footer does
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        assert any("a manager makes it" in m for m in notices(app)), notices(app)


async def test_f6_without_a_likely_duplicate_says_so(make_app):
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"Eva Lang", "f2")
        await settle(app, pilot, 0.3)
        await pilot.press("f6")
        await settle(app, pilot)
        assert any(m.startswith("No likely duplicates") for m in notices(app)), notices(app)


async def test_the_count_of_fields_to_correct_goes_as_they_are_corrected(make_app, shop):
    from textual.widgets import Input, Label

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"Eva Lang", "f2")
        await settle(app, pilot, 0.3)
        form = app.screen
        form.query_one("#email", Input).focus()
        await pilot.press(*"eva@lang")
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        top = form.query_one("#form-errors", Label)
        assert str(top.render()) == "1 field needs attention"
        assert app.focused is form.query_one("#email", Input)
        await pilot.press(*".de")
        await settle(app, pilot, 0.3)
        assert str(top.render()) == ""
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
    assert shop.db.path and any(r[0] == "eva@lang.de" for r in db_rows(shop, "SELECT address FROM customer_email"))


async def test_letters_on_a_list_pick_a_choice_and_other_keys_get_a_hint(make_app, monkeypatch):
    """Tab stops on lists and tick boxes: a letter picks the first choice starting with what was
    typed; a digit on a list, or a key on a tick box, says what the field is. Nothing vanishes."""
    from textual.widgets import Checkbox, Select

    from pos_customers.ui.widgets import choice_keys

    monkeypatch.setattr(choice_keys, "WORD_GAP", 60.0)  # keys make one word however busy the machine
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"Eva Lang", "f2")
        await settle(app, pilot, 0.3)
        form = app.screen
        salutation = form.query_one("#salutation", Select)
        salutation.focus()
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert salutation.value == "MS" and not salutation.expanded
        await pilot.press("f")
        await settle(app, pilot)
        assert salutation.value == "FAMILY"
        purpose = form.query_one("#phone_purpose", Select)
        before = purpose.value
        purpose.focus()
        await pilot.press("0")
        await settle(app, pilot)
        assert purpose.value == before
        assert any("this field is a list" in m for m in notices(app)), notices(app)
        await pilot.press("1", "2", "3")  # a burst of keys: one hint, the last key's, not four stacked
        await settle(app, pilot)
        hints = [m for m in notices(app) if "this field is a list" in m]
        assert len(hints) == 1 and hints[0].startswith("“3”"), hints
        box = form.query_one("#email_marketing", Checkbox)
        box.focus()
        await pilot.press("1")
        await settle(app, pilot)
        assert box.value is False
        assert any("a box to tick" in m for m in notices(app)), notices(app)
        await pilot.press("space")
        await settle(app, pilot)
        assert box.value is True


async def test_a_till_not_connected_says_what_it_does_not_know_of_its_store(make_app):
    """Standalone, the Stores tab knows the store's name only: no bare "— open" under it."""
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(app, pilot, "hans meier")
        app.screen.query_one("#tabs").active = "tab-stores"
        await settle(app, pilot)
        table = app.screen.query_one("#stores-table", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1].split("\n")[1] == "address not known"
        assert row[2] == "no phone\nstatus not known"


async def test_a_refusal_no_screen_caught_is_one_line_and_the_app_goes_on(make_app, monkeypatch):
    """A key's action (s, for the sale) and the card's reading worker (r) meet a customer that is
    gone: one line each, no traceback; the card that cannot read its customer closes."""
    from pos_customers.domain.i18n import Msg
    from pos_customers.services.context import NotFound
    from pos_customers.ui.screens import customer as card_module

    def gone(*args, **kwargs):
        raise NotFound(Msg("no customer with reference {reference}", reference="YAQ3W9KPT"))

    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(app, pilot, "hans meier")
        monkeypatch.setattr(card_module, "choose_for_sale", gone)
        await pilot.press("s")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
        assert notices(app)[-1] == "no customer with reference YAQ3W9KPT: search for the customer again."
        monkeypatch.setattr(card_module, "get_customer", gone)
        await pilot.press("r")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SearchScreen" and len(app.desk) == 0
        assert app.is_running
