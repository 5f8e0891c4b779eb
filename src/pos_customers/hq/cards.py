"""Loyalty cards are unique across the chain: ``hq_card`` says who holds each number.

A push that gives a card another customer holds is refused for that event (the terminal parks it
and says why); two pushes that claim one number at the same moment meet the table's primary key,
and the later one is sent again and then refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from . import tables as t
from .common import among


_HOLDERS = select(t.card.c.number, t.card.c.customer_id).where(among(t.card.c.number))


def holders(conn: Connection, numbers: Iterable[str]) -> dict[str, str]:
    """card number -> holder's customer id, for the numbers someone holds."""
    numbers = sorted(set(numbers))
    out: dict[str, str] = {}
    for k in range(0, len(numbers), 500):
        out.update(conn.execute(_HOLDERS, {"wanted": numbers[k:k + 500]}).all())
    return out


def taken(cards: Iterable[str], customer_id: str, held: dict[str, str]) -> str | None:
    """The first of ``cards`` another customer holds, if any."""
    return next((n for n in cards if held.get(n, customer_id) != customer_id), None)


def write_holders(conn: Connection, customers: Iterable[tuple[str, dict[str, Any], bool]]) -> None:
    """Each customer's cards as its fields now say (an anonymized customer holds none)."""
    todo = list(customers)
    if not todo:
        return
    ids = [cid for cid, _, _ in todo]
    for k in range(0, len(ids), 500):
        conn.execute(delete(t.card).where(t.card.c.customer_id.in_(ids[k:k + 500])))
    wanted: dict[str, str] = {}  # the first customer that names a number holds it
    for cid, fields, anonymized in todo:
        for n in () if anonymized else fields.get("cards") or ():
            wanted.setdefault(n, cid)
    held = holders(conn, wanted)  # by customers outside this write: they keep theirs
    rows = [{"number": n, "customer_id": cid} for n, cid in wanted.items() if n not in held]
    if rows:
        conn.execute(t.card.insert(), rows)
