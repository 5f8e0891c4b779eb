"""Health checks support staff run over SSH: the file, integrity, migrations, search index, audit
chain, file modes. Each check says what is wrong and the command that repairs it. Nothing here
writes (``repair`` does, on request); a file SQLite cannot read is one failed check, not an error."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..domain.i18n import N_, Msg
from ..paths import wider_than_private
from ..storage import audit_chain, migrate, search_index
from ..storage.engine import Database, open_database  # noqa: F401  (open_database: the CLI's)
from ..storage.errors import StorageError, open_problem
from .context import Actor, Permission, Services
from .health import DOCTOR, RECOVER, failure_line
from .views import Joined

REPAIR = f"{DOCTOR} --repair"


@dataclass(frozen=True)
class Check:
    name: str  # one of the N_-marked names below (the CLI translates it with tr)
    ok: bool
    detail: Msg | str
    repair: Msg | str = ""  # what to run (or do) when not ok


# the checks' names, as a person reads them
DATABASE_FILE, INTEGRITY, FOREIGN_KEYS, JOURNAL = (N_("database file"), N_("sqlite integrity"), N_("foreign keys"),
                                                   N_("journal mode"))
MIGRATIONS, SEARCH_INDEX, AUDIT_CHAIN, OUTBOX = (N_("migrations"), N_("search index"), N_("audit chain"),
                                                 N_("outbox"))
FILE_MODES, TERMINAL_NUMBER = N_("file modes"), N_("terminal number")
OK = Msg("ok")


def diagnose(path: Path, actor: Actor, *, full: bool = False) -> list[Check]:
    """Every check on the file at ``path``, whatever state it is in (missing, empty, damaged, not
    a database, read-only): the command line's `doctor`."""
    actor.require(Permission.DIAGNOSTICS)
    problem = open_problem(Path(path))
    if problem is not None:
        return [Check(DATABASE_FILE, False, failure_line(problem),
                      RECOVER if problem.kind.value not in ("missing",) else "pos-customers init")]
    db = Database(path)
    try:
        return run_checks(Services(db), actor, full=full) + [file_modes(db.path)]
    finally:
        db.dispose()


def _guarded(name: str, svc: Services, check) -> Check:
    """A check that fails on the file itself (a damaged page, a read-only folder) is a failed
    check naming what happened, not an error."""
    try:
        return check()
    except Exception as exc:
        problem = svc.db.failure(exc)
        if problem is None:
            raise
        return Check(name, False, Msg("could not be checked: {reason}", reason=failure_line(problem)),
                     _repair_for(problem))


def _repair_for(problem: StorageError) -> str:
    return {"damaged": RECOVER, "not_a_database": RECOVER, "io_error": RECOVER}.get(problem.kind.value, "")


def run_checks(svc: Services, actor: Actor, *, full: bool = True) -> list[Check]:
    """``full``: ``integrity_check`` (every index against its table) and every search row;
    otherwise ``quick_check`` and a sample of 2,000 search rows."""
    actor.require(Permission.DIAGNOSTICS)
    checks: list[Check] = []
    try:
        conn = svc.db.raw()
    except StorageError as exc:
        return [Check(DATABASE_FILE, False, failure_line(exc), _repair_for(exc))]
    try:
        def integrity() -> Check:
            pragma = "PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)"
            result = [line for r in conn.execute(pragma) for line in str(r[0]).splitlines()]
            ok = result == ["ok"]
            if not ok:
                svc.db.forget_check_record()
            return Check(INTEGRITY, ok,
                         (OK if full else Msg("ok (quick_check; --full runs integrity_check)")) if ok
                         else Msg("damaged: {problems}", problems="; ".join(result[:5])), RECOVER)
        checks.append(_guarded(INTEGRITY, svc, integrity))

        def foreign_keys() -> Check:
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
            return Check(FOREIGN_KEYS, not fk, Msg("{count} rows point at nothing", count=len(fk)) if fk else OK,
                         RECOVER)
        checks.append(_guarded(FOREIGN_KEYS, svc, foreign_keys))

        def journal() -> Check:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            return Check(JOURNAL, mode == "wal", mode, REPAIR)
        checks.append(_guarded(JOURNAL, svc, journal))

        def migrations() -> Check:
            current, head = migrate.current_revision(svc.db), migrate.HEAD
            if current == head:
                return Check(MIGRATIONS, True, Msg("at {revision}, the latest", revision=current))
            if current is not None and current > head:
                return Check(MIGRATIONS, False, Msg("at {revision}, newer than this program ({head})",
                                                    revision=current, head=head),
                             Msg("update pos-customers on this till"))
            return Check(MIGRATIONS, False, Msg("at {revision}, latest {head}", revision=current or Msg("none"),
                                                head=head), REPAIR)
        checks.append(_guarded(MIGRATIONS, svc, migrations))

        def index() -> Check:
            problems = search_index.integrity_problems(conn, sample=None if full else 2000)
            count = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
            return Check(SEARCH_INDEX, not problems,
                         Joined(problems) if problems else Msg("consistent for {count} customers", count=count), REPAIR)
        checks.append(_guarded(SEARCH_INDEX, svc, index))

        def chain() -> Check:
            rows, _head, problems = audit_chain.verify(conn)
            return Check(AUDIT_CHAIN, not problems,
                         Joined(problems[:3]) if problems else Msg("intact, {rows} rows", rows=rows),
                         Msg("rows were changed outside the app: keep this file as it is and tell headquarters "
                             "(`pos-customers audit verify` lists them)"))
        checks.append(_guarded(AUDIT_CHAIN, svc, chain))

        def outbox() -> Check:
            pending = conn.execute("SELECT count(*) FROM outbox_event").fetchone()[0]
            return Check(OUTBOX, True, Msg("{count} events waiting for headquarters", count=pending))
        checks.append(_guarded(OUTBOX, svc, outbox))
    finally:
        conn.close()
    checks.append(_guarded(TERMINAL_NUMBER, svc, lambda: _terminal_check(svc)))
    return checks


def file_modes(path: Path) -> Check:
    """The database, its -wal/-shm (and the check record) readable by their owner only; its
    folder not writable by others (who could replace the file)."""
    files = [p for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-checked")))
             if p.exists() and wider_than_private(p)]
    folder = path.parent
    folder_open = os.name == "posix" and folder.exists() and bool(folder.stat().st_mode & 0o022)
    if not files and not folder_open:
        return Check(FILE_MODES, True, Msg("readable by this user only"))
    fixes, said = [], []
    if files:
        said.append(Msg("{files} readable by other users", files=", ".join(p.name for p in files)))
        fixes.append("chmod 600 " + " ".join(shlex.quote(str(p)) for p in files))
    if folder_open:
        said.append(Msg("other users may write in {folder}", folder=str(folder)))
        fixes.append(f"chmod 700 {shlex.quote(str(folder))}")
    return Check(FILE_MODES, False, Joined(said), "; ".join(fixes))


def _terminal_check(svc: Services) -> Check:
    """Which till this is (its number is part of every reference it issues) and how many are left."""
    from .terminal import terminal_info

    with svc.db.read() as s:
        info = terminal_info(s)
    store = svc.settings().get("store_code", "")
    said: list[Msg] = [Msg("till {number} of store {store}: {issued:,} of {capacity:,} references used",
                           number=info.number, store=store, issued=info.issued, capacity=info.capacity)]
    if not info.assigned:
        said = [Joined((said[0], Msg("(no number recorded: works as till 1; a store with several tills gives each "
                                     "its own, by re-enrolling or `init --terminal N`)")), " ")]
    nearly_out = info.issued >= info.capacity * 0.95
    if nearly_out:
        said.append(Msg("re-enrol this till soon to get a new terminal number"))
    return Check(TERMINAL_NUMBER, not nearly_out, Joined(said))


@dataclass(frozen=True)
class AuditCheck:
    rows: int
    head: str
    problems: list[str]


def verify_audit(svc: Services, actor: Actor) -> AuditCheck:
    """Walk the audit trail's hash chain: a changed, removed or inserted row is named."""
    actor.require(Permission.DIAGNOSTICS)
    conn = svc.db.raw()
    try:
        rows, head, problems = audit_chain.verify(conn)
    finally:
        conn.close()
    return AuditCheck(rows, head, [str(p) for p in problems])


def repair(svc: Services, actor: Actor) -> list[Msg]:
    """What `doctor --repair` mends: pending migrations, the search index. Refused (StorageError)
    on a damaged or read-only file: that is `pos-customers recover`'s work."""
    actor.require(Permission.DIAGNOSTICS)
    done = []
    problem = svc.db.health()  # a damaged file is never written: that is recover's work
    if problem is not None:
        raise problem
    if migrate.current_revision(svc.db) != migrate.HEAD:
        migrate.upgrade(svc.db)
        done.append(Msg("migrations applied up to {revision}", revision=migrate.HEAD))
    repair_search_index(svc, actor)
    done.append(Msg("search index rebuilt"))
    return done


def repair_search_index(svc: Services, actor: Actor) -> None:
    actor.require(Permission.DIAGNOSTICS)
    svc.db.before_write()
    with svc.db.classified():
        conn = svc.db.raw()
        try:
            search_index.rebuild(conn)
        finally:
            conn.close()
    with svc.change(actor) as tx:
        tx.audit("search_index", "customer_search", "rebuild")
