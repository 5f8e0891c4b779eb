"""The till's file failed: one line saying what happened and what to do, for the command line and
the app alike (the kinds are classified once, in :mod:`pos_customers.storage.errors`)."""

from __future__ import annotations

import shlex

from ..storage import engine
from ..storage.errors import Failure, StorageError, classify

__all__ = ["Failure", "StorageError", "as_storage_error", "failure_line", "failure_title"]

RECOVER = "pos-customers recover"
DOCTOR = "pos-customers doctor"


def as_storage_error(exc: BaseException, path=None) -> StorageError | None:
    """``exc`` (a sqlite3 or SQLAlchemy error, or already a StorageError) about the file at
    ``path``, else None."""
    if isinstance(exc, StorageError):
        return exc
    return classify(exc, path) if path is not None else None


def failure_title(err: StorageError) -> str:
    """A few words for a screen's heading."""
    return {
        Failure.MISSING: "No database file",
        Failure.EMPTY: "The database file is empty",
        Failure.DAMAGED: "The database file is damaged",
        Failure.NOT_A_DATABASE: "This is not a customer database",
        Failure.READ_ONLY_FILE: "The database file is read-only",
        Failure.READ_ONLY_FOLDER: "The database folder is read-only",
        Failure.DISK_FULL: "The disk is full",
        Failure.LOCKED: "The database file is busy",
        Failure.IO_ERROR: "The disk failed",
        Failure.CANNOT_OPEN: "The database file cannot be opened",
    }[err.kind]


def failure_line(err: StorageError) -> str:
    """What happened — what to do, in one line (the path quoted as a shell would need it)."""
    p = shlex.quote(str(err.path))
    folder = shlex.quote(str(err.path.parent))
    seconds = engine.BUSY_TIMEOUT_MS // 1000
    return {
        Failure.MISSING: f"no database at {p}: run `pos-customers init` or `pos-customers demo` first",
        Failure.EMPTY: (f"the database file {p} is empty (0 bytes) and holds no store: if this till had one, "
                        f"run `{RECOVER}`; to set up a new store run `pos-customers init`"),
        Failure.DAMAGED: f"the database file {p} is damaged: run `{DOCTOR}`, then `{RECOVER}`",
        Failure.NOT_A_DATABASE: (f"{p} is not a pos-customers database: check the path (--db, "
                                 f"$POS_CUSTOMERS_DB); if it was the store's file, run `{RECOVER}`"),
        Failure.READ_ONLY_FILE: (f"the database file {p} is read-only, nothing was changed: give this user "
                                 f"write access (`chmod u+w {p}`) and try again"),
        Failure.READ_ONLY_FOLDER: (f"the folder {folder} holding the database is read-only (or on a read-only "
                                   f"disk), nothing was changed: give this user write access "
                                   f"(`chmod u+w {folder}`) or move the file to a writable disk"),
        Failure.DISK_FULL: (f"the disk holding {p} is full, nothing was saved: free some space "
                            f"(`df -h {folder}`) and try again"),
        Failure.LOCKED: (f"the database file {p} is busy: another program (another pos-customers, a backup) "
                         f"has held it for over {seconds} s; close it or wait, then try again"),
        Failure.IO_ERROR: f"the disk could not read or write {p}: check the disk, then run `{DOCTOR}`",
        Failure.CANNOT_OPEN: (f"cannot open the database file {p}: check that its folder exists and that "
                              f"this user may open it"),
    }[err.kind]
