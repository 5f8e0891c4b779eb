"""Open a terminal's database and its services: the slow part of starting (imports included),
which the app does in the background while the sign-in screen is already up."""

from __future__ import annotations

from pathlib import Path

from ..storage.engine import Database
from ..storage.migrate import upgrade
from .context import Services


def open_services(path: Path) -> Services:
    db = Database(path)
    upgrade(db)
    svc = Services(db)
    _ = svc.store_code  # NotInitialized now, with its clear message, rather than at sign-in
    return svc
