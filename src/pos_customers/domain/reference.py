"""Customer references: short, non-sequential, unique across the chain, with a check character.

A reference is made on the till, offline, from numbers no other till can hold at the same time:
the store number (1..8191, from headquarters), the till's terminal number within its store
(headquarters hands it out at enrolment, or ``init --terminal N``) and the till's own sequence.
The numbers are packed into an integer and passed through a keyed Feistel permutation, so
consecutive customers get unrelated-looking references while the mapping stays a bijection.

The integer is written in a 31-symbol alphabet (digits and upper-case letters without the
easily confused I, L, O, U and Z), eight symbols, plus one check symbol. Because 31 is prime
and neighbouring positions carry different weights, the check catches every single wrong
symbol and every swap of two neighbouring symbols.

Eight symbols hold 31**8 = 852,891,037,441 values, split into three ranges that never overlap:

====================  ====================================  =====================================
range of the value    packed numbers                        capacity
====================  ====================================  =====================================
0 .. 2**39-1          store (13 bits), store sequence (26)  references made before till numbers:
                                                            still valid, decoded with terminal None
2**39 .. +2**38       store (13), till 1..64 (6), seq (19)  64 tills per store, 524,288 each
2**39+2**38 .. +2**34 store (13), seq (21); terminal 0      2,097,152 per store made in bulk
                                                            (demo seeding, headquarters)
====================  ====================================  =====================================

About 11e9 values above the last range stay free for a later scheme. A till that has used its
524,288 references is refused a new one (``SequenceExhausted``); it is re-enrolled to get a new
terminal number, never given a reference twice.

Displayed as three groups of three: ``K7Q-M2X-R4P``. Input is accepted in any case, with
or without separators, and with the usual look-alikes (O for 0, I and L for 1).
"""

from __future__ import annotations

import hashlib
import operator
import re
from dataclasses import dataclass

from .i18n import Msg

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
BASE = len(ALPHABET)  # 31, a prime
PAYLOAD_LEN = 8
STORE_BITS = 13
MAX_STORE = (1 << STORE_BITS) - 1

# references made before till numbers: (store, store sequence) in 39 bits
SEQ_BITS = 26
DOMAIN_BITS = STORE_BITS + SEQ_BITS  # 39 bits < 31**8
MAX_SEQUENCE = (1 << SEQ_BITS) - 1  # the old store-wide sequence

# references made by a till: (store, terminal - 1, till sequence) in 38 bits, above 2**39
TERMINAL_BITS = 6
TERMINAL_SEQ_BITS = 19
TILL_BITS = STORE_BITS + TERMINAL_BITS + TERMINAL_SEQ_BITS  # 38
TILL_BASE = 1 << DOMAIN_BITS
MAX_TERMINAL = 1 << TERMINAL_BITS  # 64 tills per store, numbered 1..64
MAX_TERMINAL_SEQUENCE = (1 << TERMINAL_SEQ_BITS) - 1  # 524,288 references per till

# references made in bulk (terminal 0: demo seeding, headquarters): (store, sequence) in 34 bits
BULK_TERMINAL = 0
BULK_SEQ_BITS = 21
BULK_BITS = STORE_BITS + BULK_SEQ_BITS  # 34
BULK_BASE = TILL_BASE + (1 << TILL_BITS)
MAX_BULK_SEQUENCE = (1 << BULK_SEQ_BITS) - 1  # 2,097,152 per store
END = BULK_BASE + (1 << BULK_BITS)  # values from here up are issued by nobody

_HALF = 20  # the old Feistel network works on 40 bits; cycle-walking brings it back under 2**39
_MASK = (1 << _HALF) - 1
_ROUNDS = 6
_KEY = b"pos-customers/customer-reference/v1"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)
_WEIGHTS = range(1, PAYLOAD_LEN + 2)  # the check sum's weight of each symbol, the check symbol's last
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V", "Z": "2"})
_SEPARATORS = re.compile(r"[\s\-_./]+")

assert END <= BASE**PAYLOAD_LEN
assert TILL_BITS % 2 == 0 and BULK_BITS % 2 == 0  # balanced Feistel networks: no cycle-walking


class ReferenceError_(ValueError):
    """Raised for text that is not a valid customer reference."""


InvalidReference = ReferenceError_


class SequenceExhausted(ValueError):
    """A till (or a store's bulk range) has used every reference its numbers allow."""

    def __init__(self, store_number: int, terminal: int, limit: int):
        self.store_number, self.terminal, self.limit = store_number, terminal, limit
        count = f"{limit:,}"
        if terminal:
            super().__init__(Msg("the till {terminal} of store {store} has issued all {limit} customer references",
                                 terminal=terminal, store=store_number, limit=count))
        else:
            super().__init__(Msg("the bulk range of store {store} has issued all {limit} customer references",
                                 store=store_number, limit=count))


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


class _Network:
    """A balanced keyed Feistel permutation of ``bits``-bit integers (one per reference range)."""

    def __init__(self, bits: int, tag: int):
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        self.people = [bytes([tag, rnd]) * 8 for rnd in range(_ROUNDS)]
        # each round's keyed hash, set up once and copied (setting up a keyed hash hashes a block)
        self._rounds = [hashlib.blake2b(key=_KEY, digest_size=4, person=p) for p in self.people]

    def _f(self, value: int, rnd: int) -> int:
        h = self._rounds[rnd].copy()
        h.update(value.to_bytes(3, "big"))
        return int.from_bytes(h.digest(), "big") & self.mask

    def forward(self, x: int) -> int:
        left, right = x >> self.half, x & self.mask
        for rnd in range(_ROUNDS):
            left, right = right, left ^ self._f(right, rnd)
        return (left << self.half) | right

    def inverse(self, y: int) -> int:
        left, right = y >> self.half, y & self.mask
        for rnd in reversed(range(_ROUNDS)):
            left, right = right ^ self._f(left, rnd), left
        return (left << self.half) | right


_TILL = _Network(TILL_BITS, 0x54)  # "T"
_BULK = _Network(BULK_BITS, 0x42)  # "B"


def check_symbol(payload: str) -> str:
    """The symbol that makes the weighted sum of all nine symbols 0 modulo 31."""
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(payload))
    # the check symbol sits at position len(payload)+1; solve w*c == -total (mod 31)
    weight = len(payload) + 1
    inverse = pow(weight, -1, BASE)
    return ALPHABET[(-total * inverse) % BASE]


def _is_consistent(symbols: str) -> bool:
    return sum(map(operator.mul, _WEIGHTS, map(_VALUE.__getitem__, symbols))) % BASE == 0


def _encode(value: int) -> str:
    symbols = []
    for _ in range(PAYLOAD_LEN):
        value, digit = divmod(value, BASE)
        symbols.append(ALPHABET[digit])
    payload = "".join(reversed(symbols))
    return payload + check_symbol(payload)


def _check_store(store_number: int) -> None:
    if not 1 <= store_number <= MAX_STORE:
        raise ValueError(f"store number must be between 1 and {MAX_STORE}")


def make_reference(store_number: int, sequence: int, *, terminal: int) -> str:
    """The canonical (compact, upper-case) reference for a till's n-th customer (n from 0).

    ``terminal`` is the till's number in its store, 1..64; 0 is the store's bulk range (demo
    seeding, headquarters). Raises ``SequenceExhausted`` when the sequence is past the range.
    """
    _check_store(store_number)
    if not 0 <= terminal <= MAX_TERMINAL:
        raise ValueError(f"terminal number must be between 0 and {MAX_TERMINAL}")
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    if terminal == BULK_TERMINAL:
        if sequence > MAX_BULK_SEQUENCE:
            raise SequenceExhausted(store_number, terminal, MAX_BULK_SEQUENCE + 1)
        return _encode(BULK_BASE + _BULK.forward((store_number << BULK_SEQ_BITS) | sequence))
    if sequence > MAX_TERMINAL_SEQUENCE:
        raise SequenceExhausted(store_number, terminal, MAX_TERMINAL_SEQUENCE + 1)
    packed = (store_number << (TERMINAL_BITS + TERMINAL_SEQ_BITS)) | ((terminal - 1) << TERMINAL_SEQ_BITS) | sequence
    return _encode(TILL_BASE + _TILL.forward(packed))


def make_legacy_reference(store_number: int, sequence: int) -> str:
    """A reference as made before till numbers, from the store-wide sequence.

    Nothing issues these any more; they are still valid and decode with ``terminal=None``.
    """
    _check_store(store_number)
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be between 0 and {MAX_SEQUENCE}")
    return _encode(_permute((store_number << SEQ_BITS) | sequence))


def normalize(text: str) -> str:
    """Upper-case, separators removed, look-alike letters mapped. Does not validate."""
    if not text.isalnum():  # letters and digits alone (the compact form) have no separator
        text = _SEPARATORS.sub("", text)
    return text.upper().translate(_LOOKALIKES)


def looks_like_reference(text: str) -> bool:
    """True when the text, normalised, is a well-formed reference with a valid check symbol."""
    return is_reference(normalize(text))


def is_reference(compact: str) -> bool:
    """:func:`looks_like_reference` of text already normalised (:func:`normalize`)."""
    return len(compact) == PAYLOAD_LEN + 1 and _SYMBOLS.issuperset(compact) and _is_consistent(compact)


def parse_reference(text: str) -> str:
    """The canonical form of a typed reference; raises InvalidReference with a clear reason."""
    compact = normalize(text)
    if len(compact) != PAYLOAD_LEN + 1:
        raise InvalidReference(Msg("a customer reference has {expected} characters, got {length}",
                                   expected=PAYLOAD_LEN + 1, length=len(compact)))
    bad = [c for c in compact if c not in _VALUE]
    if bad:
        raise InvalidReference(Msg("'{character}' cannot appear in a customer reference", character=bad[0]))
    if not _is_consistent(compact):
        raise InvalidReference(Msg("check character does not match: a character is mistyped"))
    return compact


def format_reference(reference: str) -> str:
    """``K7QM2XR4P`` -> ``K7Q-M2X-R4P``."""
    compact = normalize(reference)
    return "-".join(compact[i : i + 3] for i in range(0, len(compact), 3))


@dataclass(frozen=True)
class ReferenceOrigin:
    """Who issued a reference: the store, its sequence number there, and the till.

    ``terminal`` is the till's number (1..64), 0 for the store's bulk range, and ``None`` for a
    reference made before till numbers (then ``sequence`` is the store-wide sequence)."""

    store_number: int
    sequence: int
    terminal: int | None = None


def decode_reference(reference: str) -> ReferenceOrigin:
    """Which store and which till issued a reference, and as its how-many-th customer (from 0)."""
    compact = parse_reference(reference)
    value = 0
    for c in compact[:PAYLOAD_LEN]:
        value = value * BASE + _VALUE[c]
    if value < TILL_BASE:
        x = _unpermute(value)
        origin = ReferenceOrigin(x >> SEQ_BITS, x & MAX_SEQUENCE, None)
    elif value < BULK_BASE:
        x = _TILL.inverse(value - TILL_BASE)
        origin = ReferenceOrigin(x >> (TERMINAL_BITS + TERMINAL_SEQ_BITS), x & MAX_TERMINAL_SEQUENCE,
                                 ((x >> TERMINAL_SEQ_BITS) & (MAX_TERMINAL - 1)) + 1)
    elif value < END:
        x = _BULK.inverse(value - BULK_BASE)
        origin = ReferenceOrigin(x >> BULK_SEQ_BITS, x & MAX_BULK_SEQUENCE, BULK_TERMINAL)
    else:
        raise InvalidReference(Msg("not a reference issued by this system"))
    if origin.store_number == 0:  # store numbers start at 1: nobody issued this one
        raise InvalidReference(Msg("not a reference issued by this system"))
    return origin
