"""Databases migrated once per test process and copied for each test.

Migrating a new SQLite file with Alembic costs about a tenth of a second; copying a migrated one
costs a millisecond, and hundreds of tests start from an empty store or an empty headquarters.
The templates live in the session's temporary folder (tests/conftest.py sets it), so each
pytest-xdist worker makes its own. tests/storage/test_migrations.py and tests/hq/test_migrations.py
still migrate from empty, revision by revision.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from pos_customers.storage.engine import Database

_folder: Path | None = None
_made: dict[str, Path] = {}
_lock = threading.Lock()


def use_folder(folder: Path) -> None:
    global _folder
    _folder = folder


def _template(kind: str, build: Callable[[Path], None]) -> Path:
    global _folder
    with _lock:
        if kind not in _made:
            if _folder is None:  # outside pytest's session (a script importing tests.helpers)
                _folder = Path(tempfile.mkdtemp(prefix="pos-customers-templates-"))
            path = _folder / f"{kind}.db"
            build(path)
            conn = sqlite3.connect(path)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
            finally:
                conn.close()
            _made[kind] = path
        return _made[kind]


def _copy(template: Path, path: Path) -> Path:
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists: a template copy starts a new file")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, path)  # the file's mode too
    return path


def _build_store(path: Path) -> None:
    from pos_customers.storage.migrate import upgrade

    db = Database(path)
    upgrade(db)
    db.dispose()


def _build_hq(path: Path) -> None:
    from pos_customers.hq.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def store_db(path: Path | str) -> Database:
    """A new terminal database at ``path``, migrated to the newest revision (no store in it yet)."""
    from pos_customers.storage.migrate import upgrade

    db = Database(_copy(_template("store", _build_store), Path(path)))
    upgrade(db)  # the usual start on an up-to-date file: nothing to do
    return db


def hq_sqlite_url(path: Path | str) -> str:
    """A new headquarters SQLite file at ``path``, migrated to the newest revision; its URL."""
    return f"sqlite:///{_copy(_template('hq', _build_hq), Path(path))}"
