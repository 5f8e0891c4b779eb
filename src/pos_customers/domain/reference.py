"""Customer references: short, non-sequential, unique across stores, with a check character.

A reference is made from the store number and the store's local sequence number, so a
terminal can hand one out offline without asking headquarters. The pair is packed into a
39-bit integer and passed through a keyed Feistel permutation (cycle-walking keeps it inside
the 39-bit domain), so consecutive customers get unrelated-looking references while the
mapping stays a bijection: two different (store, sequence) pairs never share a reference.

The result is written in a 31-symbol alphabet (digits and upper-case letters without the
easily confused I, L, O, U and Z), eight symbols, plus one check symbol. Because 31 is
prime and neighbouring positions carry different weights, the check catches every single
wrong symbol and every swap of two neighbouring symbols.

Displayed as three groups of three: ``K7Q-M2X-R4P``. Input is accepted in any case, with
or without separators, and with the usual look-alikes (O for 0, I and L for 1).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
BASE = len(ALPHABET)  # 31, a prime
PAYLOAD_LEN = 8
STORE_BITS = 13
SEQ_BITS = 26
DOMAIN_BITS = STORE_BITS + SEQ_BITS  # 39 bits < 31**8
MAX_STORE = (1 << STORE_BITS) - 1
MAX_SEQUENCE = (1 << SEQ_BITS) - 1
_HALF = 20  # the Feistel network works on 40 bits; cycle-walking brings it back under 2**39
_MASK = (1 << _HALF) - 1
_ROUNDS = 6
_KEY = b"pos-customers/customer-reference/v1"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V", "Z": "2"})
_SEPARATORS = re.compile(r"[\s\-_./]+")

assert BASE**PAYLOAD_LEN > (1 << DOMAIN_BITS)


class ReferenceError_(ValueError):
    """Raised for text that is not a valid customer reference."""


InvalidReference = ReferenceError_


def _round(value: int, rnd: int) -> int:
    digest = hashlib.blake2b(
        value.to_bytes(3, "big"), key=_KEY, digest_size=4, person=bytes([rnd]) * 16
    ).digest()
    return int.from_bytes(digest, "big") & _MASK


def _feistel(x: int) -> int:
    left, right = x >> _HALF, x & _MASK
    for rnd in range(_ROUNDS):
        left, right = right, left ^ _round(right, rnd)
    return (left << _HALF) | right


def _feistel_inverse(x: int) -> int:
    left, right = x >> _HALF, x & _MASK
    for rnd in reversed(range(_ROUNDS)):
        left, right = right ^ _round(left, rnd), left
    return (left << _HALF) | right


def _permute(x: int) -> int:
    y = _feistel(x)
    while y >> DOMAIN_BITS:  # cycle-walk until we are back in the 39-bit domain
        y = _feistel(y)
    return y


def _unpermute(y: int) -> int:
    x = _feistel_inverse(y)
    while x >> DOMAIN_BITS:
        x = _feistel_inverse(x)
    return x


def check_symbol(payload: str) -> str:
    """The symbol that makes the weighted sum of all nine symbols 0 modulo 31."""
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(payload))
    # the check symbol sits at position len(payload)+1; solve w*c == -total (mod 31)
    weight = len(payload) + 1
    inverse = pow(weight, -1, BASE)
    return ALPHABET[(-total * inverse) % BASE]


def _is_consistent(symbols: str) -> bool:
    return sum((i + 1) * _VALUE[c] for i, c in enumerate(symbols)) % BASE == 0


def make_reference(store_number: int, sequence: int) -> str:
    """The canonical (compact, upper-case) reference for a store's n-th customer."""
    if not 1 <= store_number <= MAX_STORE:
        raise ValueError(f"store number must be between 1 and {MAX_STORE}")
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be between 0 and {MAX_SEQUENCE}")
    value = _permute((store_number << SEQ_BITS) | sequence)
    symbols = []
    for _ in range(PAYLOAD_LEN):
        value, digit = divmod(value, BASE)
        symbols.append(ALPHABET[digit])
    payload = "".join(reversed(symbols))
    return payload + check_symbol(payload)


def normalize(text: str) -> str:
    """Upper-case, separators removed, look-alike letters mapped. Does not validate."""
    return _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)


def looks_like_reference(text: str) -> bool:
    """True when the text, normalised, is a well-formed reference with a valid check symbol."""
    compact = normalize(text)
    return (
        len(compact) == PAYLOAD_LEN + 1
        and all(c in _VALUE for c in compact)
        and _is_consistent(compact)
    )


def parse_reference(text: str) -> str:
    """The canonical form of a typed reference; raises InvalidReference with a clear reason."""
    compact = normalize(text)
    if len(compact) != PAYLOAD_LEN + 1:
        raise InvalidReference(
            f"a customer reference has {PAYLOAD_LEN + 1} characters, got {len(compact)}"
        )
    bad = [c for c in compact if c not in _VALUE]
    if bad:
        raise InvalidReference(f"'{bad[0]}' cannot appear in a customer reference")
    if not _is_consistent(compact):
        raise InvalidReference("check character does not match: a character is mistyped")
    return compact


def format_reference(reference: str) -> str:
    """``K7QM2XR4P`` -> ``K7Q-M2X-R4P``."""
    compact = normalize(reference)
    return "-".join(compact[i : i + 3] for i in range(0, len(compact), 3))


@dataclass(frozen=True)
class ReferenceOrigin:
    store_number: int
    sequence: int


def decode_reference(reference: str) -> ReferenceOrigin:
    """Which store issued a reference, and as its how-many-th customer."""
    compact = parse_reference(reference)
    value = 0
    for c in compact[:PAYLOAD_LEN]:
        value = value * BASE + _VALUE[c]
    if value >> DOMAIN_BITS:
        raise InvalidReference("not a reference issued by this system")
    x = _unpermute(value)
    return ReferenceOrigin(store_number=x >> SEQ_BITS, sequence=x & MAX_SEQUENCE)
