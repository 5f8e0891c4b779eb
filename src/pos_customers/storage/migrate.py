"""Apply the Alembic migrations on start: an empty file and every earlier revision upgrade.

Alembic itself is imported only when there is something to do: on an up-to-date file the start
costs one SELECT on ``alembic_version`` (``HEAD`` is kept equal to the newest revision by a test).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import engine
from .engine import Database
from .errors import Failure, StorageError

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0027"  # the newest revision (0007 -> 0009 -> 0012 -> 0011 -> 0010 -> 0008 -> 0017 -> 0016 -> 0018 -> 0015 -> 0019 -> 0020 -> 0021 -> 0023 -> 0026 -> 0027: ids in the order they landed)


def alembic_config(db: Database):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{db.path}")
    return cfg


def head_revision(db: Database) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    """The file's revision; None for a new, empty file. A file SQLite cannot read, or an SQLite
    file of another program, raises :class:`StorageError`."""
    try:  # a plain connection: no pragma (journal_mode=WAL would rewrite another program's file)
        conn = sqlite3.connect(db.path, timeout=engine.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise db.failure(exc) or exc from exc
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise db.failure(exc) or exc from exc
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
        if tables:  # another program's database: never turned into a store
            raise StorageError(Failure.NOT_A_DATABASE, db.path, "no alembic_version table") from None
        return None  # no tables at all: a new file
    except sqlite3.Error as exc:
        raise db.failure(exc) or exc from exc
    finally:
        conn.close()
    return row[0] if row else None


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and current_revision(db) == HEAD:
        return  # the usual start: nothing to do, no write lock, no Alembic import
    db.before_write()
    from alembic import command

    cfg = alembic_config(db)
    with db.classified(), db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(db)
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
