"""Field rules of the customer domain. Pure functions: no database, no UI.

Each ``clean_*`` returns the normalised value to store or raises FieldProblem with a message
written for the associate at the till (a :class:`~.i18n.Msg`; ``what``, the field's name in it, is
a Msg too, e.g. ``Msg("First name")``, or a label a manager typed, shown as typed).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from .errors import FieldProblem
from .i18n import Msg
from .text import hostile_problem

if TYPE_CHECKING:  # phonenumbers takes 30-60 ms to import: the functions on phone numbers import it
    import phonenumbers

NAME_MAX = 80
ORG_NAME_MAX = 160
SUFFIX_MAX = 20  # the record's, the sync document's and the table's bound
TEXT_MAX = 500
OLDEST_AGE = 120

_NAME_PUNCTUATION = set(" .'’-‐,")


def clean_text(value: str | None, *, max_len: int = TEXT_MAX, required: bool = False,
               what: Msg | str = Msg("This field")) -> str:
    """NFC-normalised, trimmed, single-line text without control characters."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        if required:
            raise FieldProblem(Msg("{field} is required", field=what))
        return ""
    problem = hostile_problem(text, what)
    if problem:
        raise FieldProblem(problem)
    if len(text) > max_len:
        raise FieldProblem(_too_long(what, len(text), max_len))
    return " ".join(text.split())


def _too_long(what: Msg | str, length: int, limit: int) -> Msg:
    return Msg("{field} is too long ({length} characters, at most {limit})", field=what, length=length, limit=limit)


def _in_names(ch: str) -> bool:
    """A character a person's name may hold: a letter, a combining mark, a space or . ' - ,"""
    return unicodedata.category(ch)[0] in ("L", "M") or ch in _NAME_PUNCTUATION


def name_characters(text: str) -> str:
    """Only what a name may hold of ``text`` (:func:`_in_names`), words of nothing else dropped:
    "meier 😀" -> "meier" (what a search typed becomes a name to correct)."""
    return " ".join("".join(filter(_in_names, text)).split())


def clean_person_name(value: str | None, *, required: bool = False, what: Msg | str = Msg("Name")) -> str:
    """Letters, combining marks, spaces and . ' - , only: no digits, symbols or emoji."""
    text = clean_text(value, max_len=NAME_MAX, required=required, what=what)
    if not text:
        return text
    for ch in text:
        if _in_names(ch):
            continue
        if unicodedata.category(ch)[0] == "N":
            raise FieldProblem(Msg("{field} cannot contain digits", field=what))
        raise FieldProblem(Msg("{field} cannot contain '{character}'", field=what, character=ch))
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        raise FieldProblem(Msg("{field} must contain letters", field=what))
    return text


def clean_name_suffix(value: str | None) -> str:
    """A name suffix (Jr., Sr., III, 2nd): a person name's letters and punctuation, and digits."""
    text = clean_text(value, max_len=SUFFIX_MAX, what=Msg("Suffix"))
    for ch in text:
        if unicodedata.category(ch)[0] not in ("L", "M", "N") and ch not in _NAME_PUNCTUATION:
            raise FieldProblem(Msg("{field} cannot contain '{character}'", field=Msg("Suffix"), character=ch))
    if text and not any(ch.isalnum() for ch in text):
        raise FieldProblem(Msg("Suffix must contain letters or digits"))
    return text


def clean_organization_name(value: str | None, *, required: bool = True) -> str:
    return clean_text(value, max_len=ORG_NAME_MAX, required=required, what=Msg("Organization name"))


@dataclass(frozen=True)
class Email:
    address: str  # normalised form as email-validator gives it (domain lower-cased, IDNA)
    key: str  # case-folded, for matching and uniqueness checks


def clean_email(value: str) -> Email:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        raise FieldProblem(Msg("{field} is required", field=Msg("Email")))
    problem = hostile_problem(text, Msg("Email"))
    if problem:
        raise FieldProblem(problem)
    if len(text) > 254:
        raise FieldProblem(_too_long(Msg("Email"), len(text), 254))
    from email_validator import EmailNotValidError, validate_email  # 20-40 ms to import: only to check one

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldProblem(Msg("Email is not valid: {reason}", reason=_email_reason(str(exc)))) from None
    return Email(address=result.normalized, key=result.normalized.casefold())


@dataclass(frozen=True)
class Phone:
    e164: str
    national: str
    international: str
    region: str | None

    @property
    def digit_forms(self) -> tuple[str, str]:
        """E.164 digits and national digits: what a typed fragment is matched against."""
        return self.e164.lstrip("+"), "".join(c for c in self.national if c.isdigit())


#: the most digits a phone number has, its country code included (ITU-T E.164)
E164_DIGITS = 15


def clean_phone(value: str, default_region: str) -> Phone:
    import phonenumbers

    text = (value or "").strip()
    if not text:
        raise FieldProblem(Msg("{field} is required", field=Msg("Phone number")))
    if len(text) > 40:
        raise FieldProblem(_too_long(Msg("Phone number"), len(text), 40))
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise FieldProblem(Msg("Phone number is not valid: {reason}", reason=_phone_reason(exc))) from None
    if not phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number) or default_region.upper()
        raise FieldProblem(
            Msg("Phone number is not valid for {region}: check the digits or add the country code", region=region)
        )
    phone = phone_from_number(number)
    if len(phone.e164) - 1 > E164_DIGITS:  # phonenumbers takes some longer ones ("030 1234567890123")
        raise FieldProblem(Msg("Phone number has too many digits: at most {n} with the country code",
                               n=E164_DIGITS))
    return phone


def phone_from_number(number: phonenumbers.PhoneNumber) -> Phone:
    import phonenumbers

    fmt = phonenumbers.PhoneNumberFormat
    return Phone(
        e164=phonenumbers.format_number(number, fmt.E164),
        national=phonenumbers.format_number(number, fmt.NATIONAL),
        international=phonenumbers.format_number(number, fmt.INTERNATIONAL),
        region=phonenumbers.region_code_for_number(number),
    )


def phone_from_e164(e164: str) -> Phone:
    import phonenumbers

    return phone_from_number(phonenumbers.parse(e164, None))


def national_form(e164: str) -> str:
    """The national form of a stored number: ``phone_from_e164(e164).national`` at a third of the
    cost (a pull derives it for every phone it receives, a million at a chain's size)."""
    import phonenumbers

    number = _plain_e164(e164) or phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _plain_e164(e164: str) -> phonenumbers.PhoneNumber | None:
    """The number ``phonenumbers.parse`` reads from a plain "+<country code><national number>",
    without its general parsing; None where parse might read more into it (a national number
    starting with 0, or with the country's national prefix): those go through parse."""
    import phonenumbers

    digits = e164[1:]
    if e164[:1] != "+" or not (digits.isascii() and digits.isdigit()) or digits[:1] in ("", "0"):
        return None
    for size in (1, 2, 3):  # country codes are 1 to 3 digits, none a prefix of another
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            break
    else:
        return None
    if not 2 <= len(national) <= 17 or national[0] == "0":
        return None
    prefix = _national_prefix(code)
    if prefix is not None and prefix.match(national):
        return None
    return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))


@cache
def _national_prefix(code: int) -> re.Pattern | None:
    """What parse strips from a national number of this country code as a national prefix."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


def _phone_reason(exc: phonenumbers.NumberParseException) -> Msg:
    import phonenumbers

    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: Msg("unknown country code"),
        phonenumbers.NumberParseException.NOT_A_NUMBER: Msg("it is not a phone number"),
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: Msg("too short"),
        phonenumbers.NumberParseException.TOO_SHORT_NSN: Msg("too short"),
        phonenumbers.NumberParseException.TOO_LONG: Msg("too long"),
    }
    return reasons.get(exc.error_type, Msg("it cannot be read"))


# email-validator's most common reasons, in words a catalog translates; any other stays the library's
_EMAIL_REASONS = (
    ("must have an @-sign", Msg("it needs an @ sign")),
    ("invalid characters: '@'", Msg("it has more than one @ sign")),
    ("It should have a period", Msg("the part after the @ needs a dot, as in example.com")),
    ("something before the @-sign", Msg("something must come before the @ sign")),
    ("something after the @-sign", Msg("something must come after the @ sign")),
    ("invalid characters before the @-sign: SPACE", Msg("it has a space")),
    ("invalid characters: SPACE", Msg("it has a space")),
    ("two periods in a row", Msg("it has two dots in a row")),
)


def _email_reason(text: str) -> Msg | str:
    return next((said for found, said in _EMAIL_REASONS if found in text), text)


def clean_birth_date(value: date | str | None, *, today: date) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            from .formats import parse_date_text

            typed = parse_date_text(value)  # as the store writes dates: 27.03.1984 in Germany
            if typed is None:
                from .formats import DayExample

                raise FieldProblem(Msg("Date of birth must be a date like {example}",
                                       example=DayExample(date(1984, 3, 27)))) from None
            value = typed
    if value > today:
        raise FieldProblem(Msg("Date of birth cannot be in the future"))
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age > OLDEST_AGE:
        raise FieldProblem(Msg("Date of birth is not plausible (over {years} years ago)", years=OLDEST_AGE))
    return value


def clean_country(value: str | None, *, what: Msg | str = Msg("Country")) -> str:
    from .address import known_country

    code = (value or "").strip().upper()
    if not code:
        raise FieldProblem(Msg("{field} is required", field=what))
    if not known_country(code):
        raise FieldProblem(Msg("{field} '{code}' is not a known ISO country code", field=what, code=code))
    return code


def clean_language(value: str | None) -> str:
    """A BCP 47-ish tag: 'de', 'de-AT', 'en-GB'."""
    text = (value or "").strip()
    if not text:
        return ""
    parts = text.replace("_", "-").split("-")
    if not (2 <= len(parts[0]) <= 3 and parts[0].isalpha()) or any(
        not (p.isalnum() and 2 <= len(p) <= 8) for p in parts[1:]
    ):
        raise FieldProblem(Msg("Language '{code}' is not a language code like de or en-GB", code=text))
    return "-".join([parts[0].lower(), *[p.upper() if len(p) == 2 else p for p in parts[1:]]])


def clean_currency(value: str | None) -> str:
    code = (value or "").strip().upper()
    if not code:
        return ""
    if len(code) != 3 or not code.isalpha():
        raise FieldProblem(Msg("Currency '{code}' is not an ISO 4217 code like EUR", code=value))
    return code


VAT_MAX = 32


def clean_vat_number(value: str | None, *, country: str) -> str:
    """A VAT number checked by the rules of its country (python-stdnum), stored compact with its
    country prefix (``DE136695976``). A number that starts with a country code is checked as that
    country's; otherwise as ``country``'s (the customer's billing address, else the store's)."""
    text = "".join(clean_text(value, max_len=VAT_MAX + 16, what=Msg("VAT number")).split()).upper()
    if not text:
        return ""
    from stdnum import get_cc_module  # 7-10 ms to import: only when there is a number to check
    from stdnum.exceptions import ValidationError as StdnumError

    if len(text) > VAT_MAX:
        raise FieldProblem(_too_long(Msg("VAT number"), len(text), VAT_MAX))
    prefix = text[:2]
    cc = (country or "").upper()
    if prefix.isalpha() and get_cc_module("gr" if prefix == "EL" else prefix.lower(), "vat") is not None:
        cc = "GR" if prefix == "EL" else prefix
    module = get_cc_module(cc.lower(), "vat") if len(cc) == 2 and cc.isalpha() else None
    if module is None:
        raise FieldProblem(Msg("VAT numbers of country '{country}' cannot be checked here: "
                               "start the number with its country code, e.g. DE136695976", country=cc or "?"))
    try:
        compact = module.compact(module.validate(text))
    except StdnumError:
        raise FieldProblem(Msg("'{number}' is not a valid {country} VAT number", number=value.strip(),
                               country=cc)) from None
    own = "EL" if cc == "GR" and compact.startswith("EL") else cc
    return compact if compact.startswith(own) else own + compact
