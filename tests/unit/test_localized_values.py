"""Values inside messages and money typed in the reader's language: the country's name, amounts
written the locale's way."""

from __future__ import annotations

import pytest

from pos_customers.domain import i18n
from pos_customers.domain.address import AddressInput, clean_address
from pos_customers.domain.i18n import tr


@pytest.mark.parametrize(("lang", "name"), [("en", "Germany"), ("de", "Deutschland"), ("fr", "Allemagne"),
                                            ("nl", "Duitsland")])
def test_an_address_error_names_the_country_in_the_readers_language(lang, name):
    _, errors = clean_address(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code="1234", country="DE"))
    assert errors, "a German postal code has five digits"
    i18n.set_language(lang)
    said = tr(errors[0].message)
    assert name in said and (lang == "en" or "Germany" not in said), said


@pytest.mark.parametrize(("locale", "typed", "minor"), [
    ("de_DE", "1.500,00", 150000), ("de_DE", "1500,50", 150050), ("de_DE", "25,00", 2500),
    ("de_DE", "1500.50", 150050),  # plainly, with a point: what scripts send
    ("en", "1,500.50", 150050), ("fr_FR", "1 500,50", 150050), ("nl_NL", "1.500,50", 150050)])
def test_money_is_read_as_the_locale_writes_it(locale, typed, minor):
    from pos_customers.domain import formats
    from pos_customers.domain.money import parse_amount

    formats.set_format_locale(locale)
    assert parse_amount(typed, "EUR") == minor


@pytest.mark.parametrize(("locale", "typed", "example"), [("de_DE", "1,500.50", "1.500,50"),
                                                          ("en", "1.500,50", "1,500.50"),
                                                          ("de_DE", "zwölf", "1.500,50")])
def test_money_not_read_is_refused_with_an_example_the_locales_way(locale, typed, example):
    from pos_customers.domain import formats
    from pos_customers.domain.errors import FieldProblem
    from pos_customers.domain.money import parse_amount

    formats.set_format_locale(locale)
    i18n.set_language(locale[:2])
    with pytest.raises(FieldProblem) as refused:
        parse_amount(typed, "EUR", what=i18n.Msg("Credit limit"))
    assert example in tr(refused.value), tr(refused.value)


@pytest.mark.parametrize(("locale", "shown"), [("de_DE", "27.03.1984"), ("fr_FR", "27/03/1984"),
                                               ("nl_NL", "27-03-1984"), ("en_US", "3/27/1984")])
def test_a_day_is_typed_and_read_back_the_locales_way(locale, shown):
    from datetime import date

    from pos_customers.domain import formats

    formats.set_format_locale(locale)
    assert formats.typed_date(date(1984, 3, 27)) == shown
    assert formats.parse_date_text(shown) == date(1984, 3, 27)


@pytest.mark.parametrize("typed, minor", [("-10.00", -1000), ("+25", 2500), ("−5,50", -550), ("7", 700)])
def test_a_signed_amount_takes_one_sign(typed, minor):
    from pos_customers.domain.credit import parse_signed

    assert parse_signed(typed, "EUR") == minor


@pytest.mark.parametrize("typed", ["---10.00", "--10", "+-5", "10-", "-"])
def test_a_signed_amount_with_more_signs_is_refused(typed):
    from pos_customers.domain.credit import parse_signed
    from pos_customers.domain.errors import FieldProblem

    with pytest.raises(FieldProblem):
        parse_signed(typed, "EUR")


def test_a_cut_name_keeps_the_surname_and_lets_the_organization_give_way():
    from pos_customers.ui.widgets.results import fit_name

    assert fit_name("Maximilian Meier", 14) == "Maximil… Meier"
    assert fit_name("Maxime Lambert (Yılmaz Handel B.V.)", 16).rstrip() == "Maxime Lambert"
    assert fit_name("Maxime Lambert (Yılmaz Handel B.V.)", 20) == "Maxime Lambert (Yıl…"
    assert fit_name("Franziska Buschmann (Yılmaz Handel B.V.)", 16) == "Franz… Buschmann"


def test_a_phone_number_too_long_for_its_column_keeps_its_digits():
    from pos_customers.ui.widgets.results import fit_phone

    assert fit_phone("0160 23896622", 14) == "0160 23896622 "
    assert fit_phone("+41 78 853 22 11", 14) == "+41788532211  "  # the spaces go, every digit stays
    assert fit_phone("+1 202-543-7144", 14) == "+12025437144  "  # and the hyphens
    assert fit_phone("+44 20 7946 0958 123", 14) == "…2079460958123"  # the last digits, read back
    assert fit_phone("+44 20 7946 0958 123", 1) == "…"
