"""Signing in: argon2id-hashed PINs, lockout after repeated wrong PINs, an audit row for every
attempt.

This is the first thing a terminal does, so it runs on a plain sqlite3 connection and imports
nothing heavy: the ORM loads in the background meanwhile.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.enums import Role
from ..storage import associates as staff
from ..storage.audit_chain import append_raw
from .auth import Actor
from .context import Services, audit_changes

# argon2id with the OWASP-recommended memory/time cost (19 MiB, t=2, p=1)
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-pin")


def warm_up() -> None:
    """Hash once, in the background at start: the first argon2 call of a process pays for
    mapping its 19 MiB; the allocator keeps the memory for the next
    one. The hash made is the stand-in checked for unknown numbers."""
    _dummy_hash()


class SignInFailed(PermissionError):
    pass


def sign_in(svc: Services, number: str, pin: str, *, max_attempts: int = MAX_ATTEMPTS,
            lockout: timedelta = LOCKOUT, via: str | None = None) -> Actor:
    """Check an associate's PIN. Too many wrong PINs lock the associate for a while. Every
    attempt, good or bad, leaves an audit row; the counter and the row commit together.
    ``via``: how the session reached the terminal (``"ssh from 192.0.2.7"``, see
    :func:`.origin.session_origin`), kept on every row of the attempt; None at the till."""
    typed, number, pin = number or "", (number or "").strip(), pin or ""
    now = svc.now()
    terminal, store = svc.terminal_id, svc.settings().get("store_code", "")

    with svc.db.raw_write() as conn:
        def audit(entity_id: str, action: str, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
            if via:
                changes = {**(changes or {}), "via": (None, via)}
            append_raw(conn, at=now, associate=typed, terminal=terminal, store=store, entity="associate",
                       entity_id=entity_id, action=action, changes=audit_changes(changes))

        row = staff.find(conn, number)
        if row is None or not row.active:
            verify_secret(_dummy_hash(), pin)  # same work whether or not the number exists
            audit(typed, "sign_in_failed", {"reason": (None, "unknown number")})
            failure = SignInFailed("Unknown associate number or wrong PIN")
        elif row.locked_until and row.locked_until > now:
            audit(row.number, "sign_in_refused", {"reason": (None, "locked")})
            failure = SignInFailed(f"Associate {row.number} is locked until {row.locked_until.astimezone():%H:%M}")
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
                audit(row.number, "locked", changes)
                failure = SignInFailed(f"Too many wrong PINs: associate {row.number} is locked for "
                                       f"{int(lockout.total_seconds() // 60)} minutes")
            else:
                staff.set_attempts(conn, row.number, attempts, row.locked_until)
                audit(row.number, "sign_in_failed", changes)
                failure = SignInFailed("Unknown associate number or wrong PIN")
    raise failure
