"""Headquarters' side of the connected demo: order history for the demo customers.

Deterministic: the same customer always gets the same orders (seeded by its id).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

STATUSES = ("delivered", "delivered", "delivered", "collected", "returned", "cancelled", "open")


def orders_for(customer_id: str, currency: str, stores: list[str], *,
               today: datetime | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """0-6 orders over the last two years, as (kind, key, record) for put_records."""
    rng = random.Random(customer_id)
    today = today or datetime(2026, 11, 24, tzinfo=timezone.utc)
    for k in range(rng.choice((0, 0, 1, 1, 2, 3, 4, 6))):
        number = f"{rng.choice(('S', 'W'))}-{rng.randrange(100000, 999999)}"
        at = today - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        total = Decimal(rng.randrange(499, 89999)) / 100
        store = "WEB" if number.startswith("W") else rng.choice(stores)
        status = "open" if at > today - timedelta(days=3) else rng.choice(STATUSES[:-1])
        oid = f"{customer_id}:{k}"
        yield "order", oid, {"customer_id": customer_id, "doc": {
            "id": oid, "customer_id": customer_id, "number": number, "ordered_at": at.isoformat(),
            "store_code": store, "status": status, "total": f"{total:.2f}", "currency": currency or "EUR"}}
