"""Dates, times, money, phones and addresses in the store's locale (domain/formats.py, Babel)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from pos_customers.domain import formats
from pos_customers.domain.address import AddressInput
from pos_customers.domain.formats import (
    address_lines,
    amount_text,
    date_text,
    datetime_text,
    money_text,
    number_text,
    phone_text,
    set_format_locale,
    store_locale,
)
from pos_customers.domain.money import format_minor, plain_minor

# an instant at 15:25 local time wherever the tests run (the formats show the local time zone)
LOCAL = datetime(2026, 11, 25, 15, 25, 24, 768783).astimezone()
BERLIN = AddressInput("Alexanderplatz 9", "", "Berlin", "", "", "10178", "DE")
US = AddressInput("1600 Amphitheatre Pkwy", "Building 4", "Mountain View", "", "CA", "94043", "US")


@pytest.mark.parametrize("loc, day, moment", [
    ("de_DE", "05.03.2026", "25.11.2026, 15:25"),
    ("fr_FR", "5 mars 2026", "25 nov. 2026, 15:25"),
    ("nl_NL", "5 mrt 2026", "25 nov 2026, 15:25"),
    ("en_US", "Mar 5, 2026", "Nov 25, 2026, 3:25 PM"),
])
def test_dates_and_date_times(loc, day, moment):
    set_format_locale(loc)
    assert date_text(date(2026, 3, 5)) == date_text("2026-03-05") == day
    # an aware datetime, the same instant in UTC, its ISO text and the stored (naive UTC) form
    utc = LOCAL.astimezone(timezone.utc)
    assert {datetime_text(LOCAL), datetime_text(utc), datetime_text(utc.isoformat()),
            datetime_text(utc.replace(tzinfo=None))} == {moment}
    assert date_text(LOCAL) == date_text(LOCAL.date())
    assert datetime_text(None) == "" and datetime_text("not a time") == "not a time"


@pytest.mark.parametrize("loc, eur, chf, usd, count", [
    ("de_DE", "1.500,50 €", "-12,05 CHF", "19,99 $", "1.234.567"),
    ("fr_FR", "1 500,50 €", "-12,05 CHF", "19,99 $US", "1 234 567"),
    ("nl_NL", "€ 1.500,50", "CHF -12,05", "US$ 19,99", "1.234.567"),
    ("en_US", "€1,500.50", "-CHF 12.05", "$19.99", "1,234,567"),
])
def test_money_from_minor_units_and_numbers(loc, eur, chf, usd, count):
    set_format_locale(loc)
    assert money_text(150050, "EUR") == format_minor(150050, "EUR") == eur
    assert money_text(-1205, "CHF") == chf and money_text(1999, "USD") == usd
    assert amount_text("1500.50", "EUR") == eur  # an order total as headquarters sends it
    assert number_text(1234567) == count
    assert money_text(None, "EUR") == ""


def test_money_keeps_every_minor_unit_and_never_goes_through_a_float():
    set_format_locale("de_DE")
    assert money_text(1500, "JPY") == "1.500 ¥"  # no decimals: its minor unit is the yen
    assert money_text(1500, "KWD") == "1,500 KWD"  # three decimals
    assert money_text(10**17 + 1, "EUR") == "1.000.000.000.000.000,01 €"  # a float would lose the cent
    assert amount_text("n/a", "EUR") == "n/a EUR"
    # what is stored (audit rows) does not follow the locale
    assert plain_minor(150050, "EUR") == "1500.50 EUR"


def test_phones_national_for_the_stores_country_international_otherwise():
    set_format_locale("de_DE")
    assert phone_text("+4915123456789") == "01512 3456789"
    assert phone_text("+12025550123") == "+1 202-555-0123"
    set_format_locale("en_US")
    assert phone_text("+4915123456789") == "+49 1512 3456789"
    assert phone_text("+12025550123") == "(202) 555-0123"
    assert phone_text("+4915123456789", "DE") == "01512 3456789"  # another country named
    assert phone_text("030 1234567") == "030 1234567" and phone_text("") == ""  # not E.164: as it is


def test_addresses_in_their_countrys_format():
    set_format_locale("de_DE")
    assert address_lines(BERLIN) == ["Alexanderplatz 9", "10178 Berlin"]  # the store's country: no country line
    assert address_lines(US) == ["1600 Amphitheatre Pkwy", "Building 4", "Mountain View, CA 94043",
                                 "Vereinigte Staaten"]
    set_format_locale("en_US")
    assert address_lines(US) == ["1600 Amphitheatre Pkwy", "Building 4", "Mountain View, CA 94043"]
    assert address_lines(BERLIN) == ["Alexanderplatz 9", "10178 Berlin", "Germany"]
    # a country the library does not know: the lines as stored, never an exception
    odd = AddressInput("Somewhere 1", "", "Town", "", "", "123", "XQ")
    assert address_lines(odd) == ["Somewhere 1", "123 Town", "XQ"]


def test_the_format_locale_is_the_stores_unless_support_names_a_language(monkeypatch):
    monkeypatch.delenv("POS_CUSTOMERS_LANG", raising=False)
    assert store_locale("de", "AT") == "de_AT" and store_locale("fr", "") == "fr"
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "en")
    assert store_locale("de", "DE") == "en_DE"  # English words, the store's money and phones
    assert set_format_locale("de-CH") == "de_CH" == formats.format_locale()
    assert set_format_locale("") == "en"
    set_format_locale("de_US")  # no such Babel locale: German formats, US phones
    assert money_text(1999, "USD") == "19,99 $" and phone_text("+12025550123") == "(202) 555-0123"


def test_terminals_get_plain_spaces():
    set_format_locale("fr_FR")
    text = money_text(123456789, "EUR") + datetime_text(LOCAL - timedelta(days=1))
    assert "\u202f" not in text and "\xa0" not in text


@pytest.mark.parametrize("loc, typed", [("de_DE", "06.03.1985"), ("en_US", "3/6/1985"), ("fr_FR", "06/03/1985"),
                                        ("nl_NL", "6-3-1985"), ("de_DE", "1985-03-06")])
def test_a_birth_date_typed_as_the_store_writes_dates_is_read(loc, typed):
    from pos_customers.domain.errors import FieldProblem
    from pos_customers.domain.validation import clean_birth_date

    formats.set_format_locale(loc)
    assert clean_birth_date(typed, today=date(2026, 12, 4)) == date(1985, 3, 6)
    with pytest.raises(FieldProblem):
        clean_birth_date("6.3.85", today=date(2026, 12, 4))  # a two-digit year is not guessed


def test_a_phone_number_too_short_for_its_country_is_shown_as_stored():
    formats.set_format_locale("de_DE")
    assert formats.phone_text("+33 1 4260 600") == "+33 1 4260 600"  # 8 digits: no French number
    assert formats.phone_text("+33142600600") == "+33 1 42 60 06 00"
