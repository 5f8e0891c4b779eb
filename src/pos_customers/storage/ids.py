"""Row ids, without the ORM: the plain-SQL writers (storage.customers) import this and not the tables."""

from __future__ import annotations

import os
import threading
import time


def new_id() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` makes it, at a fifth of the cost."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    return hyphenated(b.hex())


def hyphenated(h: str) -> str:
    """32 hex digits as a UUID's canonical text (8-4-4-4-12)."""
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_last = [0]
_last_lock = threading.Lock()


def ordered_id() -> str:
    """A customer's id, or its email, phone or address row's: a version 7 UUID as text (RFC 9562:
    the milliseconds since 1970, then a counter within the millisecond and random bits), so rows
    made one after another get ids in increasing order. A customer's id is the key of its row and
    of every row of its emails, phones, addresses, cards and search entry: a till's new customers,
    and those it pulls (the chain's newest), land at the end of each of those indexes instead of
    at a random page of each (a pull into a file of a million customers: twice as fast,
    ``bench/pull_profile.py``)."""
    with _last_lock:
        now = time.time_ns() // 1_000_000 << 12
        _last[0] = stamp = max(now, _last[0] + 1)  # the ms (48 bits) and a 12-bit counter, never repeated
    rand = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
    return hyphenated(f"{stamp >> 12:012x}7{stamp & 0xFFF:03x}{rand:016x}")
