"""A terminal's pull: one page of everything in its store's scope changed after a cursor, in seq order."""

from __future__ import annotations

import functools
import json
import re
from collections import namedtuple
from types import SimpleNamespace
from typing import TYPE_CHECKING, Sequence

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy import (BigInteger, Boolean, DateTime, Integer, Select, String, Text, and_, bindparam, cast,
                        literal, null, or_, select, union_all)

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


_TEXT, _TIME = String(), DateTime(timezone=True)
_Row = namedtuple("_Row", "what seq a b c t1 t2 j1 j2 deleted")  # one row of the pull (:func:`_uniform`)


def _uniform(what: str, query: Select) -> Select:
    """One part of a pull as rows of one shape, to be sent with the others in one UNION ALL:
    ``what`` ("c" customer, "r" record, "m" membership), ``seq``, three texts ``a b c`` (customer:
    id, reference, home store; record: kind, key; membership: id, organization, person), two times
    ``t1 t2`` (a customer's created and anonymized), two JSON texts ``j1 j2`` (fields or doc,
    clocks) and ``deleted`` (a record's)."""
    q = query.subquery()
    col = q.c

    def none(kind):
        return cast(null(), kind)

    if what == "c":
        values = (col.id, col.reference, col.home_store, col.created_at, col.anonymized_at, col.fields,
                  col.clocks, none(Boolean()))
    elif what == "r":
        values = (col.kind, col.key, none(_TEXT), none(_TIME), none(_TIME), col.doc, none(Text()), col.deleted)
    else:
        values = (col.id, col.organization_id, col.person_id, none(_TIME), none(_TIME), col.fields, col.clocks,
                  none(Boolean()))
    names = ("a", "b", "c", "t1", "t2", "j1", "j2", "deleted")
    return select(literal(what, _TEXT).label("what"), col.seq,
                  *(v.label(n) for v, n in zip(values, names)))


class _Region(BindParameter):
    """The store's region as a parameter of a statement built once: a store of a region scope
    with a region set (the scope rules ask ``if who.region``)."""

    inherit_cache = True

    def __bool__(self) -> bool:
        return True


@functools.lru_cache(maxsize=None)
def _statement(scope: str, region: bool) -> Select:
    """The whole pull of a store of this scope as one statement, built once per kind of scope
    (its store, region, cursor and limit are parameters): one round trip to the database, and no
    statement built and keyed for the compiled cache at every request. Each part keeps its own
    index-ordered LIMIT."""
    who = Identity("", bindparam("store", type_=_TEXT), scope,
                   _Region("region", type_=_TEXT) if region else "")
    cursor, limit = bindparam("cursor", type_=BigInteger()), bindparam("limit", type_=Integer())
    r = t.record.c
    record_parts = [
        select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(GLOBAL_KINDS), r.seq > cursor),
        select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.store_code == who.store_code,
                                                             r.kind.in_(STORE_KINDS), r.seq > cursor)]
    linked = select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(CUSTOMER_KINDS), r.seq > cursor)
    scope_rule = in_scope(who)
    if scope_rule is not None:
        linked = linked.where(r.customer_id.in_(select(t.customer.c.id).where(scope_rule)))
    record_parts.append(linked)
    # segment membership changes, batched by home store (hq/segments.py); store_code NULL: every store
    batches = select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind == BATCH_KIND, r.seq > cursor)
    if scope != "all":
        stores = [who.store_code]
        if region:
            stores = select(t.store.c.code).where(or_(t.store.c.region == who.region,
                                                      t.store.c.code == who.store_code))
        batches = batches.where(or_(r.store_code.is_(None), r.store_code.in_(stores)))
    record_parts.append(batches)
    return union_all(*([_uniform("c", q) for q in customer_queries(who, cursor, limit)]
                       + [_uniform("r", q.order_by(r.seq).limit(limit)) for q in record_parts]
                       + [_uniform("m", memberships.pull_query(who, cursor, limit))]))


_PARAMS = ("store", "region", "cursor", "limit")


@functools.lru_cache(maxsize=None)
def _sql(dialect: Dialect, scope: str, region: bool) -> tuple[str, tuple[str, ...], dict]:
    """The pull's statement as PostgreSQL receives it, rendered once per kind of scope: (SQL with
    the server's own ``$n`` placeholders, the parameters in their order, the statement's constants
    such as the kinds of records). Sent as it is through a raw cursor, nothing of it is built, keyed,
    rendered or parsed at a request (psycopg prepares it on the server once a connection has sent it
    a few times, as it does every statement)."""
    values = {"store": "", "cursor": 0, "limit": 1, **({"region": ""} if region else {})}  # placeholders stay
    compiled = _statement(scope, region).params(values).compile(dialect=dialect,
                                                                compile_kwargs={"render_postcompile": True})
    constants = {k: v for k, v in compiled.construct_expanded_state().parameters.items() if k not in _PARAMS}
    names: list[str] = []

    def number(m: re.Match) -> str:  # a parameter named again is the same $n
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    sql = re.sub(r"%\(([^)]+)\)s", number, compiled.string).replace("%%", "%")
    return sql, tuple(names), constants


def _rows(conn: Connection, scope: str, region: bool, values: dict) -> Sequence:
    """The pull's rows as tuples (what, seq, a, b, c, t1, t2, j1, j2, deleted)."""
    if conn.dialect.name != "postgresql":  # SQLite: its times as the column types read them
        return conn.execute(_statement(scope, region), values).all()
    import psycopg

    sql, names, constants = _sql(conn.dialect, scope, region)
    params = [{**constants, **values}[n] for n in names]
    with psycopg.RawCursor(conn.connection.driver_connection) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def pull(hq: Headquarters, who: Identity, cursor: int, limit: int = 500) -> str:
    """One page after ``cursor``, as a JSON text: {"items": [...], "cursor": n, "more": bool}.

    Items are in seq order; documents are spliced in as stored (no parse, no re-encode).
    """
    if not 0 <= cursor <= MAX_SEQ:
        raise Invalid(Msg("cursor: must be between 0 and {max}", max=MAX_SEQ))
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    region = bool(who.scope == "region" and who.region)
    with hq.engine.connect() as conn:
        rows = _rows(conn, who.scope, region, {
            "cursor": cursor, "limit": limit, "store": who.store_code, "region": who.region})
    if not rows:  # nothing new in the store's scope: the common answer of an idle store
        return '{"items":[],"cursor":%d,"more":false}' % cursor
    counts = {"c": 0, "r": 0, "m": 0}
    for row in rows:
        counts[row[0]] += 1
    merged = sorted(((row[1], row[0], _Row(*row)) for row in rows), key=lambda x: x[0])
    # every part returned at most ``limit`` rows in seq order: the first ``limit`` of the merge
    # are exactly the next ``limit`` rows of the whole scope
    more = len(merged) > limit or any(n >= limit for n in counts.values())
    merged = merged[:limit]
    parts = []
    for seq, what, row in merged:
        if what == "c":
            parts.append(
                '{"t":"customer","seq":%d,"doc":{"id":%s,"reference":%s,"store_code":%s,'
                '"created_at":%s,"anonymized_at":%s,"fields":%s,"clocks":%s}}' % (
                    seq, json.dumps(row.a), json.dumps(row.b), json.dumps(row.c),
                    json_time(row.t1), json_time(row.t2), row.j1, row.j2))
        elif what == "m":
            parts.append(memberships.pull_item(SimpleNamespace(seq=seq, id=row.a, organization_id=row.b,
                                                               person_id=row.c, fields=row.j1, clocks=row.j2)))
        else:
            parts.append('{"t":%s,"seq":%d,"key":%s,"deleted":%s,"doc":%s}' % (
                json.dumps(row.a), seq, json.dumps(row.b), "true" if row.deleted else "false", row.j1))
    next_cursor = merged[-1][0] if merged else cursor
    return '{"items":[%s],"cursor":%d,"more":%s}' % (",".join(parts), next_cursor,
                                                      "true" if more and merged else "false")
