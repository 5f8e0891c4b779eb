"""Backup files of the terminal's database: consistent copies made with SQLite's online backup API
while the app runs, named so their order and store are clear, kept private (0600, folder 0700).

A backup of ``customers.db`` of store BER01 made at 19:45:00 UTC on 25 November 2026 is
``backups/customers-BER01-20261125T194500Z.db`` next to the database; the rolling ones the app and
``sync`` make end in ``-auto.db`` (only those are removed when more than ``keep`` exist). Names sort
in time order.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..domain.i18n import Msg
from ..paths import private_dir, private_file

BACKUP_FOLDER = "backups"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^(?P<store>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?(?P<auto>-auto)?\.db$")


class BackupFailed(RuntimeError):
    """The copy could not be made (the database is damaged, the disk is full, ...). One line."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    store: str
    at: datetime
    auto: bool


def default_folder(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_FOLDER


def backup_name(db_path: Path, store: str, at: datetime, *, auto: bool = False, n: int = 0) -> str:
    stamp = at.astimezone(timezone.utc).strftime(_STAMP)
    return f"{Path(db_path).stem}-{store or 'NOSTORE'}-{stamp}{f'-{n}' if n else ''}{'-auto' if auto else ''}.db"


def parse_name(db_path: Path, path: Path) -> BackupFile | None:
    """A backup of ``db_path`` (same file stem) by its name, or None."""
    prefix = f"{Path(db_path).stem}-"
    if not path.name.startswith(prefix):
        return None
    m = _NAME.match(path.name[len(prefix):])
    if not m:
        return None
    at = datetime.strptime(m["stamp"], _STAMP).replace(tzinfo=timezone.utc)
    return BackupFile(path, m["store"], at, bool(m["auto"]))


def list_backups(db_path: Path, folder: Path | None = None) -> list[BackupFile]:
    """The backups of ``db_path`` in ``folder`` (default: ``backups/`` next to it), newest first."""
    folder = folder or default_folder(db_path)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = [b for p in entries if p.is_file() and (b := parse_name(db_path, p)) is not None]
    return sorted(found, key=lambda b: (b.at, b.path.name), reverse=True)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def copy_database(source: Path, target: Path, *, check: bool = True, timeout: float = 30.0) -> None:
    """Copy ``source`` into the new file ``target`` with the online backup API: one read transaction
    on the source (WAL: writers go on meanwhile), so the copy is the database as of one moment.
    The copy is written under a temporary name, checked (``quick_check``) and renamed into place:
    ``target`` is either a whole, checked copy or absent. The copy is one file (no -wal)."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    src = dst = None
    try:
        private_dir(target.parent)
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
        private_file(partial)
        src = sqlite3.connect(source, timeout=timeout)  # only read
        dst = sqlite3.connect(partial, timeout=timeout)
        src.backup(dst)  # every page in one step: one consistent snapshot of the source
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        if check:
            result = dst.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                what = " ".join(str(result[0]).split())[:160] if result else "no answer"
                raise BackupFailed(Msg("the database is damaged ({what}): no backup was made; "
                                       "`pos-customers recover` rebuilds it", what=what))
        dst.close()
        dst = None
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
        _fsync_folder(target.parent)
    except sqlite3.Error as exc:
        raise BackupFailed(Msg("no backup was made: {reason}", reason=str(exc))) from None
    except OSError as exc:
        raise BackupFailed(Msg("no backup was made: {reason} ({path})", reason=exc.strerror or str(exc),
                               path=str(exc.filename or target))) from None
    finally:
        for conn in (src, dst):
            if conn is not None:
                conn.close()
        for leftover in (partial, Path(f"{partial}-journal")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass


def new_backup_path(db_path: Path, store: str, at: datetime, *, folder: Path | None = None,
                    auto: bool = False) -> Path:
    folder = folder or default_folder(db_path)
    n = 0
    while True:
        path = folder / backup_name(db_path, store, at, auto=auto, n=n)
        if not path.exists():
            return path
        n += 1


def prune(db_path: Path, keep: int, *, folder: Path | None = None) -> list[Path]:
    """Remove the oldest rolling (``-auto``) backups beyond ``keep``; returns the removed paths.
    Backups made by hand (``pos-customers backup``) are never removed."""
    rolling = [b for b in list_backups(db_path, folder) if b.auto]
    removed = []
    for b in rolling[max(keep, 1):]:
        try:
            b.path.unlink()
            removed.append(b.path)
        except OSError:
            pass
    return removed


def integrity_problem(path: Path, *, full: bool = True) -> Msg | str:
    """Empty when ``path`` is a whole SQLite database (``integrity_check``, or ``quick_check``
    with ``full=False``); else what is wrong, in one line (SQLite's own words, or a Msg). Opens the
    file read-only."""
    if not Path(path).is_file():
        return Msg("no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute(f"PRAGMA {'integrity_check' if full else 'quick_check'}").fetchall()
        if rows and rows[0][0] == "ok":
            if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'setting'").fetchone()[0] != 1:
                return Msg("not a terminal database (no setting table)")
            return ""
        return " ".join("; ".join(str(r[0]) for r in rows[:3]).split())[:200] or Msg("no answer")
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
