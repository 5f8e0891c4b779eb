"""Headquarters' database: PostgreSQL through psycopg 3 in production, a SQLite file by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from ..paths import HQ_DB_ENV

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url() -> str:
    folder = Path(platformdirs.user_data_dir("pos-customers", appauthor=False))
    return f"sqlite:///{folder / 'hq.db'}"


def resolve_url(url: str | None = None) -> str:
    """--db URL, then $POS_CUSTOMERS_HQ_DB, then a SQLite file in the user data folder.

    ``postgresql://`` URLs are served by psycopg 3; a bare path means a SQLite file.
    """
    url = url or os.environ.get(HQ_DB_ENV) or default_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


PG_POOL_SIZE = 20  # connections one headquarters process keeps open to PostgreSQL (and as many more at peaks)


def make_engine(url: str | None = None, *, pool_size: int | None = None) -> Engine:
    """``pool_size``: PostgreSQL connections this process keeps (``hq serve --workers N`` gives
    each worker its share, :func:`pool_per_worker`); as many more may open at a peak."""
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from ..paths import private_file

            private_file(parsed.database)  # every store's customers: 0600 (SQLite's -wal/-shm follow)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=8, max_overflow=8)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:
            # every transaction may write (the counter): take the write lock up front
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    size = pool_size or PG_POOL_SIZE
    # no ping before each checkout (a round trip per request): a connection the server dropped
    # fails its request, the pool then replaces every older connection, and the API answers that
    # request 503 with Retry-After (api.create_app), which a terminal waits out and sends again
    return create_engine(url, pool_size=size, max_overflow=size, pool_pre_ping=False, pool_recycle=3600)


def pool_per_worker(workers: int, connections: int = 80) -> int:
    """Each worker's share of ``connections`` (PostgreSQL allows 100 by default: the rest stay
    for migrations, psql and the segments' refresh), counting the overflow; 2 to 20 per worker."""
    return max(2, min(PG_POOL_SIZE, connections // (2 * max(1, workers))))


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def close(engine: Engine) -> None:
    """Headquarters is shutting down: on SQLite, move the write-ahead log into the database file
    and empty it (``wal_checkpoint(TRUNCATE)``), then close every pooled connection, so no -wal or
    -shm file stays behind (SQLite removes them when the last connection closes cleanly). The
    engine stays usable: a later call opens new connections."""
    if engine.dialect.name == "sqlite":
        try:
            raw = engine.raw_connection()  # outside any transaction (the engine opens BEGIN IMMEDIATE)
        except Exception:  # noqa: BLE001 - nothing to checkpoint if the file cannot be opened
            raw = None
        if raw is not None:
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # noqa: BLE001 - busy: the last connection's close checkpoints anyway
                pass
            finally:
                raw.close()
    engine.dispose()


def scrub(engine: Engine, *, full: bool = False) -> None:
    """Leave no erased bytes behind. SQLite: empty the write-ahead log into the file (deleted
    content was already overwritten). PostgreSQL: ``full`` rewrites the tables holding customer
    data (VACUUM FULL: an exclusive lock while it runs; schedule it), otherwise a plain VACUUM."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction (the engine opens BEGIN IMMEDIATE)
        try:
            db = raw.driver_connection
            # full-text indexes keep a deleted term in their segments until they are merged
            fts = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'")]
            if fts:
                db.execute("BEGIN IMMEDIATE")
                for name in fts:
                    db.execute(f'INSERT INTO "{name}"("{name}") VALUES(\'optimize\')')
                db.execute("COMMIT")
            if full:
                db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM {'FULL ' if full else ''}hq_customer, hq_record, hq_audit")
