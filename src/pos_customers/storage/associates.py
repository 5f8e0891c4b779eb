"""The associate rows that signing in reads and writes, on a plain sqlite3 connection (the
sign-in path runs before the ORM has loaded)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from .audit_chain import sqlite_timestamp


@dataclass(frozen=True)
class StaffRow:
    number: str
    name: str
    role: str
    pin_hash: str
    store_code: str | None
    active: bool
    failed_attempts: int
    locked_until: datetime | None  # UTC


def find(conn: sqlite3.Connection, number: str) -> StaffRow | None:
    row = conn.execute(
        "SELECT number, name, role, pin_hash, store_code, active, failed_attempts, locked_until"
        " FROM associate WHERE number = ?", (number,)).fetchone()
    if row is None:
        return None
    locked = datetime.fromisoformat(row[7]).replace(tzinfo=timezone.utc) if row[7] else None
    return StaffRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6] or 0, locked)


def set_attempts(conn: sqlite3.Connection, number: str, failed_attempts: int,
                 locked_until: datetime | None) -> None:
    conn.execute("UPDATE associate SET failed_attempts = ?, locked_until = ? WHERE number = ?",
                 (failed_attempts, sqlite_timestamp(locked_until) if locked_until else None, number))
