"""A typed phone number's E.164 form, read without ``phonenumbers`` for the plain shapes
(``domain.search.plain_e164``), is the one ``phonenumbers`` reads whenever the number is valid:
for every region's example numbers, typed in every form a till accepts, from a till in any of
several countries."""

import random
from functools import cache

import phonenumbers
import pytest

from pos_customers.domain.search import parse_query, phone_e164, plain_e164
from pos_customers.domain.text import digits

FMT = phonenumbers.PhoneNumberFormat
# a till in Germany, and countries whose prefixes differ: 1 (US), 8 (RU), none (IT), patterns (GB, AR, BR)
TILLS = ["DE", "US", "RU", "IT", "GB", "AR", "BR", ""]
MORE_TILLS = ["AT", "CH", "FR", "NL", "BE", "ES", "SE", "MX", "HU", "JP"]


@cache
def examples() -> list[phonenumbers.PhoneNumber]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.TOLL_FREE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None and phonenumbers.is_valid_number(number):
                out.append(number)
    return out


def typed_forms(number: phonenumbers.PhoneNumber) -> list[str]:
    national = phonenumbers.format_number(number, FMT.NATIONAL)
    e164 = phonenumbers.format_number(number, FMT.E164)
    return [e164, phonenumbers.format_number(number, FMT.INTERNATIONAL), national, digits(national),
            "00" + e164[1:], e164[1:], str(number.national_number)]


def reference(text: str, country: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, FMT.E164) if phonenumbers.is_valid_number(parsed) else None


@pytest.mark.parametrize("country, share", [("DE", 4), ("RU", 4)] + [
    pytest.param(c, 1, marks=pytest.mark.slow) for c in TILLS + MORE_TILLS])
def test_plain_shapes_read_as_phonenumbers_reads_valid_numbers(country, share):
    """Everyday: a quarter of the examples from a till in Germany and in Russia (8 is both its trunk
    prefix and the start of its toll-free numbers); every example from every till: slow."""
    checked = 0
    for number in examples()[::share]:
        for text in typed_forms(number):
            if not set(text) <= set("0123456789 +()-./"):
                continue
            expected = reference(text, country)
            plain = plain_e164(text, digits(text), country)
            if expected is not None:
                # a valid number: the plain reading is the same number, or it leaves it to phonenumbers
                assert plain in (expected, None), (text, country)
                checked += plain is not None
            elif plain:
                # no valid number: the plain reading names a number nobody has, or one that is
                # valid read this way (phonenumbers' own reading of the same digits)
                assert reference(plain, "") in (plain, None), (text, country)
            assert phone_e164(text, digits(text), country) in (expected, plain or None)
    assert checked > 100


def test_random_numbers_of_the_tills_country():
    rng = random.Random(15)
    for _ in range(1000):
        text = rng.choice(["0", "+49", "", "+49 0", "00", "49"]) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(2, 14)))
        expected = reference(text, "DE")
        plain = plain_e164(text, digits(text), "DE")
        if expected is not None:
            assert plain in (expected, None), text


@pytest.mark.parametrize("typed", ["0151 23456789", "+49 151 23456789", "(0151) 2345-6789", "015123456789",
                                   "0049 151 23456789", "+49 (0)151 23456789"])
def test_every_form_of_a_mobile_number(typed):
    assert parse_query(typed, country="DE").phone_e164 == "+4915123456789"


def test_a_card_number_is_no_phone_number_anybody_has():
    q = parse_query("2000012345678", country="DE")
    assert q.card == "2000012345678" and q.complete
    assert q.phone_e164 in (None, "+492000012345678")
