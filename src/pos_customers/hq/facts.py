"""What segment rules read, as typed columns kept in step with the documents (hq/segments.py).

A customer's group and marketing consents are columns of ``hq_customer`` (every writer of the row
sets them from the fields with :func:`customer_facts`); an order record becomes one row of
``hq_order_fact`` (:func:`order_fact`, written by ``put_records``). A rule is then a condition on
indexed columns: no customer's or order's JSON is read when a segment is evaluated. The spend
rules' rolling totals (hq/spend.py) follow every order written here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from ..domain.money import minor_digits
from . import tables as t

ORDER_KIND = "order"


def _consent(fields: Mapping[str, Any], name: str) -> bool:
    items = fields.get(name)
    return isinstance(items, list) and any(isinstance(i, dict) and i.get("marketing_consent") is True
                                           for i in items)


def customer_facts(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """The columns of ``hq_customer`` a segment rule reads, from the customer's fields."""
    fields = fields or {}
    group = fields.get("group_code")
    return {"group_code": "" if group is None else str(group)[:32],
            "email_consent": _consent(fields, "emails"), "phone_consent": _consent(fields, "phones")}


def _minor(total: Any, currency: str) -> int | None:
    """A decimal amount (``"12.34"``) as whole minor units of ``currency``, half away from zero."""
    try:
        amount = Decimal(str(total))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    return int((amount * 10 ** minor_digits(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _utc(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def order_fact(key: str, customer_id: str | None, doc: Mapping[str, Any], seq: int) -> dict[str, Any] | None:
    """An order record's row of ``hq_order_fact`` (None: no customer, no date or no readable total:
    such an order counts for no rule)."""
    currency = str(doc.get("currency") or "")[:3]
    at, minor = _utc(doc.get("ordered_at")), _minor(doc.get("total", "0"), currency)
    if not customer_id or at is None or minor is None:
        return None
    return {"order_id": key, "customer_id": customer_id, "store_code": str(doc.get("store_code") or "")[:32].upper(),
            "status": str(doc.get("status") or "")[:24], "currency": currency, "ordered_at": at,
            "total_minor": minor, "seq": seq}


def write_orders(conn: Connection, rows: Iterable[tuple[str, str | None, Mapping[str, Any], int, bool]]) -> None:
    """Bring the facts of these order records up to date: (key, customer id, doc, seq, deleted)."""
    from . import spend
    from .common import bulk_insert

    rows = list(rows)
    keys = [key for key, *_ in rows]
    kept = bool(spend.windows(conn))  # the spend totals follow every change of an order's fact
    old = spend.fact_rows(conn, keys)
    for k in range(0, len(keys), 1000):
        conn.execute(delete(t.order_fact).where(t.order_fact.c.order_id.in_(keys[k:k + 1000])))
    facts = [f for key, cid, doc, seq, deleted in rows if not deleted and (f := order_fact(key, cid, doc, seq))]
    for k in range(0, len(facts), 5000):
        bulk_insert(conn, t.order_fact, facts[k:k + 5000])
    if kept:
        spend.apply_orders(conn, old, facts)
    now_of = {f["order_id"]: f["customer_id"] for f in facts}
    left = {f["customer_id"] for f in old if now_of.get(f["order_id"]) != f["customer_id"]}
    if left:  # the next incremental segment evaluation looks at them (their fact is gone)
        seq = max(seq for *_, seq, _ in rows)
        conn.execute(delete(t.order_left).where(t.order_left.c.customer_id.in_(sorted(left))))
        bulk_insert(conn, t.order_left, [{"customer_id": cid, "seq": seq} for cid in sorted(left)])


__all__ = ["customer_facts", "order_fact", "write_orders", "ORDER_KIND"]
