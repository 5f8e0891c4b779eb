"""`sync …`: send this terminal's changes to headquarters, fetch theirs, parked events."""

from __future__ import annotations

import json
from typing import Optional

import typer
from ..domain.i18n import N_, _, ngettext, tr

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
    once: bool = typer.Option(False, "--once", help=N_("One round (push, then pull) and exit.")),
    every: float = typer.Option(15.0, "--every", min=1.0, help=N_("Seconds between rounds.")),
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
            say(_("pushed {pushed}, pulled {pulled}, conflicts {conflicts}").format(
                pushed=r.pushed, pulled=r.pulled, conflicts=r.conflicts)
                + (", " + _("parked {n} (refused by headquarters: `pos-customers sync parked`)").format(n=r.parked)
                   if r.parked else ""))
            if r.restored:
                say(ngettext("{n} customer is back on this till: headquarters did not apply its merge (parked)",
                             "{n} customers are back on this till: headquarters did not apply their merge (parked)",
                             r.restored).format(n=r.restored))
        except NotConnected as exc:
            fail(tr(exc))
        except (HqUnavailable, HqRefused) as exc:
            if once:
                fail(tr(exc))
            say(_("will retry: {reason}").format(reason=tr(exc)), err=True)
            pause = max(every, getattr(exc, "retry_after", 0))  # busy headquarters: as long as it asked
        else:
            pause = every
        if once:
            return
        _rolling_backup(svc, settings)
        time.sleep(pause)


def _backup_settings():
    """config.toml [backup], as the app reads it: a running `sync` keeps the rolling backups too."""
    from ..services.backup import load_backup_settings

    try:
        return load_backup_settings()
    except ValueError as exc:
        fail(_("config: {problem}").format(problem=tr(exc)), 2)


def _rolling_backup(svc, settings) -> None:
    import sqlite3

    from ..services.backup import BackupFailed, rolling_backup

    try:
        done = rolling_backup(svc, settings)
    except (BackupFailed, OSError, sqlite3.Error) as exc:
        typer.echo(_("backup failed: {reason}").format(reason=tr(exc)), err=True)
        return
    if done is not None:
        typer.echo(_("backup {path}").format(path=done.path)
                   + (" " + _("({n} older removed)").format(n=len(done.removed)) if done.removed else ""))


@sync_app.command("status",
                  help=N_("Headquarters, outbox depth, last push and pull, last error (for support over SSH)."))
def sync_status(db: Optional[str] = DB_OPTION,
                as_json: bool = typer.Option(False, "--json", help=N_("Machine-readable."))) -> None:
    from dataclasses import asdict

    from ..services.sync import status

    with _errors():
        st = status(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps(asdict(st), default=str, indent=2))
        return
    if not st.enrolled:
        say(_("standalone: this till is not connected to headquarters (`pos-customers init --hq URL "
              "--token T` enrols it; what it made meanwhile is sent with the first sync)"))
        return
    never = _("never")
    rows = [(_("headquarters"), st.hq_url),
            (_("outbox"), _("{n} event(s) waiting").format(n=st.outbox)
             + (", " + _("oldest {moment}").format(moment=datetime_text(st.oldest_pending))
                if st.oldest_pending else "")),
            (_("last push"), datetime_text(st.last_push_at) or never),
            (_("last pull"), _("{moment} (cursor {cursor})").format(moment=datetime_text(st.last_pull_at) or never,
                                                                   cursor=st.cursor)),
            (_("conflicts"), str(st.conflicts)),
            (_("parked"), str(st.parked) + (" " + _("refused by headquarters") if st.parked else "")
             + (", " + _("{n} waiting behind them").format(n=st.waiting) if st.waiting else ""))]
    width = max(13, *(len(label) for label, _value in rows))
    for label, value in rows:
        say(f"{label:<{width}} {value}")
    if st.parked:
        from ..services.sync import parked_events

        with _errors():
            for p in parked_events(_services(db), _actor(), waiting=False):
                say(f"  {p.id[:8]}  {_refusal(p)}")
        say(" " * (width + 1) + _("`pos-customers sync parked` lists them; `sync retry ID|--all`, `sync discard ID`"))
    if st.last_error:
        label = _("last error")
        say(f"{label:<{width}} {tr(st.last_error)} ({st.last_error_at})")
    if st.audit_problem:
        label = _("AUDIT")
        say(f"{label:<{width}} {tr(st.audit_problem)}")


def _refusal(p) -> str:
    """One parked event's refusal in one line: status, reason, field."""
    return (f"{p.status or ''} {tr(p.reason)}".strip() + (f" [{p.field}]" if p.field else ""))[:200]


@sync_app.command("parked",
                  help=N_("Events headquarters refused (parked), and the events waiting behind them."))
def sync_parked(db: Optional[str] = DB_OPTION,
                as_json: bool = typer.Option(False, "--json", help=N_("Machine-readable."))) -> None:
    from dataclasses import asdict

    from ..services.sync import parked_events

    with _errors():
        rows = parked_events(_services(db), _actor())
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
        return
    if not rows:
        say(_("no parked events"))
        return
    for r in rows:
        when = datetime_text(r.at) if r.at else _("waiting")
        say(f"{r.id[:8]}  {when:<16}  {r.kind:<20} {(r.customer or '-')[:30]:<30}  "
            + _("tries {n}").format(n=r.attempts) + f"  {_refusal(r)}")
    parked = sum(r.parked for r in rows)
    say(_("{parked} parked, {waiting} waiting behind them: `sync retry ID|--all` sends again, `sync discard ID` "
          "drops one (audited)").format(parked=parked, waiting=len(rows) - parked))


@sync_app.command("retry",
                  help=N_("Send parked events again with the next sync (and the events waiting behind them)."))
def sync_retry(event_id: Optional[str] = typer.Argument(None, metavar="ID", help=N_("A parked event's id "
                                                        "(its first characters are enough).")),
               all_parked: bool = typer.Option(False, "--all", help=N_("Every parked event.")),
               db: Optional[str] = DB_OPTION) -> None:
    from ..services.sync import retry_parked

    if (event_id is None) == (not all_parked):
        fail(_("give one parked event's ID or --all (`pos-customers sync parked` lists them)"), 2)
    with _errors():
        n = retry_parked(_services(db), _actor(), event_id, all_parked=all_parked)
    say(_("{n} event(s) will be sent with the next sync (`pos-customers sync --once`)").format(n=n))


@sync_app.command("discard",
                  help=N_("Drop a parked event for good: headquarters never gets that change (audited)."))
def sync_discard(event_id: str = typer.Argument(..., metavar="ID", help=N_("A parked event's id "
                                                "(its first characters are enough).")),
                 yes: bool = typer.Option(False, "--yes", "-y", help=N_("Do not ask for confirmation.")),
                 db: Optional[str] = DB_OPTION) -> None:
    from ..services.sync import check_discard, discard_parked, find_parked

    with _errors():
        svc = _services(db)
        actor = _actor()
        check_discard(actor)
        chosen = find_parked(svc, actor, event_id)
        if not yes:
            what = f"{chosen.kind} {chosen.customer}".strip()
            if not typer.confirm(_("Discard {what}? Headquarters will never get this change").format(what=what),
                                 default=False):
                fail(_("nothing discarded"), 1)
        done = discard_parked(svc, actor, chosen.id)
    say(_("discarded {kind} {event}").format(kind=done.kind, event=done.event_id[:8])
        + (" " + _("and {n} event(s) waiting behind it").format(n=len(done.also)) if done.also else "")
        + ("; " + _("the customer now exists on this terminal only") if done.local_only else "")
        + ("; " + _("{customer} is back on this till, not merged").format(customer=done.restored)
           if done.restored else ""))


@sync_app.command("merge-account",
                  help=N_("A customer refused because a registered account holds its email: merge it into "
                          "that account (its details and notes join the account; it leaves this terminal; one "
                          "headquarters holds already is merged there with the next sync, by a manager; "
                          "audited)."))
def sync_merge_account(event_id: str = typer.Argument(..., metavar="ID", help=N_("A parked event's id "
                                                      "(its first characters are enough).")),
                       db: Optional[str] = DB_OPTION) -> None:
    from ..services.account_scope import merge_into_account
    from ..services.sync import HqRefused, HqUnavailable, NotConnected

    with _errors():
        try:
            done = merge_into_account(_services(db), _actor(), event_id)
        except (HqUnavailable, HqRefused, NotConnected) as exc:  # the account is brought here first
            fail(_("the account that holds the email is not on this terminal and headquarters could not send it "
                   "({reason}): try again once headquarters answers").format(reason=tr(exc)), 1)
    say(_("{removed} merged into {reference} {name} ({n} note(s) moved): it goes with the next sync").format(removed=done.removed_reference, reference=done.account.reference_display,
                                          name=done.account.display_name, n=done.notes_moved))


@sync_app.command("change-email",
                  help=N_("A customer refused because a registered account holds its email: give it another "
                          "email and send the refused change again (audited)."))
def sync_change_email(event_id: str = typer.Argument(..., metavar="ID", help=N_("A parked event's id "
                                                     "(its first characters are enough).")),
                      email: str = typer.Argument(..., help=N_("The customer's new email.")),
                      db: Optional[str] = DB_OPTION) -> None:
    from ..services.account_scope import change_account_email

    with _errors():
        done = change_account_email(_services(db), _actor(), event_id, email)
    say(_("{reference} {name} now has {email}: it goes with the next sync").format(
        reference=done.reference_display, name=done.display_name, email=email.strip()))
