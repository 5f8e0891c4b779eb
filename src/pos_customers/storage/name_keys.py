"""The sound-alike and one-typo keys of the till's name words (``customer_name_key``).

The keys belong to words (``domain.fuzzy``), so a write adds keys only for a word no customer had
before, and removes a word's keys when the last customer with it changes its name or is
anonymized (nothing of an anonymized name stays behind). Called with the search row's write, in
the same transaction, by every path that writes customers (``storage.customers``: a save at the
till, a pull, an import, demo seeding) and by ``search_index.rebuild``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..domain import fuzzy
from ..domain.i18n import Msg

_INSERT = "INSERT OR IGNORE INTO customer_name_key (key, word) VALUES (?, ?)"
_DELETE = "DELETE FROM customer_name_key WHERE key = ? AND word = ?"
_CHUNK = 400


def _chunks(values: list, size: int = _CHUNK):
    for k in range(0, len(values), size):
        yield values[k:k + size]


def held(conn: sqlite3.Connection, words: Iterable[str]) -> set[str]:
    """Which of these words have their keys stored already."""
    out: set[str] = set()
    for chunk in _chunks(sorted(set(words))):
        rows = conn.execute(f"SELECT key, word FROM customer_name_key WHERE key IN ({','.join('?' * len(chunk))})",
                            [fuzzy.presence_key(w) for w in chunk])
        out |= {word for key, word in rows if key == fuzzy.presence_key(word)}
    return out


def add(conn: sqlite3.Connection, name_texts: Iterable[str]) -> None:
    """Keys for the words of these search rows' name texts that have none yet."""
    words = fuzzy.name_words(name_texts)
    if words:
        conn.executemany(_INSERT, fuzzy.key_rows(words - held(conn, words)))


def in_use(conn: sqlite3.Connection, word: str) -> bool:
    return conn.execute("SELECT 1 FROM customer_name_fts WHERE customer_name_fts MATCH ? LIMIT 1",
                        (f'"{word}"',)).fetchone() is not None


def drop_unused(conn: sqlite3.Connection, words: Iterable[str]) -> None:
    """Remove the keys of these words where no search row holds them any more (run after the
    search rows were written: the word index is read within the same transaction)."""
    gone = [w for w in sorted(fuzzy.name_words([" ".join(words)])) if not in_use(conn, w)]
    if gone:
        conn.executemany(_DELETE, fuzzy.key_rows(gone))


def update(conn: sqlite3.Connection, changes: Iterable[tuple[str, str]]) -> None:
    """After search rows changed from old to new name texts: new words get keys, words left
    behind lose theirs if nobody has them any more."""
    changes = list(changes)
    add(conn, [new for _, new in changes])
    removed = {w for old, new in changes for w in set(old.split()) - set(new.split())}
    if removed:
        drop_unused(conn, removed)


def rebuild(conn: sqlite3.Connection) -> None:
    """Every key again, from every search row (``doctor --repair``; revision 0012's backfill)."""
    conn.execute("DELETE FROM customer_name_key")
    words: set[str] = set()
    cursor = conn.execute("SELECT name_text FROM customer_search")
    while rows := cursor.fetchmany(10_000):
        words |= fuzzy.name_words(r[0] for r in rows)
    for chunk in _chunks(fuzzy.key_rows(words), 10_000):
        conn.executemany(_INSERT, chunk)


def problems(conn: sqlite3.Connection) -> list[Msg]:
    """Words of the search rows without keys, and keys of words no search row has."""
    words: set[str] = set()
    for (text,) in conn.execute("SELECT name_text FROM customer_search"):
        words |= fuzzy.name_words([text])
    stored = {r[0] for r in conn.execute("SELECT word FROM customer_name_key WHERE key = 'd' || word")}
    out: list[Msg] = []
    if words - stored:
        out.append(Msg("{count} name words have no sound-alike keys", count=len(words - stored)))
    if stored - words:
        out.append(Msg("{count} sound-alike keys belong to words no customer has", count=len(stored - words)))
    return out


def lookup(conn: sqlite3.Connection, typed: tuple[str, ...]) -> fuzzy.Alternatives:
    """The stored words each typed word may stand for (one indexed lookup of its keys)."""
    own: dict = {}  # the typed words' keys, worked out once
    keys = fuzzy.lookup_keys(typed, own)
    rows = []
    for chunk in _chunks(keys):
        rows += conn.execute(f"SELECT key, word FROM customer_name_key WHERE key IN ({','.join('?' * len(chunk))})",
                             chunk).fetchall()
    return fuzzy.alternatives(typed, rows, own)
