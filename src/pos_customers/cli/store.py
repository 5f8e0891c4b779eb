"""Open the app, set up a store (`init`), the demo store (`demo`), the store's settings (`store …`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from ..paths import demo_db_path
from .common import (
    DB_OPTION,
    _actor,
    _errors,
    _run_app,
    _services,
    _state,
    app,
    fail,
    field_errors,
    follow_store_language,
    options_app,
    say,
)


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help=N_("SQLite file (default: $POS_CUSTOMERS_DB, "
                                     "then the user data folder)."), metavar="PATH"),
) -> None:
    _state["db"] = db
    if ctx.invoked_subcommand is None:  # `pos-customers --db PATH` opens through launch.main
        from ..launch import open_app

        code = open_app(db)
        if code:
            raise typer.Exit(code)


@app.command(help=N_("Create the local database for a store (idempotent), standalone or enrolled with "
                     "headquarters.\n\nWith --hq and --token the store's settings come from headquarters; "
                     "otherwise give them all. On a standalone till that is set up already, `init "
                     "--terminal N` alone changes its number."))
def init(
    store: Optional[str] = typer.Option(None, "--store", help=N_("Store code, e.g. BER01.")),
    number: Optional[int] = typer.Option(None, "--number", help=N_("Store number, 1-8191 (part of every reference).")),
    name: Optional[str] = typer.Option(None, "--name", help=N_("Store name.")),
    country: Optional[str] = typer.Option(None, "--country", help=N_("ISO country code, e.g. DE.")),
    currency: Optional[str] = typer.Option(None, "--currency", help=N_("ISO currency code, e.g. EUR.")),
    language: Optional[str] = typer.Option(None, "--language", help=N_("Language code, e.g. de or en-GB.")),
    hq: Optional[str] = typer.Option(None, "--hq", metavar="URL", help=N_("Headquarters to enrol with.")),
    token: Optional[str] = typer.Option(None, "--token", help=N_("One-time enrolment token from `hq add-store`.")),
    terminal: Optional[int] = typer.Option(
        None, "--terminal", metavar="N", help=N_("This till's number in its store, 1-64, part of every reference it "
        "issues: each till of a store needs its own (default 1 for a new database; an existing one keeps "
        "its number). Enrolled tills get theirs from headquarters.")),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help=N_("SQLite file.")),
) -> None:
    from ..domain.reference import MAX_TERMINAL

    if terminal is not None and not 1 <= terminal <= MAX_TERMINAL:
        fail(_("--terminal must be between 1 and {limit}, got {number}").format(limit=MAX_TERMINAL, number=terminal), 2)
    if terminal is not None and (hq or token):
        fail(_("--terminal is for a standalone till: headquarters gives an enrolled till its number"), 2)
    svc = _services(db, create=True)
    if hq or token:
        if not (hq and token):
            fail(_("enrolling needs both --hq URL and --token T"), 2)
        from ..services.sync import HqRefused, HqUnavailable, enrol_terminal

        with _errors():
            try:
                st = enrol_terminal(svc, _actor(), hq, token)
            except HqUnavailable as exc:
                fail(_("headquarters unreachable: {reason}").format(reason=tr(exc)))
            except HqRefused as exc:
                fail(tr(exc))
        follow_store_language(svc)
        typer.echo(_("store {code} ({name}) enrolled with {url} as till {number}; database {path}").format(
            code=st['code'], name=st['name'], url=hq, number=svc.settings().get('terminal_number', '?'),
            path=svc.db.path))
        typer.echo(_("run `pos-customers sync --once` to fetch headquarters' data (the store's associates "
                     "come with it; a new store has none: `pos-customers associates add`)"))
        return
    missing = [o for o, v in (("--store", store), ("--number", number), ("--name", name),
                              ("--country", country), ("--currency", currency), ("--language", language))
               if v is None]
    if missing and terminal is not None and len(missing) == 6 and svc.settings().get("store_code"):
        from ..services.terminal import change_terminal_number

        with _errors():
            info = change_terminal_number(svc, _actor(), terminal)
        typer.echo(_("this till of store {store} is till {number} now ({issued} of its {capacity} references used)")
                   .format(store=svc.store_code, number=info.number, issued=f"{info.issued:,}",
                           capacity=f"{info.capacity:,}"))
        return
    if missing:
        fail(_("missing {options} (or enrol with --hq URL --token T)").format(options=", ".join(missing)), 2)
    from ..services.store import init_store

    with _errors():
        info = init_store(svc, _actor(), code=store, number=number, name=name, country=country,
                          currency=currency, language=language, terminal=terminal)
    follow_store_language(svc)
    typer.echo(_("store {code} ({name}) ready in {path}; till {number}").format(
        code=info.code, name=info.name, path=svc.db.path, number=svc.settings().get('terminal_number', '1')))
    if not svc.settings().get("hq_url"):
        from ..services.associates import list_associates

        with _errors():
            if not list_associates(svc, _actor()):
                typer.echo(_("no associates yet: add the first manager to sign in with "
                             "`pos-customers associates add --number 1001 --name NAME --role manager`"))


@app.command(help=N_("For the point of sale: open the app to choose the sale's customer. The associate "
                     "signs in, finds the customer and presses s on the card; the app closes and prints "
                     "the customer's reference on stdout (exit 0). A blocked customer is refused on the "
                     "card; closing the app without choosing prints nothing (exit 1)."))
def choose(
    as_json: bool = typer.Option(False, "--json", help=N_("Print one line of JSON (id, reference, display_name) "
                                                       "instead of the reference.")),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help=N_("The store's SQLite file.")),
) -> None:
    from ..launch import open_app

    code = open_app(db or _state["db"], choose="json" if as_json else "text")
    if code:
        raise typer.Exit(code)


@app.command(help=N_("A demo store (BER01) with realistic customers from several countries, seeded "
                     "deterministically."))
def demo(
    customers: int = typer.Option(10_000, "--customers", min=0, max=1_000_000,
                                  help=N_("How many demo customers (up to 1,000,000).")),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help=N_("Demo SQLite file.")),
    seed_only: bool = typer.Option(False, "--seed-only", help=N_("Create the database and exit.")),
) -> None:
    from ..services.demo import seed_demo
    from ..storage.engine import Database

    path = Path(db or _state["db"] or demo_db_path()).expanduser()
    _state["path"] = str(path)

    def progress(done: int, total: int) -> None:
        typer.echo("\r  " + _("{done} / {total} customers").format(done=f"{done:,}", total=f"{total:,}"),
                   err=True, nl=done == total)

    with _errors():
        svc = seed_demo(Database(path), customers, progress=progress)
    typer.echo(_("demo store BER01 ready in {path}").format(path=path), err=not seed_only)
    if seed_only:
        return
    _run_app(svc, demo=True)


# -- account options (services/account_options.py; the back office's "Account options") ------------

_STORE_OPTION = typer.Option(None, "--store", metavar="CODE",
                             help=N_("Another store's options (support and administrators); default: this store."))


def _print_options(view, as_json: bool) -> None:
    if as_json:
        import json

        typer.echo(json.dumps({"store_code": view.store_code, "fields": [
            {"field": r.field.name, "label": r.field.label, "level": r.level.value,
             "persons_only": r.field.person_only, "changeable": not r.field.needed} for r in view.rows]},
            ensure_ascii=False, indent=2))
        return
    say(_("account options of store {store} (the new-customer form):").format(store=view.store_code))
    for r in view.rows:
        notes = ", ".join(n for n, on in ((_("persons only"), r.field.person_only),
                                          (_("always: every customer record needs it"), r.field.needed)) if on)
        say(f"  {r.field.name:<18} {r.level.value:<9} {tr(r.field.label)}" + (f" ({notes})" if notes else ""))


@options_app.callback()
def store_options(
    ctx: typer.Context,
    store: Optional[str] = _STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    """List each field of the new-customer form that has an option: hidden, optional or required."""
    if ctx.invoked_subcommand is not None:
        return
    from ..services.account_options import options_view

    svc = _services(db)
    with _errors():
        view = options_view(svc, _actor(), store)
    _print_options(view, as_json)


@options_app.command("set",
                     help=N_("Set one field of the new-customer form to hidden, optional or required (managers of "
                             "the store, support and administrators; audited and sent to headquarters like the "
                             "back office's change)."))
def store_options_set(
    field: str = typer.Argument(..., metavar="FIELD", help=N_("The field, as `store options` lists it (birth_date, "
                                                          "phones, suffix, ...).")),
    level: str = typer.Argument(..., metavar="hidden|optional|required"),
    store: Optional[str] = _STORE_OPTION,
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..domain.account_options import label_of
    from ..domain.errors import ValidationFailed
    from ..services.account_options import options_view, set_account_options

    svc = _services(db)
    name = field.strip().lower().replace("-", "_")  # birth-date as well as birth_date
    with _errors():
        try:
            old = options_view(svc, _actor(), store).options.level(name)
            after = set_account_options(svc, _actor(), store, **{name: level})
        except ValidationFailed as exc:  # its messages name the field already
            fail(field_errors(exc, with_field=False), 2)
    label, new = tr(label_of(name)), after.options.level(name)
    if old == new:
        say(_("{field} is already {level} in store {store}: nothing changed").format(
            field=label, level=new.value, store=after.store_code))
    else:
        say(_("{field}: {old} -> {new} in store {store}").format(field=label, old=old.value, new=new.value,
                                                              store=after.store_code))
