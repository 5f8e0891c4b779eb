"""The new customer fields and loyalty cards between tills and a real headquarters: a blocked status,
VAT number and credit limit reach the other store; a card another store's customer holds is refused
by headquarters and parked at the till with the reason."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import select

from pos_customers.services import sync
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.storage.tables import OutboxEvent
from tests.helpers import person
from tests.sync.conftest import terminal

CARD = "2000012345678"


def test_details_travel_and_a_card_held_in_another_store_is_parked(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE", currency="EUR", language="de")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", cards=[CARD]))
    sync.sync_now(ber, admin)
    at_ham = sync.open_remote(ham, admin, anna.id)
    update_customer(ham, admin, anna.id, replace(draft_from_view(at_ham), status="blocked",
                                                 status_reason="unpaid invoices", vat_number="DE136695976",
                                                 tax_exempt=True, credit_limit=150050, salutation="MS"),
                    opened=at_ham)
    ben = create_customer(ham, admin, person("Ben", "Kurz", "ben@example.org"))
    sync.sync_now(ham, admin)
    # Hamburg gives Anna's card to Ben. Hamburg holds Anna (pulled in) and would refuse it at once;
    # headquarters is the check for a card the till has never seen: the till forgets Anna's card
    with ham.db.write() as s:
        s.connection().exec_driver_sql("DELETE FROM customer_card WHERE number = ?", (CARD,))
    view = get_customer(ham, admin, ben.id)
    update_customer(ham, admin, ben.id, replace(draft_from_view(view), cards=[CARD]), opened=view)
    result = sync.sync_now(ham, admin)
    assert result.parked == 1
    with ham.db.read() as s:
        [parked] = s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_not(None))).all()
    assert (parked.entity_id, parked.parked_status, parked.parked_field) == (ben.id, 409, "payload.fields.cards")
    assert CARD in parked.parked_reason
    # Berlin receives Hamburg's edit of Anna
    sync.sync_now(ber, admin)
    a = get_customer(ber, admin, anna.id)
    assert (a.status, a.status_reason, a.vat_number, a.tax_exempt, a.credit_limit, a.salutation) == (
        "blocked", "unpaid invoices", "DE136695976", True, 150050, "MS")
    assert a.cards == (CARD,)
