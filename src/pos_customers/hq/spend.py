"""The spend rules' rolling per-customer totals (``hq_spend_total``).

"Spent more than S in the last 12 months" summed every order in the window each time it was asked
(about half of all orders, a second or more per million customers). Instead, for each window a
spend rule uses (its currency and months), headquarters keeps each customer's spend from the
window's start (``hq_spend_window.starts_at``) on:

- every order written (``put_records`` -> hq/facts.py ``write_orders``: added, corrected,
  refunded, deleted, or moved to another customer by a merge) takes its old fact off and puts its
  new one on, in the same transaction, for every window it falls in (:func:`apply_orders`);
- evaluating a segment rolls its windows forward to the evaluation's start (:func:`track`): the
  orders that left the window (a day's worth for a daily refresh) are taken off; a window no
  segment has used yet is built from ``hq_order_fact`` then;
- a rule asked at a moment after its window's start (the report) takes off, on the fly, the orders
  between the two starts (:func:`spenders`).

The rule is then a range of ``ix_hq_spend_total_over`` (``total_minor > S``), equal to the sum over
``hq_order_fact`` it replaces (tests/hq/test_spend.py checks that on both databases).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import delete, func, literal, or_, select, update
from sqlalchemy.engine import Connection

from . import tables as t
from .common import aware

NOT_SPENDING = ("cancelled", "returned")  # orders that count for no spend
Window = tuple[str, int]                  # (currency, months)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def window_start(now: datetime, months: int) -> datetime:
    """Where a window of ``months`` months ending ``now`` starts, in UTC."""
    return aware(months_before(now, months)).astimezone(timezone.utc)


def windows(conn: Connection) -> dict[Window, datetime]:
    """The windows kept, with their starts."""
    w = t.spend_window.c
    return {(cur, months): aware(at) for cur, months, at in conn.execute(select(w.currency, w.months, w.starts_at))}


def _upsert(conn: Connection, rows=None, *, from_select=None) -> None:
    """Add totals and order counts to ``hq_spend_total`` (a new row where none is), then drop the
    rows left with no order."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    s = t.spend_total.c
    names = ["currency", "months", "customer_id", "total_minor", "orders"]
    stmt = insert(t.spend_total)
    stmt = stmt.from_select(names, from_select) if from_select is not None else stmt
    stmt = stmt.on_conflict_do_update(index_elements=["currency", "months", "customer_id"], set_={
        "total_minor": s.total_minor + stmt.excluded.total_minor, "orders": s.orders + stmt.excluded.orders})
    if from_select is not None:
        conn.execute(stmt)
    else:
        for k in range(0, len(rows), 1000):
            conn.execute(stmt, rows[k:k + 1000])


def _spending(currency: str, since: datetime, before: datetime | None = None):
    o = t.order_fact.c
    return [o.currency == currency, o.status.not_in(NOT_SPENDING), o.ordered_at >= since,
            *([o.ordered_at < before] if before is not None else [])]


def _sums(currency: str, months: int, sign: int, since: datetime, before: datetime | None = None):
    """Per customer: (currency, months, customer, sign * spend, sign * orders) of the orders in the range."""
    o = t.order_fact.c
    return (select(literal(currency), literal(months), o.customer_id, sign * func.sum(o.total_minor),
                   sign * func.count()).where(*_spending(currency, since, before)).group_by(o.customer_id))


def _drop_empty(conn: Connection, currency: str, months: int, customers) -> None:
    """Drop these customers' rows (a list, or a query of ids) left with no order."""
    s = t.spend_total.c
    where = [s.currency == currency, s.months == months, s.orders <= 0]
    if not isinstance(customers, list):
        conn.execute(delete(t.spend_total).where(*where, s.customer_id.in_(customers)))
        return
    for k in range(0, len(customers), 500):
        conn.execute(delete(t.spend_total).where(*where, s.customer_id.in_(customers[k:k + 500])))


def track(conn: Connection, currency: str, months: int, now: datetime) -> None:
    """Keep the window of ``months`` months in ``currency`` and bring it to ``now``: built from the
    orders if it is new, else the orders between its old and new start taken off (or put back, when
    ``now`` is earlier than the last evaluation). Call with headquarters' seq locked."""
    w = t.spend_window.c
    start = window_start(now, months)
    held = conn.execute(select(w.starts_at).where(w.currency == currency, w.months == months)).scalar_one_or_none()
    if held is None:
        s = t.spend_total.c
        conn.execute(delete(t.spend_total).where(s.currency == currency, s.months == months))
        conn.execute(t.spend_window.insert().values(currency=currency, months=months, starts_at=start))
        conn.execute(t.spend_total.insert().from_select(
            ["currency", "months", "customer_id", "total_minor", "orders"], _sums(currency, months, 1, start)))
        if conn.dialect.name == "postgresql":  # a million rows at once: the planner learns of them now
            conn.exec_driver_sql("ANALYZE hq_spend_total")
        return
    held = aware(held)
    if held == start:
        return
    since, before = (held, start) if start > held else (start, held)
    _upsert(conn, from_select=_sums(currency, months, -1 if start > held else 1, since, before))
    o = t.order_fact.c
    _drop_empty(conn, currency, months, select(o.customer_id).where(*_spending(currency, since, before)))
    conn.execute(update(t.spend_window).where(w.currency == currency, w.months == months).values(starts_at=start))


def prune(conn: Connection, used: Iterable[Window]) -> None:
    """Forget the windows no segment's rule uses any more."""
    used = set(used)
    for window in set(windows(conn)) - used:
        cur, months = window
        conn.execute(delete(t.spend_total).where(t.spend_total.c.currency == cur, t.spend_total.c.months == months))
        conn.execute(delete(t.spend_window).where(t.spend_window.c.currency == cur, t.spend_window.c.months == months))


def apply_orders(conn: Connection, old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> None:
    """Orders were rewritten: their old facts (rows of ``hq_order_fact`` as they were) come off
    every window they counted in and their new ones go on."""
    kept = windows(conn)
    if not kept:
        return
    delta: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for sign, facts in ((-1, old), (1, new)):
        for f in facts:
            if f["status"] in NOT_SPENDING:
                continue
            at = aware(f["ordered_at"])
            for (cur, months), start in kept.items():
                if f["currency"] == cur and at >= start:
                    d = delta[(cur, months, f["customer_id"])]
                    d[0] += sign * f["total_minor"]
                    d[1] += sign
    rows = [{"currency": cur, "months": months, "customer_id": cid, "total_minor": d[0], "orders": d[1]}
            for (cur, months, cid), d in sorted(delta.items()) if d != [0, 0]]
    if not rows:
        return
    _upsert(conn, rows)
    for cur, months in {(r["currency"], r["months"]) for r in rows}:
        _drop_empty(conn, cur, months, [r["customer_id"] for r in rows
                                        if (r["currency"], r["months"]) == (cur, months) and r["orders"] < 0])


def spenders(column, currency: str, months: int, more_than: int, now: datetime,
             starts: Mapping[Window, datetime], within: Callable | None = None):
    """The condition on the customer id ``column``: their spend in ``currency`` over the ``months``
    months before ``now`` is more than ``more_than``, from the kept totals; None when the window is
    not kept or was last brought to a later moment (then the orders are summed instead)."""
    held = starts.get((currency, months))
    start = window_start(now, months)
    if held is None or start < held:
        return None
    s = t.spend_total.c
    mine = [s.currency == currency, s.months == months, *([within(s.customer_id)] if within is not None else [])]
    if start == held:
        return column.in_(select(s.customer_id).where(*mine, s.total_minor > more_than))
    o = t.order_fact.c
    gone = (select(o.customer_id, func.sum(o.total_minor).label("total")).where(
        *_spending(currency, held, start), *([within(o.customer_id)] if within is not None else []))
        .group_by(o.customer_id).subquery())
    left = s.total_minor - func.coalesce(gone.c.total, 0)
    # over S in the kept total, less what left the window since; or raised over S by an order leaving
    # (two semi-joins, not a union: the planner then knows the first is a range of the index)
    return or_(column.in_(select(s.customer_id).select_from(t.spend_total.outerjoin(
        gone, gone.c.customer_id == s.customer_id)).where(*mine, s.total_minor > more_than, left > more_than)),
        column.in_(select(s.customer_id).select_from(t.spend_total.join(
            gone, gone.c.customer_id == s.customer_id)).where(*mine, left > more_than)))


def fact_rows(conn: Connection, order_ids: list[str]) -> list[dict[str, Any]]:
    """The rows of ``hq_order_fact`` of these orders, as they are."""
    o = t.order_fact.c
    out: list[dict[str, Any]] = []
    for k in range(0, len(order_ids), 1000):
        out += [dict(r._mapping) for r in conn.execute(select(
            o.order_id, o.customer_id, o.currency, o.status, o.ordered_at, o.total_minor).where(
            o.order_id.in_(order_ids[k:k + 1000])))]
    return out


__all__ = ["NOT_SPENDING", "months_before", "window_start", "windows", "track", "prune", "apply_orders", "spenders",
           "fact_rows"]
