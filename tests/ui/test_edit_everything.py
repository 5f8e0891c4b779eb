"""The edit form of an existing customer: every email and phone, loyalty cards, status, and the
new fields; driven with keys at 80x24, checked in the database."""

import json

from textual.widgets import Checkbox, DataTable, Input, Label, Select

from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.ui.screens.contact import ContactModal
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.widgets.results import ResultsList
from tests.helpers import person
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import cells, db_rows


def _two_emails(svc, admin):
    from pos_customers.domain.customer import EmailInput

    draft = person("Lena", "Vogel", "lena@vogel.de", "0151 11122233")
    draft.emails.append(EmailInput("lena.alt@vogel.de", "other"))
    return create_customer(svc, admin, draft)


async def _open_form(app, pilot, query: str):
    await sign_in(app, pilot)
    await pilot.press(*query, "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerScreen)
    await pilot.press("e")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerFormScreen)
    return app.screen


async def test_edit_the_second_email_add_a_phone_and_scan_a_card(make_app, shop, admin):
    lena = _two_emails(shop, admin)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, "vogel")
        contacts = form.query_one("#more-contacts", DataTable)
        assert cells(contacts) == [["lena.alt@vogel.de", "other", ""]]
        contacts.focus()
        await pilot.press("enter")  # edit the second email
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, ContactModal)
        box = modal.query_one("#value", Input)
        box.value = ""
        await pilot.press(*"lena.work@vogel.de")
        modal.query_one("#purpose", Select).value = "work"
        modal.query_one("#marketing", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert cells(contacts) == [["lena.work@vogel.de", "work", "marketing"]]
        await pilot.press("f3")  # a second phone
        await settle(app, pilot)
        modal = app.screen
        modal.query_one("#kind", Select).value = "phone"
        await settle(app, pilot)
        modal.query_one("#value", Input).focus()
        await pilot.press(*"030 1234567")
        modal.query_one("#purpose", Select).value = "home"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert [r[0] for r in cells(contacts)] == ["lena.work@vogel.de", "030 1234567"]
        form.query_one("#card-input", Input).focus()
        await pilot.press(*"2000 0123 4567 8", "enter")  # a scanner types the digits, then Enter
        await settle(app, pilot)
        assert cells(form.query_one("#cards-list", DataTable)) == [["2000012345678"]]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen)
    emails = db_rows(shop, "SELECT address, purpose, is_primary, marketing_consent FROM customer_email"
                           " WHERE customer_id = ? ORDER BY is_primary DESC", lena.id)
    assert emails == [("lena@vogel.de", "personal", 1, 0), ("lena.work@vogel.de", "work", 0, 1)]
    assert db_rows(shop, "SELECT e164, purpose, is_primary FROM customer_phone WHERE customer_id = ?"
                         " ORDER BY is_primary DESC", lena.id) == [("+4915111122233", "mobile", 1),
                                                                 ("+49301234567", "home", 0)]
    assert db_rows(shop, "SELECT number FROM customer_card WHERE customer_id = ?", lena.id) == [("2000012345678",)]
    assert db_rows(shop, "SELECT contact_value, granted FROM consent_event WHERE customer_id = ?",
                   lena.id) == [("lena.work@vogel.de", 1)]
    (changes,), = db_rows(shop, "SELECT changes FROM audit_event WHERE entity_id = ? AND action = 'update'", lena.id)
    assert set(json.loads(changes)) == {"emails", "phones", "cards"}
    (payload,), = db_rows(shop, "SELECT payload FROM outbox_event WHERE entity_id = ?"
                                " AND event_type = 'customer.updated'", lena.id)
    assert json.loads(payload)["fields"]["cards"] == ["2000012345678"]


async def test_a_card_held_by_another_customer_is_refused_at_the_till(make_app, shop, admin):
    anna = next(c for c in _customers(shop, admin) if c.last_name == "Müller")
    update_customer(shop, admin, anna.id, _with_card(anna, "2000012345678"), opened=anna)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, "weiß")
        form.query_one("#card-input", Input).focus()
        await pilot.press(*"2000012345678", "enter")
        await settle(app, pilot)
        error = str(form.query_one("#err-card-input", Label).render())
        assert "belongs to Anna Müller" in error
        assert form.query_one("#cards-list", DataTable).row_count == 0


async def test_blocked_with_a_reason_is_marked_and_refused_for_a_sale(make_app, shop, admin):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, "hans meier")
        form.query_one("#status", Select).value = "blocked"
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)  # past the live check's 0.25 s: it must not hide the save's messages
        assert app.screen is form  # a blocked customer needs a reason
        assert "Say why the customer is blocked" in str(form.query_one("#err-status_reason", Label).render())
        assert app.focused is form.query_one("#status_reason", Input)
        await pilot.press(*"unpaid invoices", "ctrl+s")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, CustomerScreen)
        assert "BLOCKED: unpaid invoices" in str(card.query_one("#head").render())
        await pilot.press("s")
        await settle(app, pilot)
        assert app.sale_customer is None
        assert any("blocked (unpaid invoices)" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await settle(app, pilot)
        rows = cells(app.screen.query_one("#results", ResultsList))
        assert rows[0][0] == "⊘ Hans Meier"
        assert "⊘ blocked" in str(app.screen.query_one("#status", Label).render())
    assert db_rows(shop, "SELECT status, status_reason FROM customer WHERE last_name = 'Meier'") == [
        ("blocked", "unpaid invoices")]


async def test_an_associate_cannot_type_a_credit_limit(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, "zoe")
        assert form.query_one("#credit_limit", Input).disabled
        assert form.query_one("#gender", Select).is_blank()


def _customers(svc, actor):
    from pos_customers.services.search import search_customers

    return [get_customer(svc, actor, r.customer_id) for r in search_customers(svc, actor, "").rows]


def _with_card(view, number):
    from dataclasses import replace

    return replace(draft_from_view(view), cards=[number])



async def test_a_refused_save_lands_on_the_topmost_field_to_correct(make_app, shop, admin):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, "hans meier")
        form.query_one("#status", Select).value = "blocked"  # below the VAT number, and no reason given
        form.query_one("#vat_number", Input).value = "DE123456780"
        await settle(app, pilot, 0.3)
        await pilot.press("ctrl+s")
        await settle(app, pilot, 0.3)
        assert app.screen is form
        assert "Say why the customer is blocked" in str(form.query_one("#err-status_reason", Label).render())
        assert app.focused is form.query_one("#vat_number", Input)
