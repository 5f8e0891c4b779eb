"""One place classifies what went wrong with the till's file (storage/errors.py)."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from pos_customers.services.health import failure_line
from pos_customers.storage.engine import Database, open_database
from pos_customers.storage.errors import Failure, StorageError, classify, open_problem


def sqlite_error(cls, message: str, name: str):
    exc = cls(message)
    exc.sqlite_errorname = name
    return exc


@pytest.mark.parametrize(("exc", "kind"), [
    (sqlite_error(sqlite3.DatabaseError, "database disk image is malformed", "SQLITE_CORRUPT"), Failure.DAMAGED),
    (sqlite_error(sqlite3.DatabaseError, "vtable constructor failed", "SQLITE_CORRUPT_VTAB"), Failure.DAMAGED),
    (sqlite_error(sqlite3.OperationalError, "database or disk is full", "SQLITE_FULL"), Failure.DISK_FULL),
    (sqlite_error(sqlite3.OperationalError, "database is locked", "SQLITE_BUSY"), Failure.LOCKED),
    (sqlite_error(sqlite3.OperationalError, "disk I/O error", "SQLITE_IOERR_WRITE"), Failure.IO_ERROR),
    (sqlite_error(sqlite3.OperationalError, "attempt to write a readonly database", "SQLITE_READONLY"),
     Failure.READ_ONLY_FILE),
    (OSError(errno.ENOSPC, "No space left on device"), Failure.DISK_FULL),
])
def test_sqlite_and_os_errors_are_classified(tmp_path, exc, kind):
    err = classify(exc, tmp_path / "till.db")
    assert err is not None and err.kind is kind and err.path == tmp_path / "till.db"
    assert "\n" not in failure_line(err) and str(tmp_path) in failure_line(err)


def test_sqlalchemy_wraps_are_unwrapped(tmp_path):
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT …", {}, sqlite_error(sqlite3.OperationalError, "database or disk is full",
                                                           "SQLITE_FULL"))
    assert classify(wrapped, tmp_path / "x.db").kind is Failure.DISK_FULL


def test_errors_not_about_the_file_are_left_alone(tmp_path):
    assert classify(sqlite3.IntegrityError("UNIQUE constraint failed: customer.id"), tmp_path / "x.db") is None
    assert classify(ValueError("no"), tmp_path / "x.db") is None


def test_the_open_check_reads_the_header_not_the_file(tmp_path):
    db = Database(tmp_path / "ok.db")
    conn = db.raw()
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    db.dispose()
    assert open_problem(tmp_path / "ok.db") is None
    (tmp_path / "zero.db").touch()
    assert open_problem(tmp_path / "zero.db").kind is Failure.EMPTY
    assert open_problem(tmp_path / "zero.db", create=True) is None
    assert open_problem(tmp_path / "none.db").kind is Failure.MISSING
    (tmp_path / "text.db").write_text("a,b\n1,2\n")
    assert open_problem(tmp_path / "text.db").kind is Failure.NOT_A_DATABASE
    data = (tmp_path / "ok.db").read_bytes()
    (tmp_path / "cut.db").write_bytes(data[: len(data) - 1000])
    assert open_problem(tmp_path / "cut.db").kind is Failure.DAMAGED
    assert open_problem(tmp_path).kind is Failure.NOT_A_DATABASE  # a folder
    with pytest.raises(StorageError) as exc:
        open_database(tmp_path / "zero.db")
    assert exc.value.kind is Failure.EMPTY
