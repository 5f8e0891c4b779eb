"""The SQLite file: WAL, synchronous=FULL, a busy timeout, and BEGIN IMMEDIATE for writes.

Reads run in deferred transactions and never wait on writers (WAL). Every write opens with
BEGIN IMMEDIATE, so a writer takes the write lock up front and waits (busy_timeout) for
another process's writer instead of failing halfway with "database is locked".

SQLAlchemy is imported when the first ORM session opens, not before: signing in and the first
search run on plain sqlite3 connections (:meth:`Database.snapshot`, :meth:`Database.raw_write`),
so the terminal is usable while the ORM still loads in the background.
"""

from __future__ import annotations

import atexit
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..paths import private_file
from .errors import Failure, StorageError, classify, open_problem, read_only_kind

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000
DEFAULT_AUTOCHECKPOINT = 1000  # SQLite's: a commit that leaves this many pages of log copies it into the file

# every connection, ORM or plain, gets these (tests append e.g. ``PRAGMA max_page_count=N``)
CONNECT_PRAGMAS: list[str] = [
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",  # deleted or replaced content is overwritten, not left behind
]


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    for pragma in CONNECT_PRAGMAS:
        conn.execute(pragma)


def open_database(path: Path | str, *, create: bool = False) -> Database:
    """The till's file, checked before SQLite touches it: a missing or 0-byte file (unless
    ``create``: only `init` and `demo` make a store), another kind of file or a broken header
    raise :class:`StorageError` instead of becoming an empty database or a traceback."""
    path = Path(path)
    problem = open_problem(path, create=create)
    if problem is not None:
        raise problem
    if create and read_only_kind(path):
        raise StorageError(read_only_kind(path), path)
    return Database(path)


def _make_engine(path: Path, *, begin: str, durable: bool = True) -> Engine:
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
        _configure(dbapi_conn)
        dbapi_conn.execute("PRAGMA temp_store=MEMORY")
        dbapi_conn.execute("PRAGMA cache_size=-8000")  # 8 MB page cache per connection
        if not durable:
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")
            # its writer checkpoints between its transactions, outside the write lock (Database.checkpoint)
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """One SQLite file, with a read engine and a write engine.

    A file SQLite cannot use raises :class:`StorageError` (what kind, which file) from every
    method, never a bare sqlite3 or SQLAlchemy error. A file ``PRAGMA quick_check`` finds damaged
    is never written (:meth:`health`, :meth:`before_write`: when the check runs).

    A new file is made readable by its owner only (0600, folder 0700); SQLite gives its -wal and
    -shm the same mode.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._health_lock = threading.Lock()
        self._health: tuple[StorageError | None] | None = None  # None: not checked yet
        if not self.path.exists():
            with self.classified():
                private_file(self.path)
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._writers = 0  # write transactions of this process under way or waiting for the lock
        self._writers_lock = threading.Lock()
        self._write_turn = threading.RLock()  # this process's writers, one at a time (see _writing)
        self._checkpointer: sqlite3.Connection | None = None  # see checkpoint
        self._checkpoint_lock = threading.Lock()
        self._log_copied_elsewhere = 0  # jobs under way that copy the log for every writer (see log_copier)

    # -- the file's state --------------------------------------------------------------------
    def failure(self, exc: BaseException) -> StorageError | None:
        """``exc`` as a :class:`StorageError` about this file, if it is one."""
        return classify(exc, self.path)

    @contextmanager
    def classified(self) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            problem = classify(exc, self.path)
            if problem is None:
                raise
            raise problem from exc

    # -- is the file sound? ------------------------------------------------------------------
    # ``PRAGMA quick_check`` reads every page: about 0.8 s per 100,000 customers (bench/quick_check.py),
    # some 8 s at 1M. So:
    # - every process: the header and size are checked when the file opens (microseconds);
    # - the app: quick_check once per start, on a background thread; a write waits for nobody
    #   (``wait_for_check = False``) and is refused once damage is found;
    # - a command: quick_check before its first write, skipped when the file is unchanged (same
    #   inode, size and modification time to the nanosecond) since a check that passed, as
    #   recorded next to it in ``<file>-checked`` (refreshed when a process that found the file
    #   sound ends, after SQLite's own last write). Anything but SQLite that writes the file
    #   (a disk fault that reports, a stray copy, ``dd``) changes the time, and the next write
    #   checks again; ``doctor`` always checks.
    wait_for_check = True

    def health(self, *, trust_record: bool = False) -> StorageError | None:
        """``PRAGMA quick_check``, once per process (later calls return the first answer; a
        caller arriving while it runs waits for it). None when the file is sound.
        ``trust_record``: an unchanged file that passed before is not read again."""
        with self._health_lock:
            if self._health is None:
                if trust_record and self._unchanged_since_check():
                    problem = None
                else:
                    problem = self._quick_check()
                    if problem is None:
                        self._record_check()
                self._health = (problem,)
                if problem is None:
                    atexit.register(self._refresh_check_record)
            return self._health[0]

    def health_known(self) -> bool:
        return self._health is not None

    @property
    def check_record(self) -> Path:
        return self.path.with_name(self.path.name + "-checked")

    def _file_state(self) -> str:
        try:
            st = os.stat(self.path)
        except OSError:
            return ""
        return f"{st.st_ino} {st.st_size} {st.st_mtime_ns}"

    def _unchanged_since_check(self) -> bool:
        try:
            return self.check_record.read_text("ascii").strip() == self._file_state() != ""
        except (OSError, UnicodeDecodeError):
            return False

    def _record_check(self) -> None:
        try:
            private_file(self.check_record).write_text(self._file_state() + "\n", "ascii")
        except OSError:
            pass  # a read-only folder: the next process checks again

    def _refresh_check_record(self) -> None:
        """At exit, after this process's connections (and so SQLite's checkpoint) are closed:
        the file as SQLite left it is the file found sound."""
        if self._health == (None,) and self.check_record.exists():
            self.dispose()
            self._record_check()

    def forget_check_record(self) -> None:
        """The file was found damaged (doctor) or replaced (recover): the next write checks it."""
        try:
            self.check_record.unlink()
        except OSError:
            pass

    def _quick_check(self) -> StorageError | None:
        try:
            with self.classified():
                conn = self.raw()
                try:
                    rows = [r[0] for r in conn.execute("PRAGMA quick_check(10)")]
                finally:
                    conn.close()
        except StorageError as exc:
            if exc.kind in (Failure.DAMAGED, Failure.NOT_A_DATABASE, Failure.IO_ERROR):
                self.forget_check_record()
                return exc
            return None  # busy or unreadable: not a verdict on the file; the write itself says why
        if rows == ["ok"]:
            return None
        self.forget_check_record()
        return StorageError(Failure.DAMAGED, self.path, rows[0].splitlines()[-1] if rows else "")

    def before_write(self) -> None:
        """Raise :class:`StorageError` if this file may not be written now: read-only file or
        folder, or found damaged (see above for when quick_check runs)."""
        kind = read_only_kind(self.path)
        if kind is not None:
            raise StorageError(kind, self.path)
        if self._health is None and not self.wait_for_check:
            return  # the app's background check has not answered yet
        problem = self.health(trust_record=True)
        if problem is not None:
            raise problem

    def _engine(self, begin: str, durable: bool = True) -> Engine:
        key = begin if durable else f"{begin} (not durable)"
        with self._engines_lock:
            if key not in self._engines:
                self._engines[key] = engine = _make_engine(self.path, begin=begin, durable=durable)
                if durable and begin == "BEGIN IMMEDIATE":
                    from sqlalchemy import event

                    event.listen(engine, "checkout", lambda conn, *_: self._set_log_copying(conn))
            return self._engines[key]

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
        with self.classified(), Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction of this process. Its writers take turns on a lock of their own
        before SQLite's: a waiting writer wakes the moment the lock is free, where SQLite's busy
        handler would have it sleep up to 100 ms between tries (other processes still meet that).
        A writer that does not get its turn within the busy timeout goes on to SQLite's lock, which
        says what is wrong."""
        with self._writers_lock:
            self._writers += 1
        turn = self._write_turn.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if turn:
                self._write_turn.release()
            with self._writers_lock:
                self._writers -= 1

    def wait_for_writers(self, at_most: float = 2.0) -> None:
        """Let this process's other writers (a save at the till) take the write lock first.

        A long job that writes in many short transactions (a pull) calls this between them:
        SQLite's busy handler polls at growing intervals, so without it the job would take the
        lock again before the waiting save polls, over and over."""
        deadline = time.monotonic() + at_most
        while self._writers and time.monotonic() < deadline:
            time.sleep(0.0005)

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """One transaction: everything done in the block commits together or not at all.

        ``durable=False`` (what a pull writes: headquarters holds it and the cursor moves with
        it): the commit does not wait for the disk (``synchronous=NORMAL``, no fsync). A power
        cut may take back the last such transactions, each whole, never half of one; the next
        pull fetches them again. A 2,000-customer pull commits hundreds of short transactions
        (see ``sync.engine``), and an fsync is 5 to 30 ms here."""
        from sqlmodel import Session

        self.before_write()
        engine = self.write_engine if durable else self._engine("BEGIN IMMEDIATE", durable=False)
        with self._writing(), self.classified(), Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def snapshot(self, *, begin: bool = True) -> Iterator[sqlite3.Connection]:
        """A read-only sqlite3 connection in one read transaction: the search hot path, without
        ORM overhead. Connections are pooled and reused across threads. ``begin=False``: no
        transaction is begun (a single statement is one snapshot of its own; the reader begins
        one before a second statement, and it is committed when the block ends)."""
        try:  # what classified() does, written out: one context manager less on the search's path
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                conn = self.raw()
                conn.execute("PRAGMA query_only=ON")
                conn.execute("PRAGMA cache_size=-8000")
            if begin:
                conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
                self._readers.put(conn)
        except StorageError:
            raise
        except Exception as exc:
            problem = classify(exc, self.path)
            if problem is None:
                raise
            raise problem from exc

    @contextmanager
    def raw_write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) on a plain sqlite3 connection: commits when
        the block ends, rolls back if it raises."""
        self.before_write()
        with self._writing(), self.classified():
            conn = self.raw()
            try:
                self._set_log_copying(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # SQLite already rolled back after e.g. a full disk
                        conn.execute("ROLLBACK")
                    raise
            finally:
                conn.close()

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the file (a passive checkpoint: it waits for no
        one, and a writer may commit meanwhile). A job of many short transactions that do not wait
        for the disk (a pull) calls it between them, after its write turn, and saves meanwhile copy
        nothing (:meth:`log_copier`)."""
        with self._checkpoint_lock:
            if self._checkpointer is None:
                self._checkpointer = self.raw()
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    @contextmanager
    def log_copier(self) -> Iterator[None]:
        """A long job of many short write transactions (a pull) copies the write-ahead log into the
        file for every writer of this process while it runs (:meth:`checkpoint` between its
        transactions, and once more at its end): a save's commit meanwhile does not copy it itself
        (its connection does not checkpoint), where it would copy all the job wrote since the last
        copy (into a 1M file a save took up to 0.8 s instead of tens of milliseconds). Once the job
        ends, saves copy it again as SQLite does by default (from 1,000 pages of log on).

        The copies are the job's, between its transactions, not another thread's beside them: the
        log starts over only when a copy has copied all of it, which a copy running while the job
        writes seldom does, so the log would grow on the till's disk for as long as the job runs."""
        with self._checkpoint_lock:
            self._log_copied_elsewhere += 1
        try:
            yield
        finally:
            with self._checkpoint_lock:
                self._log_copied_elsewhere -= 1
        self.checkpoint()

    def _set_log_copying(self, conn: sqlite3.Connection) -> None:
        """A durable writer's connection copies the log at its commit (SQLite's default) unless a
        job copies it for everyone (:meth:`log_copier`)."""
        conn.execute(f"PRAGMA wal_autocheckpoint={0 if self._log_copied_elsewhere else DEFAULT_AUTOCHECKPOINT}")

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same pragmas (bulk loading, benchmarks, doctor).
        Its errors are the caller's to classify (:meth:`failure`)."""
        with self.classified():
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            try:
                _configure(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    def dispose(self) -> None:
        with self._checkpoint_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()
