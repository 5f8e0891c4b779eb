"""Text folding shared by search, duplicate detection and validation."""

from __future__ import annotations

import re
import unicodedata

from .enums import CustomerType

_EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"}
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NON_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Müller' -> 'muller', 'Łukasz' -> 'lukasz'."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLDS))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text, punctuation and symbols dropped."""
    return _WORD.findall(fold(text))


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text)


def display_name(customer_type: str, first: str, middle: str, last: str, organization: str) -> str:
    """How a customer is named on screen: the organization's name, or the person's names in order."""
    if customer_type == CustomerType.ORGANIZATION:
        return organization
    return " ".join(x for x in (first, middle, last) if x)
