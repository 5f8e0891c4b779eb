"""`doctor` and `audit …`: is this file healthy, is its audit trail intact."""

from __future__ import annotations

from typing import Optional

import typer

from .common import (
    _actor,
    _errors,
    _services,
    _state,
    app,
    audit_app,
)


@app.command()
def doctor(
    repair: bool = typer.Option(False, "--repair", help="Apply pending migrations and rebuild the search "
                                "index (refused on a damaged file: that is `pos-customers recover`)."),
    full: bool = typer.Option(False, "--full", help="PRAGMA integrity_check and every search row "
                              "(slower) instead of quick_check and a sample."),
    quick: bool = typer.Option(False, "--quick", hidden=True, help="The default now; kept for scripts."),
) -> None:
    """Check the database file: integrity, migrations, search index, audit chain, file modes.
    Each problem names the command that repairs it; exit 1 when something is wrong."""
    from ..paths import resolve_db_path
    from ..services.doctor import Services, diagnose, open_database, repair as mend

    path = resolve_db_path(_state["db"])
    _state["path"] = str(path)
    with _errors():
        if repair:
            svc = Services(open_database(path))
            for line in mend(svc, _actor()):
                typer.echo(line)
        checks = diagnose(path, _actor(), full=full and not quick)
    for c in checks:
        typer.echo(f"{'ok  ' if c.ok else 'FAIL'} {c.name:<18} {c.detail}")
        if not c.ok and c.repair:
            typer.echo(f"     {'':<18} repair: {c.repair}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


# -- audit ----------------------------------------------------------------------------------------

@audit_app.command("verify")
def audit_verify(db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file.")) -> None:
    """Check the hash chain: every changed, removed or inserted audit row is named (exit 1)."""
    from ..services.doctor import verify_audit

    with _errors():
        check = verify_audit(_services(db), _actor())
    if check.problems:
        for p in check.problems:
            typer.echo(p)
        typer.echo(f"audit trail NOT intact: {len(check.problems)} problem(s) in {check.rows} rows", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {check.rows} rows, head {check.head[:16]}")


# -- sync ----------------------------------------------------------------------------------------
