"""The domain's validation messages are values: an English template (the code) with named
parameters, English as text, translated at the edge with the field's name translated too."""

from __future__ import annotations

from datetime import date

import pytest

from pos_customers.domain import i18n
from pos_customers.domain.customer import CustomerDraft, EmailInput, PurposeRules, check_customer
from pos_customers.domain.errors import FieldProblem, ValidationFailed
from pos_customers.domain.i18n import Msg, tr
from pos_customers.domain.money import parse_amount
from pos_customers.domain.password import PasswordPolicy, password_needs, password_problems
from pos_customers.domain.reference import InvalidReference, parse_reference
from pos_customers.domain.validation import clean_person_name
from tests.helpers import TestCatalog as _Catalog


PURPOSES = PurposeRules(frozenset({"HOME", "BUSINESS"}), "HOME", "BUSINESS")


@pytest.fixture
def german():
    i18n.install("de", _Catalog({
        "{field} is too long ({length} characters, at most {limit})":
            "{field} ist zu lang ({length} Zeichen, höchstens {limit})",
        "{field} cannot contain digits": "{field} darf keine Ziffern enthalten",
        "First name": "Vorname", "Last name": "Nachname",
        "Password needs {needs}": "Das Passwort braucht {needs}",
        "a digit": "eine Ziffer", "an upper-case letter": "einen Großbuchstaben",
        "check character does not match: a character is mistyped":
            "Prüfzeichen stimmt nicht: ein Zeichen ist vertippt"}))
    i18n.set_language("de")
    yield
    i18n.set_language("en")
    i18n.forget_catalogs()


def _errors(draft: CustomerDraft) -> dict[str, object]:
    with pytest.raises(ValidationFailed) as exc:
        check_customer(draft, country="DE", today=date(2026, 11, 25), purposes=PURPOSES)
    return {e.field: e.message for e in exc.value.errors}


def test_a_validation_error_is_a_message_with_its_code_and_parameters(german):
    errors = _errors(CustomerDraft(first_name="A" * 81, last_name="Müller2"))
    too_long, digits = errors["first_name"], errors["last_name"]
    assert isinstance(too_long, Msg)
    assert too_long.text == "{field} is too long ({length} characters, at most {limit})"
    assert dict(too_long.params) == {"field": Msg("First name"), "length": 81, "limit": 80}
    assert str(too_long) == "First name is too long (81 characters, at most 80)"  # English for logs and audit
    assert tr(too_long) == "Vorname ist zu lang (81 Zeichen, höchstens 80)"  # the field's name translated too
    assert tr(digits) == "Nachname darf keine Ziffern enthalten"
    assert digits == "Last name cannot contain digits"  # compares as its English text, like the str it was


def test_problems_raised_for_one_value_carry_the_message(german):
    with pytest.raises(FieldProblem) as exc:
        clean_person_name("R2D2", what=Msg("First name"))
    assert exc.value.message == Msg("{field} cannot contain digits", field=Msg("First name"))
    assert str(exc.value) == "First name cannot contain digits" and tr(exc.value) == "Vorname darf keine Ziffern enthalten"
    with pytest.raises(FieldProblem) as exc:
        parse_amount("-5", "EUR", what="Bonus")  # a label a manager typed is shown as typed
    assert tr(exc.value) == "Bonus cannot be negative"
    with pytest.raises(InvalidReference) as exc:
        parse_reference("K7Q-M2X-R4Q")
    assert tr(exc.value) == "Prüfzeichen stimmt nicht: ein Zeichen ist vertippt"


def test_what_a_password_needs_is_one_sentence_of_translated_parts(german):
    problems = password_problems(PasswordPolicy(min_length=8), "abcdefgh!")
    needs = password_needs(problems)
    assert str(needs) == "Password needs an upper-case letter, a digit"
    assert tr(needs) == "Das Passwort braucht einen Großbuchstaben, eine Ziffer"


def test_email_errors_name_the_field_in_a_whole_sentence(german):
    errors = _errors(CustomerDraft(first_name="Anna", last_name="Müller", emails=[EmailInput("anna\u202e@x.de")]))
    msg = errors["emails.0.address"]
    assert msg.text == "{field} contains an invisible or control character ({character})"
    assert str(msg) == "Email contains an invisible or control character (U+202E RIGHT-TO-LEFT OVERRIDE)"
