"""What headquarters' use cases share: the terminal identity, the seq counter, customer rows and
records as dicts, scope, and the small conversions between database values and JSON."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from . import tables as t

GLOBAL_KINDS = ("group", "affiliation", "attribute", "purpose", "support", "setting", "segment")
STORE_KINDS = ("template", "associate", "note")
CUSTOMER_KINDS = ("order", "conflict", "customer_segments", "redirect")
SCOPES = ("own", "region", "all")


@dataclass(frozen=True)
class Identity:
    """The terminal behind a request's credential, and its store's reach."""

    terminal_id: str
    store_code: str
    scope: str
    region: str
    store_number: int = 0


def digest(secret: str) -> str:
    """Tokens are 256-bit random values: a SHA-256 digest is the right one-way hash for them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def json_time(moment: datetime | None) -> str:
    return f'"{aware(moment).isoformat()}"' if moment else "null"


def iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def next_stamp(clocks: dict[str, str], now: datetime) -> str:
    """A hybrid-logical-clock stamp for a change headquarters makes itself: after every stamp the
    customer already carries, even when a terminal's clock ran ahead."""
    wall = int(now.timestamp() * 1000)
    top = max(clocks.values(), default="")
    if top and int(top[:13]) >= wall:
        return f"{int(top[:13]):013d}-{int(top[14:19]) + 1:05d}-hq"
    return f"{wall:013d}-00000-hq"


def bulk_insert(conn: Connection, table, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: COPY on PostgreSQL (one round trip for the lot), executemany elsewhere."""
    if conn.dialect.name != "postgresql" or len(rows) < 20:
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def among(column, name: str = "wanted"):
    """``column IN (...)`` of a list given at execution as ``name``: a statement built once (module
    level) with it is neither built nor keyed again per request, only its list expanded."""
    return column.in_(bindparam(name, expanding=True))


# the statements every push sends, built once
_LOCK_SEQ = select(t.counter.c.value).where(t.counter.c.name == "seq").with_for_update()
_STORE_SEQ = update(t.counter).where(t.counter.c.name == "seq").values(value=bindparam("seq"))
_CUSTOMERS_LOCKED = select(t.customer).where(among(t.customer.c.id)).with_for_update()
_PULLED_IN = select(t.interest.c.customer_id).where(t.interest.c.store_code == bindparam("store"),
                                                    among(t.interest.c.customer_id))


def lock_seq(conn: Connection) -> int:
    """Headquarters' seq, locked until commit: changes become visible in seq order."""
    return conn.execute(_LOCK_SEQ).scalar_one()


def store_seq(conn: Connection, seq: int) -> None:
    conn.execute(_STORE_SEQ, {"seq": seq})


def load_customers(conn: Connection, ids: set[str],
                   stored: dict[str, tuple[str, str, bool]] | None = None) -> dict[str, dict[str, Any]]:
    """These customers (those that exist), locked for the transaction, in id order (no deadlock).
    ``stored``: filled with each one's fields as stored (JSON text), home store and whether it is
    anonymized, for the writer to tell what changed."""
    out: dict[str, dict[str, Any]] = {}
    if not ids:
        return out
    rows = conn.execute(_CUSTOMERS_LOCKED, {"wanted": sorted(ids)}).all()
    for r in rows:
        if stored is not None:
            stored[r.id] = (r.fields, r.home_store, r.anonymized_at is not None)
        out[r.id] = {"id": r.id, "reference": r.reference, "home_store": r.home_store,
                     "region": r.region, "created_at": r.created_at, "anonymized_at": r.anonymized_at,
                     "fields": json.loads(r.fields), "clocks": json.loads(r.clocks)}
    return out


def put_records(conn: Connection, items: list[tuple[str, str, dict[str, Any]]], seq: int) -> int:
    """Insert or replace records, each with the next seq. Returns the last seq used."""
    keys = {(k, key) for k, key, _ in items}
    existing = set()
    for kind in {k for k, _ in keys}:
        wanted = [key for k, key in keys if k == kind]
        existing |= {(kind, key) for key in conn.execute(select(t.record.c.key).where(
            and_(t.record.c.kind == kind, t.record.c.key.in_(wanted)))).scalars()}
    inserts, updates, orders = [], [], []
    for kind, key, r in items:
        seq += 1
        values = dict(store_code=r.get("store_code"), customer_id=r.get("customer_id"), seq=seq,
                      doc=dumps(r["doc"]), deleted=bool(r.get("deleted")))
        if kind == "order":
            orders.append((key, r.get("customer_id"), r["doc"], seq, bool(r.get("deleted"))))
        if (kind, key) in existing:
            updates.append({"b_kind": kind, "b_key": key, **values})
        else:
            inserts.append({"kind": kind, "key": key, **values})
    if inserts:
        conn.execute(insert(t.record), inserts)
    if updates:
        conn.execute(update(t.record).where(and_(t.record.c.kind == bindparam("b_kind"),
                                                 t.record.c.key == bindparam("b_key"))), updates)
    if orders:
        from .facts import write_orders  # what segment rules read of the orders (hq_order_fact)
        write_orders(conn, orders)
    return seq


def in_scope(who: Identity):
    """A condition on hq_customer: the customers this store sees (None: all of them)."""
    c = t.customer.c
    mine = select(t.interest.c.customer_id).where(t.interest.c.store_code == who.store_code)
    if who.scope == "all":
        return None
    if who.scope == "region" and who.region:
        return or_(c.region == who.region, c.home_store == who.store_code, c.id.in_(mine))
    return or_(c.home_store == who.store_code, c.id.in_(mine))


def pulled_in(conn: Connection, who: Identity, ids: set[str]) -> set[str]:
    """Which of these customers this store brought into its scope (pull-in)."""
    if not ids:
        return set()
    return set(conn.execute(_PULLED_IN, {"store": who.store_code, "wanted": sorted(ids)}).scalars())


def sees(who: Identity, customer: dict[str, Any], interest: set[str]) -> bool:
    """Whether a loaded customer is in this store's scope (own, region, pulled in, or all)."""
    if who.scope == "all" or customer["home_store"] == who.store_code or customer["id"] in interest:
        return True
    return who.scope == "region" and bool(who.region) and customer["region"] == who.region


def customer_in_scope(conn: Connection, who: Identity, customer_id: str) -> bool | None:
    """Whether a customer is in this store's scope; None when headquarters does not hold it."""
    row = conn.execute(select(t.customer.c.id, t.customer.c.home_store, t.customer.c.region)
                       .where(t.customer.c.id == customer_id)).first()
    if row is None:
        return None
    return sees(who, {"id": row.id, "home_store": row.home_store, "region": row.region},
                pulled_in(conn, who, {customer_id}))
