"""`hq …`: run and administer headquarters."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer
from ..domain.i18n import N_, _, ngettext, tr

from ..domain.formats import date_text, datetime_text, number_text
from ..hq.admission import DEFAULT_MAX_IN_FLIGHT
from ..paths import HQ_DB_ENV, default_hq_db_path, demo_db_path, hq_db_path, hq_demo_notice
from .common import (
    _actor,
    _errors,
    _run_app,
    fail,
    hq_app,
    say,
)

# -- headquarters ----------------------------------------------------------------------------------

def _hq(db: Optional[str], *, create: bool = True, migrate: bool = True, pool_size: Optional[int] = None):
    """Headquarters from --db, $POS_CUSTOMERS_HQ_DB or the user data folder (the demo's
    demo-hq.db when there is no hq.db, said on stderr). ``create=False``: a command that only
    reads or changes what is there refuses to make an empty hq.db."""
    from ..domain import i18n
    from ..domain.formats import set_format_locale
    from ..hq.db import make_engine, upgrade
    from ..hq.service import Headquarters

    set_format_locale(i18n.language())  # dates and numbers as the reader's language writes them
    url, is_demo = hq_db_path(db)
    if is_demo:
        typer.echo(tr(hq_demo_notice(url)), err=True)
    elif url is None and not create and not os.environ.get(HQ_DB_ENV) and not default_hq_db_path().exists():
        fail(_("no headquarters database at {path}: `pos-customers hq add-store CODE --name NAME` makes one "
               "(or give --db URL, or `pos-customers hq demo` for the demo's)").format(path=default_hq_db_path()), 1)
    engine = make_engine(url, pool_size=pool_size)
    if migrate:
        upgrade(engine)
    return Headquarters(engine)


_HQ_DB = typer.Option(None, "--db", metavar="URL",
                      help=N_("postgresql://... or a SQLite path (default: $POS_CUSTOMERS_HQ_DB, then hq.db "
                           "in the user data folder, or the demo's demo-hq.db there while no hq.db exists)."))


@hq_app.command("serve",
                help=N_("Run headquarters (HTTP). The OpenAPI document is at /docs and /openapi.json."))
def hq_serve(db: Optional[str] = _HQ_DB,
             host: str = typer.Option("127.0.0.1", "--host"),
             port: int = typer.Option(8750, "--port"),
             smtp: Optional[str] = typer.Option(None, "--smtp", metavar="HOST[:PORT]",
                                                help=N_("Send mail through this SMTP server (default: .eml files).")),
             smtp_starttls: bool = typer.Option(False, "--smtp-starttls"),
             smtp_user: str = typer.Option("", "--smtp-user", envvar="POS_CUSTOMERS_SMTP_USER"),
             smtp_password: str = typer.Option("", "--smtp-password", envvar="POS_CUSTOMERS_SMTP_PASSWORD"),
             mail_folder: Optional[Path] = typer.Option(None, "--mail-folder",
                                                        help=N_("Where .eml files go without --smtp.")),
             mail_from: str = typer.Option("no-reply@pos-customers.invalid", "--mail-from"),
             reset_url: Optional[str] = typer.Option(None, "--reset-url",
                                                     help=N_("The page password links open (default: this "
                                                          "server's /reset).")),
             reset_hours: float = typer.Option(2.0, "--reset-hours", min=0.1, max=72.0,
                                               help=N_("How long a password link works.")),
             segments_every: float = typer.Option(24.0, "--segments-every", min=0.0, max=24 * 31, metavar="HOURS",
                                                  help=N_("Evaluate every customer segment again this often "
                                                       "(0: only `hq segments refresh`).")),
             session_minutes: int = typer.Option(60, "--session-minutes", min=1, max=7 * 24 * 60,
                                                 envvar="POS_CUSTOMERS_HQ_SESSION_MINUTES",
                                                 help=N_("Customer session lifetime: how long an online session "
                                                      "stays open after its last use.")),
             workers: Optional[int] = typer.Option(None, "--workers", min=1, max=64,
                                                   help=N_("Worker processes (default: one per CPU core on "
                                                        "PostgreSQL, 1 on SQLite).")),
             max_in_flight: int = typer.Option(DEFAULT_MAX_IN_FLIGHT, "--max-in-flight", min=1, max=10_000,
                                               help=N_("Requests one worker serves at once; the next are "
                                                    "answered 429 with Retry-After."))) -> None:
    import threading

    import uvicorn

    options = dict(db=db, host=host, port=port, smtp=smtp, smtp_starttls=smtp_starttls, smtp_user=smtp_user,
                   smtp_password=smtp_password, mail_folder=str(mail_folder) if mail_folder else None,
                   mail_from=mail_from, reset_url=reset_url, reset_hours=reset_hours,
                   session_minutes=session_minutes, max_in_flight=max_in_flight)
    hq, app = serve_app(**{**options, "mail_folder": mail_folder})
    postgres = hq.engine.dialect.name == "postgresql"
    workers = workers or (default_workers() if postgres else 1)
    typer.echo(_("headquarters on {url} ({database})").format(
        url=f"http://{host}:{port}", database=hq.engine.url.render_as_string(hide_password=True))
        + " · " + ngettext("{n} worker", "{n} workers", workers).format(n=workers), err=True)
    stop = threading.Event()
    if segments_every > 0:
        threading.Thread(target=_refresh_segments_every, args=(hq, segments_every * 3600, stop),
                         name="segments", daemon=True).start()
    try:
        if workers == 1:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        else:
            # each worker process builds the same app (worker_app) from these options; the database
            # was brought to the current revision above, once
            os.environ[SERVE_ENV] = json.dumps({**options, "workers": workers})
            uvicorn.run("pos_customers.cli.hq:worker_app", factory=True, workers=workers, host=host,
                        port=port, log_level="warning")
    finally:
        stop.set()


SERVE_ENV = "POS_CUSTOMERS_HQ_SERVE"  # `hq serve --workers N`: the options each worker builds its app from


def default_workers() -> int:
    """One worker process per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_app():
    """One worker of `hq serve --workers N`: headquarters and its app as the options in
    $POS_CUSTOMERS_HQ_SERVE say, with this worker's share of PostgreSQL connections."""
    from ..hq.db import pool_per_worker

    options = json.loads(os.environ[SERVE_ENV])
    workers = options.pop("workers")
    folder = options.pop("mail_folder")
    return serve_app(**options, mail_folder=Path(folder) if folder else None, migrate=False,
                     pool_size=pool_per_worker(workers))[1]


def _refresh_segments_every(hq, seconds: float, stop) -> None:
    """`hq serve`'s own `hq segments refresh`, every ``seconds`` (rules with a time window move by
    themselves); a failure is logged and tried again next time."""
    import logging

    log = logging.getLogger("pos_customers.hq.segments")
    while not stop.wait(seconds):
        try:
            counts = hq.refresh_segments()
            log.info("segments evaluated again: %s", counts)
        except Exception:  # noqa: BLE001 - the server goes on; the next round tries again
            log.exception("evaluating the segments failed")


def serve_app(db: Optional[str], *, host: str = "127.0.0.1", port: int = 8750, smtp: Optional[str] = None,
              smtp_starttls: bool = False, smtp_user: str = "", smtp_password: str = "",
              mail_folder: Optional[Path] = None, mail_from: str = "no-reply@pos-customers.invalid",
              reset_url: Optional[str] = None, reset_hours: float = 2.0, session_minutes: int = 60,
              max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, migrate: bool = True, pool_size: Optional[int] = None):
    """Headquarters and its HTTP app as `hq serve` runs them (the tests serve the same app in a
    thread). Returns ``(hq, app)``."""
    from datetime import timedelta

    from ..hq.api import create_app
    from ..hq.mailer import mailer_from

    hq = _hq(db, migrate=migrate, pool_size=pool_size)
    hq.mailer = mailer_from(smtp, folder=mail_folder, starttls=smtp_starttls, user=smtp_user,
                            password=smtp_password)
    hq.mail_from, hq.reset_ttl = mail_from, timedelta(hours=reset_hours)
    hq.reset_url = reset_url or f"http://{host}:{port}/reset"
    hq.session_lifetime = timedelta(minutes=session_minutes)  # seed 002 "Customer Session Lifetime"
    return hq, create_app(hq.engine, hq, max_in_flight=max_in_flight)


@hq_app.command("add-store", help=N_("Register a store and print a one-time enrolment token for its terminal."))
def hq_add_store(code: str = typer.Argument(..., help=N_("Store code, e.g. BER01.")),
                 name: str = typer.Option(..., "--name"),
                 number: Optional[int] = typer.Option(None, "--number", help=N_("1-8191 (default: next free).")),
                 country: str = typer.Option("DE", "--country"),
                 currency: str = typer.Option("EUR", "--currency"),
                 language: str = typer.Option("de", "--language"),
                 region: str = typer.Option("", "--region"),
                 scope: str = typer.Option("own", "--scope", help=N_("Customers its terminals pull: own, region, all.")),
                 db: Optional[str] = _HQ_DB) -> None:
    from ..hq.service import HqError

    try:
        token = _hq(db).add_store(code, name, number=number, country=country, currency=currency,
                                  language=language, region=region, scope=scope)
    except HqError as exc:
        fail(tr(exc), hq_exit_code(exc))
    typer.echo(token)


@hq_app.command("token",
                help=N_("A new one-time enrolment token for another terminal of a store (valid 24 hours)."))
def hq_token(code: str = typer.Argument(..., help=N_("Store code.")), db: Optional[str] = _HQ_DB) -> None:
    from ..hq.service import HqError

    try:
        typer.echo(_hq(db, create=False).issue_token(code))
    except HqError as exc:
        fail(tr(exc), hq_exit_code(exc))


@hq_app.command("set-scope",
                help=N_("Which customers a store's terminals receive: its own, its region's, or every "
                        "store's."))
def hq_set_scope(code: str = typer.Argument(..., help=N_("Store code.")),
                 scope: str = typer.Argument(..., help=N_("own, region or all")),
                 db: Optional[str] = _HQ_DB) -> None:
    from ..hq.service import HqError

    try:
        _hq(db, create=False).set_scope(code, scope)
    except HqError as exc:
        fail(tr(exc), hq_exit_code(exc))
    typer.echo(_("store {code} now pulls: {scope}").format(code=code.upper(), scope=scope))


# -- the chain's support accounts ------------------------------------------------------------------

support_app = typer.Typer(help=N_("The chain's support staff: they sign in at every store's terminal."),
                          no_args_is_help=True)
hq_app.add_typer(support_app, name="support")

_PIN_STDIN = typer.Option(False, "--pin-stdin", help=N_("Read the PIN from the first line of standard input "
                                                     "(for scripts; without it the PIN is asked twice)."))


def _stdin_is_tty() -> bool:
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


def _read_pin(from_stdin: bool) -> str:
    """The new PIN: typed twice at a terminal (hidden), or one line of standard input."""
    import sys

    if from_stdin:
        return (sys.stdin.readline() if sys.stdin else "").rstrip("\r\n")
    if not _stdin_is_tty():
        fail(_("no terminal to ask for the PIN: pass --pin-stdin and give the PIN on standard input"), 2)
    return typer.prompt(_("PIN (4-12 digits)"), hide_input=True, confirmation_prompt=_("PIN again"))


def hq_exit_code(exc) -> int:
    """The exit code of a refusal by headquarters, as every command of the terminal exits (README,
    "Exit codes"): 2 bad input, 3 not allowed, 1 not found or in conflict with what is there."""
    return {400: 2, 422: 2, 401: 3, 403: 3}.get(exc.status, 1)


def _hq_run(db: Optional[str], call, *, create: bool = False):
    from ..hq.service import HqError

    hq = _hq(db, create=create)
    try:
        return call(hq)
    except HqError as exc:
        fail(tr(exc), hq_exit_code(exc))


@support_app.command("add",
                     help=N_("Add a support account; every store's terminals receive it with their next sync."))
def hq_support_add(number: str = typer.Argument(..., help=N_("S and 1-15 digits, e.g. S100.")),
                   name: str = typer.Option(..., "--name"),
                   pin_stdin: bool = _PIN_STDIN,
                   db: Optional[str] = _HQ_DB) -> None:
    pin = _read_pin(pin_stdin)
    view = _hq_run(db, lambda hq: hq.add_support(number, name, pin, by=_actor().name), create=True)
    say(_("support account {number} ({name}) added: it reaches every store with its next sync")
        .format(number=view.number, name=view.name))


@support_app.command("list", help=N_("Every support account, removed ones too."))
def hq_support_list(db: Optional[str] = _HQ_DB) -> None:
    accounts = _hq_run(db, lambda hq: hq.support_accounts())
    if not accounts:
        say(_("no support accounts (add one: pos-customers hq support add S100 --name NAME)"))
    for a in accounts:
        state = _("removed {day}").format(day=date_text(a.removed_at)) if a.removed_at else _("active")
        say(f"{a.number:<17} {a.name:<40} {state:<18} " + _("added {day}").format(day=date_text(a.created_at)))


@support_app.command("remove",
                     help=N_("Remove a support account: every store's terminals deactivate it with their next "
                             "sync."))
def hq_support_remove(number: str = typer.Argument(..., help=N_("The support account's number.")),
                      db: Optional[str] = _HQ_DB) -> None:
    view = _hq_run(db, lambda hq: hq.remove_support(number, by=_actor().name))
    say(_("support account {number} ({name}) removed: every store deactivates it with its next sync")
        .format(number=view.number, name=view.name))


@support_app.command("reset",
                     help=N_("A new PIN for a support account; it also ends a lockout on every till (next sync)."))
def hq_support_reset(number: str = typer.Argument(..., help=N_("The support account's number.")),
                     pin_stdin: bool = _PIN_STDIN,
                     db: Optional[str] = _HQ_DB) -> None:
    pin = _read_pin(pin_stdin)
    view = _hq_run(db, lambda hq: hq.reset_support(number, pin, by=_actor().name))
    say(_("support account {number} ({name}): new PIN set; every store takes it with its next sync")
        .format(number=view.number, name=view.name))


# -- customer segments -----------------------------------------------------------------------------

segments_app = typer.Typer(help=N_("Customer segments: rules over customer data and order history (the rule "
                                "format: README, Customer segments)."), no_args_is_help=True)
hq_app.add_typer(segments_app, name="segments")


def _rule_text(rule: Optional[str], rule_file: Optional[str]) -> str:
    import sys

    if (rule is None) == (rule_file is None):
        fail(_("give the rule as --rule JSON or --rule-file FILE (- for standard input)"), 2)
    if rule is not None:
        return rule
    if rule_file == "-":
        return sys.stdin.read() if sys.stdin else ""
    try:
        return Path(rule_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(_("could not read the rule from {file}: {reason}").format(file=rule_file, reason=exc.strerror or exc), 2)
    return ""


@segments_app.command("add",
                      help=N_("Define a segment (or change one with --replace) and evaluate it at once."))
def hq_segments_add(code: str = typer.Argument(..., help=N_("Lower-case letters, digits, - and _: what seg:CODE names.")),
                    name: str = typer.Option(..., "--name"),
                    rule: Optional[str] = typer.Option(None, "--rule", metavar="JSON", help=N_("The rule as JSON.")),
                    rule_file: Optional[str] = typer.Option(None, "--rule-file", metavar="FILE",
                                                            help=N_("Read the rule from a file (- standard input).")),
                    replace: bool = typer.Option(False, "--replace", help=N_("Change an existing segment.")),
                    db: Optional[str] = _HQ_DB) -> None:
    text = _rule_text(rule, rule_file)
    view = _hq_run(db, lambda hq: hq.add_segment(code, name, text, replace=replace, by=_actor().name),
                   create=True)
    say(_("segment {code} ({name}): {n} customer(s); every till receives it with its next sync")
        .format(code=view.code, name=view.name, n=f"{view.members:,}"))


@segments_app.command("list", help=N_("Every segment: code, members as last evaluated, when, name."))
def hq_segments_list(db: Optional[str] = _HQ_DB) -> None:
    views = _hq_run(db, lambda hq: hq.segments())
    if not views:
        say(_("no segments (add one: pos-customers hq segments add vip --name VIP --rule '{...}')"))
    for v in views:
        when = datetime_text(v.evaluated_at) if v.evaluated_at else _("never")
        say(f"{v.code:<20} {number_text(v.members):>9}  " + _("evaluated {when}").format(when=f"{when:<16}")
            + f"  {v.name}")


@segments_app.command("show", help=N_("One segment: its name, members as last evaluated, and its rule (JSON)."))
def hq_segments_show(code: str = typer.Argument(...), db: Optional[str] = _HQ_DB) -> None:
    import json

    v = _hq_run(db, lambda hq: hq.segment(code))
    when = datetime_text(v.evaluated_at) if v.evaluated_at else _("never")
    say("\n".join((_("segment {code}: {name}").format(code=v.code, name=v.name),
                   _("members: {n} (evaluated {when})").format(n=number_text(v.members), when=when),
                   _("rule:"))), multiline=True)
    say(json.dumps(json.loads(v.rule_text), indent=2, ensure_ascii=False), multiline=True)


@segments_app.command("remove",
                      help=N_("Remove a segment: its members lose it on every till with the next sync."))
def hq_segments_remove(code: str = typer.Argument(...), db: Optional[str] = _HQ_DB) -> None:
    v = _hq_run(db, lambda hq: hq.remove_segment(code, by=_actor().name))
    say(_("segment {code} ({name}) removed").format(code=v.code, name=v.name))


@segments_app.command("refresh",
                      help=N_("Evaluate segments again (rules such as \"registered in the last 30 days\" move with "
                              "time: run it daily); the tills receive the changed memberships with their next sync."))
def hq_segments_refresh(codes: Optional[list[str]] = typer.Argument(None, help=N_("Segments (default: all).")),
                        db: Optional[str] = _HQ_DB) -> None:
    counts = _hq_run(db, lambda hq: hq.refresh_segments(codes or None))
    for code, members in sorted(counts.items()):
        say(f"{code:<20} {members:>9,}")


@segments_app.command("report",
                      help=N_("How many customers the segment holds now (its rule evaluated afresh); --csv exports "
                              "them."))
def hq_segments_report(code: str = typer.Argument(...),
                       csv_file: Optional[Path] = typer.Option(None, "--csv", metavar="FILE",
                                                               help=N_("Export the members (reference, name, "
                                                                    "email) as CSV, readable by you only.")),
                       db: Optional[str] = _HQ_DB) -> None:
    import csv

    from ..domain.reference import format_reference
    from ..hq.segments import REPORT_COLUMNS
    from ..paths import private_file

    count, rows = _hq_run(db, lambda hq: hq.segment_report(code, members=csv_file is not None))
    if csv_file is not None:
        try:
            part = private_file(csv_file.with_name(csv_file.name + ".part"))
            with open(part, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(REPORT_COLUMNS)
                writer.writerows((format_reference(r), name, email) for r, name, email in rows)
            part.replace(csv_file)
        except OSError as exc:
            fail(_("could not write {file}: {reason}").format(file=csv_file, reason=exc.strerror or exc), 1)
        say(_("segment {code}: {n} customer(s), written to {file}")
            .format(code=code.casefold(), n=f"{count:,}", file=csv_file))
    else:
        say(_("segment {code}: {n} customer(s)").format(code=code.casefold(), n=f"{count:,}"))


@hq_app.command("demo",
                help=N_("The demo store connected to a demo headquarters: other stores' customers (F5), "
                        "order history (Orders tab), sync state (F8). Headquarters runs on loopback while "
                        "the app is open."))
def hq_demo(customers: int = typer.Option(10_000, "--customers", min=10, max=1_000_000),
            port: int = typer.Option(8750, "--port"),
            db: Optional[str] = typer.Option(None, "--db", metavar="URL", help=N_("HQ database (default: "
                                             "demo-hq.db in the user data folder).")),
            terminal_db: Optional[str] = typer.Option(None, "--terminal-db", metavar="PATH",
                                                      help=N_("The demo terminal's SQLite file.")),
            serve_only: bool = typer.Option(False, "--serve-only", help=N_("Set up and serve; no app."))) -> None:
    import signal
    import threading
    import time as _time

    import uvicorn

    from ..hq.api import create_app
    from ..hq.db import close
    from ..logs import log_file, uvicorn_config

    folder = demo_db_path().parent
    hq_db = db or str(folder / "demo-hq.db")
    hq = _hq(hq_db)
    path = Path(terminal_db or folder / "demo-connected.db").expanduser()
    url = f"http://127.0.0.1:{port}"

    def progress(done: int, total: int) -> None:
        typer.echo("\r  " + _("{done} / {total} customers").format(done=f"{done:,}", total=f"{total:,}"),
                   err=True, nl=done == total)

    def fresh_hq():
        """An empty demo headquarters in place of one left by an unfinished or mismatched run."""
        nonlocal hq
        from sqlalchemy.engine import make_url

        from ..hq.db import resolve_url

        parsed = make_url(resolve_url(hq_db))
        if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
            fail(_("headquarters at {database} already holds customers that do not match the demo till "
                   "{path}: give an empty database with --db").format(database=hq_db, path=path))
        close(hq.engine)
        hq.engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        hq = _hq(hq_db)
        return hq

    with _errors():
        svc = connected_demo(hq, path, customers, url, progress=progress,
                             say=lambda m: typer.echo(m, err=True), fresh_hq=fresh_hq)
    # the server's messages and its access log go to a file: the app has the terminal
    log = log_file("demo-hq.log")
    server = uvicorn.Server(uvicorn.Config(create_app(hq.engine, hq), host="127.0.0.1", port=port,
                                           log_level="info", log_config=uvicorn_config(log)))
    thread = threading.Thread(target=server.run, name="demo-hq", daemon=True)
    thread.start()
    for _attempt in range(100):
        if server.started or not thread.is_alive():
            break
        _time.sleep(0.05)
    if not server.started:
        close(hq.engine)
        fail(_("headquarters could not listen on {address} (in use?): try --port").format(address=f"127.0.0.1:{port}"))
    typer.echo(_("demo headquarters on {url}; terminal {path}; its log {log}").format(url=url, path=path, log=log),
               err=True)
    try:
        if serve_only:
            signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl+C: it closes its file
            while thread.is_alive():
                thread.join(0.5)
        else:
            _run_app(svc, demo=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        close(hq.engine)  # no -wal or -shm left behind


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def connected_demo(hq, path: Path, customers: int, url: str, *, progress=None, say=lambda m: None,
                   fresh_hq=None):
    """The demo terminal at ``path`` connected to the demo headquarters ``hq`` (set up once):
    every demo customer at headquarters with an order history, the other stores' customers only
    there. A later call reuses both when they make a complete demo (the till enrolled at this
    headquarters, headquarters holding the customers); otherwise it builds both again, asking
    ``fresh_hq()`` for an empty headquarters when ``hq`` already holds customers. Returns the
    terminal's services."""
    import time as _time

    from ..hq.demo import seed_customer_data, seed_segments
    from ..services.context import Services
    from ..services.demo import (
        DEMO_STORE,
        export_for_hq,
        export_memberships,
        keep_home_store_only,
        seed_demo,
    )
    from ..services.reference_data import demo_stores
    from ..services.sync import connect
    from ..storage.engine import Database
    from ..storage.migrate import upgrade

    path = Path(path)
    if path.exists():
        if _complete_demo(hq, path, DEMO_STORE):
            db = Database(path)
            upgrade(db)
            svc = Services(db)
            connect(svc, _actor(), url=url)  # only the address: this run's port
            return svc
        if not _demo_file(path):
            fail(_("{path} is not a demo till: give another file with --terminal-db").format(path=path))
        say("  " + _("{path} is not a complete connected demo: building it again").format(path=path))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    if hq.customer_count():
        if fresh_hq is None:
            fail(_("the demo headquarters already holds customers that do not match the demo till "
                   "{path}: remove both files and run again").format(path=path))
        say("  " + _("headquarters holds another demo's customers: building it again"))
        hq = fresh_hq()
    svc = seed_demo(Database(path), customers, progress=progress)
    stores = demo_stores()
    known = {st["code"] for st in hq.stores()}
    for st in stores:
        if st.code not in known:
            hq.add_store(st.code, st.name, number=st.number, country=st.country, currency=st.currency,
                         language=st.language, region=st.region)
    say("  " + _("headquarters: loading the demo customers, their orders, carts and saved payments"))
    docs = export_for_hq(svc, f"{int(_time.time() * 1000):013d}-00000-demo")
    hq.import_customers(docs)
    hq.import_memberships(export_memberships(svc))
    seed_customer_data(hq, docs, {st.code: st.currency for st in stores})  # orders with lines and shipments, carts, saved payments
    from datetime import datetime, timezone

    from ..hq.credit import seed_demo as seed_credit
    held = seed_credit(hq, docs, today=datetime.now(timezone.utc))  # refunds, goodwill, sales, expiry
    say("  " + ngettext("{n} customer holds store credit", "{n} customers hold store credit", held)
        .format(n=f"{held:,}"))
    seed_segments(hq)  # vip (by spend), new, newsletter
    removed = keep_home_store_only(svc)
    say("  " + ngettext("{n} customer of other stores lives only at headquarters now (F5 finds it)",
                        "{n} customers of other stores live only at headquarters now (F5 finds them)", removed)
        .format(n=f"{removed:,}"))
    _segments_to_till(hq, svc)
    say("  " + _("segments vip, new and newsletter defined (`pos-customers hq segments list`)"))
    terminal_id, credential, _store, number = hq.enrol(hq.issue_token(DEMO_STORE), "demo terminal")
    connect(svc, _actor(), url=url, credential=credential, terminal_id=terminal_id, cursor=hq.current_seq(),
            terminal_number=number)
    return svc


def _segments_to_till(hq, svc) -> None:
    """The demo till holds its customers' segments as its pulls would have brought them (it starts
    at headquarters' seq, as it holds its customers already)."""
    from ..storage import segments as held

    with svc.db.snapshot() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM customer")]
    codes = hq.segment_codes(ids)
    with svc.db.write() as s:
        for view in hq.segments():
            held.put_definition(s, view.code, view.name)
        for cid, mine in codes.items():
            held.put_memberships(s, cid, mine)


def _demo_file(path: Path) -> bool:
    """``path`` may be replaced by a new demo: an empty or unfinished file, or one the demo seeded
    (never a real store's till)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "customer" not in tables or not conn.execute("SELECT 1 FROM customer LIMIT 1").fetchone():
                return True
            return "audit_event" in tables and conn.execute(
                "SELECT 1 FROM audit_event WHERE action = 'demo_seeded' LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _complete_demo(hq, path: Path, store: str) -> bool:
    """The till at ``path`` finished a connected demo set-up with ``hq``: it is enrolled there (its
    credential is the last step) and headquarters holds the demo customers."""
    import sqlite3

    from ..hq.errors import Unauthorized

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM setting WHERE key = 'hq_credential'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # not a till's file (or a damaged one): built again
    if not row or not row[0]:
        return False
    try:
        who = hq.authenticate(row[0])
    except Unauthorized:
        return False
    return who.store_code == store and hq.customer_count() > 0


@hq_app.command("stores", help=N_("The stores headquarters knows."))
def hq_stores(db: Optional[str] = _HQ_DB) -> None:
    for st in _hq(db, create=False).stores():
        say(f"{st['code']:<10} {st['number']:>5}  {st['name']:<30} {st['country']}  "
            + _("scope={scope}").format(scope=st['scope']))


# -- store credit and merging customers at headquarters ---------------------------------------------

credit_app = typer.Typer(help=N_("Store credit at headquarters: a customer's balance and movements; a manager "
                                 "adds or corrects credit with a reason (audited, never below zero)."),
                         no_args_is_help=True)
hq_app.add_typer(credit_app, name="credit")

_CUSTOMER = typer.Argument(..., metavar="CUSTOMER", help=N_("The customer's reference (or id)."))
_REASON = typer.Option(..., "--reason", help=N_("Why: kept with the movement and in the audit trail."))
_CURRENCY = typer.Option("", "--currency", metavar="CODE", help=N_("The currency (default: the customer's)."))


def _credit_move(db: Optional[str], customer: str, kind: str, amount: str, reason: str, currency: str) -> None:
    from ..domain.credit import parse_signed, signed
    from ..domain.errors import FieldProblem
    from ..domain.money import format_minor
    from ..hq.credit import correct

    try:
        minor = parse_signed(amount, (currency or "EUR").upper())
    except FieldProblem as exc:
        fail(tr(exc), 2)
    row = _hq_run(db, lambda hq: correct(hq, customer, kind=kind, amount_minor=minor, reason=reason,
                                         currency=currency, by=f"hq:{_actor().name}"))
    say(_("{amount} store credit for {customer}: balance {balance} (audited)").format(
        amount=signed(row.amount_minor, row.currency), customer=customer,
        balance=format_minor(row.balance_minor, row.currency)))


@credit_app.command("add", help=N_("Add store credit to a customer, with a reason (a positive amount)."))
def hq_credit_add(customer: str = _CUSTOMER,
                  amount: str = typer.Option(..., "--amount", help=N_("e.g. 25.00")),
                  reason: str = _REASON, currency: str = _CURRENCY, db: Optional[str] = _HQ_DB) -> None:
    _credit_move(db, customer, "added", amount, reason, currency)


@credit_app.command("correct", help=N_("Correct a customer's store credit either way, with a reason; a correction "
                                       "that would take the balance below zero is refused."))
def hq_credit_correct(customer: str = _CUSTOMER,
                      amount: str = typer.Option(..., "--amount", help=N_("e.g. -5.00 or 10.00")),
                      reason: str = _REASON, currency: str = _CURRENCY, db: Optional[str] = _HQ_DB) -> None:
    _credit_move(db, customer, "corrected", amount, reason, currency)


@credit_app.command("show", help=N_("A customer's store credit: the balance per currency and the newest movements."))
def hq_credit_show(customer: str = _CUSTOMER, db: Optional[str] = _HQ_DB) -> None:
    from ..domain.credit import signed
    from ..domain.money import format_minor
    from ..hq.merge import customer_id_of, survivor

    def read(hq):
        with hq.engine.connect() as conn:
            cid = survivor(conn, customer_id_of(conn, customer))
        return hq.credit_account(None, cid)

    account = _hq_run(db, read)
    if not account.balances:
        say(_("no store credit movements"))
    for b in account.balances:
        say(_("balance {amount}").format(amount=format_minor(b.balance_minor, b.currency)))
    for m in account.movements[:20]:
        say(f"{datetime_text(m.at)}  {m.kind.value:<10} {signed(m.amount_minor, m.currency):>14}  "
            f"{m.reason or '—'} · {m.by or '—'}")


@hq_app.command("merge-customers",
                help=N_("Merge two customers headquarters holds (the same person twice): the second takes "
                        "the first's contacts, addresses, cards, notes, orders and store credit; the first "
                        "becomes a redirect every store's terminals receive with their next sync. Audited."))
def hq_merge_customers(merged: str = typer.Argument(..., metavar="MERGED", help=N_("The customer that goes "
                                                                                  "(reference or id).")),
                       into: str = typer.Argument(..., metavar="INTO", help=N_("The customer that stays.")),
                       db: Optional[str] = _HQ_DB) -> None:
    done = _hq_run(db, lambda hq: hq.merge_customers(merged, into, by=f"hq:{_actor().name}"))
    from ..domain.reference import format_reference
    if done.already:
        say(_("{merged} was merged into {kept} already: nothing changed").format(
            merged=format_reference(done.merged), kept=format_reference(done.kept)))
    else:
        say(_("{merged} merged into {kept}: every store receives it with its next sync").format(
            merged=format_reference(done.merged), kept=format_reference(done.kept)))


# -- chain settings --------------------------------------------------------------------------------

settings_app = typer.Typer(help=N_("Chain settings: kept here, every store's terminals receive them with their next sync."),
                           no_args_is_help=True)
hq_app.add_typer(settings_app, name="settings")


@settings_app.command("show", help=N_("The chain's settings as headquarters holds them."))
def hq_settings_show(db: Optional[str] = _HQ_DB) -> None:
    from ..hq.account_scope import scope_of

    setting = _hq_run(db, scope_of)
    say(f"account-scope  {setting.value.value:<8} "
        + _("(one registered account per email: shared = no limit, chain, region or store)"))


def shared_line(key: str, email: str, refs: list[str]) -> str:
    """One address several registered accounts held before the scope was set, the references as
    a person reads them (as the app prints them)."""
    from ..domain.reference import format_reference

    return _("already shared in {key}: {email} by {references} (the first keeps it; merge or change "
             "the others' email)").format(key=key, email=email, references=", ".join(map(format_reference, refs)))


@settings_app.command("set",
                      help=N_("Change a chain setting. account-scope: how many registered accounts may share one "
                              "email: shared (no limit, the default), chain (one in the whole chain), region (one "
                              "per region: the store's --region, else its country) or store (one per store)."))
def hq_settings_set(name: str = typer.Argument(..., help=N_("account-scope")),
                    value: str = typer.Argument(..., help=N_("shared, chain, region or store")),
                    db: Optional[str] = _HQ_DB) -> None:
    from ..hq.account_scope import set_scope

    if name.strip().lower().replace("_", "-") != "account-scope":
        fail(_("no chain setting {name}: the settings are account-scope").format(name=repr(name)), 2)
    done = _hq_run(db, lambda hq: set_scope(hq, value, by=_actor().name))
    say(_("account-scope: {before} -> {after}; {n} address(es) of registered accounts claimed; every store "
          "receives it with its next sync").format(before=done.before.value, after=done.after.value, n=done.claims))
    for key, email, refs in done.shared[:50]:
        say("  " + shared_line(key, email, refs))
    if len(done.shared) > 50:
        say("  " + _("… and {n} more").format(n=len(done.shared) - 50))
