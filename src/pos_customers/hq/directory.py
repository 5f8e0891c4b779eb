"""Customers across stores: search every store, bring one into a store's scope (pull-in), what
headquarters holds on one customer, their orders; a store's own records; loading documents."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import and_, func, insert, select

from ..domain.i18n import Msg
from . import cards as chain_cards
from . import memberships
from .facts import customer_facts
from .segments import codes_of  # what segment rules read, in step with the fields
from . import search as customer_search  # issue 11: the till's search at headquarters
from . import tables as t
from .common import (CUSTOMER_KINDS, STORE_KINDS, Identity, bulk_insert, customer_in_scope, dumps, iso, lock_seq,
                     parse_time, put_records as _put_records, store_seq)
from .errors import Forbidden, HqError, NotFound

if TYPE_CHECKING:
    from .service import Headquarters


def search_text(fields: dict[str, Any], reference: str) -> str:
    from ..domain.search import NAME_WORD_FIELDS
    words = [fields.get(k) or "" for k in NAME_WORD_FIELDS]
    words += [e["address"] for e in fields.get("emails") or []]
    words += [p["e164"].lstrip("+") for p in fields.get("phones") or []]
    words += [a.get("postal_code", "") + " " + a.get("city", "") for a in fields.get("addresses") or []]
    words.append(reference)
    return " ".join(w for w in words if w).casefold()


def search(hq: Headquarters, who: Identity, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The till's search over every store's customers (hq/search.py), phone numbers read as in the
    calling terminal's store's country."""
    with hq.engine.connect() as conn:
        return customer_search.search(conn, query, country=customer_search.store_country(conn, who.store_code),
                                      limit=max(1, min(limit, 100)))


def pull_in(hq: Headquarters, who: Identity, customer_id: str) -> dict[str, Any]:
    """A customer of another store, opened here: from now on it comes with this store's pulls."""
    from .merge import survivor
    with hq.engine.begin() as conn:
        customer_id = survivor(conn, customer_id)  # a merged-away customer opens as the one it joined
        row = conn.execute(select(t.customer).where(t.customer.c.id == customer_id)).first()
        if row is None:
            raise NotFound(Msg("no customer {customer} at headquarters", customer=customer_id))
        if not conn.execute(select(t.interest.c.customer_id).where(and_(
                t.interest.c.store_code == who.store_code, t.interest.c.customer_id == customer_id))).first():
            conn.execute(insert(t.interest).values(store_code=who.store_code, customer_id=customer_id))
        linked = conn.execute(select(t.record.c.kind, t.record.c.doc).where(and_(
            t.record.c.customer_id == customer_id, t.record.c.kind.in_(CUSTOMER_KINDS),
            t.record.c.deleted.is_(False)))).all()  # a resolved conflict is gone
        links = memberships.of_customer(conn, who, customer_id)
        segments = codes_of(conn, [customer_id]).get(customer_id, [])
    return {"customer": {"id": row.id, "reference": row.reference, "store_code": row.home_store,
                         "created_at": iso(row.created_at), "anonymized_at": iso(row.anonymized_at),
                         "fields": json.loads(row.fields), "clocks": json.loads(row.clocks)},
            "orders": [json.loads(d) for k, d in linked if k == "order"],
            "conflicts": [json.loads(d) for k, d in linked if k == "conflict"],
            "segments": [{"customer_id": row.id, "codes": segments}],
            "memberships": links}


def _require_scope(conn, who: Identity | None, customer_id: str) -> None:
    """A terminal reads only customers in its store's scope; ``who=None`` is headquarters itself."""
    if who is None:
        return
    visible = customer_in_scope(conn, who, customer_id)
    if visible is None:
        raise NotFound(Msg("no customer {customer} at headquarters", customer=customer_id))
    if not visible:
        raise Forbidden(Msg("customer {customer} is not in store {store}'s scope (open it there first)",
                            customer=customer_id, store=who.store_code))


def customer_record(hq: Headquarters, who: Identity, customer_id: str) -> dict[str, Any]:
    """What headquarters holds on one customer (for an access request): the merged document,
    orders, conflicts, this store's notes, and the audit rows about them."""
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        row = conn.execute(select(t.customer).where(t.customer.c.id == customer_id)).first()
        linked = conn.execute(select(t.record.c.kind, t.record.c.store_code, t.record.c.doc).where(
            t.record.c.customer_id == customer_id)).all()
        segments = codes_of(conn, [customer_id]).get(customer_id, [])
        audit = [json.loads(a.row) | {"at": iso(a.at), "terminal_id": a.terminal_id, "store": a.store_code}
                 for a in conn.execute(select(t.audit.c.row, t.audit.c.at, t.audit.c.terminal_id,
                                              t.audit.c.store_code).order_by(t.audit.c.at))]
    return {"customer": {"id": row.id, "reference": row.reference, "home_store": row.home_store,
                         "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
                         "anonymized_at": iso(row.anonymized_at), "fields": json.loads(row.fields)},
            "orders": [json.loads(d) for k, _, d in linked if k == "order"],
            "conflicts": [json.loads(d) for k, _, d in linked if k == "conflict"],
            "notes": [json.loads(d) for k, st, d in linked if k == "note" and st == who.store_code],
            "segments": segments,
            "audit": [a for a in audit if a.get("entity") == "customer" and a.get("entity_id") == customer_id]}


def orders(hq: Headquarters, who: Identity | None, customer_id: str) -> list[dict[str, Any]]:
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        docs = [json.loads(d) for d in conn.execute(select(t.record.c.doc).where(and_(
            t.record.c.kind == "order", t.record.c.customer_id == customer_id))).scalars()]
        from .customer_data import shipment_counts  # the shipments of each order (hq_shipment)
        counts = shipment_counts(conn, [d["id"] for d in docs])
    for d in docs:
        d["shipments"] = counts.get(d["id"], d.get("shipments", 0))
    return sorted(docs, key=lambda o: o["ordered_at"], reverse=True)


def store_records(hq: Headquarters, who: Identity, code: str, kind: str) -> list[dict[str, Any]]:
    """A store's own template, associates or notes: that store's terminals only."""
    if kind not in STORE_KINDS:
        raise NotFound(Msg("no such store data: {kind}", kind=kind))
    if code.upper() != who.store_code:
        raise Forbidden(Msg("store {store} may not read store {other}'s {kind}s", store=who.store_code,
                            other=code.upper(), kind=kind))
    with hq.engine.connect() as conn:
        docs = conn.execute(select(t.record.c.doc).where(and_(
            t.record.c.kind == kind, t.record.c.store_code == who.store_code,
            t.record.c.deleted.is_(False))).order_by(t.record.c.key)).scalars().all()
    out = [json.loads(d) for d in docs]
    if kind == "associate":
        for a in out:
            a.pop("pin_hash", None)  # never leaves headquarters by this route
    return out


_REFERENCE = re.compile(r"[0-9A-Z]{9}")


def import_customers(hq: Headquarters, docs: Iterable[dict[str, Any]]) -> int:
    """Load customer documents as they are (fields and clocks): a terminal's existing customers
    on first connection, or the demo. Returns headquarters' seq afterwards."""
    docs = list(docs)  # read twice: the rows, then the search index
    with hq.engine.begin() as conn:
        regions = dict(conn.execute(select(t.store.c.code, t.store.c.region)).all())
        seq = lock_seq(conn)
        now, rows = hq.now(), []
        for d in docs:
            if not _REFERENCE.fullmatch(d["reference"]) or str(uuid.UUID(d["id"])) != d["id"]:
                raise HqError(Msg("customer '{customer}': bad id or reference", customer=d["id"]))
            seq += 1
            rows.append({"id": d["id"], "reference": d["reference"], "home_store": d["store_code"],
                         "region": regions.get(d["store_code"], ""), "created_at": parse_time(d.get("created_at")),
                         "updated_at": now, "anonymized_at": parse_time(d.get("anonymized_at")), "seq": seq,
                         "fields": dumps(d["fields"]), "clocks": dumps(d.get("clocks") or {}),
                         "search_text": search_text(d["fields"], d["reference"]), **customer_facts(d["fields"])})
        for k in range(0, len(rows), 1000):
            bulk_insert(conn, t.customer, rows[k:k + 1000])
        customer_search.index_customers(conn, (  # search index (hq/search.py): in step with hq_customer
            (d["id"], d["fields"], d.get("anonymized_at") is not None) for d in docs), new=True)
        chain_cards.write_holders(conn, ((d["id"], d["fields"], d.get("anonymized_at") is not None) for d in docs))
        store_seq(conn, seq)
    return seq


def import_memberships(hq: Headquarters, docs: Iterable[dict[str, Any]]) -> None:
    """Load membership documents as they are (fields and clocks): the connected demo's."""
    with hq.engine.begin() as conn:
        store_seq(conn, memberships.import_documents(conn, list(docs), lock_seq(conn), hq.now()))


def put_records(hq: Headquarters, items: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Headquarters' own data (order summaries from the order system, ...): kind, key, record."""
    with hq.engine.begin() as conn:
        seq = _put_records(conn, list(items), lock_seq(conn))
        store_seq(conn, seq)


def current_seq(hq: Headquarters) -> int:
    with hq.engine.connect() as conn:
        return conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")).scalar_one()


def customer_count(hq: Headquarters) -> int:
    with hq.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.customer)).scalar_one()


__all__ = ["search", "search_text", "pull_in", "customer_record", "orders", "store_records", "import_customers",
           "import_memberships",
           "put_records", "current_seq", "customer_count"]
