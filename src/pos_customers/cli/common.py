"""What every command shares: the Typer apps, one-line failures, the store's services, the
language of what the command line prints."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from ..domain import i18n
from ..domain.errors import ValidationFailed
from ..domain.i18n import N_, _, tr
from ..domain.text import shown
from ..launch import cli_language, environment_language
from ..paths import demo_notice, resolve_db_path, store_db_path
from . import values

values.install()  # plain option values without importing pydantic (see cli/values.py)


class LocalizedGroup(TyperGroup):
    """The top command: before it parses anything it takes the language from the environment
    (:func:`~pos_customers.launch.cli_language`) and translates the help texts of every command
    and option (marked with ``N_``: Typer builds its commands afresh for every run, so the
    English texts are what is translated, in any language, each time)."""

    def main(self, *args, **kwargs):
        if i18n.set_language(cli_language()) != i18n.DEFAULT:
            _translate_help(self)
            if {"--help", "-h"} & set(sys.argv[1:]) or len(sys.argv) <= 2:
                _translate_help_panels()
        return super().main(*args, **kwargs)


def _translate_help_panels() -> None:
    """Typer's own words on a help page (its panel titles, "[required]"), in the reader's
    language: module settings of typer.rich_utils, read when the help is drawn."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")


#: the text Click gives every command's --help (made in English; translated as ours)
HELP_OPTION = N_("Show this message and exit.")


def _translate_help(command) -> None:
    helper = command.get_help_option(command.context_class(command))  # made once per command, kept
    if helper is not None and isinstance(helper.help, str):
        helper.help = tr(helper.help)
    for attr in ("help", "short_help", "epilog"):
        if isinstance(getattr(command, attr, None), str):
            setattr(command, attr, tr(getattr(command, attr)))
    for param in command.params:
        if isinstance(getattr(param, "help", None), str):
            param.help = tr(param.help)
        if isinstance(getattr(param, "prompt", None), str):
            param.prompt = tr(param.prompt)
    for sub in (getattr(command, "commands", None) or {}).values():
        _translate_help(sub)


app = typer.Typer(help=N_("Customer management for the store floor. Without a command: open the app."),
                  cls=LocalizedGroup, add_completion=False, pretty_exceptions_enable=False,
                  invoke_without_command=True)
customers_app = typer.Typer(help=N_("Search, show, add, import and export customers."), no_args_is_help=True)
associates_app = typer.Typer(help=N_("Store staff who sign in to the terminal."), no_args_is_help=True)
app.add_typer(customers_app, name="customers")
app.add_typer(associates_app, name="associates")
hq_app = typer.Typer(help=N_("Headquarters: the service every store's terminals sync with."), no_args_is_help=True)
sync_app = typer.Typer(help=N_("Send this terminal's changes to headquarters and fetch theirs."),
                       invoke_without_command=True)
app.add_typer(hq_app, name="hq")
app.add_typer(sync_app, name="sync")
audit_app = typer.Typer(help=N_("The store's audit trail."), no_args_is_help=True)
app.add_typer(audit_app, name="audit")
store_app = typer.Typer(help=N_("This store's settings (as the back office sets them)."), no_args_is_help=True)
options_app = typer.Typer(help=N_("Account options: which fields of the new-customer form the store hides, "
                                  "leaves optional or requires. Without a command: list them."),
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
                         help=N_("The store's SQLite file (default: $POS_CUSTOMERS_DB, then the user data "
                                 "folder, then the demo store's). Also accepted before the command."))


def fail(message: str, code: int = 1) -> None:
    """``message`` (translated already) as the one error line on stderr; exit ``code``."""
    say(_("error: {message}").format(message=message), err=True)
    raise typer.Exit(code)


@contextmanager
def _errors(command=None):
    """Every known failure becomes one line on stderr and a non-zero exit; a refused field is
    named by ``command``'s option for it (the command function), else by its label."""
    from ..services.context import NotFound, NotInitialized, PermissionDenied

    try:
        yield
    except ValidationFailed as exc:
        fail(field_errors(exc, command=command), 2)
    except PermissionDenied as exc:
        fail(_("not allowed: {reason}").format(reason=tr(exc)), 3)
    except (NotFound, NotInitialized) as exc:
        fail(tr(exc), 1)
    except Exception as exc:
        line = file_failure_line(exc)
        if line is None:
            raise
        fail(line, 1)


def field_errors(exc: ValidationFailed, *, with_field: bool = True, command=None) -> str:
    """The problems of a refused record in one line, each in the reader's language, each named by
    the option of the command that sets its field (``--birth-date``), else by the field's label
    in the reader's language ("Geburtsdatum"), never by an internal path (``emails.0.address``)."""
    options = command_options(command) if command is not None else {}
    return "; ".join(f"{field_name(e.field, options)}: {tr(e.message)}" if with_field else tr(e.message)
                     for e in exc.errors)


def command_options(command) -> dict[str, str]:
    """A command function's parameters and their long options (``birth_date`` -> ``--birth-date``),
    read from its signature."""
    import inspect

    found = {}
    for name, parameter in inspect.signature(command).parameters.items():
        decls = getattr(parameter.default, "param_decls", None) or ()
        long = next((d for d in decls if isinstance(d, str) and d.startswith("--")), None)
        if long:
            found[name] = long.split("/")[0]
    return found


def field_name(path: str, options: dict[str, str] | None = None) -> str:
    """A refused field as the person at the command line knows it: the command's option for it
    (``birth_date`` -> ``--birth-date``, ``emails.0.address`` -> ``--email``, ``first_name`` ->
    ``--first``, ``group_code`` -> ``--group``), else the field's label in the reader's language."""
    from ..domain.record import field_label

    parts = [p for p in path.split(".") if p and not p.isdigit()]
    names = list(options or {})
    for name in dict.fromkeys((parts[-1], parts[0]) if parts else ()):
        single = name[:-1] if name.endswith("s") else name  # emails -> email, cards -> card
        for wanted in (lambda o: o in (name, single),  # the field's own name
                       lambda o: name in (f"{o}_name", f"{o}_code", f"{o}_number"),  # first_name -> first
                       lambda o: name.endswith(f"_{o}"),  # status_reason -> reason
                       lambda o: o.startswith(single + "_")):  # emails -> email_add on `edit`
            found = next((o for o in names if wanted(o)), None)
            if found is not None:
                return options[found]
    return tr(field_label(path))


def file_failure_line(exc: BaseException) -> Optional[str]:
    """The one line for a failure of the till's file (damaged, read-only, full disk, ...), or None
    when ``exc`` is about something else."""
    from ..services.health import as_storage_error, failure_line

    err = as_storage_error(exc, _state["path"])
    return tr(failure_line(err)) if err is not None else None


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
            typer.echo(tr(demo_notice(path)), err=True)
    _state["path"] = str(path)
    with _errors():
        database = open_database(path, create=create)
        upgrade(database)
    svc = Services(database)
    if not create:
        follow_store_language(svc)
    _store_formats(svc)
    return svc


def follow_store_language(svc) -> None:
    """What the command prints after the store is open is in the store's language, unless the
    environment names one ($POS_CUSTOMERS_LANG, the locale)."""
    if environment_language():
        return
    from ..services.store_info import store_info

    try:
        language = store_info(svc).language
    except Exception:  # noqa: BLE001 - a store not set up yet (or unreadable): the command says so itself
        return
    i18n.set_language(cli_language(language))


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
