"""Memberships of people in organizations at headquarters (domain/membership.py): loaded for a
push, merged field by field, written with the next seq, pulled by the stores that see both
customers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from ..domain.membership import MembershipRecord
from . import tables as t
from .common import Identity, dumps, in_scope

m = t.membership.c


def load(conn: Connection, ids: set[str], customers: set[str]) -> dict[str, MembershipRecord]:
    """These memberships, and every membership of these customers (either side), locked."""
    if not ids and not customers:
        return {}
    rows = conn.execute(select(t.membership).where(or_(
        m.id.in_(sorted(ids)), m.person_id.in_(sorted(customers)), m.organization_id.in_(sorted(customers))))
        .order_by(m.id).with_for_update()).all()
    return {r.id: MembershipRecord.from_document({"organization_id": r.organization_id, "person_id": r.person_id,
                                                  "fields": json.loads(r.fields), "clocks": json.loads(r.clocks)})
            for r in rows}


def write(conn: Connection, records: list[MembershipRecord], existing: set[str], seq: int, now: datetime) -> int:
    """Insert or update these memberships, each with the next seq. Returns the last seq used."""
    inserts, updates = [], []
    for r in records:
        seq += 1
        values = {"seq": seq, "updated_at": now, "fields": dumps(r.fields()), "clocks": dumps(r.clocks)}
        if r.id in existing:
            updates.append({"b_id": r.id, **values})
        else:
            inserts.append({"id": r.id, "organization_id": r.organization_id, "person_id": r.person_id, **values})
    if inserts:
        conn.execute(insert(t.membership), inserts)
    if updates:
        conn.execute(update(t.membership).where(m.id == bindparam("b_id")), updates)
    return seq


def import_documents(conn: Connection, docs: list[dict[str, Any]], seq: int, now: datetime) -> int:
    """Memberships as they are (a terminal's existing ones, or the demo's), each with the next seq."""
    records = [MembershipRecord.from_document(d) for d in docs]
    held = set(conn.execute(select(m.id).where(m.id.in_([r.id for r in records]))).scalars()) if records else set()
    return write(conn, records, held, seq, now)


def pull_query(who: Identity, cursor: int, limit: int):
    """The memberships changed after ``cursor`` whose organization and person the store both sees."""
    q = select(m.id, m.seq, m.organization_id, m.person_id, m.fields, m.clocks).where(m.seq > cursor)
    scope = in_scope(who)
    if scope is not None:
        seen = select(t.customer.c.id).where(scope)
        q = q.where(and_(m.organization_id.in_(seen), m.person_id.in_(seen)))
    return q.order_by(m.seq).limit(limit)


def pull_item(row: Any) -> str:
    """One pulled item, the stored JSON spliced in as it is."""
    return ('{"t":"membership","seq":%d,"key":%s,"deleted":false,"doc":{"id":%s,"organization_id":%s,'
            '"person_id":%s,"fields":%s,"clocks":%s}}' % (
                row.seq, json.dumps(row.id), json.dumps(row.id), json.dumps(row.organization_id),
                json.dumps(row.person_id), row.fields, row.clocks))


def of_customer(conn: Connection, who: Identity, customer_id: str) -> list[dict[str, Any]]:
    """A customer's memberships whose other side the store sees (a customer brought in)."""
    seen = select(t.customer.c.id)
    scope = in_scope(who)
    if scope is not None:
        seen = seen.where(scope)
    rows = conn.execute(select(t.membership).where(or_(
        and_(m.person_id == customer_id, m.organization_id.in_(seen)),
        and_(m.organization_id == customer_id, m.person_id.in_(seen))))).all()
    return [{"id": r.id, "organization_id": r.organization_id, "person_id": r.person_id,
             "fields": json.loads(r.fields), "clocks": json.loads(r.clocks)} for r in rows]
