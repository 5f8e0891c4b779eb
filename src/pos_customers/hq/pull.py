"""A terminal's pull: one page of everything in its store's scope changed after a cursor, in seq order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select

from ..domain.i18n import Msg
from ..domain.protocol import MAX_PULL_LIMIT, MAX_SEQ
from . import memberships
from . import tables as t
from .common import CUSTOMER_KINDS, GLOBAL_KINDS, STORE_KINDS, Identity, in_scope, json_time
from .errors import Invalid
from .segments import BATCH_KIND

if TYPE_CHECKING:
    from .service import Headquarters


def customer_queries(who: Identity, cursor: int, limit: int) -> list:
    """Each part of the store's scope as its own index-ordered query (home store, region,
    pulled-in customers): PostgreSQL walks (home_store, seq) instead of filtering every row."""
    c = t.customer.c
    cols = (c.id, c.reference, c.home_store, c.created_at, c.anonymized_at, c.seq, c.fields, c.clocks)
    if who.scope == "all":
        return [select(*cols).where(c.seq > cursor).order_by(c.seq).limit(limit)]
    parts = [select(*cols).where(c.home_store == who.store_code, c.seq > cursor).order_by(c.seq).limit(limit)]
    if who.scope == "region" and who.region:
        parts.append(select(*cols).where(c.region == who.region, c.home_store != who.store_code,
                                         c.seq > cursor).order_by(c.seq).limit(limit))
    parts.append(select(*cols).join(t.interest, and_(t.interest.c.customer_id == c.id,
                                                     t.interest.c.store_code == who.store_code))
                 .where(c.home_store != who.store_code, c.seq > cursor).order_by(c.seq).limit(limit))
    return parts


def pull(hq: Headquarters, who: Identity, cursor: int, limit: int = 500) -> str:
    """One page after ``cursor``, as a JSON text: {"items": [...], "cursor": n, "more": bool}.

    Items are in seq order; documents are spliced in as stored (no parse, no re-encode).
    """
    if not 0 <= cursor <= MAX_SEQ:
        raise Invalid(Msg("cursor: must be between 0 and {max}", max=MAX_SEQ))
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    r = t.record.c
    record_parts = [
        select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(GLOBAL_KINDS), r.seq > cursor),
        select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.store_code == who.store_code,
                                                             r.kind.in_(STORE_KINDS), r.seq > cursor)]
    linked = select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(CUSTOMER_KINDS), r.seq > cursor)
    scope = in_scope(who)
    if scope is not None:
        linked = linked.where(r.customer_id.in_(select(t.customer.c.id).where(scope)))
    record_parts.append(linked)
    # segment membership changes, batched by home store (hq/segments.py); store_code NULL: every store
    batches = select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind == BATCH_KIND, r.seq > cursor)
    if who.scope != "all":
        stores = [who.store_code]
        if who.scope == "region" and who.region:
            stores = select(t.store.c.code).where(or_(t.store.c.region == who.region,
                                                      t.store.c.code == who.store_code))
        batches = batches.where(or_(r.store_code.is_(None), r.store_code.in_(stores)))
    record_parts.append(batches)
    with hq.engine.connect() as conn:
        customers = [row for q in customer_queries(who, cursor, limit) for row in conn.execute(q)]
        records = [row for q in record_parts for row in conn.execute(q.order_by(r.seq).limit(limit))]
        links = conn.execute(memberships.pull_query(who, cursor, limit)).all()
    merged = sorted([(row.seq, "c", row) for row in customers] + [(row.seq, "r", row) for row in records]
                    + [(row.seq, "m", row) for row in links], key=lambda x: x[0])
    # every part returned at most ``limit`` rows in seq order: the first ``limit`` of the merge
    # are exactly the next ``limit`` rows of the whole scope
    more = len(merged) > limit or len(customers) >= limit or len(records) >= limit or len(links) >= limit
    merged = merged[:limit]
    parts = []
    for seq, what, row in merged:
        if what == "c":
            parts.append(
                '{"t":"customer","seq":%d,"doc":{"id":%s,"reference":%s,"store_code":%s,'
                '"created_at":%s,"anonymized_at":%s,"fields":%s,"clocks":%s}}' % (
                    seq, json.dumps(row.id), json.dumps(row.reference), json.dumps(row.home_store),
                    json_time(row.created_at), json_time(row.anonymized_at), row.fields, row.clocks))
        elif what == "m":
            parts.append(memberships.pull_item(row))
        else:
            parts.append('{"t":%s,"seq":%d,"key":%s,"deleted":%s,"doc":%s}' % (
                json.dumps(row.kind), seq, json.dumps(row.key), "true" if row.deleted else "false",
                row.doc))
    next_cursor = merged[-1][0] if merged else cursor
    return '{"items":[%s],"cursor":%d,"more":%s}' % (",".join(parts), next_cursor,
                                                      "true" if more and merged else "false")
