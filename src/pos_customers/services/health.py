"""The till's file failed: one line saying what happened and what to do, for the command line and
the app alike (the kinds are classified once, in :mod:`pos_customers.storage.errors`)."""

from __future__ import annotations

import shlex

from ..domain.i18n import N_, Msg
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


def failure_title(err: StorageError) -> Msg:
    """A few words for a screen's heading."""
    return Msg({
        Failure.MISSING: N_("No database file"),
        Failure.EMPTY: N_("The database file is empty"),
        Failure.DAMAGED: N_("The database file is damaged"),
        Failure.NOT_A_DATABASE: N_("This is not a customer database"),
        Failure.READ_ONLY_FILE: N_("The database file is read-only"),
        Failure.READ_ONLY_FOLDER: N_("The database folder is read-only"),
        Failure.DISK_FULL: N_("The disk is full"),
        Failure.LOCKED: N_("The database file is busy"),
        Failure.IO_ERROR: N_("The disk failed"),
        Failure.CANNOT_OPEN: N_("The database file cannot be opened"),
    }[err.kind])


_LINES = {
    Failure.MISSING: N_("no database at {path}: run `pos-customers init` or `pos-customers demo` first"),
    Failure.EMPTY: N_("the database file {path} is empty (0 bytes) and holds no store: if this till had one, "
                      "run `pos-customers recover`; to set up a new store run `pos-customers init`"),
    Failure.DAMAGED: N_("the database file {path} is damaged: run `pos-customers doctor`, then "
                        "`pos-customers recover`"),
    Failure.NOT_A_DATABASE: N_("{path} is not a pos-customers database: check the path (--db, "
                               "$POS_CUSTOMERS_DB); if it was the store's file, run `pos-customers recover`"),
    Failure.READ_ONLY_FILE: N_("the database file {path} is read-only, nothing was changed: give this user "
                               "write access (`chmod u+w {path}`) and try again"),
    Failure.READ_ONLY_FOLDER: N_("the folder {folder} holding the database is read-only (or on a read-only "
                                 "disk), nothing was changed: give this user write access "
                                 "(`chmod u+w {folder}`) or move the file to a writable disk"),
    Failure.DISK_FULL: N_("the disk holding {path} is full, nothing was saved: free some space "
                          "(`df -h {folder}`) and try again"),
    Failure.LOCKED: N_("the database file {path} is busy: another program (another pos-customers, a backup) "
                       "has held it for over {seconds} s; close it or wait, then try again"),
    Failure.IO_ERROR: N_("the disk could not read or write {path}: check the disk, then run `pos-customers doctor`"),
    Failure.CANNOT_OPEN: N_("cannot open the database file {path}: check that its folder exists and that "
                            "this user may open it"),
}


def failure_line(err: StorageError) -> Msg:
    """What happened — what to do, in one line (the path quoted as a shell would need it)."""
    return Msg(_LINES[err.kind], path=shlex.quote(str(err.path)), folder=shlex.quote(str(err.path.parent)),
               seconds=engine.BUSY_TIMEOUT_MS // 1000)
