"""`backup` and `recover`: a consistent copy of the till's file, and a working file from a damaged one."""

from __future__ import annotations

from typing import Optional

import typer

from .common import DB_OPTION, _actor, _errors, _state, app, fail


def _settings():
    from ..services.backup import load_backup_settings

    try:
        return load_backup_settings()
    except ValueError as exc:
        fail(f"config: {exc}", 2)


@app.command()
def backup(
    path: Optional[str] = typer.Argument(None, metavar="[PATH]", help="A folder, or a new file name "
                                         "(default: the backups/ folder next to the database)."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """A consistent copy of the database, made while the app runs (private: mode 0600)."""
    import sqlite3

    from ..paths import store_db_path
    from ..services.backup import BackupFailed, backup_now
    from .common import _services

    where, _ = store_db_path(db or _state["db"])  # as _services opens it (it says when it is the demo's)
    settings = _settings()
    with _errors():
        try:
            svc = _services(db)
            done = backup_now(svc, _actor(), path, settings=settings)
        except typer.Exit:
            raise
        except BackupFailed as exc:
            fail(str(exc))
        except (sqlite3.Error, OSError) as exc:
            fail(f"no backup was made: {where} cannot be read ({exc}); `pos-customers recover` rebuilds it")
        except Exception as exc:  # noqa: BLE001 - a damaged file fails in the ORM's words too: one line
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:160]
            fail(f"no backup was made: {where} cannot be read ({reason}); `pos-customers recover` rebuilds it")
    typer.echo(f"backup {done.path} ({done.size / 1_048_576:.1f} MiB)")


@app.command()
def recover(
    backup_file: Optional[str] = typer.Option(None, "--from", metavar="BACKUP",
                                              help="Use this backup (default: the newest good one)."),
    hq: Optional[str] = typer.Option(None, "--hq", metavar="URL",
                                     help="Re-enrol with headquarters (with --token) when no backup is usable."),
    token: Optional[str] = typer.Option(None, "--token", help="A new enrolment token (`hq token STORE`)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the file passes integrity_check."),
    no_sqlite_program: bool = typer.Option(False, "--no-sqlite-program", hidden=True,
                                           help="Do not try the sqlite3 program's .recover."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """Rebuild a damaged database from the newest good backup, or from headquarters, keeping every
    change made here that headquarters has not got. The damaged file is moved aside, not deleted."""
    from ..paths import demo_notice, store_db_path
    from ..services.backup import NothingToRecover, RecoveryFailed, describe_age, recover as run

    path, is_demo = store_db_path(db or _state["db"])  # the file every other command opens
    if is_demo:
        typer.echo(demo_notice(path), err=True)
    _state["path"] = str(path)
    settings = _settings()
    with _errors():
        try:
            report = run(path, _actor(), hq_url=hq, token=token, backup=backup_file, settings=settings,
                         force=force, use_sqlite_program=not no_sqlite_program)
        except typer.Exit:
            raise
        except NothingToRecover as exc:
            typer.echo(str(exc))
            return
        except RecoveryFailed as exc:
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the damage: one line, the file left as it was
            fail(f"recovery stopped, nothing was changed: {type(exc).__name__}: {str(exc)[:200]}")
    if report.source == "backup":
        typer.echo(f"rebuilt {path} from backup {report.backup.name} ({describe_age(report.backup_at)})")
    elif report.source == "outbox":
        typer.echo(f"rebuilt {path} from the changes this standalone till made (its outbox), "
                   "as far as they could be read")
    else:
        typer.echo(f"rebuilt {path} from headquarters {report.hq_url}: {report.pulled} item(s) pulled"
                   + (" (re-enrolled: a new terminal number)" if report.re_enrolled else ""))
    if report.source == "outbox":
        typer.echo(f"replayed {report.events_queued} change(s) from the outbox; "
                   f"{report.customers_reapplied} customer(s) rebuilt from them")
    else:
        typer.echo(f"kept {report.events_queued} offline change(s) headquarters has not got"
                   + (f" ({report.parked_queued} of them parked)" if report.parked_queued else "")
                   + (f", {report.events_in_backup} more already in the backup" if report.events_in_backup else "")
                   + f"; {report.customers_reapplied} customer(s) re-applied from them")
    if report.audit_carried:
        typer.echo(f"kept {report.audit_carried} audit row(s) written after the "
                   f"{'backup' if report.source == 'backup' else 'start'}")
    if report.moved_to:
        typer.echo(f"the damaged file is now {report.moved_to}")
        if report.customers_before is None:
            typer.echo(f"the damaged file's customers could not be counted; the rebuilt file has "
                       f"{report.customers_after} customer(s)")
        else:
            held = (f"{report.customers_before}" if report.customers_before_complete
                    else f"at least {report.customers_before} (part of it could not be read)")
            typer.echo(f"the damaged file held {held} customer(s); the rebuilt file has "
                       f"{report.customers_after}"
                       + (f": {report.customers_before - report.customers_after} of them are not in it"
                          if report.customers_before > report.customers_after else ""))
    for line in report.could_not:
        typer.echo(f"could not: {line}")
    if report.enrolled and (report.events_queued or report.source == "backup"):
        typer.echo("next: `pos-customers sync --once` sends the kept changes"
                   + (" and fetches what headquarters got since the backup" if report.source == "backup" else ""))
