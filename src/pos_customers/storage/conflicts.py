"""Sync conflicts on this terminal and the sync state they give a customer.

A customer's state is, in this order:

- ``conflict`` while a sync conflict about it is not resolved (it wins over pending edits: the
  list and the card show "!" until someone keeps the winner or takes the other value);
- ``pending`` while the outbox holds an event about it (an edit, or a resolution not sent yet);
- ``synced`` otherwise; but a ``local`` customer (a refused change was discarded: headquarters
  never got it) stays ``local`` until it is edited again or pulled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, update
from sqlmodel import Session, select

from ..domain.enums import SyncState
from .tables import Customer, OutboxEvent, SyncConflict

CHUNK = 500  # ids per IN (...) list

CONFLICT_ENTITY = "conflict"  # outbox events about a conflict carry its id as entity_id


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted({i for i in ids if i})
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def unresolved_customers(s: Session, customer_ids: Iterable[str]) -> set[str]:
    """Those of ``customer_ids`` with at least one unresolved conflict."""
    out: set[str] = set()
    for chunk in _chunks(customer_ids):
        out |= set(s.exec(select(SyncConflict.customer_id).where(
            SyncConflict.customer_id.in_(chunk), SyncConflict.resolved_at.is_(None)).distinct()))
    return out


def has_unresolved(s: Session, customer_id: str) -> bool:
    return bool(unresolved_customers(s, [customer_id]))


def edited_state(s: Session, customer_id: str) -> SyncState:
    """The state of a customer just changed here: pending, unless a conflict is still open."""
    return SyncState.CONFLICT if has_unresolved(s, customer_id) else SyncState.PENDING


def settle(s: Session, customer_ids: Iterable[str]) -> None:
    """Set each customer's sync state from its open conflicts and its outbox events."""
    for chunk in _chunks(customer_ids):
        conflicted = unresolved_customers(s, chunk)
        waiting = set(s.exec(select(OutboxEvent.entity_id).where(
            OutboxEvent.entity == "customer", OutboxEvent.entity_id.in_(chunk))))
        waiting |= set(s.exec(select(SyncConflict.customer_id).join(OutboxEvent, and_(
            OutboxEvent.entity == CONFLICT_ENTITY, OutboxEvent.entity_id == SyncConflict.id)).where(
            SyncConflict.customer_id.in_(chunk))))
        groups = ((SyncState.CONFLICT, conflicted, ()), (SyncState.PENDING, waiting - conflicted, ()),
                  (SyncState.SYNCED, set(chunk) - conflicted - waiting, (SyncState.LOCAL.value,)))
        for state, ids, keep in groups:
            if ids:
                s.exec(update(Customer).where(Customer.id.in_(sorted(ids)),
                                              Customer.sync_state.not_in((state.value, *keep)))
                       .values(sync_state=state.value).execution_options(synchronize_session="fetch"))


def store_conflict(s: Session, doc: dict[str, Any], *, deleted: bool = False,
                   now: datetime) -> str | None:
    """A conflict headquarters reported (push answer, pull, pull-in). A deleted one was resolved
    somewhere: the copy here is marked resolved. Returns the customer id it is about."""
    row = s.get(SyncConflict, doc["id"])
    if deleted:
        if row is None or row.resolved_at is not None:
            return None
        row.resolved_at = now
        row.resolution = str(doc.get("resolution") or "")[:8]
        by = str(doc.get("resolved_by") or "")  # the store that resolved it
        row.resolved_by = (f"store {by}" if by else "headquarters")[:64]
        s.add(row)
        return row.customer_id
    if row is None:
        s.add(SyncConflict(id=doc["id"], customer_id=doc.get("customer_id", ""), field=doc["field"],
                           kept=doc.get("kept"), lost=doc.get("lost"), kept_stamp=doc.get("kept_stamp", ""),
                           lost_stamp=doc.get("lost_stamp", ""), origin_store=doc.get("origin_store", ""),
                           at=datetime.fromisoformat(doc["at"]) if doc.get("at") else now))
        return doc.get("customer_id") or None
    return None
