"""Customer segments at the till (defined and evaluated at headquarters, received by pull): the
segments a customer belongs to, for the card; the ones this till knows, for ``seg:`` in search."""

from __future__ import annotations

from ..storage import segments
from ..domain.i18n import N_
from .auth import Actor, Permission
from .context import Services


def customer_segments(svc: Services, actor: Actor, customer_id: str) -> list[tuple[str, str]]:
    """(code, name) of the customer's segments, as headquarters last evaluated them (offline too)."""
    actor.require(Permission.SEARCH)
    with svc.db.snapshot() as conn:
        return segments.of_customer(conn, customer_id)


def known_segments(svc: Services, actor: Actor) -> dict[str, str]:
    """Every segment this till knows: code -> name."""
    actor.require(Permission.SEARCH)
    with svc.db.snapshot() as conn:
        return segments.known(conn)


def segments_line(found: list[tuple[str, str]]) -> str:
    """The card's line: the codes (what ``seg:`` takes), ``new, vip``; "—" for none."""
    return ", ".join(code for code, _ in found) or "—"


def segment_rows(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The card's rows: "Segments" with the codes, then each segment's name under ``seg:CODE``."""
    return [(N_("Segments"), segments_line(found))] + [(f"  seg:{code}", name) for code, name in found if name != code]
