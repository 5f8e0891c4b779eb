"""The national form of a stored number, made without phonenumbers' general parsing where that
cannot change the answer: the same form as the full path for every country's example numbers."""

import phonenumbers
import pytest

from pos_customers.domain.validation import _plain_e164, national_form, phone_from_e164


def _examples() -> list[str]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


def test_every_countrys_numbers_get_the_national_form_of_the_full_path():
    examples = _examples()
    assert len(examples) > 700
    assert [national_form(e) for e in examples] == [phone_from_e164(e).national for e in examples]
    assert sum(_plain_e164(e) is not None for e in examples) > 0.9 * len(examples)  # the short way


@pytest.mark.parametrize("e164", ["+390612345678",   # Italy: a national number starting with 0
                                  "+79123456789", "+5491123456789", "+12015550123", "+4930123456"])
def test_numbers_parse_reads_more_into_take_the_full_path_or_agree(e164):
    assert national_form(e164) == phone_from_e164(e164).national
    if e164.startswith("+390"):
        assert _plain_e164(e164) is None
