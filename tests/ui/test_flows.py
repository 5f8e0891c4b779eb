import json
import sqlite3

from textual import events
from textual.widgets import DataTable, Input, OptionList

from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.dialogs import ConfirmModal, ConflictModal
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.search import SearchScreen
from pos_customers.ui.screens.sign_in import SignInScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import new_customer_form, settle, sign_in


def db_rows(svc, sql, *args):
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def cells(table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_sign_in_search_open_change_phone_save_audit(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        await sign_in(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        assert app.focused is app.screen.query_one("#query", Input)  # focus on arrival
        await pilot.press(*"mül ann")
        await settle(app, pilot)
        rows = cells(app.screen.query_one("#results", ResultsList))
        assert rows[0][0] == "Anna Müller" and rows[0][2] == "01512 3456789"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        phone = app.screen.query_one("#phone", Input)
        phone.value = ""
        phone.focus()
        await pilot.press(*"0170 1234567")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
    assert db_rows(shop, "SELECT e164 FROM customer_phone p JOIN customer c ON c.id = p.customer_id"
                         " WHERE c.last_name = 'Müller'") == [("+491701234567",)]
    (who, changes), = db_rows(shop, "SELECT associate_number, changes FROM audit_event WHERE action = 'update'")
    assert who == "1002" and list(json.loads(changes)) == ["phones"]


async def test_results_update_as_you_type_and_arrow_keys_move(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        table = app.screen.query_one("#results", ResultsList)
        assert table.row_count == 3  # empty box: this store's recent customers
        await pilot.press(*"zo")
        await settle(app, pilot)
        assert [r[0] for r in cells(table)] == ["Zoë Weiß"]
        await pilot.press("backspace", "backspace", *"hans@")
        await settle(app, pilot)
        assert [r[0] for r in cells(table)] == ["Hans Meier"]
        await pilot.press("down")
        assert app.focused is table
        await pilot.press("up")
        assert app.focused is app.screen.query_one("#query", Input)


async def test_a_key_after_a_pause_searches_at_once_and_a_burst_searches_once(make_app, monkeypatch):
    from pos_customers.ui.screens import search as search_screen
    asked = []
    real = search_screen.search_customers

    def counting(svc, actor, text, **kw):
        asked.append(text)
        return real(svc, actor, text, **kw)

    monkeypatch.setattr(search_screen, "search_customers", counting)
    app = make_app(debounce_ms=300)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        asked.clear()
        await pilot.press("z")  # typed after a pause: no waiting for the debounce
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        assert asked == ["z"]
        for ch in "oë weiß":  # a scanner or a paste: one burst
            app.post_message(events.Key(ch, ch))
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert asked[-1] == "zoë weiß" and len(asked) <= 3
        assert [r[0] for r in cells(app.screen.query_one("#results", ResultsList))] == ["Zoë Weiß"]


async def test_a_search_longer_than_the_budget_is_answered_by_the_search_thread(make_app, monkeypatch):
    """Every search is first run at once within INLINE_SECONDS; one that takes longer is stopped and
    run again on the screen's search thread, and its answer is shown the same way."""
    import threading

    from pos_customers.services.search import SearchInterrupted
    from pos_customers.ui.screens import search as search_screen
    real, ran_on = search_screen.search_customers, []

    def slow(svc, actor, text, *, within=None, **kw):
        if within is not None:
            raise SearchInterrupted(text)
        ran_on.append(threading.current_thread().name)
        return real(svc, actor, text, **kw)

    monkeypatch.setattr(search_screen, "search_customers", slow)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"hans@")
        await settle(app, pilot)
        assert [r[0] for r in cells(app.screen.query_one("#results", ResultsList))] == ["Hans Meier"]
    assert set(ran_on) == {"search"}


async def test_f3_shows_the_next_page(make_app, shop, admin):
    from pos_customers.services.customers import create_customer
    from tests.helpers import person
    for i in range(55):
        create_customer(shop, admin, person("Karl " + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26),
                                            "Tester"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"tester")
        await settle(app, pilot)
        table = app.screen.query_one("#results", ResultsList)
        status = app.screen.query_one("#status")
        assert table.row_count == 50 and str(status.render()).startswith("50 found, F3 shows more")
        assert "f3" in app.screen.active_bindings  # the keys list and a wide footer offer it
        await pilot.press("f3")
        await settle(app, pilot)
        assert table.row_count == 55 and str(status.render()).startswith("55 found")
        assert "F3" not in str(status.render())
        assert "f3" not in app.screen.active_bindings  # nothing more: no key offers it


async def test_fast_arrows_reach_the_row_and_the_card_returns_to_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        for _ in range(3):  # a burst, as the terminal delivers keys typed fast: no pause between
            app.post_message(events.Key("down", None))
        await settle(app, pilot)
        assert app.focused is results and results.cursor_row == 2
        chosen = results.get_row_at(2)[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen) and chosen in str(app.screen.query_one("#head").render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert results.cursor_row == 2 and results.get_row_at(2)[0] == chosen


async def test_no_match_offers_a_prefilled_create(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"Eva Lang")
        await settle(app, pilot)
        assert "F2 creates one" in str(app.screen.query_one("#status").render())
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#first_name", Input).value == "Eva"
        assert form.query_one("#last_name", Input).value == "Lang"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)  # nothing typed in the form: no question
        app.screen.query_one("#query", Input).value = "eva@lang.de"
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.screen.query_one("#email", Input).value == "eva@lang.de"
        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.query_one("#query", Input).value = "Zzyzx " * 800  # 4,800 characters: cut, hint kept
        await settle(app, pilot)
        status = app.screen.query_one("#status")
        assert str(status.render()) == "No customer matches “Zzyzx Zzyzx Zzyzx Zzyzx…”: F2 creates one from it."
        assert status.size.width >= len(str(status.render()))  # all of it on screen at 80 columns


async def test_the_typed_name_follows_a_switch_to_organization(make_app, shop):
    from textual.widgets import Select
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await new_customer_form(app, pilot, "Acme Bau GmbH")
        value = {n: (lambda n=n: form.query_one(f"#{n}", Input).value)
                 for n in ("first_name", "last_name", "organization_name")}
        form.query_one("#customer_type", Select).value = "organization"
        await settle(app, pilot)
        assert (value["first_name"](), value["last_name"](), value["organization_name"]()) == ("", "", "Acme Bau GmbH")
        form.query_one("#customer_type", Select).value = "person"
        await settle(app, pilot)
        assert (value["first_name"](), value["last_name"](), value["organization_name"]()) == ("Acme Bau", "GmbH", "")
        form.query_one("#last_name", Input).focus()
        await pilot.press("end", *"er")  # typed by the associate: stays where it is
        await settle(app, pilot)
        form.query_one("#customer_type", Select).value = "organization"
        await settle(app, pilot)
        assert (value["first_name"](), value["last_name"](), value["organization_name"]()) == ("Acme Bau", "GmbHer", "")
        form.query_one("#organization_name", Input).value = "Acme Bau GmbH"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT organization_name, last_name FROM customer WHERE customer_type = 'organization'") == [
        ("Acme Bau GmbH", "GmbHer")]


async def test_create_applies_the_store_template(make_app, shop):
    from pos_customers.storage.tables import StoreTemplate
    with shop.db.write() as s:
        t = s.get(StoreTemplate, "BER01")
        t.group_code, t.receipt_option, t.receipt_email, t.affiliations = "LOYAL", "email", "bons@store.example", ["CLUB"]
        s.add(t)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#group_code").value == "LOYAL"
        assert form.query_one("#receipt_option").value == "email"
        await pilot.press(*"Eva", "tab", "tab", *"Lang")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
    assert db_rows(shop, "SELECT group_code, receipt_option, receipt_email FROM customer WHERE last_name = 'Lang'") == [
        ("LOYAL", "email", "bons@store.example")]
    assert db_rows(shop, "SELECT a.affiliation_code FROM customer_affiliation a JOIN customer c"
                         " ON c.id = a.customer_id WHERE c.last_name = 'Lang'") == [("CLUB",)]


async def test_keys_typed_in_one_burst_with_tab_follow_the_focus(make_app):
    """A paste, a scanner or keys bunched up over SSH: what comes after Tab goes to the next field."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        for key in [*"Eva", "tab", "tab", *"Lang", "shift+tab", "shift+tab"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#first_name", Input).value == "Eva"
        assert form.query_one("#last_name", Input).value == "Lang"
        assert app.focused is form.query_one("#first_name", Input)


async def test_required_fields_are_checked_next_to_the_field(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"Eva")
        await settle(app, pilot, 0.3)
        form = app.screen
        email = form.query_one("#email", Input)
        email.focus()
        await pilot.press(*"eva@")
        await settle(app, pilot, 0.3)
        assert "Email is not valid" in str(form.query_one("#err-email").render())
        assert str(form.query_one("#err-last_name").render()) == ""  # not touched yet
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Last name is required" in str(form.query_one("#err-last_name").render())
        assert isinstance(app.screen, CustomerFormScreen)
        assert app.focused is form.query_one("#last_name", Input)  # on the first field to correct
    assert db_rows(shop, "SELECT count(*) FROM customer") == [(3,)]


async def test_duplicate_warning_lists_and_asks(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        await pilot.press(*"Hans", "tab", "tab", *"Meyer")
        form.query_one("#birth_date", Input).value = "1970-05-01"
        await settle(app, pilot, 0.35)
        options = form.query_one("#duplicates", OptionList)
        assert options.option_count == 1
        assert "Hans Meier" in str(options.get_option_at_index(0).prompt)
        assert "similar name" in str(options.get_option_at_index(0).prompt)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        assert db_rows(shop, "SELECT count(*) FROM customer WHERE last_name = 'Meyer'") == [(0,)]
        await pilot.press("f6")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)  # each likely duplicate can be opened
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT count(*) FROM customer WHERE last_name = 'Meyer'") == [(1,)]


async def test_escape_asks_before_dropping_typed_text(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"Eva")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen.query_one("#first_name", Input).value == "Eva"
        await pilot.press("escape", "y")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_a_check_that_ends_after_the_form_closed_is_dropped(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        await pilot.press(*"Eva", "escape", "y")  # closed while the as-you-type check could still run
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        form._show_checks([], [], False)  # its answer arrives now: nothing to show it on, no error
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_five_wrong_pins_lock_the_associate(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await sign_in(app, pilot, "1002", "0000")
        assert "Number or PIN not accepted" in str(app.screen.query_one("#error").render())
        await sign_in(app, pilot, "1002", "1357")
        assert isinstance(app.screen, SignInScreen)  # locked: the right PIN is refused, in the same words
        assert "Number or PIN not accepted" in str(app.screen.query_one("#error").render())
    (locked,), = db_rows(shop, "SELECT locked_until FROM associate WHERE number = '1002'")
    assert locked is not None


async def test_idle_lock_brings_the_unsaved_form_back(make_app, clock):
    app = make_app(idle_minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"Eva")
        clock.now += 119
        app.lock_if_idle()
        assert isinstance(app.screen, CustomerFormScreen)
        clock.now += 2
        app.lock_if_idle()
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "Jonas Becker can sign in" in str(app.screen.query_one("#locked").render())
        await sign_in(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        assert app.screen.query_one("#first_name", Input).value == "Eva"


async def test_locking_by_hand_says_who_locked(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert str(app.screen.query_one("#locked").render()) == \
            "Locked by Jonas Becker. Jonas Becker can sign in to carry on."


async def test_another_associate_after_idle_lock_does_not_see_the_form(make_app, clock):
    app = make_app(idle_minutes=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"Eva")
        clock.now += 61
        app.lock_if_idle()
        await settle(app, pilot)
        await sign_in(app, pilot, "1001", "2468")
        assert isinstance(app.screen, SearchScreen)
        assert app.actor.associate_number == "1001"


async def test_edit_conflict_is_shown_and_chosen(make_app, shop, admin):
    from pos_customers.services.customers import draft_from_view, get_customer, update_customer
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"hans meier", "enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        # another terminal changes the last name meanwhile
        view = get_customer(shop, admin, app.screen.view.id)
        other = draft_from_view(view)
        other.last_name = "Meier-Schulz"
        update_customer(shop, admin, view.id, other, opened=view)
        first = app.screen.query_one("#first_name", Input)
        first.value = ""
        first.focus()
        await pilot.press(*"Johann", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictModal)
        table = app.screen.query_one(DataTable)
        assert cells(table)[0][:3] == ["last_name", "Meier", "Meier-Schulz"]
        await pilot.press("m")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT first_name, last_name FROM customer WHERE id = ?", view.id) == [
        ("Johann", "Meier-Schulz")]


async def test_customer_text_is_never_markup(make_app, shop, admin):
    from pos_customers.domain.customer import CustomerDraft
    from pos_customers.services.customers import create_customer
    create_customer(shop, admin, CustomerDraft(customer_type="organization",
                                               organization_name="[b]Ann [red]& Söhne[/]"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"sohne")
        await settle(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        assert cells(results)[0][0] == "[b]Ann [red]& Söhne[/]"
        # on screen as typed, cut to fit before its last word (a name keeps its surname in view)
        assert results.render_line(1).text.startswith(" [b]Ann… Söhne[/] ")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "[b]Ann [red]& Söhne[/]" in str(app.screen.query_one("#head").render())


async def test_notes_tab_only_for_managers_and_support(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        assert not app.screen.query("#tab-notes")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        assert app.screen.query("#tab-notes")


async def test_manager_writes_a_note(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press(*"Prefers email", "enter")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT author_number, text FROM customer_note") == [("1001", "Prefers email")]


async def test_enter_on_an_activity_row_shows_the_whole_change(make_app):
    from pos_customers.ui.screens.dialogs import DetailModal
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"mül ann", "enter")
        await settle(app, pilot)
        card = app.screen
        card.query_one("#tabs").active = "tab-activity"
        await settle(app, pilot)
        card.query_one("#activity-table", DataTable).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailModal)
        shown = str(app.screen.query_one("#detail").render()).splitlines()
        assert "first_name: — → Anna" in shown and any(line.startswith("phones: — → +4915123456789") for line in shown)


async def test_add_an_address_in_the_modal(make_app, shop):
    from pos_customers.ui.screens.address import AddressModal
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, AddressModal)
        assert modal.query_one("#purpose").value == "HOME"
        assert modal.query_one("#country", Input).value == "DE"
        await pilot.press(*"Hauptstr. 5")
        modal.query_one("#city", Input).value = "Berlin"
        modal.query_one("#postal_code", Input).value = "1011"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Postal code is not valid for Germany" in str(modal.query_one("#err-postal_code").render())
        modal.query_one("#postal_code", Input).value = "10115"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
        table = app.screen.query_one("#addresses-table", DataTable)
        assert app.focused is table and table.cursor_row == 0  # on the address just saved
        await pilot.press("delete", "y")  # the keys shown under the list work at once
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#addresses-table", DataTable)
    assert db_rows(shop, "SELECT count(*) FROM customer_address a JOIN customer c ON c.id = a.customer_id"
                         " WHERE c.last_name = 'Weiß'") == [(0,)]
    (changes,), = db_rows(shop, "SELECT changes FROM audit_event WHERE action = 'update' ORDER BY id LIMIT 1")
    assert "HOME: Hauptstr. 5, 10115, Berlin, DE [billing]" in changes  # saved before it was removed


async def test_address_fields_follow_the_country(make_app):
    from pos_customers.ui.screens.address import AddressModal
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"zoe", "enter")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, AddressModal)
        modal.query_one("#country", Input).value = "US"
        await settle(app, pilot)
        assert str(modal.query_one("#label-postal_code").render()).startswith("ZIP code")
        assert str(modal.query_one("#label-region").render()) == "State *"
        assert not modal.query_one("#region-select").has_class("hidden")
        from textual.widgets import Select
        region = modal.query_one("#region-select", Select)
        assert "Armed Forces (AA) (AA)" not in [str(label) for label, _ in region._options]
        modal.query_one("#line1", Input).value = "1 Main St"
        modal.query_one("#city", Input).value = "Albany"
        modal.query_one("#postal_code", Input).value = "0106"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        state, zip_code = modal.query_one("#err-region"), modal.query_one("#err-postal_code")
        assert "State is required" in str(state.render())
        assert "(for example" in str(zip_code.render()) and zip_code.size.height >= 2  # wrapped, not cut
        region.value = "NY"
        await settle(app, pilot)
        assert str(state.render()) == "" and not state.has_class("shown")  # fixed: the message goes
        assert "(for example" in str(zip_code.render())  # another field's message stays until fixed


async def test_f1_lists_the_keys_and_ctrl_p_finds_actions(make_app):
    from pos_customers.ui.screens.keys import KeysScreen
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        keys = [r[0] for r in cells(app.screen.query_one(DataTable))]
        assert "F2" in keys and "^q" in keys
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "New customer" in commands


async def test_keymap_from_config_rebinds(make_app):
    app = make_app(keymap={"search.new": "f9"})
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)


async def test_app_opens_the_database_in_the_background(shop):
    from pos_customers.ui.app import PosApp
    from pos_customers.ui.config import UiConfig
    app = PosApp(db_path=shop.db.path, config=UiConfig(debounce_ms=10))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SignInScreen)  # up before the services are
        await sign_in(app, pilot)  # typed at once: the sign-in waits for the database
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        assert "Berlin Alexanderplatz" in str(app.screen.sub_title)


async def test_a_database_that_cannot_be_opened_says_why(tmp_path):
    from pos_customers.storage.engine import Database
    from pos_customers.storage.migrate import upgrade
    from pos_customers.ui.app import PosApp
    empty = tmp_path / "empty.db"
    upgrade(Database(empty))  # tables, but no store
    app = PosApp(db_path=empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, 0.2)
        await sign_in(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "pos-customers init" in str(app.screen.query_one("#error").render())


async def test_a_registered_account_with_a_password_typed_at_the_till(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#row-password").has_class("hidden")
        await pilot.press(*"Eva", "tab", "tab", *"Lang")
        form.query_one("#email").value = "eva.lang@example.org"
        form.query_one("#account_type").value = "registered"
        await settle(app, pilot)
        assert not form.query_one("#row-password").has_class("hidden")
        form.query_one("#password").focus()
        await pilot.press(*"lang-2026")
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        assert app.screen is form
        error = str(form.query_one("#err-password").render())
        assert "Password needs" in error and "upper-case" in error
        form.query_one("#password").value = ""
        await pilot.press(*"Tee#Zeit-2026")
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        assert isinstance(app.screen, CustomerScreen)
    (hashed, kind), = db_rows(shop, "SELECT password_hash, account_type FROM customer WHERE last_name = 'Lang'")
    assert kind == "registered" and hashed.startswith("$argon2id$")
    assert b"Tee#Zeit-2026" not in shop.db.path.read_bytes()


async def test_a_manager_anonymizes_a_customer_after_typing_the_reference(make_app, shop):
    from pos_customers.ui.screens.dialogs import TypedConfirmModal

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"hans meier", "enter")
        await settle(app, pilot)
        card = app.screen
        ref = card.view.reference_display
        await pilot.press("ctrl+x")
        await settle(app, pilot)
        assert isinstance(app.screen, TypedConfirmModal)
        await pilot.press(*"WRONG", "enter")
        await settle(app, pilot)
        assert "nothing was changed" in str(app.screen.query_one("#typed-error").render())
        app.screen.query_one("#typed").value = ""
        await pilot.press(*ref.lower(), "enter")
        await settle(app, pilot, 0.3)
        assert app.screen is card
        assert card.view.display_name == "Anonymized customer"
        assert not card.check_action("edit", ()) and not card.check_action("anonymize", ())
    assert db_rows(shop, "SELECT count(*) FROM customer WHERE last_name = 'Meier'") == [(0,)]
    assert db_rows(shop, "SELECT count(*) FROM customer_email WHERE address = 'hans@meier.de'") == [(0,)]


async def test_an_associate_cannot_anonymize(make_app, shop):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"hans meier", "enter")
        await settle(app, pilot)
        assert not app.screen.check_action("anonymize", ())
        await pilot.press("ctrl+x")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CustomerScreen"
    assert db_rows(shop, "SELECT count(*) FROM customer WHERE last_name = 'Meier'") == [(1,)]


async def test_a_phone_number_too_long_for_the_protocol_is_refused_on_the_form(make_app, shop):
    """A number phonenumbers takes but E.164 does not (17 digits) is refused on its field: the app
    stays, what was typed stays, nothing is saved. An error about a field path that names no field
    of the form (a protocol path) goes to the form's top line instead of ending the app."""
    from pos_customers.domain.errors import FieldError
    from pos_customers.domain.i18n import Msg

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await new_customer_form(app, pilot, "Langnummer Berta")
        form.query_one("#phone", Input).value = "030 1234567890123"
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        assert app.screen is form and app.is_running
        assert "too many digits" in str(form.query_one("#err-phone").render())
        form._put_checks([FieldError("payload.fields.phones.0.e164", Msg("String should match pattern"))], [],
                         True)
        await settle(app, pilot)
        assert "String should match pattern" in str(form.query_one("#form-errors").render())
        assert form.query_one("#phone", Input).value == "030 1234567890123"
    assert db_rows(shop, "SELECT count(*) FROM customer WHERE 'Langnummer' IN (first_name, last_name)") == [(0,)]
