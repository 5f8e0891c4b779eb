"""What every command shares: the Typer apps, one-line failures, the store's services."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from ..domain.errors import ValidationFailed
from ..domain.text import shown
from ..paths import demo_notice, resolve_db_path, store_db_path
from . import values

values.install()  # plain option values without importing pydantic (see cli/values.py)

app = typer.Typer(help="Customer management for the store floor. Without a command: open the app.",
                  add_completion=False, pretty_exceptions_enable=False, invoke_without_command=True)
customers_app = typer.Typer(help="Search, show, add, import and export customers.", no_args_is_help=True)
associates_app = typer.Typer(help="Store staff who sign in to the terminal.", no_args_is_help=True)
app.add_typer(customers_app, name="customers")
app.add_typer(associates_app, name="associates")
hq_app = typer.Typer(help="Headquarters: the service every store's terminals sync with.", no_args_is_help=True)
sync_app = typer.Typer(help="Send this terminal's changes to headquarters and fetch theirs.",
                       invoke_without_command=True)
app.add_typer(hq_app, name="hq")
app.add_typer(sync_app, name="sync")
audit_app = typer.Typer(help="The store's audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
store_app = typer.Typer(help="This store's settings (as the back office sets them).", no_args_is_help=True)
options_app = typer.Typer(help="Account options: which fields of the new-customer form the store hides, "
                               "leaves optional or requires. Without a command: list them.",
                          invoke_without_command=True)
store_app.add_typer(options_app, name="options")
app.add_typer(store_app, name="store")

_state: dict[str, Optional[str]] = {"db": None, "path": None}


def say(text: object, *, err: bool = False, multiline: bool = False) -> None:
    """A human-readable line (not --json): customer text in it goes through the screens' rule
    (domain.text.shown), so a name holding an ANSI escape or a bidi override cannot act on the
    terminal; it shows as "�"."""
    typer.echo(shown(str(text), multiline=multiline), err=err)

# every command that opens the store's file takes --db after it, as the app does before it:
# `pos-customers customers search x --db F` and `pos-customers --db F customers search x`
DB_OPTION = typer.Option(None, "--db", metavar="PATH",
                         help="The store's SQLite file (default: $POS_CUSTOMERS_DB, then the user data folder, "
                              "then the demo store's). Also accepted before the command.")


def fail(message: str, code: int = 1) -> None:
    say(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _errors():
    """Every known failure becomes one line on stderr and a non-zero exit."""
    from ..services.context import NotFound, NotInitialized, PermissionDenied

    try:
        yield
    except ValidationFailed as exc:
        fail(str(exc), 2)
    except PermissionDenied as exc:
        fail(f"not allowed: {exc}", 3)
    except (NotFound, NotInitialized) as exc:
        fail(str(exc), 1)
    except Exception as exc:
        line = file_failure_line(exc)
        if line is None:
            raise
        fail(line, 1)


def file_failure_line(exc: BaseException) -> Optional[str]:
    """The one line for a failure of the till's file (damaged, read-only, full disk, ...), or None
    when ``exc`` is about something else."""
    from ..services.health import as_storage_error, failure_line

    err = as_storage_error(exc, _state["path"])
    return failure_line(err) if err is not None else None


def _services(db: Optional[str] = None, *, create: bool = False):
    """The store's services on its file, opened and checked: a missing, empty, damaged or
    foreign file, or one that cannot be written when it must be, ends here with one line."""
    from ..services.context import Services
    from ..storage.engine import open_database
    from ..storage.migrate import upgrade

    if create:
        path = resolve_db_path(db or _state["db"])
    else:
        path, is_demo = store_db_path(db or _state["db"])
        if is_demo:
            typer.echo(demo_notice(path), err=True)
    _state["path"] = str(path)
    with _errors():
        database = open_database(path, create=create)
        upgrade(database)
    svc = Services(database)
    _store_formats(svc)
    return svc


def _store_formats(svc) -> None:
    """Dates, money and phones in the store's locale (domain.formats); English before `init`."""
    from ..domain.formats import set_format_locale
    from ..services.context import NotFound, NotInitialized
    from ..services.store_info import store_info

    try:
        set_format_locale(store_info(svc).locale)
    except (NotFound, NotInitialized):
        pass


def _actor():
    from ..services.context import Actor

    return Actor.command_line()


def _run_app(svc=None, *, db_path: Optional[Path] = None, demo: bool, choose: Optional[str] = None) -> None:
    from ..launch import run_app

    with _errors():
        code = run_app(svc, db_path=db_path, demo=demo, choose=choose)
    if code:
        raise typer.Exit(code)
