"""What went wrong with the till's file, classified in one place.

Every sqlite3 or SQLAlchemy error that is about the file itself (damaged, not a database, read-only,
full disk, held by another program) becomes a :class:`StorageError` with a :class:`Failure` kind
and the file's path. The services, the command line and the app turn it into one line saying what
happened and what to do (:mod:`pos_customers.services.health`); nothing here is person-facing text.
Errors that are not about the file (a constraint, a bug) are left as they are.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from enum import StrEnum
from pathlib import Path

from .rawfile import read_head

SQLITE_MAGIC = b"SQLite format 3\x00"


class Failure(StrEnum):
    MISSING = "missing"                  # no file at that path
    EMPTY = "empty"                      # a 0-byte file: only `init`/`demo` make a store of it
    DAMAGED = "damaged"                  # SQLite finds its pages or header broken
    NOT_A_DATABASE = "not_a_database"    # some other file (text, an export) at the database's path
    READ_ONLY_FILE = "read_only_file"    # the file may not be written
    READ_ONLY_FOLDER = "read_only_folder"  # its folder may not be written (SQLite adds -wal/-shm there)
    DISK_FULL = "disk_full"              # no room on the disk (or the file's size limit)
    LOCKED = "locked"                    # another program holds the write lock beyond the busy timeout
    IO_ERROR = "io_error"                # the disk failed to read or write
    CANNOT_OPEN = "cannot_open"          # the operating system refused to open it (folder missing, ...)


class StorageError(Exception):
    """The till's file failed; ``kind`` says how. Nothing of the failed transaction was written."""

    def __init__(self, kind: Failure, path: Path | str, detail: str = ""):
        self.kind = kind
        self.path = Path(path)
        self.detail = detail  # SQLite's own words, for doctor and logs (never holds data)
        super().__init__(f"{kind.value}: {self.path}" + (f" ({detail})" if detail else ""))


def classify(exc: BaseException, path: Path | str) -> StorageError | None:
    """The :class:`StorageError` for ``exc`` if it is about the file at ``path``, else None."""
    if isinstance(exc, StorageError):
        return exc
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the sqlite3 error
    if isinstance(orig, (sqlite3.Error, OSError)):
        exc = orig
    path = Path(path)
    if isinstance(exc, sqlite3.Error):
        return _from_sqlite(exc, path)
    if isinstance(exc, OSError):
        return _from_os(exc, path)
    return None


def _from_sqlite(exc: sqlite3.Error, path: Path) -> StorageError | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    detail = str(exc)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return StorageError(Failure.DAMAGED, path, detail)
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return StorageError(sniff(path) or Failure.DAMAGED, path, detail)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return StorageError(Failure.DISK_FULL, path, detail)
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return StorageError(read_only_kind(path) or Failure.READ_ONLY_FILE, path, detail)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return StorageError(Failure.LOCKED, path, detail)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StorageError(read_only_kind(path) or (Failure.MISSING if not path.parent.is_dir()
                                                      else Failure.CANNOT_OPEN), path, detail)
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return StorageError(read_only_kind(path) or Failure.IO_ERROR, path, detail)
    return None


def _from_os(exc: OSError, path: Path) -> StorageError | None:
    detail = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(Failure.DISK_FULL, path, detail)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(read_only_kind(path) or Failure.CANNOT_OPEN, path, detail)
    if exc.errno == errno.EIO:
        return StorageError(Failure.IO_ERROR, path, detail)
    return None


# -- looking at the file without SQLite ------------------------------------------------------------

def writable(path: Path) -> bool:
    """May this process write ``path``? A file or folder whose mode has no write bit counts as
    read-only even for root (who SQLite would let write it): someone marked it so on purpose."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True  # not there: whoever creates it finds out
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def read_only_kind(path: Path) -> Failure | None:
    """READ_ONLY_FOLDER or READ_ONLY_FILE when one of them may not be written, else None."""
    folder = path.parent
    if folder.exists() and (not writable(folder) or not os.access(folder, os.X_OK)):
        return Failure.READ_ONLY_FOLDER
    if path.exists() and not writable(path):
        return Failure.READ_ONLY_FILE
    return None


def sniff(path: Path) -> Failure | None:
    """What the first bytes say, without SQLite: None for a file that starts like a database
    (SQLite then judges the rest), else EMPTY, NOT_A_DATABASE (text) or DAMAGED (a broken header)."""
    try:
        head, size = read_head(path, 4096)  # never open()/close(): that drops this process's SQLite locks
    except FileNotFoundError:
        return Failure.MISSING
    except OSError:
        return None  # unreadable: SQLite's open says why
    if not head:
        return Failure.EMPTY
    if head.startswith(SQLITE_MAGIC):
        if len(head) < 100:
            return Failure.DAMAGED
        page_size = int.from_bytes(head[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1) or size % page_size:
            return Failure.DAMAGED  # a header no SQLite wrote, or a file cut off mid-page
        pages = int.from_bytes(head[28:32], "big")
        valid = head[24:28] == head[92:96]  # the header's page count is current
        if valid and pages * page_size > size:
            return Failure.DAMAGED  # cut off: the last checkpoint wrote more pages than are there
        return None
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return Failure.NOT_A_DATABASE
        except UnicodeDecodeError:
            pass
    return Failure.DAMAGED if size % 512 == 0 and size >= 1024 else Failure.NOT_A_DATABASE


def open_problem(path: Path, *, create: bool = False) -> StorageError | None:
    """Why ``path`` cannot serve as the till's database, judged from the file system and its first
    bytes (microseconds): missing or empty (unless ``create``), not a database, a damaged header."""
    try:
        exists = path.exists()
    except OSError as exc:
        return _from_os(exc, path) or StorageError(Failure.CANNOT_OPEN, path, str(exc))
    if not exists:
        if create:
            return None
        return StorageError(Failure.MISSING, path)
    if path.is_dir():
        return StorageError(Failure.NOT_A_DATABASE, path, "a folder")
    kind = sniff(path)
    if kind is Failure.EMPTY and create:
        return None
    if kind is not None:
        return StorageError(kind, path)
    return None
