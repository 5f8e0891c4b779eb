"""The SQLite file: WAL, synchronous=FULL, a busy timeout, and BEGIN IMMEDIATE for writes.

Reads run in deferred transactions and never wait on writers (WAL). Every write opens with
BEGIN IMMEDIATE, so a writer takes the write lock up front and waits (busy_timeout) for
another process's writer instead of failing halfway with "database is locked".

SQLAlchemy is imported when the first ORM session opens, not before: signing in and the first
search run on plain sqlite3 connections (:meth:`Database.snapshot`, :meth:`Database.raw_write`),
so the terminal is usable while the ORM still loads in the background.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000


def _make_engine(path: Path, *, begin: str) -> Engine:
    from sqlalchemy import event
    from sqlmodel import create_engine

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")  # deleted or replaced content is overwritten, not left behind
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-8000")  # 8 MB page cache per connection
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """One SQLite file, with a read engine and a write engine."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()

    def _engine(self, begin: str) -> Engine:
        with self._engines_lock:
            if begin not in self._engines:
                self._engines[begin] = _make_engine(self.path, begin=begin)
            return self._engines[begin]

    @property
    def read_engine(self) -> Engine:
        return self._engine("BEGIN")

    @property
    def write_engine(self) -> Engine:
        return self._engine("BEGIN IMMEDIATE")

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlmodel import Session

        # closing (not rolling back) ends the read transaction and leaves loaded rows readable
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything done in the block commits together or not at all."""
        from sqlmodel import Session

        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read-only sqlite3 connection in one read transaction: the search hot path, without
        ORM overhead. Connections are pooled and reused across threads."""
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            conn = self.raw()
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA cache_size=-8000")
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")
            self._readers.put(conn)

    @contextmanager
    def raw_write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) on a plain sqlite3 connection: commits when
        the block ends, rolls back if it raises."""
        conn = self.raw()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same pragmas (bulk loading, benchmarks, doctor)."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    def dispose(self) -> None:
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()
