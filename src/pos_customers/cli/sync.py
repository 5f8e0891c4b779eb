"""`sync …`: send this terminal's changes to headquarters, fetch theirs, parked events."""

from __future__ import annotations

import json
from typing import Optional

import typer

from ..domain.formats import datetime_text
from .common import (
    DB_OPTION,
    _actor,
    _errors,
    _services,
    fail,
    sync_app,
    say,
)


@sync_app.callback()
def sync_main(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One round (push, then pull) and exit."),
    every: float = typer.Option(15.0, "--every", min=1.0, help="Seconds between rounds."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """Push the outbox and pull headquarters' changes; repeat until interrupted (or --once)."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from ..services.sync import HqRefused, HqUnavailable, NotConnected, sync_now

    svc = _services(db)
    settings = None if once else _backup_settings()
    while True:
        try:
            r = sync_now(svc, _actor())
            say(f"pushed {r.pushed}, pulled {r.pulled}, conflicts {r.conflicts}"
                       + (f", parked {r.parked} (refused by headquarters: `pos-customers sync parked`)"
                          if r.parked else ""))
        except NotConnected as exc:
            fail(str(exc))
        except (HqUnavailable, HqRefused) as exc:
            if once:
                fail(str(exc))
            say(f"will retry: {exc}", err=True)
        if once:
            return
        _rolling_backup(svc, settings)
        time.sleep(every)


def _backup_settings():
    """config.toml [backup], as the app reads it: a running `sync` keeps the rolling backups too."""
    from ..services.backup import load_backup_settings

    try:
        return load_backup_settings()
    except ValueError as exc:
        fail(f"config: {exc}", 2)


def _rolling_backup(svc, settings) -> None:
    import sqlite3

    from ..services.backup import BackupFailed, rolling_backup

    try:
        done = rolling_backup(svc, settings)
    except (BackupFailed, OSError, sqlite3.Error) as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        return
    if done is not None:
        typer.echo(f"backup {done.path}" + (f" ({len(done.removed)} older removed)" if done.removed else ""))


@sync_app.command("status")
def sync_status(db: Optional[str] = DB_OPTION,
                as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Headquarters, outbox depth, last push and pull, last error (for support over SSH)."""
    from dataclasses import asdict

    from ..services.sync import status

    with _errors():
        st = status(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps(asdict(st), default=str, indent=2))
        return
    if not st.enrolled:
        say("standalone: this till is not connected to headquarters (`pos-customers init --hq URL "
            "--token T` enrols it; what it made meanwhile is sent with the first sync)")
        return
    say(f"headquarters  {st.hq_url}")
    say(f"outbox        {st.outbox} event(s) waiting"
               + (f", oldest {datetime_text(st.oldest_pending)}" if st.oldest_pending else ""))
    say(f"last push     {datetime_text(st.last_push_at) or 'never'}")
    say(f"last pull     {datetime_text(st.last_pull_at) or 'never'} (cursor {st.cursor})")
    say(f"conflicts     {st.conflicts}")
    say(f"parked        {st.parked}" + (" refused by headquarters" if st.parked else "")
               + (f", {st.waiting} waiting behind them" if st.waiting else ""))
    if st.parked:
        from ..services.sync import parked_events

        with _errors():
            for p in parked_events(_services(db), _actor(), waiting=False):
                say(f"  {p.id[:8]}  {_refusal(p)}")
        say("              `pos-customers sync parked` lists them; "
                   "`sync retry ID|--all`, `sync discard ID`")
    if st.last_error:
        say(f"last error    {st.last_error} ({st.last_error_at})")
    if st.audit_problem:
        say(f"AUDIT         {st.audit_problem}")


def _refusal(p) -> str:
    """One parked event's refusal in one line: status, reason, field."""
    return (f"{p.status or ''} {p.reason}".strip() + (f" [{p.field}]" if p.field else ""))[:200]


@sync_app.command("parked")
def sync_parked(db: Optional[str] = DB_OPTION,
                as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Events headquarters refused (parked), and the events waiting behind them."""
    from dataclasses import asdict

    from ..services.sync import parked_events

    with _errors():
        rows = parked_events(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
        return
    if not rows:
        say("no parked events")
        return
    for r in rows:
        when = datetime_text(r.at) if r.at else "waiting"
        say(f"{r.id[:8]}  {when:<16}  {r.kind:<20} {(r.customer or '-')[:30]:<30}"
                   f"  tries {r.attempts}  {_refusal(r)}")
    parked = sum(r.parked for r in rows)
    say(f"{parked} parked, {len(rows) - parked} waiting behind them: "
               "`sync retry ID|--all` sends again, `sync discard ID` drops one (audited)")


@sync_app.command("retry")
def sync_retry(event_id: Optional[str] = typer.Argument(None, metavar="ID", help="A parked event's id "
                                                        "(its first characters are enough)."),
               all_parked: bool = typer.Option(False, "--all", help="Every parked event."),
               db: Optional[str] = DB_OPTION) -> None:
    """Send parked events again with the next sync (and the events waiting behind them)."""
    from ..services.sync import retry_parked

    if (event_id is None) == (not all_parked):
        fail("give one parked event's ID or --all (`pos-customers sync parked` lists them)", 2)
    with _errors():
        n = retry_parked(_services(db), _actor(), event_id, all_parked=all_parked)
    say(f"{n} event(s) will be sent with the next sync (`pos-customers sync --once`)")


@sync_app.command("discard")
def sync_discard(event_id: str = typer.Argument(..., metavar="ID", help="A parked event's id "
                                                "(its first characters are enough)."),
                 yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
                 db: Optional[str] = DB_OPTION) -> None:
    """Drop a parked event for good: headquarters never gets that change (audited)."""
    from ..services.sync import check_discard, discard_parked, find_parked

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
    say(f"discarded {done.kind} {done.event_id[:8]}"
               + (f" and {len(done.also)} event(s) waiting behind it" if done.also else "")
               + ("; the customer now exists on this terminal only" if done.local_only else ""))


@sync_app.command("merge-account")
def sync_merge_account(event_id: str = typer.Argument(..., metavar="ID", help="A parked event's id "
                                                      "(its first characters are enough)."),
                       db: Optional[str] = DB_OPTION) -> None:
    """A new customer refused because a registered account holds its email: merge it into that
    account (its details and notes join the account; it is removed from this terminal; audited)."""
    from ..services.account_scope import merge_into_account
    from ..services.sync import HqRefused, HqUnavailable, NotConnected

    with _errors():
        try:
            done = merge_into_account(_services(db), _actor(), event_id)
        except (HqUnavailable, HqRefused, NotConnected) as exc:  # the account is brought here first
            fail(f"the account that holds the email is not on this terminal and headquarters could not send it "
                 f"({exc}): try again once headquarters answers", 1)
    say(f"{done.removed_reference} merged into {done.account.reference_display} {done.account.display_name}"
        f" ({done.notes_moved} note(s) moved): it goes with the next sync")


@sync_app.command("change-email")
def sync_change_email(event_id: str = typer.Argument(..., metavar="ID", help="A parked event's id "
                                                     "(its first characters are enough)."),
                      email: str = typer.Argument(..., help="The customer's new email."),
                      db: Optional[str] = DB_OPTION) -> None:
    """A customer refused because a registered account holds its email: give it another email and
    send the refused change again (audited)."""
    from ..services.account_scope import change_account_email

    with _errors():
        done = change_account_email(_services(db), _actor(), event_id, email)
    say(f"{done.reference_display} {done.display_name} now has {email.strip()}: it goes with the next sync")
