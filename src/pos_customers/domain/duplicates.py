"""Is this draft someone we already know? Phonetic keys and fuzzy name scores (pure).

Candidates come from the store by exact email, exact phone, or the same phonetic name key
together with the same postal code or date of birth; :func:`similar_name` then confirms the
names really are alike (Meier / Meyer / Maier, Müller / Mueller) before a reason is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jellyfish

from .enums import CustomerType
from .text import fold, words

NAME_SCORE = 82.0
FIRST_NAME_SIMILARITY = 0.85


@lru_cache(maxsize=65536)  # surnames repeat: a pull of a million customers asks for a few thousand
def name_key(customer_type: str, last_name: str, organization_name: str) -> str:
    """Soundex of the folded surname (or organization name): Meier, Meyer, Maier -> M600."""
    source = organization_name if customer_type == CustomerType.ORGANIZATION else last_name
    letters = "".join(words(source))
    letters = "".join(c for c in letters if "a" <= c <= "z")
    return jellyfish.soundex(letters) if letters else ""


@dataclass(frozen=True)
class NameParts:
    customer_type: str
    first_name: str
    last_name: str
    organization_name: str

    @property
    def full(self) -> str:
        if self.customer_type == CustomerType.ORGANIZATION:
            return fold(self.organization_name)
        return fold(f"{self.first_name} {self.last_name}")


def similar_name(a: NameParts, b: NameParts) -> bool:
    from rapidfuzz import fuzz  # imported by the duplicate check that compares, not by every reader
    from rapidfuzz.distance import JaroWinkler

    if a.customer_type != b.customer_type:
        return False
    if a.customer_type == CustomerType.ORGANIZATION:
        return fuzz.token_sort_ratio(a.full, b.full) >= NAME_SCORE
    if name_key(a.customer_type, a.last_name, "") != name_key(b.customer_type, b.last_name, ""):
        return False
    first_a, first_b = fold(a.first_name), fold(b.first_name)
    if not first_a or not first_b:
        return False
    return (first_a == first_b
            or JaroWinkler.similarity(first_a, first_b) >= FIRST_NAME_SIMILARITY
            or jellyfish.soundex(first_a) == jellyfish.soundex(first_b))


@dataclass(frozen=True)
class DuplicateReason:
    kind: str  # email | phone | name_birth_date | name_postal_code
    detail: str
