"""`pos-customers …` commands (support staff script them over SSH). The plain start of the app,
`pos-customers [--db PATH]`, is handled by :mod:`pos_customers.launch` before Typer loads."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from .domain.errors import ValidationFailed
from .domain.reference import format_reference
from .paths import demo_db_path, resolve_db_path

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

_state: dict[str, Optional[str]] = {"db": None}


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _errors():
    """Every known failure becomes one line on stderr and a non-zero exit."""
    from .services.context import NotFound, NotInitialized, PermissionDenied

    try:
        yield
    except ValidationFailed as exc:
        fail(str(exc), 2)
    except PermissionDenied as exc:
        fail(f"not allowed: {exc}", 3)
    except (NotFound, NotInitialized) as exc:
        fail(str(exc), 1)


def _services(db: Optional[str] = None, *, create: bool = False):
    from .services.context import Services
    from .storage.engine import Database
    from .storage.migrate import upgrade

    path = resolve_db_path(db or _state["db"])
    if not create and not path.exists():
        fail(f"no database at {path}: run `pos-customers init` or `pos-customers demo` first")
    database = Database(path)
    upgrade(database)
    return Services(database)


def _actor():
    from .services.context import Actor

    return Actor.command_line()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="SQLite file (default: $POS_CUSTOMERS_DB, "
                                     "then the user data folder).", metavar="PATH"),
) -> None:
    _state["db"] = db
    if ctx.invoked_subcommand is None:  # `pos-customers --db PATH` opens through launch.main
        from .launch import open_app

        code = open_app(db)
        if code:
            raise typer.Exit(code)


def _run_app(svc=None, *, db_path: Optional[Path] = None, demo: bool) -> None:
    from .launch import run_app

    with _errors():
        code = run_app(svc, db_path=db_path, demo=demo)
    if code:
        raise typer.Exit(code)


@app.command()
def init(
    store: Optional[str] = typer.Option(None, "--store", help="Store code, e.g. BER01."),
    number: Optional[int] = typer.Option(None, "--number", help="Store number, 1-8191 (part of every reference)."),
    name: Optional[str] = typer.Option(None, "--name", help="Store name."),
    country: Optional[str] = typer.Option(None, "--country", help="ISO country code, e.g. DE."),
    currency: Optional[str] = typer.Option(None, "--currency", help="ISO currency code, e.g. EUR."),
    language: Optional[str] = typer.Option(None, "--language", help="Language code, e.g. de or en-GB."),
    hq: Optional[str] = typer.Option(None, "--hq", metavar="URL", help="Headquarters to enrol with."),
    token: Optional[str] = typer.Option(None, "--token", help="One-time enrolment token from `hq add-store`."),
    terminal: Optional[int] = typer.Option(
        None, "--terminal", metavar="N", help="This till's number in its store, 1-64, part of every reference it "
        "issues: each till of a store needs its own (default 1 for a new database; an existing one keeps "
        "its number). Enrolled tills get theirs from headquarters."),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file."),
) -> None:
    """Create the local database for a store (idempotent), standalone or enrolled with headquarters.

    With --hq and --token the store's settings come from headquarters; otherwise give them all.
    On a standalone till that is set up already, `init --terminal N` alone changes its number.
    """
    from .domain.reference import MAX_TERMINAL

    if terminal is not None and not 1 <= terminal <= MAX_TERMINAL:
        fail(f"--terminal must be between 1 and {MAX_TERMINAL}, got {terminal}", 2)
    if terminal is not None and (hq or token):
        fail("--terminal is for a standalone till: headquarters gives an enrolled till its number", 2)
    svc = _services(db, create=True)
    if hq or token:
        if not (hq and token):
            fail("enrolling needs both --hq URL and --token T", 2)
        from .services.sync import HqRefused, HqUnavailable, enrol_terminal

        with _errors():
            try:
                st = enrol_terminal(svc, _actor(), hq, token)
            except HqUnavailable as exc:
                fail(f"headquarters unreachable: {exc}")
            except HqRefused as exc:
                fail(str(exc))
        typer.echo(f"store {st['code']} ({st['name']}) enrolled with {hq} as till "
                   f"{svc.settings().get('terminal_number', '?')}; database {svc.db.path}")
        typer.echo("run `pos-customers sync --once` to fetch headquarters' data (the store's associates "
                   "come with it; a new store has none: `pos-customers associates add`)")
        return
    missing = [o for o, v in (("--store", store), ("--number", number), ("--name", name),
                              ("--country", country), ("--currency", currency), ("--language", language))
               if v is None]
    if missing and terminal is not None and len(missing) == 6 and svc.settings().get("store_code"):
        from .services.terminal import change_terminal_number

        with _errors():
            info = change_terminal_number(svc, _actor(), terminal)
        typer.echo(f"this till of store {svc.store_code} is till {info.number} now "
                   f"({info.issued:,} of its {info.capacity:,} references used)")
        return
    if missing:
        fail(f"missing {', '.join(missing)} (or enrol with --hq URL --token T)", 2)
    from .services.store import init_store

    with _errors():
        info = init_store(svc, _actor(), code=store, number=number, name=name, country=country,
                          currency=currency, language=language, terminal=terminal)
    typer.echo(f"store {info.code} ({info.name}) ready in {svc.db.path}; "
               f"till {svc.settings().get('terminal_number', '1')}")
    if not svc.settings().get("hq_url"):
        from .services.associates import list_associates

        with _errors():
            if not list_associates(svc, _actor()):
                typer.echo("no associates yet: add the first manager to sign in with "
                           "`pos-customers associates add --number 1001 --name NAME --role manager`")


@app.command()
def demo(
    customers: int = typer.Option(10_000, "--customers", min=0, max=1_000_000,
                                  help="How many demo customers (up to 1,000,000)."),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="Demo SQLite file."),
    seed_only: bool = typer.Option(False, "--seed-only", help="Create the database and exit."),
) -> None:
    """A demo store (BER01) with realistic customers from several countries, seeded deterministically."""
    from .services.demo import seed_demo
    from .storage.engine import Database

    path = Path(db or _state["db"] or demo_db_path()).expanduser()

    def progress(done: int, total: int) -> None:
        typer.echo(f"\r  {done:,} / {total:,} customers", err=True, nl=done == total)

    with _errors():
        svc = seed_demo(Database(path), customers, progress=progress)
    typer.echo(f"demo store BER01 ready in {path}", err=not seed_only)
    if seed_only:
        return
    _run_app(svc, demo=True)


# -- customers -----------------------------------------------------------------------------------

def _row_line(r) -> str:
    return (f"{format_reference(r.reference):<13} {r.display_name[:32]:<32} {r.primary_phone[:18]:<18}"
            f" {r.primary_email[:34]:<34} {r.city[:18]:<18} {r.sync_state}")


@customers_app.command("search")
def customers_search(
    text: str = typer.Argument("", help="Name words, email or part of it, phone digits, reference, card."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    offset: int = typer.Option(0, "--offset", min=0),
) -> None:
    """Find customers; an empty TEXT lists this store's recent customers."""
    from .services.search import search_customers

    svc = _services()
    with _errors():
        page = search_customers(svc, _actor(), text, limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps({"offset": page.offset, "has_more": page.has_more,
                               "results": [r.__dict__ for r in page.rows]}, ensure_ascii=False, indent=2))
        return
    if not page.rows:
        typer.echo("no customers found", err=True)
        raise typer.Exit(1)
    for r in page.rows:
        typer.echo(_row_line(r))
    if page.has_more:
        typer.echo(f"... more: --offset {offset + limit}", err=True)


@customers_app.command("show")
def customers_show(
    ref: str = typer.Argument(..., help="Customer reference (any case, separators optional) or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Everything about one customer."""
    from .services.customers import get_customer
    from .services.terminal import reference_origin

    svc = _services()
    with _errors():
        view = get_customer(svc, _actor(), ref)
    if as_json:
        typer.echo(json.dumps(view.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{view.display_name}  [{view.reference_display}]  {view.customer_type}, {view.status},"
               f" {view.account_type}, sync: {view.sync_state}")
    for label, value in (("group", view.group_code), ("language", view.language),
                         ("currency", view.currency), ("birth date", view.birth_date),
                         ("affiliations", ", ".join(view.affiliations)),
                         ("receipt", f"{view.receipt_option} {view.receipt_email}".strip()),
                         ("store", view.store_code), ("issued by", reference_origin(view.reference)),
                         ("created", view.created_at),
                         ("updated", view.updated_at)):
        if value:
            typer.echo(f"  {label:<13} {value}")
    for e in view.emails:
        typer.echo(f"  email         {e.address} ({e.purpose}{', primary' if e.primary else ''}"
                   f"{', marketing ok' if e.marketing_consent else ''})")
    for p in view.phones:
        typer.echo(f"  phone         {p.national} / {p.e164} ({p.purpose}{', primary' if p.primary else ''})")
    for a in view.addresses:
        flags = ", ".join(x for x, on in (("billing", a.default_billing), ("shipping", a.default_shipping)) if on)
        typer.echo(f"  address       {a.purpose}{' (' + flags + ')' if flags else ''}")
        for line in a.formatted.splitlines():
            typer.echo(f"                {line}")
    for c in view.cards:
        typer.echo(f"  card          {c}")


@customers_app.command("password-link")
def customers_password_link(ref: str = typer.Argument(..., help="Customer reference or id.")) -> None:
    """Ask headquarters to mail the customer a single-use link to set their password."""
    from .services.customers import get_customer
    from .services.sync import HqRefused, HqUnavailable, NotConnected, send_password_link

    svc = _services()
    with _errors():
        view = get_customer(svc, _actor(), ref)
        try:
            typer.echo(send_password_link(svc, _actor(), view.id))
        except (HqUnavailable, HqRefused, NotConnected) as exc:
            fail(str(exc))


@customers_app.command("anonymize")
def customers_anonymize(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    confirm: str = typer.Option(..., "--confirm", prompt="Type the customer's reference to confirm",
                                help="The customer's reference again: anonymization cannot be undone."),
) -> None:
    """Delete on request: erase the customer's personal data here, at headquarters and in every store."""
    from .services.customers import get_customer
    from .services.privacy import anonymize_customer

    svc = _services()
    with _errors():
        view = get_customer(svc, _actor(), ref)
        result = anonymize_customer(svc, _actor(), view.id, confirm)
    erased = ", ".join(f"{n} {k}" for k, n in result.erased.items())
    typer.echo(f"customer {result.reference} anonymized ({erased}); headquarters gets it with the next sync")


@customers_app.command("data")
def customers_data(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    fmt: str = typer.Option("text", "--format", help="text (readable) or json (complete)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (default: stdout)."),
) -> None:
    """Access request: everything held on one customer, on this terminal and at headquarters."""
    from .services.customers import get_customer
    from .services.privacy import access_report, report_text

    if fmt not in ("text", "json"):
        fail("--format is text or json", 2)
    svc = _services()
    with _errors():
        view = get_customer(svc, _actor(), ref)
        report = access_report(svc, _actor(), view.id)
    body = report_text(report) if fmt == "text" else json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if output:
        output.write_text(body, encoding="utf-8")
        typer.echo(f"written to {output}", err=True)
    else:
        typer.echo(body)


@customers_app.command("add")
def customers_add(
    first: str = typer.Option("", "--first", help="First name."),
    last: str = typer.Option("", "--last", help="Last name."),
    organization: str = typer.Option("", "--organization", help="Organization name (type organization)."),
    customer_type: Optional[str] = typer.Option(None, "--type", help="person or organization (default: store template)."),
    email: list[str] = typer.Option([], "--email", help="Email (repeatable; first is primary)."),
    phone: list[str] = typer.Option([], "--phone", help="Phone (repeatable; national or +international)."),
    birth_date: Optional[str] = typer.Option(None, "--birth-date", help="YYYY-MM-DD."),
    street: str = typer.Option("", "--street", help="Street and number."),
    city: str = typer.Option("", "--city"),
    postal_code: str = typer.Option("", "--postal-code"),
    region: str = typer.Option("", "--region", help="State/province where the country uses one."),
    country: str = typer.Option("", "--country", help="Address country (default: store template)."),
    group: Optional[str] = typer.Option(None, "--group", help="Customer group code."),
    language: Optional[str] = typer.Option(None, "--language"),
    card: list[str] = typer.Option([], "--card", help="Customer card number (repeatable)."),
    marketing: bool = typer.Option(False, "--marketing", help="Marketing consent on the first email/phone."),
    from_json: bool = typer.Option(False, "--json", help="Read one customer as a JSON object on stdin."),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help="Create even when a likely duplicate exists."),
) -> None:
    """Create a customer from flags, or from JSON on stdin (--json). The store template fills the rest."""
    from .domain.address import AddressInput
    from .domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
    from .services.customers import create_customer, find_duplicates
    from .services.transfer import draft_from_json

    svc = _services()
    actor = _actor()
    with _errors():
        if from_json:
            try:
                draft = draft_from_json(json.loads(sys.stdin.read()))
            except json.JSONDecodeError as exc:
                fail(f"stdin is not valid JSON: {exc}", 2)
        else:
            addresses = []
            if street or city or postal_code:
                addresses.append(AddressDraft(AddressInput(line1=street, city=city, region=region,
                                                           postal_code=postal_code, country=country)))
            draft = CustomerDraft(
                customer_type=customer_type, first_name=first, last_name=last,
                organization_name=organization, birth_date=birth_date, group_code=group,
                language=language,
                emails=[EmailInput(e, marketing_consent=marketing and i == 0) for i, e in enumerate(email)],
                phones=[PhoneInput(p, marketing_consent=marketing and i == 0) for i, p in enumerate(phone)],
                addresses=addresses, cards=list(card))
        if not allow_duplicate:
            hits = find_duplicates(svc, actor, draft)
            if hits:
                h = hits[0]
                fail(f"likely duplicate of {format_reference(h.reference)} {h.display_name}"
                     f" ({'; '.join(h.reasons)}); use --allow-duplicate to create anyway", 4)
        view = create_customer(svc, actor, draft)
    typer.echo(f"created {view.reference_display} {view.display_name}")


@customers_app.command("import")
def customers_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Write the good rows and list the bad ones."),
    no_update: bool = typer.Option(False, "--no-update",
                                   help="Refuse rows whose reference is a customer of this store."),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help="Import new rows even when a likely duplicate exists."),
) -> None:
    """Import customers from CSV (header row; same columns as `export --format csv`).

    Every row is checked first. By default a single bad row means NOTHING is written and every bad
    row is reported. With --skip-bad the good rows are written and the bad rows are listed.
    Either way the import is one transaction. A row with the reference of a customer of this
    store updates it (--no-update refuses it); a reference this store issued but does not hold
    is restored with that reference; any other reference is refused. Rows without a reference
    are new customers, refused as likely duplicates unless --allow-duplicate.
    """
    from .services.transfer import import_csv

    svc = _services()
    with _errors():
        try:
            with open(file, newline="", encoding="utf-8-sig") as fh:
                result = import_csv(svc, _actor(), fh, skip_bad=skip_bad, update=not no_update,
                                    allow_duplicate=allow_duplicate)
        except UnicodeDecodeError as exc:
            fail(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})", 2)
    for bad in result.bad_rows:
        typer.echo(f"{file}: {bad}", err=True)
    if result.bad_rows and not result.written:
        fail(f"{len(result.bad_rows)} bad row(s): nothing imported (use --skip-bad to import the good rows)", 2)
    typer.echo(f"imported {result.created} customer(s)"
               + (f", updated {result.updated}" if result.updated else "")
               + (f", {result.unchanged} unchanged" if result.unchanged else "")
               + (f", skipped {len(result.bad_rows)} bad row(s)" if result.bad_rows else ""))
    if result.bad_rows:
        raise typer.Exit(2)


@customers_app.command("export")
def customers_export(
    fmt: str = typer.Option("json", "--format", help="json or csv."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Export every customer in this file."""
    from .services.transfer import export

    if fmt not in ("json", "csv"):
        fail(f"--format must be json or csv, not '{fmt}'", 2)
    svc = _services()
    with _errors():
        if output:
            tmp = output.with_name(output.name + ".part")
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                count = export(svc, _actor(), fh, fmt=fmt)
            tmp.replace(output)  # a half-written export never carries the real name
            typer.echo(f"exported {count} customer(s) to {output}", err=True)
        else:
            export(svc, _actor(), sys.stdout, fmt=fmt)


# -- associates ------------------------------------------------------------------------------------

@associates_app.command("add")
def associates_add(
    number: str = typer.Option(..., "--number", help="Associate number (what they type to sign in)."),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("associate", "--role", help="associate, manager, support or admin."),
    pin: Optional[str] = typer.Option(None, "--pin", help="4-12 digits (asked for when omitted).",
                                      envvar="POS_CUSTOMERS_PIN"),
) -> None:
    """Add a store associate; the PIN is stored as an argon2id hash only."""
    from .services.associates import add_associate

    if pin is None:
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    svc = _services()
    with _errors():
        view = add_associate(svc, _actor(), number=number, name=name, role=role, pin=pin)
    typer.echo(f"associate {view.number} ({view.name}, {view.role}) added")


# -- diagnostics -----------------------------------------------------------------------------------

@app.command()
def doctor(
    repair: bool = typer.Option(False, "--repair", help="Rebuild the search index from the tables."),
    quick: bool = typer.Option(False, "--quick", help="Sample the search index instead of every row."),
) -> None:
    """Check the database: integrity, migrations, search index consistency."""
    from .services.doctor import repair_search_index, run_checks

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
    from .services.doctor import verify_audit

    with _errors():
        check = verify_audit(_services(db), _actor())
    if check.problems:
        for p in check.problems:
            typer.echo(p)
        typer.echo(f"audit trail NOT intact: {len(check.problems)} problem(s) in {check.rows} rows", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {check.rows} rows, head {check.head[:16]}")


# -- sync ----------------------------------------------------------------------------------------

@sync_app.callback()
def sync_main(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One round (push, then pull) and exit."),
    every: float = typer.Option(15.0, "--every", min=1.0, help="Seconds between rounds."),
    db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file."),
) -> None:
    """Push the outbox and pull headquarters' changes; repeat until interrupted (or --once)."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from .services.sync import HqRefused, HqUnavailable, NotConnected, sync_now

    svc = _services(db)
    while True:
        try:
            r = sync_now(svc, _actor())
            typer.echo(f"pushed {r.pushed}, pulled {r.pulled}, conflicts {r.conflicts}"
                       + (f", parked {r.parked} (refused by headquarters: `pos-customers sync parked`)"
                          if r.parked else ""))
        except NotConnected as exc:
            fail(str(exc))
        except (HqUnavailable, HqRefused) as exc:
            if once:
                fail(str(exc))
            typer.echo(f"will retry: {exc}", err=True)
        if once:
            return
        time.sleep(every)


@sync_app.command("status")
def sync_status(db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file."),
                as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Headquarters, outbox depth, last push and pull, last error (for support over SSH)."""
    from dataclasses import asdict

    from .services.sync import status

    with _errors():
        st = status(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps(asdict(st), default=str, indent=2))
        return
    typer.echo(f"headquarters  {st.hq_url or 'not connected'}")
    typer.echo(f"outbox        {st.outbox} event(s) waiting"
               + (f", oldest {st.oldest_pending:%Y-%m-%d %H:%M} UTC" if st.oldest_pending else ""))
    typer.echo(f"last push     {st.last_push_at or 'never'}")
    typer.echo(f"last pull     {st.last_pull_at or 'never'} (cursor {st.cursor})")
    typer.echo(f"conflicts     {st.conflicts}")
    typer.echo(f"parked        {st.parked}" + (" refused by headquarters" if st.parked else "")
               + (f", {st.waiting} waiting behind them" if st.waiting else ""))
    if st.parked:
        from .services.sync import parked_events

        with _errors():
            for p in parked_events(_services(db), _actor(), waiting=False):
                typer.echo(f"  {p.id[:8]}  {_refusal(p)}")
        typer.echo("              `pos-customers sync parked` lists them; "
                   "`sync retry ID|--all`, `sync discard ID`")
    if st.last_error:
        typer.echo(f"last error    {st.last_error} ({st.last_error_at})")
    if st.audit_problem:
        typer.echo(f"AUDIT         {st.audit_problem}")


def _refusal(p) -> str:
    """One parked event's refusal in one line: status, reason, field."""
    return (f"{p.status or ''} {p.reason}".strip() + (f" [{p.field}]" if p.field else ""))[:200]


@sync_app.command("parked")
def sync_parked(db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file."),
                as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Events headquarters refused (parked), and the events waiting behind them."""
    from dataclasses import asdict

    from .services.sync import parked_events

    with _errors():
        rows = parked_events(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
        return
    if not rows:
        typer.echo("no parked events")
        return
    for r in rows:
        when = f"{r.at:%Y-%m-%d %H:%M}" if r.at else "waiting"
        typer.echo(f"{r.id[:8]}  {when:<16}  {r.kind:<20} {(r.customer or '-')[:30]:<30}"
                   f"  tries {r.attempts}  {_refusal(r)}")
    parked = sum(r.parked for r in rows)
    typer.echo(f"{parked} parked, {len(rows) - parked} waiting behind them: "
               "`sync retry ID|--all` sends again, `sync discard ID` drops one (audited)")


@sync_app.command("retry")
def sync_retry(event_id: Optional[str] = typer.Argument(None, metavar="ID", help="A parked event's id "
                                                        "(its first characters are enough)."),
               all_parked: bool = typer.Option(False, "--all", help="Every parked event."),
               db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file.")) -> None:
    """Send parked events again with the next sync (and the events waiting behind them)."""
    from .services.sync import retry_parked

    if (event_id is None) == (not all_parked):
        fail("give one parked event's ID or --all (`pos-customers sync parked` lists them)", 2)
    with _errors():
        n = retry_parked(_services(db), _actor(), event_id, all_parked=all_parked)
    typer.echo(f"{n} event(s) will be sent with the next sync (`pos-customers sync --once`)")


@sync_app.command("discard")
def sync_discard(event_id: str = typer.Argument(..., metavar="ID", help="A parked event's id "
                                                "(its first characters are enough)."),
                 yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
                 db: Optional[str] = typer.Option(None, "--db", metavar="PATH", help="SQLite file.")) -> None:
    """Drop a parked event for good: headquarters never gets that change (audited)."""
    from .services.sync import check_discard, discard_parked, find_parked

    with _errors():
        svc = _services(db)
        actor = _actor()
        check_discard(actor)
        chosen = find_parked(svc, actor, event_id)
        if not yes:
            what = f"{chosen.kind} {chosen.customer}".strip()
            if not typer.confirm(f"Discard {what}? Headquarters will never get this change", default=False):
                fail("nothing discarded", 1)
        done = discard_parked(svc, actor, chosen.id)
    typer.echo(f"discarded {done.kind} {done.event_id[:8]}"
               + (f" and {len(done.also)} event(s) waiting behind it" if done.also else "")
               + ("; the customer now exists on this terminal only" if done.local_only else ""))


# -- headquarters ----------------------------------------------------------------------------------

def _hq(db: Optional[str]):
    from .hq.db import make_engine, upgrade
    from .hq.service import Headquarters

    engine = make_engine(db)
    upgrade(engine)
    return Headquarters(engine)


_HQ_DB = typer.Option(None, "--db", metavar="URL",
                      help="postgresql://... or a SQLite path (default: $POS_CUSTOMERS_HQ_DB, then hq.db "
                           "in the user data folder).")


@hq_app.command("serve")
def hq_serve(db: Optional[str] = _HQ_DB,
             host: str = typer.Option("127.0.0.1", "--host"),
             port: int = typer.Option(8750, "--port"),
             smtp: Optional[str] = typer.Option(None, "--smtp", metavar="HOST[:PORT]",
                                                help="Send mail through this SMTP server (default: .eml files)."),
             smtp_starttls: bool = typer.Option(False, "--smtp-starttls"),
             smtp_user: str = typer.Option("", "--smtp-user", envvar="POS_CUSTOMERS_SMTP_USER"),
             smtp_password: str = typer.Option("", "--smtp-password", envvar="POS_CUSTOMERS_SMTP_PASSWORD"),
             mail_folder: Optional[Path] = typer.Option(None, "--mail-folder",
                                                        help="Where .eml files go without --smtp."),
             mail_from: str = typer.Option("no-reply@pos-customers.invalid", "--mail-from"),
             reset_url: Optional[str] = typer.Option(None, "--reset-url",
                                                     help="The page password links open (default: this "
                                                          "server's /reset)."),
             reset_hours: float = typer.Option(2.0, "--reset-hours", min=0.1, max=72.0,
                                               help="How long a password link works.")) -> None:
    """Run headquarters (HTTP). The OpenAPI document is at /docs and /openapi.json."""
    from datetime import timedelta

    import uvicorn

    from .hq.api import create_app
    from .hq.mailer import mailer_from

    hq = _hq(db)
    hq.mailer = mailer_from(smtp, folder=mail_folder, starttls=smtp_starttls, user=smtp_user,
                            password=smtp_password)
    hq.mail_from, hq.reset_ttl = mail_from, timedelta(hours=reset_hours)
    hq.reset_url = reset_url or f"http://{host}:{port}/reset"
    typer.echo(f"headquarters on http://{host}:{port} ({hq.engine.url.render_as_string(hide_password=True)})",
               err=True)
    uvicorn.run(create_app(hq.engine, hq), host=host, port=port, log_level="warning")


@hq_app.command("add-store")
def hq_add_store(code: str = typer.Argument(..., help="Store code, e.g. BER01."),
                 name: str = typer.Option(..., "--name"),
                 number: Optional[int] = typer.Option(None, "--number", help="1-8191 (default: next free)."),
                 country: str = typer.Option("DE", "--country"),
                 currency: str = typer.Option("EUR", "--currency"),
                 language: str = typer.Option("de", "--language"),
                 region: str = typer.Option("", "--region"),
                 scope: str = typer.Option("own", "--scope", help="Customers its terminals pull: own, region, all."),
                 db: Optional[str] = _HQ_DB) -> None:
    """Register a store and print a one-time enrolment token for its terminal."""
    from .hq.service import HqError

    try:
        token = _hq(db).add_store(code, name, number=number, country=country, currency=currency,
                                  language=language, region=region, scope=scope)
    except HqError as exc:
        fail(str(exc), 2)
    typer.echo(token)


@hq_app.command("token")
def hq_token(code: str = typer.Argument(..., help="Store code."), db: Optional[str] = _HQ_DB) -> None:
    """A new one-time enrolment token for another terminal of a store (valid 24 hours)."""
    from .hq.service import HqError

    try:
        typer.echo(_hq(db).issue_token(code))
    except HqError as exc:
        fail(str(exc), 2)


@hq_app.command("set-scope")
def hq_set_scope(code: str = typer.Argument(..., help="Store code."),
                 scope: str = typer.Argument(..., help="own, region or all"),
                 db: Optional[str] = _HQ_DB) -> None:
    """Which customers a store's terminals receive: its own, its region's, or every store's."""
    from .hq.service import HqError

    try:
        _hq(db).set_scope(code, scope)
    except HqError as exc:
        fail(str(exc), 2)
    typer.echo(f"store {code.upper()} now pulls: {scope}")


@hq_app.command("demo")
def hq_demo(customers: int = typer.Option(10_000, "--customers", min=10, max=1_000_000),
            port: int = typer.Option(8750, "--port"),
            db: Optional[str] = typer.Option(None, "--db", metavar="URL", help="HQ database (default: "
                                             "demo-hq.db in the user data folder)."),
            terminal_db: Optional[str] = typer.Option(None, "--terminal-db", metavar="PATH",
                                                      help="The demo terminal's SQLite file."),
            serve_only: bool = typer.Option(False, "--serve-only", help="Set up and serve; no app.")) -> None:
    """The demo store connected to a demo headquarters: other stores' customers (F5), order
    history (Orders tab), sync state (F8). Headquarters runs on loopback while the app is open."""
    import threading
    import time as _time

    import uvicorn

    from .hq.api import create_app

    folder = demo_db_path().parent
    hq = _hq(db or str(folder / "demo-hq.db"))
    path = Path(terminal_db or folder / "demo-connected.db").expanduser()
    url = f"http://127.0.0.1:{port}"

    def progress(done: int, total: int) -> None:
        typer.echo(f"\r  {done:,} / {total:,} customers", err=True, nl=done == total)

    with _errors():
        svc = connected_demo(hq, path, customers, url, progress=progress, say=lambda m: typer.echo(m, err=True))
    server = uvicorn.Server(uvicorn.Config(create_app(hq.engine, hq), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="demo-hq", daemon=True)
    thread.start()
    for _ in range(100):
        if server.started or not thread.is_alive():
            break
        _time.sleep(0.05)
    if not server.started:
        fail(f"headquarters could not listen on 127.0.0.1:{port} (in use?): try --port")
    typer.echo(f"demo headquarters on {url}; terminal {path}", err=True)
    if serve_only:
        thread.join()
        return
    try:
        _run_app(svc, demo=True)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def connected_demo(hq, path: Path, customers: int, url: str, *, progress=None, say=lambda m: None):
    """The demo terminal at ``path`` connected to the demo headquarters ``hq`` (set up once):
    every demo customer at headquarters with an order history, the other stores' customers only
    there. Returns the terminal's services."""
    import time as _time

    from .hq.demo import orders_for
    from .services.demo import DEMO_STORE, export_for_hq, keep_home_store_only, seed_demo
    from .services.reference_data import demo_stores
    from .services.sync import connect
    from .storage.engine import Database

    svc = seed_demo(Database(path), customers, progress=progress)
    if svc.settings().get("hq_credential"):
        connect(svc, _actor(), url=url)
        return svc
    stores = demo_stores()
    known = {st["code"] for st in hq.stores()}
    for st in stores:
        if st.code not in known:
            hq.add_store(st.code, st.name, number=st.number, country=st.country, currency=st.currency,
                         language=st.language, region=st.region)
    say("  headquarters: loading the demo customers and their orders")
    docs = export_for_hq(svc, f"{int(_time.time() * 1000):013d}-00000-demo")
    hq.import_customers(docs)
    codes = [st.code for st in stores]
    hq.put_records(o for d in docs for o in orders_for(d["id"], d["fields"].get("currency") or "EUR", codes))
    removed = keep_home_store_only(svc)
    say(f"  {removed:,} customers of other stores live only at headquarters now (F5 finds them)")
    terminal_id, credential, _, number = hq.enrol(hq.issue_token(DEMO_STORE), "demo terminal")
    connect(svc, _actor(), url=url, credential=credential, terminal_id=terminal_id, cursor=hq.current_seq(),
            terminal_number=number)
    return svc


@hq_app.command("stores")
def hq_stores(db: Optional[str] = _HQ_DB) -> None:
    """The stores headquarters knows."""
    for st in _hq(db).stores():
        typer.echo(f"{st['code']:<10} {st['number']:>5}  {st['name']:<30} {st['country']}  scope={st['scope']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
