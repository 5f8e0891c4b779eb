"""Backups of the terminal's file, rolling local backups, and recovery from a damaged file.

``backup_now``: a consistent copy made with SQLite's online backup API while the app runs (see
storage/backup_files.py); ``rolling_backup``: what the app and a running ``sync`` call, making a
``-auto`` backup when the last one is older than ``[backup] every_hours`` and keeping ``keep``.

``recover``: rebuilds a working file from the newest backup that passes ``integrity_check``, else
(for a terminal enrolled with headquarters) from a full pull; then puts back every outbox event
still readable in the damaged file that the rebuilt file lacks (the changes made here that
headquarters has not got), and re-applies the customers those events created or changed. The
damaged file is moved aside, never deleted.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..domain.enums import EventKind, SyncState
from ..domain.merge import DOCUMENT_FIELDS
from ..domain.i18n import N_, Msg
from ..paths import config_path
from ..storage import backup_files
from ..storage.backup_files import BackupFailed, BackupFile
from ..storage.engine import Database
from ..storage.salvage import Salvaged, salvage
from .context import Actor, Permission, Services
from .views import Joined

__all__ = ["BackupFailed", "BackupSettings", "RecoveryFailed", "NothingToRecover", "backup_now", "recover",
           "rolling_backup"]

LAST_KEY = "backup_last_at"


# -- settings --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackupSettings:
    """config.toml ``[backup]``: ``every_hours`` (0: no rolling backups), ``keep``, ``folder``."""

    every_hours: float = 24.0
    keep: int = 7
    folder: str = ""  # empty: backups/ next to the database


def backup_settings(table: Any) -> BackupSettings:
    """The ``[backup]`` table, checked; ValueError names what is wrong."""
    if table is None:
        return BackupSettings()
    if not isinstance(table, dict):
        raise ValueError(Msg("[backup] must be a table (every_hours = 24, keep = 7)"))
    unknown = set(table) - {"every_hours", "keep", "folder"}
    if unknown:
        raise ValueError(Msg("[backup] does not know {keys} (every_hours, keep, folder)",
                             keys=", ".join(sorted(unknown))))
    every, keep, folder = table.get("every_hours", 24), table.get("keep", 7), table.get("folder", "")
    if isinstance(every, bool) or not isinstance(every, (int, float)) or every < 0:
        raise ValueError(Msg("[backup] every_hours must be a number of hours, 0 or more (0: no rolling backups)"))
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(Msg("[backup] keep must be a whole number, 1 or more"))
    if not isinstance(folder, str):
        raise ValueError(Msg("[backup] folder must be a path"))
    return BackupSettings(float(every), keep, folder)


def load_backup_settings(path: Path | None = None) -> BackupSettings:
    """``[backup]`` of config.toml (``pos-customers sync`` reads it as the app does)."""
    path = path or config_path()
    if not path.exists():
        return BackupSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(Joined((str(path), str(exc)), ": ")) from None
    try:
        return backup_settings(data.get("backup"))
    except ValueError as exc:
        raise ValueError(Joined((str(path), exc.args[0] if exc.args else str(exc)), ": ")) from None


def backup_folder(db_path: Path, settings: BackupSettings | None = None) -> Path:
    if settings is not None and settings.folder:
        return Path(settings.folder).expanduser()
    return backup_files.default_folder(db_path)


# -- backups ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackupDone:
    path: Path
    at: datetime
    size: int
    removed: tuple[Path, ...] = ()  # rolling backups beyond ``keep``, removed


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def backup_now(svc: Services, actor: Actor, target: str | os.PathLike | None = None, *,
               settings: BackupSettings | None = None, now: datetime | None = None) -> BackupDone:
    """`pos-customers backup [PATH]`: a copy of the whole file (all customers: managers, support and
    administrators). PATH a folder (or absent: the backup folder) gets a named file; PATH a file
    name is used as it is and must not exist yet."""
    actor.require(Permission.IMPORT_EXPORT)
    at = now or _utcnow()
    store = svc.settings().get("store_code", "")
    if target is None:
        path = backup_files.new_backup_path(svc.db.path, store, at, folder=backup_folder(svc.db.path, settings))
    else:
        chosen = Path(target).expanduser()
        if chosen.is_dir() or str(target).endswith(("/", os.sep)):
            path = backup_files.new_backup_path(svc.db.path, store, at, folder=chosen)
        elif chosen.exists():
            raise BackupFailed(Msg("{path} exists already: give a new file name or a folder", path=str(chosen)))
        else:
            path = chosen
    backup_files.copy_database(svc.db.path, path)
    _put_last(svc, at)
    return BackupDone(path, at, path.stat().st_size)


def last_backup_at(svc: Services) -> datetime | None:
    with svc.db.snapshot() as conn:
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (LAST_KEY,)).fetchone()
    try:
        return datetime.fromisoformat(row[0]) if row and row[0] else None
    except ValueError:
        return None


def _put_last(svc: Services, at: datetime) -> None:
    with svc.db.raw_write() as conn:
        conn.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                     "excluded.value", (LAST_KEY, at.astimezone(timezone.utc).isoformat(timespec="seconds")))
    svc.forget_settings()


def backup_due(svc: Services, settings: BackupSettings, now: datetime | None = None) -> bool:
    if settings.every_hours <= 0:
        return False
    last = last_backup_at(svc)
    return last is None or (now or _utcnow()) - last >= timedelta(hours=settings.every_hours)


def rolling_backup(svc: Services, settings: BackupSettings, *, now: datetime | None = None) -> BackupDone | None:
    """A ``-auto`` backup when the last backup is ``every_hours`` old or more (None: not due), then
    the oldest rolling backups beyond ``keep`` are removed. Housekeeping of the terminal itself:
    it needs no signed-in role. Two processes (the app and ``sync``) make one backup between them:
    the first claims the slot in the ``setting`` table before copying."""
    at = now or _utcnow()
    if settings.every_hours <= 0:
        return None
    with svc.db.raw_write() as conn:
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (LAST_KEY,)).fetchone()
        previous = row[0] if row else None
        try:
            last = datetime.fromisoformat(previous) if previous else None
        except ValueError:
            last = None
        if last is not None and at - last < timedelta(hours=settings.every_hours):
            return None
        conn.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                     "excluded.value", (LAST_KEY, at.astimezone(timezone.utc).isoformat(timespec="seconds")))
    svc.forget_settings()
    folder = backup_folder(svc.db.path, settings)
    try:
        path = backup_files.new_backup_path(svc.db.path, svc.settings().get("store_code", ""), at,
                                            folder=folder, auto=True)
        backup_files.copy_database(svc.db.path, path)
    except (BackupFailed, OSError):
        with svc.db.raw_write() as conn:  # not made: due again at the next look
            if previous is None:
                conn.execute("DELETE FROM setting WHERE key = ?", (LAST_KEY,))
            else:
                conn.execute("UPDATE setting SET value = ? WHERE key = ?", (previous, LAST_KEY))
        raise
    removed = backup_files.prune(svc.db.path, settings.keep, folder=folder)
    return BackupDone(path, at, path.stat().st_size, tuple(removed))


# -- recovery --------------------------------------------------------------------------------------

class RecoveryFailed(RuntimeError):
    """Nothing was changed: the damaged file is where it was. One line saying why and what to do."""


class NothingToRecover(RecoveryFailed):
    pass


#: where a recovery took the customers from, as a person reads it (``RecoveryReport.source``)
SOURCES = {"backup": N_("backup"), "outbox": N_("the till's own outbox"), "headquarters": N_("headquarters"),
           "": N_("rebuilt file")}


@dataclass
class RecoveryReport:
    db_path: Path
    source: str = ""  # "backup" or "headquarters"
    backup: Path | None = None
    backup_at: datetime | None = None
    hq_url: str = ""
    re_enrolled: bool = False
    pulled: int = 0
    events_read: int = 0  # outbox events read from the damaged file
    events_queued: int = 0  # of those, put back in the outbox (the backup lacked them)
    events_in_backup: int = 0  # of those, already in the backup's outbox
    parked_queued: int = 0  # parked ones among events_queued (still parked)
    customers_reapplied: int = 0
    audit_carried: int = 0
    redirects_carried: int = 0  # customers merged into another, leading to it again (salvage.carry_redirects)
    moved_to: Path | None = None
    enrolled: bool = False  # the rebuilt file is a terminal enrolled with headquarters
    customers_before: int | None = None  # customer rows SQL could count in the damaged file (None: none)
    customers_before_complete: bool = False  # ... the whole table (else: at least that many)
    customers_after: int = 0  # customer rows in the rebuilt file
    readers: list[str] = field(default_factory=list)
    could_not: list[Msg | str] = field(default_factory=list)  # what could not be put back, for people


def recover(db_path: str | os.PathLike, actor: Actor, *, hq_url: str | None = None, token: str | None = None,
            backup: str | os.PathLike | None = None, settings: BackupSettings | None = None,
            force: bool = False, now: datetime | None = None, transport=None,
            use_sqlite_program: bool = True) -> RecoveryReport:
    """`pos-customers recover`: see the module notes. Raises RecoveryFailed (nothing changed)."""
    actor.require(Permission.CONFIGURE_STORE)
    path = Path(db_path)
    # reading a WAL file (even read-only) makes -wal and -shm beside it: those this run made go again
    # unless the file is replaced, so a file "left as it is" is left as it was
    made_here = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm") if not Path(f"{path}{suffix}").exists()]
    try:
        return _recover(path, actor, hq_url=hq_url, token=token, backup=backup, settings=settings, force=force,
                        now=now, transport=transport, use_sqlite_program=use_sqlite_program)
    finally:
        for side in made_here:
            try:
                if side.exists() and (side.name.endswith("-shm") or side.stat().st_size == 0):
                    side.unlink()
            except OSError:
                pass


def _recover(path: Path, actor: Actor, *, hq_url: str | None, token: str | None,
             backup: str | os.PathLike | None, settings: BackupSettings | None, force: bool,
             now: datetime | None, transport, use_sqlite_program: bool) -> RecoveryReport:
    at = now or _utcnow()
    if bool(hq_url) != bool(token):
        raise RecoveryFailed(Msg("give both --hq URL and --token T (a new token: `pos-customers hq token STORE` "
                                 "at headquarters)"))
    if path.exists() and not force:
        problem = backup_files.integrity_problem(path)
        if not problem:
            raise NothingToRecover(Msg("{path} passes integrity_check: nothing to recover "
                                       "(--force rebuilds it anyway)", path=str(path)))
    report = RecoveryReport(path)
    found = salvage(path, use_sqlite_program=use_sqlite_program)
    report.readers = found.readers
    report.events_read = len(found.outbox)
    report.customers_before, report.customers_before_complete = found.customers, found.customers_complete
    if path.exists() and not found.anything:
        report.could_not.append(Msg("nothing could be read from the damaged file ({why})", why=found.notes[0])
                                if found.notes else Msg("nothing could be read from the damaged file (empty)"))
    elif path.exists() and not found.outbox_complete:
        lost = [n for n in found.notes if "outbox's" in n]
        why = found.notes[0] if found.notes else Msg("damaged")
        report.could_not.append(
            Msg("the damaged file's outbox was read page by page ({why})", why=why) if lost else
            Msg("the damaged file's outbox was read page by page ({why}): changes on its damaged pages, if any, "
                "are lost", why=why))
        report.could_not += lost
    stamp = at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    fresh = path.with_name(f"{path.name}.recovering-{stamp}")
    _remove_db_files(fresh)
    try:
        svc = _rebuild(fresh, path, found, report, actor, hq_url=hq_url, token=token, backup=backup,
                       settings=settings, transport=transport)
        try:
            _merge(svc, actor, found, report, at)
            conn = svc.db.raw()
            try:
                report.customers_after = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
                report.enrolled = bool(conn.execute("SELECT 1 FROM setting WHERE key = 'hq_url' AND value != ''")
                                       .fetchone())
            finally:
                conn.close()
            _finish(svc.db)
        finally:
            svc.db.dispose()
            svc.db.forget_check_record()  # it names the .recovering- file, which is about to be renamed
    except BaseException:
        _remove_db_files(fresh)
        raise
    # the rebuilt file is whole: the damaged one goes aside (with its -wal and -shm), the new one in
    try:
        if path.exists():
            report.moved_to = path.with_name(f"{path.name}.damaged-{stamp}")
            for suffix in ("-wal", "-shm"):
                side = Path(f"{path}{suffix}")
                if side.exists():
                    os.replace(side, Path(f"{report.moved_to}{suffix}"))
            os.replace(path, report.moved_to)
            for side in (report.moved_to, Path(f"{report.moved_to}-wal"), Path(f"{report.moved_to}-shm")):
                if os.name == "posix" and side.exists():
                    os.chmod(side, 0o600)  # it holds customers: private like the rest
        os.replace(fresh, path)
        Database(path).forget_check_record()  # the damaged file's: the rebuilt one is checked at its first write
    except OSError as exc:
        raise RecoveryFailed(Msg("the rebuilt file is {path} but it could not take the damaged file's place: "
                                 "{reason}; move it there by hand", path=str(fresh),
                                 reason=exc.strerror or str(exc))) from None
    return report


def _remove_db_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", "-checked"):
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            pass


def _finish(db: Database) -> None:
    """Every page in the main file and no -wal left, so the file can be renamed into place."""
    db.dispose()
    conn = db.raw()
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def _open(path: Path) -> Services:
    from ..paths import private_file
    from ..storage.migrate import upgrade

    private_file(path)
    db = Database(path)
    try:
        upgrade(db)
    except Exception as exc:  # noqa: BLE001 - a backup from a broken build: say so, never a traceback
        db.dispose()
        raise RecoveryFailed(Msg("{path} could not be brought up to date: {reason}", path=str(path),
                                 reason=str(exc))) from None
    return Services(db)


def _candidates(path: Path, found: Salvaged, backup: str | os.PathLike | None,
                settings: BackupSettings | None, report: RecoveryReport) -> list[BackupFile]:
    if backup is not None:
        chosen = Path(backup).expanduser()
        parsed = backup_files.parse_name(path, chosen)
        return [parsed or BackupFile(chosen, "", datetime.fromtimestamp(_mtime(chosen), timezone.utc), False)]
    found_backups = backup_files.list_backups(path, backup_folder(path, settings))
    store = found.settings.get("store_code")
    if store:
        others = [b for b in found_backups if b.store != store]
        if others and len(others) == len(found_backups):
            report.could_not.append(Msg("{count} backup(s) of another store left alone", count=len(others)))
        found_backups = [b for b in found_backups if b.store == store]
    return found_backups


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _rebuild(fresh: Path, path: Path, found: Salvaged, report: RecoveryReport, actor: Actor, *,
             hq_url: str | None, token: str | None, backup: str | os.PathLike | None,
             settings: BackupSettings | None, transport) -> Services:
    """The new file from the newest good backup, else from headquarters. Nothing else changed."""
    skipped = 0
    last_problem: Msg | str = ""
    for candidate in _candidates(path, found, backup, settings, report):
        problem = backup_files.integrity_problem(candidate.path)
        if problem:
            skipped += 1
            last_problem = problem if isinstance(problem, Msg) else problem[:100]
            report.could_not.append(Msg("backup {name} not used: {reason}", name=candidate.path.name,
                                        reason=last_problem))
            continue
        try:
            backup_files.copy_database(candidate.path, fresh, check=False)
        except BackupFailed as exc:
            skipped += 1
            last_problem = exc.args[0] if exc.args else str(exc)
            report.could_not.append(Msg("backup {name} not used: {reason}", name=candidate.path.name,
                                        reason=last_problem))
            continue
        report.source, report.backup, report.backup_at = "backup", candidate.path, candidate.at
        return _open(fresh)
    if backup is not None:
        raise RecoveryFailed(Msg("the backup {path} cannot be used: {reason}", path=str(backup), reason=last_problem))
    url = hq_url or found.settings.get("hq_url")
    credential = found.settings.get("hq_credential")
    if not url and found.settings.get("store_code") and found.store and found.outbox:
        return _from_outbox(fresh, found, report, actor)
    if not url or not (token or credential):
        where = backup_folder(path, settings)
        backups = (Msg("none of the {count} backup(s) in {folder} passes integrity_check", count=skipped,
                       folder=str(where)) if skipped else Msg("no backup of this file in {folder}", folder=str(where)))
        terminal = (Msg("this terminal is not enrolled with headquarters") if found.settings.get("store_code")
                    else Msg("this terminal's settings cannot be read from it"))
        raise RecoveryFailed(
            Msg("{backups} and {terminal} ({count} offline change(s) are still readable in it): give --from "
                "BACKUP, or re-enrol with --hq URL --token T (`pos-customers hq token STORE` at headquarters); "
                "the file was left as it is", backups=backups, terminal=terminal, count=report.events_read)
            if report.events_read else
            Msg("{backups} and {terminal}: give --from BACKUP, or re-enrol with --hq URL --token T "
                "(`pos-customers hq token STORE` at headquarters); the file was left as it is",
                backups=backups, terminal=terminal))
    if not token and not found.store:
        raise RecoveryFailed(Msg("this terminal's store settings cannot be read from the damaged file: re-enrol "
                                 "with --hq URL --token T (`pos-customers hq token STORE` at headquarters); "
                                 "the file was left as it is"))
    return _from_headquarters(fresh, found, report, actor, url=url, token=token, credential=credential,
                              transport=transport)


def _from_outbox(fresh: Path, found: Salvaged, report: RecoveryReport, actor: Actor) -> Services:
    """A standalone till never sends its outbox: it holds every change the till made. A fresh file
    with the store set up again; :func:`_merge` then replays the events."""
    from ..storage.salvage import carry_audit

    svc = _open(fresh)
    try:
        with svc.db.raw_write() as conn:
            report.audit_carried = carry_audit(conn, found.audit)
            conn.executemany("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", [
                (k, v) for k, v in found.settings.items()
                if k in ("terminal_id", "terminal_number", "reference_next", "sync_hlc_seen")])
        svc.forget_settings()
        _init_from(svc, actor, found)
    except BaseException:
        svc.db.dispose()
        raise
    report.source = "outbox"
    report.could_not.append(Msg("the consent history (when each marketing consent was given or withdrawn) is "
                                "not in the outbox: the customers' current consent is, its history starts again"))
    return svc


def _init_from(svc: Services, actor: Actor, found: Salvaged) -> None:
    from .store import init_store

    s = found.store or {}
    init_store(svc, actor, code=s["code"], number=int(s["number"]), name=s.get("name") or s["code"],
               country=s.get("country") or found.settings.get("store_country") or "DE",
               currency=s.get("currency") or "EUR", language=s.get("language") or "en",
               region=s.get("region") or "")


def _from_headquarters(fresh: Path, found: Salvaged, report: RecoveryReport, actor: Actor, *, url: str,
                       token: str | None, credential: str | None, transport) -> Services:
    from ..storage.salvage import carry_audit
    from .sync import HqRefused, HqUnavailable, engine, enrol_terminal

    svc = _open(fresh)
    try:
        with svc.db.raw_write() as conn:  # the trail goes on where it was (headquarters checks the links)
            report.audit_carried = carry_audit(conn, found.audit)
        if token:
            st = enrol_terminal(svc, actor, url, token, transport=transport)
            report.re_enrolled = True
            old = found.settings.get("store_code")
            if old and st["code"] != old:
                raise RecoveryFailed(Msg("the token is for store {store} but this terminal was store {old}: ask "
                                         "headquarters for a token of that store; the file was left as it is",
                                         store=st["code"], old=old))
        else:
            keep = {k: v for k, v in found.settings.items()
                    if k in ("terminal_id", "terminal_number", "reference_next", "hq_url", "hq_credential",
                             "sync_audit_sent", "sync_hlc_seen")}
            keep["hq_url"] = url.rstrip("/")
            with svc.db.raw_write() as conn:
                conn.executemany("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", list(keep.items()))
            svc.forget_settings()
            _init_from(svc, actor, found)
        report.source, report.hq_url = "headquarters", url.rstrip("/")
        eng = engine(svc, transport=transport)
        try:
            while True:
                n, more = eng.pull_page()
                report.pulled += n
                if not more:
                    break
        finally:
            eng.client.close()
            svc.forget_settings()
    except (HqUnavailable, HqRefused) as exc:
        svc.db.dispose()
        reason = exc.args[0] if len(exc.args) == 1 else str(exc)
        raise RecoveryFailed(
            Msg("headquarters ({url}) could not give this terminal its data: {reason}: re-enrol with --hq URL "
                "--token T; the file was left as it is", url=url, reason=reason)
            if getattr(exc, "status", 0) in (401, 403) else
            Msg("headquarters ({url}) could not give this terminal its data: {reason}; the file was left as it is",
                url=url, reason=reason)) from None
    except BaseException:
        svc.db.dispose()
        raise
    return svc


# -- putting back what the damaged file still held ----------------------------------------------------

def _merge(svc: Services, actor: Actor, found: Salvaged, report: RecoveryReport, at: datetime) -> None:
    from ..storage import search_index
    from ..storage.salvage import carry_audit, carry_redirects, requeue

    anonymized: list[str] = []
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        s = tx.session
        conn = search_index.raw_connection(s)
        if report.source == "backup":
            report.audit_carried = carry_audit(conn, found.audit)
            _carry_settings(conn, found)
        held = {r[0] for r in conn.execute("SELECT id FROM outbox_event")}
        missing: set[str] = set()
        reapplied: set[str] = set()
        for event in found.outbox:
            if event["id"] in held:
                report.events_in_backup += 1
                # the damaged file's copy is the newer one (a note's event a merge moved to the account,
                # a parked clash given another email): its payload wins
                conn.execute("UPDATE outbox_event SET payload = ? WHERE id = ? AND payload != ?",
                             (event["payload"], event["id"], event["payload"]))
                continue
            requeue(conn, event)
            held.add(event["id"])
            report.events_queued += 1
            report.parked_queued += event.get("parked_at") is not None
            try:
                payload = json.loads(event["payload"])
                with s.begin_nested():  # one event that cannot be applied leaves the others be
                    outcome = _reapply(s, event, payload)
            except Exception as exc:  # noqa: BLE001 - salvaged data: any of it may be odd
                report.could_not.append(Msg("event {event} ({kind}) is queued but could not be applied here: "
                                            "{reason}", event=event["id"][:8], kind=event["event_type"],
                                            reason=str(exc)[:80]))
                continue
            if outcome == "missing":
                missing.add(str(payload.get("id") or payload.get("customer_id") or ""))
            elif outcome:
                reapplied.add(outcome)
                if event["event_type"] == EventKind.CUSTOMER_ANONYMIZED:
                    anonymized.append(outcome)
        report.customers_reapplied = len(reapplied)
        # customers merged into another: they leave the rebuilt file again (after the events that
        # may have brought them back), and a merge not applied yet at headquarters can be put back
        report.redirects_carried = carry_redirects(conn, found.redirects) + _redirect_merges(s, conn, found)
        if missing:
            report.could_not.append(Msg("{count} customer(s) changed offline are neither in the {source} nor "
                                        "created by a readable event: their changes are queued for headquarters "
                                        "but not shown here", count=len(missing),
                                        source=Msg(SOURCES.get(report.source, "rebuilt file"))))
        _bump_reference_counter(s, conn)
        tx.audit("terminal", svc.terminal_id or found.settings.get("terminal_id", ""), "recover", {
            "source": (None, str(report.backup.name) if report.backup else
                       "the till's own outbox" if report.source == "outbox" else f"headquarters {report.hq_url}"),
            "events_queued": (None, report.events_queued),
            "customers_reapplied": (None, report.customers_reapplied),
            "redirects_carried": (None, report.redirects_carried),
            "damaged_file": (None, f"{svc.db.path.name}"),
        })
    svc.forget_settings()
    if anonymized:
        from ..sync.engine import scrub

        scrub(svc.db)


def _redirect_merges(s, conn, found: Salvaged) -> int:
    """A queued merge whose redirect could not be read: the merged-away customer leaves the rebuilt
    file as the merge made it leave the damaged one, what the rebuilt file holds of it kept to put
    it back should headquarters refuse the merge."""
    from ..storage import customers

    done = 0
    for event in found.outbox:
        if event["event_type"] != EventKind.CUSTOMER_MERGED:
            continue
        try:
            payload = json.loads(event["payload"])
            gone, into = customers.read(s, payload["id"]), customers.read(s, payload["into"])
        except (KeyError, TypeError, ValueError):
            continue
        if gone is None or into is None or conn.execute("SELECT 1 FROM customer_redirect WHERE id = ?",
                                                        (gone.id,)).fetchone():
            continue
        undo = {"rows": customers.snapshot(conn, gone.id), "notes": [], "events": []}
        customers.redirect(conn, gone.id, gone.reference, into.id, into.reference, _moment(event["created_at"]),
                           undo=undo)
        done += 1
    return done


def _carry_settings(conn, found: Salvaged) -> None:
    """A backup's settings are as old as the backup: the damaged file's newer headquarters
    credential, terminal number and counters win where they could be read."""
    have = dict(conn.execute("SELECT key, value FROM setting"))
    new = found.settings
    put: dict[str, str] = {}
    for key in ("hq_url", "hq_credential", "terminal_id"):
        if new.get(key) and new[key] != have.get(key):
            put[key] = new[key]
    if new.get("terminal_number") and new["terminal_number"] != have.get("terminal_number"):
        if have.get("terminal_number") and have.get("reference_next"):
            put[f"reference_next.{have['terminal_number']}"] = have["reference_next"]
        put["terminal_number"] = new["terminal_number"]
        put["reference_next"] = new.get("reference_next", "0")
    else:
        for key in ("reference_next", "sync_audit_sent"):
            if new.get(key, "").isdigit() and int(new[key]) > int(have.get(key) or 0):
                put[key] = new[key]
    if new.get("sync_hlc_seen", "") > have.get("sync_hlc_seen", ""):
        put["sync_hlc_seen"] = new["sync_hlc_seen"]
    conn.executemany("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", list(put.items()))


def _reapply(s, event: dict[str, Any], payload: dict[str, Any]) -> str | None:
    """Put one offline change back into the tables (its customer comes back pending). Returns the
    customer's id when it changed something, "missing" when its customer is not here, else None.
    A field is taken only where the event is newer than what the file holds for it."""
    from ..storage import customers
    from ..storage.documents import apply_document, erase_personal_records
    from ..sync.engine import apply_item

    kind = event["event_type"]
    if kind == EventKind.NOTE_CREATED:
        if customers.read(s, payload["customer_id"]) is None:
            return "missing"
        apply_item(s, {"t": "note", "doc": payload}, "", {})
        return None
    if kind == EventKind.MEMBERSHIP_CHANGED:  # merged field by field: an older copy changes nothing
        apply_item(s, {"t": "membership", "doc": {**payload, "clocks": {k: event["hlc"] for k in payload["fields"]}}},
                   "", {})
        return None
    if kind in _ROWS:  # reference data, the template, associates: the whole row, as a pull brings it
        item, deleted = _ROWS[kind], kind == EventKind.PURPOSE_DELETED
        store = s.connection().connection.driver_connection.execute(
            "SELECT value FROM setting WHERE key = 'store_code'").fetchone()
        apply_item(s, {"t": item, "doc": payload, "deleted": deleted}, store[0] if store else "", {})
        return None
    if kind not in (EventKind.CUSTOMER_CREATED, EventKind.CUSTOMER_UPDATED, EventKind.CUSTOMER_ANONYMIZED):
        return None
    cid = payload["id"]
    current = customers.read(s, cid)
    if current is None:
        if kind == EventKind.CUSTOMER_CREATED:
            apply_document(s, payload, sync_state=SyncState.PENDING)
            return cid
        if kind == EventKind.CUSTOMER_ANONYMIZED:  # its earlier events were erased with it: it comes back anonymized
            when = _moment(event["created_at"])
            apply_document(s, {"id": cid, "reference": payload["reference"], "store_code": payload["store_code"],
                               "created_at": when.isoformat(), "anonymized_at": when.isoformat(),
                               "fields": payload["fields"], "clocks": {k: event["hlc"] for k in payload["fields"]}},
                           sync_state=SyncState.PENDING)
            return cid
        return "missing"
    fields = payload.get("fields") or {}
    stamps = (payload.get("clocks") or {}) if kind == EventKind.CUSTOMER_CREATED else {k: event["hlc"] for k in fields}
    doc = current.to_document()
    changed = False
    for key, value in fields.items():
        if key in DOCUMENT_FIELDS and stamps.get(key, "") > doc["clocks"].get(key, ""):
            doc["fields"][key] = value
            doc["clocks"][key] = stamps[key]
            changed = True
    erase = kind == EventKind.CUSTOMER_ANONYMIZED and current.anonymized_at is None
    if erase:
        when = _moment(event["created_at"])
        doc["anonymized_at"] = when.isoformat()
        changed = True
    if not changed:
        return None
    apply_document(s, doc, sync_state=SyncState.PENDING)
    if erase:
        s.flush()
        erase_personal_records(s, cid, when)
        conn = s.connection().connection.driver_connection
        conn.execute("DELETE FROM outbox_event WHERE entity = 'customer' AND entity_id = ? AND event_type != ?",
                     (cid, EventKind.CUSTOMER_ANONYMIZED.value))
        conn.execute("DELETE FROM outbox_event WHERE entity = 'customer_note' AND "
                     "json_extract(payload, '$.customer_id') = ?", (cid,))
    return cid


_ROWS = {EventKind.TEMPLATE_UPDATED: "template", EventKind.ASSOCIATE_CHANGED: "associate",
         EventKind.GROUP_CHANGED: "group", EventKind.AFFILIATION_CHANGED: "affiliation",
         EventKind.ATTRIBUTE_CHANGED: "attribute", EventKind.PURPOSE_CHANGED: "purpose",
         EventKind.PURPOSE_DELETED: "purpose"}
"""Outbox events that carry a whole row, and the kind of pulled item that writes it (sync/engine.py)."""


def _moment(text: Any) -> datetime:
    when = datetime.fromisoformat(str(text))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _bump_reference_counter(s, conn) -> None:
    """This till never issues again a reference that a re-applied (or pulled) customer carries."""
    from ..domain.reference import decode_reference
    from .terminal import NEXT_KEY, terminal_number

    store = conn.execute("SELECT s.number FROM store s JOIN setting t ON t.key = 'store_code' AND t.value = s.code"
                         ).fetchone()
    if store is None:
        return
    till = terminal_number(s)
    highest = -1
    for (ref,) in conn.execute("SELECT reference FROM customer"):
        try:
            origin = decode_reference(ref)
        except ValueError:
            continue
        if origin.store_number == store[0] and origin.terminal == till:
            highest = max(highest, origin.sequence)
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (NEXT_KEY,)).fetchone()
    current = int(row[0]) if row and str(row[0]).isdigit() else 0
    if highest + 1 > current:
        conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (NEXT_KEY, str(highest + 1)))


def describe_age(at: datetime | None, now: datetime | None = None) -> Msg:
    """'3 h old', '2 days old'."""
    if at is None:
        return Msg("age unknown")
    seconds = max(0, int(((now or _utcnow()) - at).total_seconds()))
    if seconds < 3600:
        return Msg("{minutes} min old", minutes=seconds // 60)
    if seconds < 2 * 86400:
        return Msg("{hours} h old", hours=seconds // 3600)
    return Msg("{days} days old", days=seconds // 86400)

