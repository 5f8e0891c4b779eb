"""The sqlite3 connection under a transaction, whichever kind it is: a plain write (``Database.raw_write``)
or an ORM session. Readers and writers of plain SQL take either, so the app and a command run the same code."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session


def connection(s: Session | sqlite3.Connection) -> sqlite3.Connection:
    """The transaction's own sqlite3 connection; an ORM session's pending rows are written to it
    first (a use case that changed them through the session reads them back here)."""
    if isinstance(s, sqlite3.Connection):
        return s
    s.flush()
    return s.connection().connection.driver_connection
