"""`doctor` and `audit …`: is this file healthy, is its audit trail intact."""

from __future__ import annotations

from typing import Optional

import typer

from .common import (
    _actor,
    _errors,
    _services,
    app,
    audit_app,
)


@app.command()
def doctor(
    repair: bool = typer.Option(False, "--repair", help="Rebuild the search index from the tables."),
    quick: bool = typer.Option(False, "--quick", help="Sample the search index instead of every row."),
) -> None:
    """Check the database: integrity, migrations, search index consistency."""
    from ..services.doctor import repair_search_index, run_checks

    svc = _services()
    with _errors():
        if repair:
            repair_search_index(svc, _actor())
            typer.echo("search index rebuilt")
        checks = run_checks(svc, _actor(), full=not quick)
    for c in checks:
        typer.echo(f"{'ok  ' if c.ok else 'FAIL'} {c.name:<18} {c.detail}")
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
