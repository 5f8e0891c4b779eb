"""`doctor` and `audit …`: is this file healthy, is its audit trail intact."""

from __future__ import annotations

from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from .common import (
    DB_OPTION,
    _actor,
    _errors,
    _services,
    _state,
    app,
    audit_app,
)


@app.command(help=N_("Check the database file: integrity, migrations, search index, audit chain, file "
                     "modes. Each problem names the command that repairs it; exit 1 when something is "
                     "wrong."))
def doctor(
    repair: bool = typer.Option(False, "--repair", help=N_("Apply pending migrations and rebuild the search "
                                "index (refused on a damaged file: that is `pos-customers recover`).")),
    full: bool = typer.Option(False, "--full", help=N_("PRAGMA integrity_check and every search row "
                              "(slower) instead of quick_check and a sample.")),
    quick: bool = typer.Option(False, "--quick", hidden=True, help=N_("The default now; kept for scripts.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..paths import demo_notice, store_db_path
    from ..services.doctor import Services, diagnose, open_database, repair as mend

    path, is_demo = store_db_path(db or _state["db"])
    if is_demo:
        typer.echo(tr(demo_notice(path)), err=True)
    _state["path"] = str(path)
    with _errors():
        if repair:
            svc = Services(open_database(path))
            for line in mend(svc, _actor()):
                typer.echo(tr(line))
        checks = diagnose(path, _actor(), full=full and not quick)
    ok, failed = _("ok"), _("FAIL")
    width = max(len(ok), len(failed))
    for c in checks:
        typer.echo(f"{(ok if c.ok else failed):<{width}} {tr(c.name):<18} {tr(c.detail)}")
        if not c.ok and c.repair:
            typer.echo(f"{'':<{width}} {'':<18} " + _("repair: {command}").format(command=tr(c.repair)))
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


# -- audit ----------------------------------------------------------------------------------------

@audit_app.command("verify",
                   help=N_("Check the hash chain: every changed, removed or inserted audit row is named (exit "
                           "1)."))
def audit_verify(db: Optional[str] = DB_OPTION) -> None:
    from ..services.doctor import verify_audit

    with _errors():
        check = verify_audit(_services(db), _actor())
    if check.problems:
        for p in check.problems:
            typer.echo(tr(p))
        typer.echo(_("audit trail NOT intact: {n} problem(s) in {rows} rows").format(n=len(check.problems),
                                                                                      rows=check.rows), err=True)
        raise typer.Exit(1)
    typer.echo(_("audit trail intact: {rows} rows, head {head}").format(rows=check.rows, head=check.head[:16]))


# -- sync ----------------------------------------------------------------------------------------
