"""This till's terminal number and the sequence behind the customer references it issues.

Headquarters hands the number out at enrolment (a standalone till takes ``init --terminal N``);
the till keeps it in the ``setting`` table under ``terminal_number`` and counts its references
under ``reference_next``, in the same transaction as the customer it numbers. A database made
before terminal numbers has no ``terminal_number``: it works as till 1 (its earlier references
were made by the old store-wide scheme and stay valid).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.errors import FieldError, ValidationFailed
from ..domain.i18n import Msg
from ..domain.reference import (BULK_TERMINAL, MAX_TERMINAL, MAX_TERMINAL_SEQUENCE, ReferenceOrigin,
                                SequenceExhausted, decode_reference, make_reference)
from ..storage.conn import connection

if TYPE_CHECKING:  # the settings rows are read and written with plain SQL: no ORM for a save
    from sqlmodel import Session

TERMINAL_KEY = "terminal_number"
NEXT_KEY = "reference_next"
LEGACY_TERMINAL = 1  # a till set up before terminal numbers counts as till 1


class ReferencesExhausted(ValidationFailed):
    """This till has issued every reference its terminal number allows. Nothing was written."""

    def __init__(self, store_number: int, terminal: int):
        self.store_number, self.terminal = store_number, terminal
        super().__init__(FieldError("reference", Msg(
            "till {terminal} of store {store} has issued all {count:,} "
            "customer references it can; re-enrol this till to get a new terminal number "
            "(`pos-customers hq token STORE` at headquarters, then `pos-customers init --hq URL --token T`; "
            "standalone: `pos-customers init --terminal N` with a number no other till of the store uses)",
            terminal=terminal, store=store_number, count=MAX_TERMINAL_SEQUENCE + 1)))


def check_terminal_number(number: int) -> None:
    if not 1 <= number <= MAX_TERMINAL:
        raise ValidationFailed(FieldError(
            "terminal", Msg("a till's terminal number is 1..{most}, got {number}", most=MAX_TERMINAL, number=number)))


def _get(s: Session | sqlite3.Connection, key: str) -> str | None:
    row = connection(s).execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def terminal_number(s: Session | sqlite3.Connection) -> int:
    value = _get(s, TERMINAL_KEY)
    return int(value) if value else LEGACY_TERMINAL


def has_terminal_number(s: Session | sqlite3.Connection) -> bool:
    return bool(_get(s, TERMINAL_KEY))


def _put(s: Session | sqlite3.Connection, key: str, value: str) -> None:
    connection(s).execute("INSERT INTO setting (key, value) VALUES (?, ?)"
                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def set_terminal_number(s: Session | sqlite3.Connection, number: int) -> None:
    """Give this till its number. Changing it starts that number's own sequence; the counter of
    the number left is kept, so coming back to it never hands out one of its references again."""
    check_terminal_number(number)
    current = terminal_number(s)
    if has_terminal_number(s) and current == number:
        return
    counter = _get(s, NEXT_KEY)
    if counter is not None and current != number:
        _put(s, f"{NEXT_KEY}.{current}", counter)
    parked = _get(s, f"{NEXT_KEY}.{number}")
    if current != number or counter is None:
        _put(s, NEXT_KEY, parked if parked is not None else "0")
    _put(s, TERMINAL_KEY, str(number))


def next_reference(s: Session | sqlite3.Connection, store_number: int) -> str:
    """The next reference of this till; the counter moves in the caller's transaction."""
    number = terminal_number(s)
    sequence = int(_get(s, NEXT_KEY) or 0)
    try:
        reference = make_reference(store_number, sequence, terminal=number)
    except SequenceExhausted:
        raise ReferencesExhausted(store_number, number) from None
    _put(s, NEXT_KEY, str(sequence + 1))
    return reference


@dataclass(frozen=True)
class TerminalInfo:
    number: int
    assigned: bool  # False: a database from before terminal numbers, working as till 1
    issued: int  # references issued under this number
    capacity: int = MAX_TERMINAL_SEQUENCE + 1


def terminal_info(s: Session | sqlite3.Connection) -> TerminalInfo:
    return TerminalInfo(terminal_number(s), has_terminal_number(s), int(_get(s, NEXT_KEY) or 0))


def till_words(terminal: int | None) -> Msg | str:
    """``till 3``, ``loaded in bulk`` (the store's bulk range: demo, headquarters), or empty for an
    old reference, which does not say which till issued it."""
    if terminal is None:
        return ""
    return Msg("loaded in bulk") if terminal == BULK_TERMINAL else Msg("till {number}", number=terminal)


def describe_origin(origin: ReferenceOrigin) -> Msg:
    """``store 101, till 3``; the till is named only where the reference says which it was."""
    till = till_words(origin.terminal)
    return (Msg("store {number}, {till}", number=origin.store_number, till=till) if till
            else Msg("store {number}", number=origin.store_number))


def issuing_till(reference: str) -> Msg | str:
    """``till 3`` (or ``loaded in bulk``); empty where the reference does not say."""
    try:
        return till_words(decode_reference(reference).terminal)
    except ValueError:
        return ""


def reference_origin(reference: str) -> Msg | str:
    """Who issued a reference, in words; empty for one that does not decode."""
    try:
        return describe_origin(decode_reference(reference))
    except ValueError:
        return ""


def change_terminal_number(svc, actor, number: int) -> TerminalInfo:
    """`init --terminal N` on a standalone till that is set up already: give it another number.

    A till enrolled with headquarters gets its number there (re-enrol it); a standalone store's
    administrator makes sure no two of its tills use the same number."""
    from .context import NotInitialized, Permission

    check_terminal_number(number)
    settings = svc.settings()
    if not settings.get("store_code"):
        raise NotInitialized(Msg("no store is set up in this database: run `pos-customers init` with the "
                                 "store's settings (and --terminal N)"))
    if settings.get("hq_url"):
        raise ValidationFailed(FieldError("terminal", Msg(
            "this till is enrolled with headquarters, which gives it its number: to get a new one, "
            "re-enrol it (`pos-customers hq token STORE`, then `pos-customers init --hq URL --token T`)")))
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        before = terminal_number(tx.session)
        if before != number or not has_terminal_number(tx.session):
            set_terminal_number(tx.session, number)
            tx.audit("terminal", svc.terminal_id, "number", {"terminal_number": (before, number)})
        info = terminal_info(tx.session)
    svc.forget_settings()
    return info
