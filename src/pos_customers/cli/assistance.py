"""Shopper assistance and customers online: `customers assist-consent`, `customers assist-link`,
`customers online` at the till; `hq online` at headquarters."""

from __future__ import annotations

from typing import Optional

import typer

from ..domain.formats import datetime_text, time_text
from .common import DB_OPTION, _actor, _errors, _services, customers_app, fail, hq_app, say


def _when(moment) -> str:
    return datetime_text(moment) if moment else "—"


@customers_app.command("assist-consent")
def customers_assist_consent(ref: str = typer.Argument(..., help="Customer reference or id."),
                             on: bool = typer.Option(..., "--on/--off",
                                                     help="The customer agrees (--on) or no longer agrees (--off)."),
                             db: Optional[str] = DB_OPTION) -> None:
    """Record that the customer agrees to shopper assistance (staff may open their online account)."""
    from ..services.assistance import set_consent
    from ..services.customers import get_customer

    svc = _services(db)
    with _errors():
        view = set_consent(svc, _actor(), get_customer(svc, _actor(), ref).id, on)
    what = "agrees to" if view.assist_consent else "does not agree to"
    say(f"customer {view.reference_display} {what} shopper assistance (recorded by {view.assist_consent_by}, "
        f"{_when(view.assist_consent_at)}); headquarters gets it with the next sync")


@customers_app.command("assist-link")
def customers_assist_link(ref: str = typer.Argument(..., help="Customer reference or id."),
                          db: Optional[str] = DB_OPTION) -> None:
    """Ask headquarters for a single-use, short-lived link into the customer's online account
    (the customer's consent is needed)."""
    from ..services.assistance import request_link
    from ..services.customers import get_customer
    from ..services.sync import HqRefused, HqUnavailable, NotConnected

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        try:
            link = request_link(svc, _actor(), view.id)
        except (HqUnavailable, HqRefused, NotConnected) as exc:
            fail(f"no link: {exc}")
    say(f"works once, until {_when(link.expires_at)}:")
    typer.echo(link.url)


@customers_app.command("online")
def customers_online(ref: str = typer.Argument(..., help="Customer reference or id."),
                     db: Optional[str] = DB_OPTION) -> None:
    """Whether the customer is signed in online now, or when they were last seen (from headquarters;
    offline: the copy kept here, as of when it was fetched)."""
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
        return ("not connected to headquarters: nothing known about online sign-ins"
                if got.source == "not connected" else "headquarters is not reachable and nothing is kept here")
    if state.online:
        text = "online now" + (f" (assisted by {state.assisted_by})" if state.assisted_by else "")
    else:
        text = f"last seen {_when(state.last_seen_at)}" if state.last_seen_at else "never signed in online"
    if got.source != "headquarters":
        text += f" (as of {_when(got.fetched_at)}: headquarters is not reachable)"
    return text


@hq_app.command("online")
def hq_online(db: Optional[str] = typer.Option(None, "--db", metavar="URL",
                                               help="postgresql://... or a SQLite path (default: as `hq serve`)."),
              limit: int = typer.Option(500, "--limit", min=1, max=100_000)) -> None:
    """The customers signed in online now, latest activity first."""
    from .hq import _hq_run

    online = _hq_run(db, lambda hq: hq.online_now(limit=limit))
    if not online:
        say("no customer is signed in online now")
    for c in online:
        assisted = f"  assisted by {c.assisted_by}" if c.assisted_by else ""
        say(f"{c.reference:<10} {c.name[:30]:<30} {c.home_store:<8} since {time_text(c.signed_in_at)} "
            f"last seen {time_text(c.last_seen_at)} until {time_text(c.expires_at)}{assisted}")
