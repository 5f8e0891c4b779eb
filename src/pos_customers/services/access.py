"""Signing in: argon2id-hashed PINs, lockout after repeated wrong PINs, an audit row for every
attempt.

This is the first thing a terminal does, so it runs on a plain sqlite3 connection and imports
nothing heavy: the ORM loads in the background meanwhile.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..domain.enums import Role
from ..domain.i18n import Msg, ngettext
from ..domain.security import (  # one set of argon2id parameters, terminal and headquarters
    is_support_number, staff_number, verify_secret)
from ..storage import associates as staff
from ..storage.audit_chain import append_raw
from .auth import Actor
from .context import Services, audit_changes

MAX_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


# A hash of a random PIN nobody knows, made with domain.security's parameters (a test checks they agree):
# an unknown number or a locked associate costs one verification, as a real wrong PIN does.
_STAND_IN_HASH = "$argon2id$v=19$m=19456,t=2,p=1$4qZuVm1Kj1NjU3+WuhjY1g$q8iJ3CU68OM6jrxdYZPWN3LPxeQwxS4VT4hdUciHi4s"


def warm_up() -> None:
    """Verify once, in the background at start: the first argon2 call of a process pays for
    mapping its 19 MiB; the allocator keeps the memory for the next one."""
    verify_secret(_STAND_IN_HASH, "")


class SignInFailed(PermissionError):
    """Refused. The message is the same for an unknown number, a wrong PIN and a locked
    associate: it tells nobody which numbers exist or which are locked (the audit trail does)."""


def refusal(max_attempts: int, lockout: timedelta) -> Msg:
    minutes = max(1, int(lockout.total_seconds() // 60))
    return Msg("Number or PIN not accepted. {attempts} wrong PINs in a row lock an associate for "
               "{minutes}; a manager can unlock.", attempts=max_attempts, minutes=_Minutes(minutes))


class _Minutes(Msg):
    """"5 minutes" in the language of the person reading (a plural form, made at the edge)."""

    def __init__(self, n: int):
        super().__init__("{n} minutes", n=n)

    def __str__(self) -> str:
        n = self.params["n"]
        return f"{n} minute" if n == 1 else f"{n} minutes"

    def translated(self) -> str:
        n = self.params["n"]
        return ngettext("{n} minute", "{n} minutes", n).format(n=n)


def sign_in(svc: Services, number: str, pin: str, *, max_attempts: int = MAX_ATTEMPTS,
            lockout: timedelta = LOCKOUT, via: str | None = None) -> Actor:
    """Check an associate's PIN. Too many wrong PINs lock the associate for a while. Every
    attempt, good or bad, leaves an audit row; the counter and the row commit together.
    ``via``: how the session reached the terminal (``"ssh from 192.0.2.7"``, see
    :func:`.origin.session_origin`), kept on every row of the attempt; None at the till."""
    typed, number, pin = number or "", staff_number(number), pin or ""
    typed = number if is_support_number(number) else typed  # a support number as it is stored (s100: S100)
    now = svc.now()
    terminal, store = svc.terminal_id, svc.settings().get("store_code", "")

    with svc.db.raw_write() as conn:
        def audit(entity_id: str, action: str, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
            if via:
                changes = {**(changes or {}), "via": (None, via)}
            append_raw(conn, at=now, associate=typed, terminal=terminal, store=store, entity="associate",
                       entity_id=entity_id, action=action, changes=audit_changes(changes))

        # every refusal does one argon2 verification and says the same words
        row = staff.find(conn, number)
        if row is None or not row.active:
            verify_secret(_STAND_IN_HASH, pin)
            audit(typed, "sign_in_failed", {"reason": (None, "unknown number")})
        elif row.locked_until and row.locked_until > now:
            verify_secret(_STAND_IN_HASH, pin)  # even the right PIN waits for the lockout to end
            audit(row.number, "sign_in_refused", {"reason": (None, "locked")})
        elif verify_secret(row.pin_hash, pin):
            staff.set_attempts(conn, row.number, 0, None)
            audit(row.number, "sign_in")
            return Actor(row.number, row.name, Role(row.role), terminal, row.store_code)
        else:
            attempts = row.failed_attempts + 1
            changes: dict[str, tuple[Any, Any]] = {"failed_attempts": (row.failed_attempts, attempts)}
            if attempts >= max_attempts:
                until = now + lockout
                staff.set_attempts(conn, row.number, 0, until)
                changes["locked_until"] = (None, until)
                audit(row.number, "locked", changes)  # the store audit shows it to managers
            else:
                staff.set_attempts(conn, row.number, attempts, row.locked_until)
                audit(row.number, "sign_in_failed", changes)
    raise SignInFailed(refusal(max_attempts, lockout))
