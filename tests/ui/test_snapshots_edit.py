"""The screens of editing everything at 80x24: a blocked customer in the results and on the card,
the lower part of the edit form (more contacts, cards, status), the email/phone modal."""

from dataclasses import replace

from pos_customers.domain.customer import EmailInput
from pos_customers.services.customers import draft_from_view, update_customer
from pos_customers.services.search import search_customers
from tests.ui.conftest import settle
from tests.ui.test_snapshots import at_card


def _block_hans(svc, actor):
    from pos_customers.services.customers import get_customer

    row = next(r for r in search_customers(svc, actor, "hans meier").rows)
    view = get_customer(svc, actor, row.customer_id)
    draft = replace(draft_from_view(view), status="blocked", status_reason="unpaid invoices", cards=["2000012345678"],
                    emails=[*draft_from_view(view).emails, EmailInput("hans@work.example", "work", False, True)],
                    gender="MALE", salutation="MR", vat_number="DE136695976", credit_limit=150050)
    update_customer(svc, actor, view.id, draft, opened=view)


def test_blocked_customer_in_the_results(snap_compare, make_app, shop, admin):
    _block_hans(shop, admin)

    async def run(pilot):
        await at_card("me")(pilot)
        await pilot.press("escape")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_blocked_customer_card(snap_compare, make_app, shop, admin):
    _block_hans(shop, admin)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=at_card("hans meier"))


def test_edit_form_contacts_cards_and_status(snap_compare, make_app, shop, admin):
    _block_hans(shop, admin)

    async def run(pilot):
        await at_card("hans meier", "e")(pilot)
        status = pilot.app.screen.query_one("#status")
        status.focus()
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


def test_contact_modal(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=at_card("anna müller", "e", "f3"))
