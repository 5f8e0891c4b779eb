"""Editing everything on a customer: contacts and their consent history, loyalty cards, status
with a reason, salutation, gender, VAT number, tax exemption and the managers' credit limit.
Each change is checked in the database, the audit trail and the outbox."""

import json
from dataclasses import replace

import pytest

from pos_customers.domain.customer import EmailInput
from pos_customers.domain.errors import FieldProblem, ValidationFailed
from pos_customers.domain.money import format_minor, parse_amount, plain_minor
from pos_customers.domain.validation import clean_vat_number
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import (card_holder, choose_for_sale, create_customer, draft_from_view,
                                              get_customer, update_customer)
from tests.helpers import person
from tests.services.test_customers import rows


def edit(svc, actor, view, **changes):
    return update_customer(svc, actor, view.id, replace(draft_from_view(view), **changes), opened=view)


def counts(svc, customer_id):
    return (rows(svc, "SELECT count(*) FROM audit_event WHERE entity_id = ?", customer_id)[0][0],
            rows(svc, "SELECT count(*) FROM outbox_event WHERE entity_id = ?", customer_id)[0][0])


def last_update(svc, customer_id):
    (payload,), = rows(svc, "SELECT payload FROM outbox_event WHERE entity_id = ? AND event_type = 'customer.updated'"
                            " ORDER BY seq DESC LIMIT 1", customer_id)
    (changes,), = rows(svc, "SELECT changes FROM audit_event WHERE entity_id = ? AND action = 'update'"
                            " ORDER BY id DESC LIMIT 1", customer_id)
    return json.loads(payload)["fields"], json.loads(changes)


def test_only_a_manager_sets_a_credit_limit(svc, associate, manager):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    before = counts(svc, view.id)
    with pytest.raises(PermissionDenied) as refused:
        edit(svc, associate, view, credit_limit="1500.50")
    # one line: who was refused what, and who may do it
    assert str(refused.value).endswith("(associate) may not set or change a customer's credit limit: "
                                       "ask a manager or an administrator")
    assert rows(svc, "SELECT credit_limit FROM customer WHERE id = ?", view.id) == [(None,)]
    assert counts(svc, view.id) == before  # nothing written, nothing queued
    saved = edit(svc, manager, view, credit_limit="1500,50")
    assert rows(svc, "SELECT credit_limit FROM customer WHERE id = ?", view.id) == [(150050,)]
    fields, changes = last_update(svc, view.id)
    assert fields == {"credit_limit": 150050}
    assert changes["credit_limit"] == {"old": None, "new": 150050}
    # the associate edits something else: the limit is kept, and no refusal
    again = edit(svc, associate, saved, company="Müller GmbH")
    assert again.credit_limit == 150050 and again.company == "Müller GmbH"
    with pytest.raises(PermissionDenied):
        edit(svc, associate, again, credit_limit=None)  # removing it is a change too
    with pytest.raises(PermissionDenied):
        create_customer(svc, associate, person("Ben", "Kurz", credit_limit="10"))


def test_a_blocked_customer_needs_a_reason_and_is_refused_for_a_sale(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    assert choose_for_sale(svc, associate, view.reference).id == view.id
    with pytest.raises(ValidationFailed) as no:
        edit(svc, associate, view, status="blocked")
    assert no.value.errors[0].field == "status_reason"
    blocked = edit(svc, associate, view, status="blocked", status_reason="card fraud suspected")
    assert rows(svc, "SELECT status, status_reason FROM customer WHERE id = ?", view.id) == [
        ("blocked", "card fraud suspected")]
    assert last_update(svc, view.id)[0] == {"status": "blocked", "status_reason": "card fraud suspected"}
    with pytest.raises(ValidationFailed) as no:
        choose_for_sale(svc, associate, view.id)
    assert "blocked (card fraud suspected)" in str(no.value)
    active = edit(svc, associate, blocked, status="active", status_reason="card fraud suspected")
    assert (active.status, active.status_reason) == ("active", "")  # the reason goes with the block
    assert choose_for_sale(svc, associate, view.id).id == view.id


def test_gender_and_salutation_come_from_the_reference_lists(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    with pytest.raises(ValidationFailed) as no:
        edit(svc, associate, view, gender="W", salutation="HERR")
    assert {e.field for e in no.value.errors} == {"gender", "salutation"}
    edit(svc, associate, view, gender="FEMALE", salutation="MS", title="Dr.")
    assert rows(svc, "SELECT gender, salutation, title FROM customer WHERE id = ?", view.id) == [
        ("FEMALE", "MS", "Dr.")]
    fields, changes = last_update(svc, view.id)
    assert fields == {"gender": "FEMALE", "salutation": "MS", "title": "Dr."}
    assert set(changes) == {"gender", "salutation", "title"}


def test_vat_number_is_checked_for_its_country_and_stored_compact(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    with pytest.raises(ValidationFailed) as no:
        edit(svc, associate, view, vat_number="DE 136 695 977")
    assert no.value.errors[0].field == "vat_number" and "not a valid DE VAT number" in no.value.errors[0].message
    saved = edit(svc, associate, view, vat_number="136 695 976", tax_exempt=True)  # the store's country: DE
    assert rows(svc, "SELECT vat_number, tax_exempt FROM customer WHERE id = ?", view.id) == [("DE136695976", 1)]
    assert last_update(svc, view.id)[0] == {"vat_number": "DE136695976", "tax_exempt": True}
    assert get_customer(svc, associate, view.id).tax_exempt is True
    edit(svc, associate, saved, vat_number="atu 13585627")
    assert rows(svc, "SELECT vat_number FROM customer WHERE id = ?", view.id) == [("ATU13585627",)]


def test_vat_rules_per_country():
    assert clean_vat_number("FR 40 303 265 045", country="DE") == "FR40303265045"
    assert clean_vat_number("", country="DE") == ""
    with pytest.raises(FieldProblem, match="cannot be checked"):
        clean_vat_number("123456789", country="US")


def test_second_email_with_its_own_consent_history(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    draft = draft_from_view(view)
    two = edit(svc, associate, view, emails=[*draft.emails, EmailInput("anna@work.de", "work", False, True)])
    assert rows(svc, "SELECT address, purpose, is_primary, marketing_consent FROM customer_email"
                     " WHERE customer_id = ? ORDER BY address", view.id) == [
        ("anna@gmx.de", "personal", 1, 0), ("anna@work.de", "work", 0, 1)]
    # the second becomes primary and withdraws consent; the first goes
    draft = draft_from_view(two)
    edit(svc, associate, two, emails=[replace(draft.emails[1], primary=True, marketing_consent=False)])
    assert rows(svc, "SELECT address, is_primary FROM customer_email WHERE customer_id = ?", view.id) == [
        ("anna@work.de", 1)]
    assert rows(svc, "SELECT contact_value, granted FROM consent_event WHERE customer_id = ? ORDER BY at, granted DESC",
                view.id) == [("anna@work.de", 1), ("anna@work.de", 0)]
    fields, changes = last_update(svc, view.id)
    assert fields["emails"] == [{"address": "anna@work.de", "purpose": "work", "primary": True,
                                 "marketing_consent": False}]
    assert "emails" in changes


def test_a_card_is_added_removed_and_unique_at_the_till(svc, associate):
    anna = create_customer(svc, associate, person(email="anna@gmx.de"))
    ben = create_customer(svc, associate, person("Ben", "Kurz"))
    anna = edit(svc, associate, anna, cards=["2000 0123 4567 8"])
    assert rows(svc, "SELECT number, customer_id FROM customer_card") == [("2000012345678", anna.id)]
    assert last_update(svc, anna.id)[0] == {"cards": ["2000012345678"]}
    assert card_holder(svc, associate, "2000012345678", exclude_id=ben.id).id == anna.id
    assert card_holder(svc, associate, "2000012345678", exclude_id=anna.id) is None
    with pytest.raises(ValidationFailed, match="belongs to another customer"):
        edit(svc, associate, ben, cards=["2000012345678"])
    edit(svc, associate, anna, cards=[])
    assert rows(svc, "SELECT count(*) FROM customer_card") == [(0,)]
    edit(svc, associate, ben, cards=["2000012345678"])
    assert rows(svc, "SELECT customer_id FROM customer_card") == [(ben.id,)]


def test_amounts_are_whole_minor_units():
    assert parse_amount("1500,50", "EUR") == 150050
    assert parse_amount("1500", "JPY") == 1500
    assert parse_amount("0.1", "EUR") + parse_amount("0.2", "EUR") == parse_amount("0.3", "EUR")
    assert format_minor(150050, "EUR") == "€1,500.50" and format_minor(1500, "JPY") == "¥1,500"  # en: no store
    assert plain_minor(150050, "EUR") == "1500.50 EUR" and plain_minor(1500, "JPY") == "1500 JPY"  # what is stored
    for bad in ("1500.5", "-1", "abc", "nan", "1e20"):
        with pytest.raises(FieldProblem):
            parse_amount(bad, "JPY")


def test_anonymizing_erases_the_new_fields(svc, admin):
    from pos_customers.services.privacy import anonymize_customer

    view = create_customer(svc, admin, person(email="anna@gmx.de", gender="FEMALE", salutation="MS",
                                              vat_number="DE136695976", credit_limit=1000))
    anonymize_customer(svc, admin, view.id, view.reference)
    assert rows(svc, "SELECT gender, salutation, vat_number, credit_limit FROM customer WHERE id = ?",
                view.id) == [("", "", "", None)]
