"""`backup` and `recover`: a consistent copy of the till's file, and a working file from a damaged one."""

from __future__ import annotations

from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from .common import DB_OPTION, _actor, _errors, _state, app, fail


def _settings():
    from ..services.backup import load_backup_settings

    try:
        return load_backup_settings()
    except ValueError as exc:
        fail(_("config: {problem}").format(problem=tr(exc)), 2)


@app.command(help=N_("A consistent copy of the database, made while the app runs (private: mode 0600)."))
def backup(
    path: Optional[str] = typer.Argument(None, metavar="[PATH]", help=N_("A folder, or a new file name "
                                         "(default: the backups/ folder next to the database).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    import sqlite3

    from ..paths import store_db_path
    from ..services.backup import BackupFailed, backup_now
    from .common import _services

    where, _is_demo = store_db_path(db or _state["db"])  # as _services opens it (it says when it is the demo's)
    settings = _settings()
    with _errors():
        try:
            svc = _services(db)
            done = backup_now(svc, _actor(), path, settings=settings)
        except typer.Exit:
            raise
        except BackupFailed as exc:
            fail(tr(exc))
        except (sqlite3.Error, OSError) as exc:
            fail(_("no backup was made: {path} cannot be read ({reason}); `pos-customers recover` rebuilds it")
                 .format(path=where, reason=exc))
        except Exception as exc:  # noqa: BLE001 - a damaged file fails in the ORM's words too: one line
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:160]
            fail(_("no backup was made: {path} cannot be read ({reason}); `pos-customers recover` rebuilds it")
                 .format(path=where, reason=reason))
    typer.echo(_("backup {path} ({size} MiB)").format(path=done.path, size=f"{done.size / 1_048_576:.1f}"))


@app.command(help=N_("Rebuild a damaged database from the newest good backup, or from headquarters, "
                     "keeping every change made here that headquarters has not got. The damaged file is "
                     "moved aside, not deleted."))
def recover(
    backup_file: Optional[str] = typer.Option(None, "--from", metavar="BACKUP",
                                              help=N_("Use this backup (default: the newest good one).")),
    hq: Optional[str] = typer.Option(None, "--hq", metavar="URL",
                                     help=N_("Re-enrol with headquarters (with --token) when no backup is usable.")),
    token: Optional[str] = typer.Option(None, "--token", help=N_("A new enrolment token (`hq token STORE`).")),
    force: bool = typer.Option(False, "--force", help=N_("Rebuild even when the file passes integrity_check.")),
    no_sqlite_program: bool = typer.Option(False, "--no-sqlite-program", hidden=True,
                                           help=N_("Do not try the sqlite3 program's .recover.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..paths import demo_notice, store_db_path
    from ..services.backup import NothingToRecover, RecoveryFailed, describe_age, recover as run

    path, is_demo = store_db_path(db or _state["db"])  # the file every other command opens
    if is_demo:
        typer.echo(tr(demo_notice(path)), err=True)
    _state["path"] = str(path)
    settings = _settings()
    with _errors():
        try:
            report = run(path, _actor(), hq_url=hq, token=token, backup=backup_file, settings=settings,
                         force=force, use_sqlite_program=not no_sqlite_program)
        except typer.Exit:
            raise
        except NothingToRecover as exc:
            typer.echo(tr(exc))
            return
        except RecoveryFailed as exc:
            fail(tr(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the damage: one line, the file left as it was
            fail(_("recovery stopped, nothing was changed: {kind}: {reason}").format(kind=type(exc).__name__,
                                                                                   reason=str(exc)[:200]))
    if report.source == "backup":
        typer.echo(_("rebuilt {path} from backup {backup} ({age})").format(
            path=path, backup=report.backup.name, age=tr(describe_age(report.backup_at))))
    elif report.source == "outbox":
        typer.echo(_("rebuilt {path} from the changes this standalone till made (its outbox), "
                     "as far as they could be read").format(path=path))
    else:
        typer.echo(_("rebuilt {path} from headquarters {url}: {n} item(s) pulled").format(path=path, url=report.hq_url, n=report.pulled)
                   + (" " + _("(re-enrolled: a new terminal number)") if report.re_enrolled else ""))
    if report.source == "outbox":
        typer.echo(_("replayed {n} change(s) from the outbox; {customers} customer(s) rebuilt from them")
                   .format(n=report.events_queued, customers=report.customers_reapplied))
    else:
        typer.echo(_("kept {n} offline change(s) headquarters has not got").format(n=report.events_queued)
                   + (" " + _("({n} of them parked)").format(n=report.parked_queued) if report.parked_queued else "")
                   + (", " + _("{n} more already in the backup").format(n=report.events_in_backup)
                      if report.events_in_backup else "")
                   + "; " + _("{customers} customer(s) re-applied from them").format(customers=report.customers_reapplied))
    if report.redirects_carried:
        typer.echo(_("kept {n} merged customer(s): their id and reference open the customer they joined")
                   .format(n=report.redirects_carried))
    if report.audit_carried:
        typer.echo((_("kept {n} audit row(s) written after the backup") if report.source == "backup" else
                    _("kept {n} audit row(s) written after the start")).format(n=report.audit_carried))
    if report.moved_to:
        typer.echo(_("the damaged file is now {path}").format(path=report.moved_to))
        if report.customers_before is None:
            typer.echo(_("the damaged file's customers could not be counted; the rebuilt file has {n} customer(s)")
                       .format(n=report.customers_after))
        else:
            held = (str(report.customers_before) if report.customers_before_complete
                    else _("at least {n} (part of it could not be read)").format(n=report.customers_before))
            typer.echo(_("the damaged file held {held} customer(s); the rebuilt file has {n}").format(
                held=held, n=report.customers_after)
                       + (": " + _("{n} of them are not in it").format(n=report.customers_before - report.customers_after)
                          if report.customers_before > report.customers_after else ""))
    for line in report.could_not:
        typer.echo(_("could not: {problem}").format(problem=tr(line)))
    if report.enrolled and (report.events_queued or report.source == "backup"):
        typer.echo(_("next: `pos-customers sync --once` sends the kept changes and fetches what headquarters got "
                     "since the backup") if report.source == "backup" else
                   _("next: `pos-customers sync --once` sends the kept changes"))
