"""Shopper assistance and customers online: `customers assist-consent`, `customers assist-link`,
`customers online` at the till; `hq online` at headquarters."""

from __future__ import annotations

from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from ..domain.formats import datetime_text, time_text
from .common import DB_OPTION, _actor, _errors, _services, customers_app, fail, hq_app, say


def _when(moment) -> str:
    return datetime_text(moment) if moment else "—"


@customers_app.command("assist-consent",
                       help=N_("Record that the customer agrees to shopper assistance (staff may open their online "
                               "account)."))
def customers_assist_consent(ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
                             on: bool = typer.Option(..., "--on/--off",
                                                     help=N_("The customer agrees (--on) or no longer agrees (--off).")),
                             db: Optional[str] = DB_OPTION) -> None:
    from ..services.assistance import set_consent
    from ..services.customers import get_customer

    svc = _services(db)
    with _errors():
        view = set_consent(svc, _actor(), get_customer(svc, _actor(), ref).id, on)
    text = (_("customer {reference} agrees to shopper assistance (recorded by {by}, {moment}); headquarters "
              "gets it with the next sync") if view.assist_consent else
            _("customer {reference} does not agree to shopper assistance (recorded by {by}, {moment}); "
              "headquarters gets it with the next sync"))
    say(text.format(reference=view.reference_display, by=view.assist_consent_by, moment=_when(view.assist_consent_at)))


@customers_app.command("assist-link",
                       help=N_("Ask headquarters for a single-use, short-lived link into the customer's online "
                               "account (the customer's consent is needed)."))
def customers_assist_link(ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
                          db: Optional[str] = DB_OPTION) -> None:
    from ..services.assistance import request_link
    from ..services.customers import get_customer
    from ..services.sync import HqRefused, HqUnavailable, NotConnected

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        try:
            link = request_link(svc, _actor(), view.id)
        except (HqUnavailable, HqRefused, NotConnected) as exc:
            fail(_("no link: {reason}").format(reason=tr(exc)))
    say(_("works once, until {moment}:").format(moment=_when(link.expires_at)))
    typer.echo(link.url)


@customers_app.command("online",
                       help=N_("Whether the customer is signed in online now, or when they were last seen (from "
                               "headquarters; offline: the copy kept here, as of when it was fetched)."))
def customers_online(ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
                     db: Optional[str] = DB_OPTION) -> None:
    from ..services.assistance import online_state
    from ..services.customers import get_customer

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        got = online_state(svc, _actor(), view.id)
    say(online_line(got))


def online_line(got) -> str:
    """One line: online now / last seen, and where it comes from (the card's Online tab says the same)."""
    state = got.state
    if state is None:
        return (_("not connected to headquarters: nothing known about online sign-ins")
                if got.source == "not connected" else _("headquarters is not reachable and nothing is kept here"))
    if state.online:
        text = (_("online now (assisted by {associate})").format(associate=state.assisted_by) if state.assisted_by
                else _("online now"))
    else:
        text = (_("last seen {moment}").format(moment=_when(state.last_seen_at)) if state.last_seen_at
                else _("never signed in online"))
    if got.source != "headquarters":
        text += " " + _("(as of {moment}: headquarters is not reachable)").format(moment=_when(got.fetched_at))
    return text


@hq_app.command("online", help=N_("The customers signed in online now, latest activity first."))
def hq_online(db: Optional[str] = typer.Option(None, "--db", metavar="URL",
                                               help=N_("postgresql://... or a SQLite path (default: as `hq serve`).")),
              limit: int = typer.Option(500, "--limit", min=1, max=100_000)) -> None:
    from .hq import _hq_run

    online = _hq_run(db, lambda hq: hq.online_now(limit=limit))
    if not online:
        say(_("no customer is signed in online now"))
    for c in online:
        say(online_row(c))


def online_row(c) -> str:
    """One customer signed in online: the reference as a person reads it (as the app prints it)."""
    from ..domain.reference import format_reference

    assisted = "  " + _("assisted by {associate}").format(associate=c.assisted_by) if c.assisted_by else ""
    return (f"{format_reference(c.reference):<11} {c.name[:30]:<30} {c.home_store:<8} "
            + _("since {start} last seen {seen} until {end}").format(
                start=time_text(c.signed_in_at), seen=time_text(c.last_seen_at), end=time_text(c.expires_at))
            + assisted)
