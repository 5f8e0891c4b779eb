"""`pos-customers choose`: the point of sale starts the app to have the sale's customer chosen; s on
the card ends the app with that customer, which is printed on stdout. A blocked customer is refused."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pos_customers import launch
from pos_customers.services.customers import draft_from_view, get_customer, update_customer
from pos_customers.services.search import search_customers
from pos_customers.ui.app import PosApp
from pos_customers.ui.screens.customer import CustomerScreen
from tests.ui.conftest import settle, sign_in


def _block(shop, admin, name: str) -> None:
    view = get_customer(shop, admin, search_customers(shop, admin, name).rows[0].customer_id)
    draft = replace(draft_from_view(view), status="blocked", status_reason="unpaid invoices")
    update_customer(shop, admin, view.id, draft, opened=view)


async def _card(app, pilot, name: str) -> CustomerScreen:
    await pilot.press(*name, "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerScreen)
    return app.screen


async def test_choosing_hands_an_active_customer_over_and_refuses_a_blocked_one(make_app, shop, admin):
    _block(shop, admin, "hans meier")
    app = make_app()
    app.choose = True  # as `pos-customers choose` starts it
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await _card(app, pilot, "hans meier")
        await pilot.press("s")
        await settle(app, pilot)
        assert app.return_value is None and app.is_running  # refused: the app stays, saying why
        assert any("blocked (unpaid invoices)" in str(n.message) for n in app._notifications)
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        await _card(app, pilot, "anna müller")
        await pilot.press("s")
        await settle(app, pilot)
    chosen = app.return_value
    assert chosen is not None and chosen.display_name == "Anna Müller"
    assert launch.hand_off_line(chosen, "text") == chosen.reference
    assert json.loads(launch.hand_off_line(chosen, "json")) == {
        "id": chosen.id, "reference": chosen.reference, "display_name": "Anna Müller"}


async def test_without_choose_s_only_marks_the_customer_for_the_sale(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await _card(app, pilot, "anna müller")
        await pilot.press("s")
        await settle(app, pilot)
        assert app.is_running and app.sale_customer.display_name == "Anna Müller"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_run_app_prints_the_chosen_customer_or_exits_1(shop, admin, monkeypatch, capsys, fmt):
    """launch.run_app in choose mode: the customer the app ended with on stdout, exit 0; nothing
    chosen: nothing printed, exit 1."""
    anna = get_customer(shop, admin, search_customers(shop, admin, "anna müller").rows[0].customer_id)
    ended_with = {"value": anna}

    def run(self, **kwargs):
        assert self.choose
        self._return_value = ended_with["value"]

    monkeypatch.setattr(PosApp, "run", run)
    assert launch.run_app(shop, choose=fmt) == 0
    out = capsys.readouterr().out
    assert out == (anna.reference if fmt == "text" else launch.hand_off_line(anna, "json")) + "\n"
    ended_with["value"] = None
    assert launch.run_app(shop, choose=fmt) == launch.NOTHING_CHOSEN
    assert capsys.readouterr().out == ""
