"""Apply the Alembic migrations on start: an empty file and every earlier revision upgrade.

Alembic itself is imported only when there is something to do: on an up-to-date file the start
costs one SELECT on ``alembic_version`` (``HEAD`` is kept equal to the newest revision by a test).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0007"  # the newest revision in migrations/versions


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
    conn = sqlite3.connect(db.path, timeout=30)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None  # no alembic_version table: an empty file
    finally:
        conn.close()
    return row[0] if row else None


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and current_revision(db) == HEAD:
        return  # the usual start: nothing to do, no write lock, no Alembic import
    from alembic import command

    cfg = alembic_config(db)
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(db)
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
