"""Amounts of money as whole minor units (cents): parsed from what a person types, never a float."""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import FieldProblem
from .i18n import Msg

#: currencies whose minor unit is not the hundredth (ISO 4217); every other one has two digits
_DIGITS = {"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
           "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
           "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}
MAX_MINOR = 10**13  # a hundred billion in a two-digit currency: far beyond any credit limit


def minor_digits(currency: str) -> int:
    return _DIGITS.get((currency or "").upper(), 2)


class AmountExample(Msg):
    """An amount as a hint shows it: ``1500.50`` in English text (logs, tests), written the store's
    way at the edge (``1.500,50`` in de, ``1 500,50`` in fr, Babel)."""

    __slots__ = ("amount", "digits")

    def __init__(self, amount: str, digits: int = 2):
        super().__init__(f"{Decimal(amount):.{digits}f}")
        self.amount, self.digits = amount, digits

    def translated(self) -> str:
        from .formats import number_example

        return number_example(self.amount, self.digits)


_CANONICAL = re.compile(r"\d+(?:[.,]\d+)?")


def parse_amount(text: str, currency: str, *, what: Msg | str = Msg("Amount")) -> int:
    """An amount as the store's locale writes it (Babel, strict grouping: ``1.500,50`` and
    ``1500,50`` in de, ``1,500.50`` in en), or plainly with a point or a comma for the decimals
    (``1500.50``, ``1500,50``: what scripts and other tills send), as whole minor units of
    ``currency``. Anything else is refused with an example written the locale's way."""
    from .formats import parse_number

    raw = (text or "").strip()
    amount = parse_number(raw) if raw else None
    if amount is None:
        plain = raw.replace(" ", "").replace("_", "")
        amount = Decimal(plain.replace(",", ".")) if _CANONICAL.fullmatch(plain) else None
    if amount is None or not amount.is_finite():
        raise FieldProblem(Msg("{field} must be a number like {example}", field=what,
                               example=AmountExample("1500.50", minor_digits(currency))))
    if amount < 0:
        raise FieldProblem(Msg("{field} cannot be negative", field=what))
    digits = minor_digits(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise FieldProblem(Msg("{field} has more than {digits} decimal places", field=what, digits=digits))
    if minor > MAX_MINOR:
        raise FieldProblem(Msg("{field} is too large", field=what))
    return int(minor)


def format_minor(minor: int | None, currency: str) -> str:
    """Whole minor units as a person of the store reads money (Babel, the format locale):
    ``150050`` EUR -> ``1.500,50 €`` in de_DE, ``€1,500.50`` in en. See :mod:`.formats`."""
    from .formats import money_text

    return money_text(minor, currency)


def plain_minor(minor: int | None, currency: str) -> str:
    """Whole minor units in major units with the currency code, the same in every locale:
    ``150050`` -> ``1500.50 EUR``. What is stored (audit rows) and said below the edge."""
    if minor is None:
        return ""
    digits = minor_digits(currency)
    amount = Decimal(minor).scaleb(-digits)
    return f"{amount:.{digits}f} {currency}".strip()


class Money(Msg):
    """An amount as a parameter of a message made below the edge: the English text (logs, what is
    stored) says :func:`plain_minor` (``12.50 EUR``), the edge shows :func:`format_minor` in the
    store's format (``12,50 €``)."""

    __slots__ = ("minor", "currency")

    def __init__(self, minor: int, currency: str):
        super().__init__(plain_minor(minor, currency))
        self.minor, self.currency = minor, currency

    def translated(self) -> str:
        return format_minor(self.minor, self.currency)
