"""Open a terminal's database and its services: the slow part of starting (imports included),
which the app does in the background while the sign-in screen is already up."""

from __future__ import annotations

from pathlib import Path

from ..storage.engine import open_database
from ..storage.errors import StorageError, read_only_kind
from ..storage.migrate import upgrade
from .context import Services


def open_services(path: Path) -> Services:
    """The store's services on an existing file. A file the till cannot work on (missing, empty,
    not a database, a broken header, read-only: every sign-in writes) raises StorageError."""
    db = open_database(path)
    kind = read_only_kind(db.path)
    if kind is not None:
        raise StorageError(kind, db.path)
    upgrade(db)
    svc = Services(db)
    _ = svc.store_code  # NotInitialized now, with its clear message, rather than at sign-in
    return svc
