"""The main screens in German at 80x24 (issue 14: screens/ gets a German set).

Regenerate with `uv run pytest tests/ui/test_snapshots_de.py --snapshot-update` and read every
changed SVG before keeping it: the German must read right and nothing may be cut.
"""

import pytest

from pos_customers.domain import i18n
from tests.ui.conftest import settle, sign_in

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def de(monkeypatch):
    """The app in German, as support sets it over SSH (tests/conftest.py resets English after)."""
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    i18n.set_language("de")


def at_card(query: str, tab: str | None = None):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press(*query, "enter")
        await settle(pilot.app, pilot)
        if tab:
            pilot.app.screen.query_one("#tabs").active = f"tab-{tab}"
            await settle(pilot.app, pilot)
    return run


def manager_presses(*keys: str):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        for key in keys:
            await pilot.press(key)
            await settle(pilot.app, pilot)
    return run


def test_sign_in(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE)


def test_search_results(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot)
        await pilot.press(*"an")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("tab", ["account", "addresses"])
def test_customer_card(snap_compare, make_app, tab):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=at_card("anna müller", tab))


def test_new_customer_form(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=manager_presses("f2"))


def test_keys_list(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=manager_presses("f1"))


def test_back_office_menu(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=manager_presses("f9"))


def test_template_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=manager_presses("f9", "enter"))


def test_sync_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=manager_presses("f8"))
