"""Every screen and modal at 80x24 (and 120x40 where the layout changes).

Regenerate with `uv run pytest tests/ui/test_snapshots.py --snapshot-update` and look at every
changed SVG before keeping it.
"""

import pytest

from tests.ui.conftest import settle, sign_in


async def signed_in(pilot):
    await sign_in(pilot.app, pilot)


def at_card(query: str, *keys: str):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press(*query, "enter")
        await settle(pilot.app, pilot)
        for k in keys:
            await pilot.press(k)
            await settle(pilot.app, pilot)
    return run


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES)
def test_sign_in(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_search_recent(snap_compare, make_app, size):
    async def run(pilot):
        await signed_in(pilot)
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_search_results(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press(*"an")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_search_no_match(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press(*"Eva Lang")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("tab", ["account", "contacts", "addresses", "attributes", "notes", "orders", "activity"])
def test_customer_card_tabs(snap_compare, make_app, tab):
    async def run(pilot):
        await at_card("anna müller")(pilot)
        pilot.app.screen.query_one("#tabs").active = f"tab-{tab}"
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_customer_card_with_a_sync_conflict(snap_compare, make_app, shop, admin):
    """The header's "! conflict" and the Activity tab's open conflict with its keys."""
    from tests.ui.test_conflicts_ui import anna_id, pull_conflict

    pull_conflict(shop, admin, anna_id(shop, admin))

    async def run(pilot):
        await at_card("anna müller")(pilot)
        pilot.app.screen.query_one("#tabs").active = "tab-activity"
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one("#conflicts-table").focus()
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_customer_card_wide(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=at_card("anna müller"))


@pytest.mark.parametrize("size", SIZES)
def test_new_customer_form(snap_compare, make_app, size):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press("f2")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_form_errors_and_duplicates(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press("f2")
        await settle(pilot.app, pilot)
        await pilot.press(*"Hans", "tab", "tab", *"Meyer")
        pilot.app.screen.query_one("#email").value = "hans@meier.de"
        await pilot.press("ctrl+s")
        await settle(pilot.app, pilot, 0.35)
        await pilot.press("n")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_duplicate_confirmation(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press("f2")
        await settle(pilot.app, pilot)
        await pilot.press(*"Hans", "tab", "tab", *"Meyer")
        pilot.app.screen.query_one("#email").value = "hans@meier.de"
        await settle(pilot.app, pilot, 0.35)
        await pilot.press("ctrl+s")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_edit_form(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=at_card("anna müller", "e"))


@pytest.mark.parametrize("size", SIZES)
def test_address_modal(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=at_card("zoe", "a"))


def test_address_modal_us(snap_compare, make_app):
    async def run(pilot):
        await at_card("zoe", "a")(pilot)
        pilot.app.screen.query_one("#country").value = "US"
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_discard_question(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press("f2", *"Eva", "escape")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_conflict_modal(snap_compare, make_app, shop, admin):
    from pos_customers.services.customers import draft_from_view, get_customer, update_customer

    async def run(pilot):
        await at_card("hans meier", "e")(pilot)
        view = get_customer(shop, admin, pilot.app.screen.view.id)
        other = draft_from_view(view)
        other.last_name = "Meier-Schulz"
        update_customer(shop, admin, view.id, other, opened=view)
        pilot.app.screen.query_one("#first_name").value = "Johann"
        await pilot.press("ctrl+s")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_keys_list(snap_compare, make_app):
    async def run(pilot):
        await signed_in(pilot)
        await pilot.press("f1")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_locked_screen(snap_compare, make_app, clock):
    async def run(pilot):
        await signed_in(pilot)
        clock.now += 10_000
        pilot.app.lock_if_idle()
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


@pytest.mark.parametrize("entry", range(7))
def test_back_office_screens(snap_compare, make_app, entry):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press("f9")
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one("#menu").highlighted = entry
        await pilot.press("enter")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_back_office_menu(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press("f9")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_template_wide(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press("f9", "enter")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run)


def test_form_modal(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press("f9")
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one("#menu").highlighted = 5
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        await pilot.press("a")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_sync_screen_standalone(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press("f8")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_all_stores_offline(snap_compare, make_app, shop, admin):
    """F5 on a connected till whose headquarters does not answer (a standalone till has no F5)."""
    from pos_customers.services.sync import connect

    connect(shop, admin, url="http://127.0.0.1:9", credential="credential")

    async def run(pilot):
        await signed_in(pilot)
        await pilot.press(*"Eva", "f5")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_anonymize_confirmation(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=at_card("anna", "ctrl+x"))


def test_registered_account_password_row(snap_compare, make_app):
    async def run(pilot):
        await sign_in(pilot.app, pilot)
        await pilot.press("f2")
        await settle(pilot.app, pilot)
        form = pilot.app.screen
        form.query_one("#account_type").value = "registered"
        await settle(pilot.app, pilot)
        form.query_one("#password").focus()
        await pilot.press(*"weak")
        await settle(pilot.app, pilot, 0.2)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)
