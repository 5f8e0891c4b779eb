"""A standalone till (no headquarters) shows no sync that does not exist: no Sync column, no F5,
no "to send", and F8 says it is standalone. The new-customer form's receipt under a template that
asks for email receipts follows the email field."""

from __future__ import annotations

from textual.widgets import Select, Static

from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import settle, sign_in


def shown_keys(screen) -> set[str]:
    return {b.binding.id for b in screen.active_bindings.values() if b.binding.show and b.binding.id}


async def test_a_standalone_till_shows_no_sync(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"anna")
        await settle(app, pilot)
        search = app.screen
        assert not app.connected
        results = search.query_one("#results", ResultsList)
        assert [name for name, _ in results._columns] == ["Name", "Reference", "Phone", "Email", "City"]
        assert results.get_row_at(0)[0] == "Anna Müller" and len(results.get_row_at(0)) == 5
        assert "synced" not in str(search.query_one("#status").render())
        keys = shown_keys(search)
        assert "app.all_stores" not in keys and "app.sync" in keys
        assert "All stores" not in {c.title for c in app.get_system_commands(search)}
        assert "to send" not in search.sub_title and "HQ" not in search.sub_title
        await pilot.press("f5")  # nothing to search: no headquarters
        await settle(app, pilot)
        assert app.screen is search
        await pilot.press("enter")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        head = str(card.query_one("#head-more", Static).render())
        assert "sync" not in head and "pending" not in head
        await pilot.press("f8")  # F8 from the card
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SyncScreen"
        text = str(app.screen.query_one("#standalone", Static).render())
        assert text.startswith("standalone: this till is not connected to headquarters")
        assert not app.screen.query("#parked") and "sync.now" not in shown_keys(app.screen)
        await pilot.press("ctrl+r")  # no sync to run
        await settle(app, pilot)
        assert not app._notifications or all("Sync" not in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is card


async def test_f1_lists_f8_on_the_card(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"anna", "enter")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        table = app.screen.query_one("DataTable")
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "F8" in keys and "F5" not in keys


async def test_the_form_prints_the_receipt_until_an_email_is_typed(make_app, shop):
    from pos_customers.storage.tables import StoreTemplate

    with shop.db.write() as s:
        t = s.get(StoreTemplate, "BER01")
        t.receipt_option = "email"  # as the demo store's template
        s.add(t)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        receipt = form.query_one("#receipt_option", Select)
        assert receipt.value == "print"
        form.query_one("#email").value = "eva.lang@example.org"
        await settle(app, pilot)
        assert receipt.value == "email"
        form.query_one("#email").value = ""
        await settle(app, pilot)
        assert receipt.value == "print"
        await pilot.press(*"Eva", "tab", "tab", *"Lang", "ctrl+s")
        await settle(app, pilot, 0.2)
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.view.receipt_option == "print"
