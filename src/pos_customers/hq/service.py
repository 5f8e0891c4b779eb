"""What headquarters does, without HTTP: enrol terminals, apply pushed events once, serve pulls.

Every method is one transaction. Pushes lock the ``seq`` counter first, so they apply one after
another and their rows become visible in ``seq`` order (the pull cursor relies on it).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import orjson
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from ..domain.text import display_name
from ..domain.merge import DOCUMENT_FIELDS, merge_fields
from . import search as customer_search  # issue 11: the till's search at headquarters
from . import tables as t

GLOBAL_KINDS = ("group", "affiliation", "attribute", "purpose")
STORE_KINDS = ("template", "associate", "note")
CUSTOMER_KINDS = ("order", "conflict")
SCOPES = ("own", "region", "all")
ENROLMENT_TTL = timedelta(hours=24)


class HqError(Exception):
    status = 400


class Forbidden(HqError):
    status = 403


class NotFound(HqError):
    status = 404


class Unauthorized(HqError):
    status = 401


def digest(secret: str) -> str:
    """Tokens are 256-bit random values: a SHA-256 digest is the right one-way hash for them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    store_code: str
    scope: str
    region: str


@dataclass
class PushResult:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0


def search_text(fields: dict[str, Any], reference: str) -> str:
    words = [fields.get(k) or "" for k in ("first_name", "middle_name", "last_name",
                                            "organization_name", "company")]
    words += [e["address"] for e in fields.get("emails") or []]
    words += [p["e164"].lstrip("+") for p in fields.get("phones") or []]
    words += [a.get("postal_code", "") + " " + a.get("city", "") for a in fields.get("addresses") or []]
    words.append(reference)
    return " ".join(w for w in words if w).casefold()


class Headquarters:
    def __init__(self, engine: Engine, *, now: Callable[[], datetime] | None = None, mailer=None,
                 reset_url: str = "http://127.0.0.1:8750/reset", mail_from: str = "no-reply@pos-customers.invalid",
                 reset_ttl: timedelta = timedelta(hours=2), reset_limit_per_hour: int = 3):
        self.engine = engine
        self._now = now or (lambda: datetime.now(timezone.utc))
        if mailer is None:
            from .mailer import FileMailer, default_mail_folder
            mailer = FileMailer(default_mail_folder())
        self.mailer = mailer
        self.reset_url, self.mail_from = reset_url, mail_from
        self.reset_ttl, self.reset_limit_per_hour = reset_ttl, reset_limit_per_hour
        self._auth_cache: dict[str, tuple[Identity, float]] = {}

    # -- stores and terminals --------------------------------------------------------------------
    def add_store(self, code: str, name: str, *, number: int | None = None, country: str = "",
                  currency: str = "", language: str = "", region: str = "", scope: str = "own") -> str:
        """Register a store and return a one-time enrolment token for its first terminal."""
        code = code.strip().upper()
        if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
            raise HqError("a store code is 1-32 letters, digits, - or _")
        if scope not in SCOPES:
            raise HqError(f"scope must be one of {', '.join(SCOPES)}")
        with self.engine.begin() as conn:
            if conn.execute(select(t.store.c.code).where(t.store.c.code == code)).first():
                raise HqError(f"store {code} already exists")
            if number is None:
                number = (conn.execute(select(func.max(t.store.c.number))).scalar() or 0) + 1
            elif conn.execute(select(t.store.c.code).where(t.store.c.number == number)).first():
                raise HqError(f"store number {number} is taken")
            if not 1 <= number <= 8191:
                raise HqError("a store number is 1..8191 (it is part of every customer reference)")
            conn.execute(insert(t.store).values(
                code=code, number=number, name=name.strip() or code, country=country.upper(),
                currency=currency.upper(), language=language, region=region, scope=scope,
                created_at=self._now()))
            return self._issue_token(conn, code)

    def issue_token(self, code: str) -> str:
        with self.engine.begin() as conn:
            if not conn.execute(select(t.store.c.code).where(t.store.c.code == code.upper())).first():
                raise NotFound(f"no store {code}")
            return self._issue_token(conn, code.upper())

    def _issue_token(self, conn: Connection, code: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self._now()
        conn.execute(insert(t.enrolment).values(token_hash=digest(token), store_code=code,
                                                created_at=now, expires_at=now + ENROLMENT_TTL))
        return token

    def set_scope(self, code: str, scope: str) -> None:
        if scope not in SCOPES:
            raise HqError(f"scope must be one of {', '.join(SCOPES)}")
        with self.engine.begin() as conn:
            if not conn.execute(update(t.store).where(t.store.c.code == code.upper())
                                .values(scope=scope)).rowcount:
                raise NotFound(f"no store {code}")
        self._auth_cache.clear()

    def stores(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(t.store).order_by(t.store.c.code))]

    def enrol(self, token: str, terminal_name: str = "") -> tuple[str, str, dict[str, Any]]:
        """Trade a one-time token for a terminal credential. Returns (terminal id, credential, store)."""
        now = self._now()
        with self.engine.begin() as conn:
            row = conn.execute(select(t.enrolment).where(t.enrolment.c.token_hash == digest(token))
                               .with_for_update()).first()
            if row is None or row.used_at is not None or _aware(row.expires_at) < now:
                raise Unauthorized("the enrolment token is unknown, used or expired")
            conn.execute(update(t.enrolment).where(t.enrolment.c.token_hash == row.token_hash)
                         .values(used_at=now))
            credential = secrets.token_urlsafe(32)
            terminal_id = str(uuid.uuid4())
            conn.execute(insert(t.terminal).values(
                id=terminal_id, store_code=row.store_code, name=terminal_name[:120],
                credential_hash=digest(credential), created_at=now))
            store = dict(conn.execute(select(t.store).where(t.store.c.code == row.store_code)).one()._mapping)
        store["created_at"] = store["created_at"].isoformat() if store["created_at"] else None
        return terminal_id, credential, store

    AUTH_CACHE_SECONDS = 30.0  # a revoked credential stops working within this time

    def authenticate(self, credential: str | None) -> Identity:
        if not credential:
            raise Unauthorized("a terminal credential is required (Authorization: Bearer ...)")
        key = digest(credential)
        hit = self._auth_cache.get(key)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.terminal.c.id, t.terminal.c.store_code, t.terminal.c.revoked, t.store.c.scope,
                       t.store.c.region)
                .join(t.store, t.store.c.code == t.terminal.c.store_code)
                .where(t.terminal.c.credential_hash == digest(credential))).first()
        if row is None or row.revoked:
            raise Unauthorized("unknown or revoked terminal credential")
        who = Identity(row.id, row.store_code, row.scope, row.region)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[key] = (who, time.monotonic() + self.AUTH_CACHE_SECONDS)
        return who

    # -- push ------------------------------------------------------------------------------------
    def push(self, who: Identity, events: list[dict[str, Any]]) -> PushResult:
        """Apply a batch of outbox events, in order, each exactly once (by its id)."""
        _check_scope(who, events)
        result = PushResult()
        now = self._now()
        with self.engine.begin() as conn:
            # lock the customers first (sorted: no deadlock), then see which events are new: a
            # concurrent resend of the same batch waits here and then finds them applied
            customers = self._load_customers(conn, {e["entity_id"] for e in events if e["entity"] == "customer"})
            ids = [e["id"] for e in events]
            done = set(conn.execute(select(t.applied_event.c.id)
                                    .where(t.applied_event.c.id.in_(ids))).scalars())
            todo, seen = [], set()
            for e in events:
                if e["id"] in done or e["id"] in seen:
                    result.duplicates.append(e["id"])
                else:
                    seen.add(e["id"])
                    todo.append(e)
            fresh: set[str] = set()
            touched: dict[str, None] = {}  # in event order
            erase: list[str] = []           # anonymized: their notes, conflicts and audit values go
            records: dict[tuple[str, str], dict[str, Any]] = {}
            for e in todo:
                kind = e["type"]
                p = e["payload"]
                stamp = e["hlc"]
                if kind == "customer.created":
                    cid = p["id"]
                    if cid not in customers:
                        customers[cid] = {
                            "id": cid, "reference": p["reference"], "home_store": who.store_code,
                            "region": who.region, "created_at": _parse(p.get("created_at")),
                            "anonymized_at": None, "fields": {}, "clocks": {}}
                        fresh.add(cid)
                    self._merge(customers[cid], p["fields"], stamp, {}, who, e, result, records, now)
                    touched[cid] = None
                elif kind in ("customer.updated", "customer.anonymized"):
                    cid = p["id"]
                    if cid not in customers:
                        if not p.get("reference"):
                            raise HqError(f"event {e['id']}: customer {cid} is unknown here")
                        customers[cid] = {
                            "id": cid, "reference": p["reference"],
                            "home_store": p.get("store_code") or who.store_code, "region": who.region,
                            "created_at": None, "anonymized_at": None, "fields": {}, "clocks": {}}
                        fresh.add(cid)
                    c = customers[cid]
                    if kind == "customer.anonymized":
                        c["fields"] = {**c["fields"], **p["fields"]}
                        c["clocks"] = {**c["clocks"], **{k: stamp for k in p["fields"]}}
                        c["anonymized_at"] = c["anonymized_at"] or now
                        erase.append(cid)
                    else:
                        self._merge(c, p["fields"], stamp, p.get("base") or {}, who, e, result, records, now)
                    touched[cid] = None
                elif kind == "note.created":
                    records[("note", p["id"])] = {"doc": {**p, "store_code": who.store_code},
                                                 "store_code": who.store_code, "customer_id": p["customer_id"]}
                elif kind == "template.updated":
                    records[("template", who.store_code)] = {"doc": p, "store_code": who.store_code}
                elif kind == "associate.changed":
                    records[("associate", f"{who.store_code}:{p['number']}")] = {
                        "doc": {**p, "store_code": who.store_code}, "store_code": who.store_code}
                elif kind in ("group.changed", "affiliation.changed", "attribute.changed", "purpose.changed"):
                    records[(kind.split(".")[0], p["code"])] = {"doc": p}
                elif kind == "purpose.deleted":
                    records[("purpose", p["code"])] = {"doc": p, "deleted": True}
                elif kind == "store.created":
                    pass  # stores are registered at headquarters (hq add-store), not by terminals
                else:
                    raise HqError(f"event {e['id']}: unknown type {kind!r}")
                result.applied.append(e["id"])
            conn.execute(update(t.terminal).where(t.terminal.c.id == who.terminal_id).values(last_seen_at=now))
            # the seq counter is locked last and only for the writes: pushes queue here briefly,
            # and their rows become visible in seq order
            seq = start = conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")
                                       .with_for_update()).scalar_one()
            inserts, updates = [], []
            for cid in touched:
                seq += 1
                c = customers[cid]
                values = dict(
                    home_store=c["home_store"], region=c["region"], created_at=c["created_at"],
                    updated_at=now, anonymized_at=c["anonymized_at"], seq=seq,
                    fields=_dumps(c["fields"]), clocks=_dumps(c["clocks"]),
                    search_text=search_text(c["fields"], c["reference"]))
                if cid in fresh:
                    inserts.append({"id": cid, "reference": c["reference"], **values})
                else:
                    updates.append({"b_id": cid, **values})
            if inserts:
                _bulk_insert(conn, t.customer, inserts)
            if updates:
                conn.execute(update(t.customer).where(t.customer.c.id == bindparam("b_id")), updates)
            customer_search.index_customers(conn, (  # search index: in step with hq_customer
                (cid, customers[cid]["fields"], customers[cid]["anonymized_at"] is not None) for cid in touched))
            if records:
                seq = self._put_records(conn, [(k, key, r) for (k, key), r in records.items()], seq)
            for cid in erase:
                self._erase_personal_records(conn, cid)
            if todo:
                _bulk_insert(conn, t.applied_event, [
                    {"id": e["id"], "store_code": who.store_code, "terminal_id": who.terminal_id,
                     "applied_at": now} for e in todo])
            if seq != start:
                conn.execute(update(t.counter).where(t.counter.c.name == "seq").values(value=seq))
            result.last_seq = seq
        if any(e["type"] == "customer.anonymized" for e in todo):
            from .db import scrub
            scrub(self.engine)
        return result

    def _merge(self, c: dict[str, Any], incoming: dict[str, Any], stamp: str, base: dict[str, str],
               who: Identity, event: dict[str, Any], result: PushResult,
               records: dict[tuple[str, str], dict[str, Any]], now: datetime) -> None:
        merged = merge_fields(c["fields"], c["clocks"], incoming, stamp, base,
                              anonymized=c["anonymized_at"] is not None)
        c["fields"], c["clocks"] = merged.fields, merged.clocks
        for x in merged.conflicts:
            doc = {"id": f"{event['id']}:{x.field}", "customer_id": c["id"], "field": x.field,
                   "kept": x.kept, "kept_stamp": x.kept_stamp, "lost": x.lost, "lost_stamp": x.lost_stamp,
                   "origin_store": who.store_code, "at": now.isoformat()}
            records[("conflict", doc["id"])] = {"doc": doc, "customer_id": c["id"]}
            result.conflicts.append(doc)

    def _erase_personal_records(self, conn: Connection, customer_id: str) -> None:
        """Anonymized: notes and conflicts about the customer go (stores drop theirs when they
        receive the anonymization); the terminals' audit rows about them keep only their digests."""
        notes = [json.loads(d)["id"] for d in conn.execute(select(t.record.c.doc).where(and_(
            t.record.c.kind == "note", t.record.c.customer_id == customer_id))).scalars()]
        conn.execute(t.record.delete().where(and_(t.record.c.customer_id == customer_id,
                                                  t.record.c.kind.in_(("note", "conflict")))))
        for row in conn.execute(select(t.audit.c.terminal_id, t.audit.c.local_id, t.audit.c.row)).all():
            r = json.loads(row.row)
            about = (r.get("entity") == "customer" and r.get("entity_id") == customer_id) or (
                r.get("entity") == "customer_note" and r.get("entity_id") in notes)
            if about and r.get("changes"):
                r["changes"], r["redacted"] = {}, True
                conn.execute(update(t.audit).where(and_(t.audit.c.terminal_id == row.terminal_id,
                                                        t.audit.c.local_id == row.local_id)).values(row=_dumps(r)))

    def customer_record(self, who: Identity, customer_id: str) -> dict[str, Any]:
        """What headquarters holds on one customer (for an access request): the merged document,
        orders, conflicts, this store's notes, and the audit rows about them."""
        with self.engine.connect() as conn:
            row = conn.execute(select(t.customer).where(t.customer.c.id == customer_id)).first()
            if row is None:
                raise NotFound(f"no customer {customer_id} at headquarters")
            linked = conn.execute(select(t.record.c.kind, t.record.c.store_code, t.record.c.doc).where(
                t.record.c.customer_id == customer_id)).all()
            audit = [json.loads(a.row) | {"at": _iso(a.at), "terminal_id": a.terminal_id, "store": a.store_code}
                     for a in conn.execute(select(t.audit.c.row, t.audit.c.at, t.audit.c.terminal_id,
                                                  t.audit.c.store_code).order_by(t.audit.c.at))]
        return {"customer": {"id": row.id, "reference": row.reference, "home_store": row.home_store,
                             "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
                             "anonymized_at": _iso(row.anonymized_at), "fields": json.loads(row.fields)},
                "orders": [json.loads(d) for k, _, d in linked if k == "order"],
                "conflicts": [json.loads(d) for k, _, d in linked if k == "conflict"],
                "notes": [json.loads(d) for k, st, d in linked if k == "note" and st == who.store_code],
                "audit": [a for a in audit if a.get("entity") == "customer" and a.get("entity_id") == customer_id]}

    def _load_customers(self, conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        if not ids:
            return out
        rows = conn.execute(select(t.customer).where(t.customer.c.id.in_(sorted(ids)))
                            .with_for_update()).all()
        for r in rows:
            out[r.id] = {"id": r.id, "reference": r.reference, "home_store": r.home_store,
                         "region": r.region, "created_at": r.created_at, "anonymized_at": r.anonymized_at,
                         "fields": json.loads(r.fields), "clocks": json.loads(r.clocks)}
        return out

    def _put_records(self, conn: Connection, items: list[tuple[str, str, dict[str, Any]]], seq: int) -> int:
        """Insert or replace records, each with the next seq. Returns the last seq used."""
        keys = {(k, key) for k, key, _ in items}
        existing = set()
        for kind in {k for k, _ in keys}:
            wanted = [key for k, key in keys if k == kind]
            existing |= {(kind, key) for key in conn.execute(select(t.record.c.key).where(
                and_(t.record.c.kind == kind, t.record.c.key.in_(wanted)))).scalars()}
        inserts, updates = [], []
        for kind, key, r in items:
            seq += 1
            values = dict(store_code=r.get("store_code"), customer_id=r.get("customer_id"), seq=seq,
                          doc=_dumps(r["doc"]), deleted=bool(r.get("deleted")))
            if (kind, key) in existing:
                updates.append({"b_kind": kind, "b_key": key, **values})
            else:
                inserts.append({"kind": kind, "key": key, **values})
        if inserts:
            conn.execute(insert(t.record), inserts)
        if updates:
            conn.execute(update(t.record).where(and_(t.record.c.kind == bindparam("b_kind"),
                                                     t.record.c.key == bindparam("b_key"))), updates)
        return seq

    def put_records(self, items: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Headquarters' own data (order summaries from the order system, ...): kind, key, record."""
        with self.engine.begin() as conn:
            seq = conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")
                               .with_for_update()).scalar_one()
            seq = self._put_records(conn, list(items), seq)
            conn.execute(update(t.counter).where(t.counter.c.name == "seq").values(value=seq))

    # -- pull ------------------------------------------------------------------------------------
    def _in_scope(self, who: Identity):
        c = t.customer.c
        mine = select(t.interest.c.customer_id).where(t.interest.c.store_code == who.store_code)
        if who.scope == "all":
            return None
        if who.scope == "region" and who.region:
            return or_(c.region == who.region, c.home_store == who.store_code, c.id.in_(mine))
        return or_(c.home_store == who.store_code, c.id.in_(mine))

    def _customer_queries(self, who: Identity, cursor: int, limit: int) -> list:
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

    def pull(self, who: Identity, cursor: int, limit: int = 500) -> str:
        """One page after ``cursor``, as a JSON text: {"items": [...], "cursor": n, "more": bool}.

        Items are in seq order; documents are spliced in as stored (no parse, no re-encode).
        """
        limit = max(1, min(limit, 5000))
        r = t.record.c
        record_parts = [
            select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(GLOBAL_KINDS), r.seq > cursor),
            select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.store_code == who.store_code,
                                                                 r.kind.in_(STORE_KINDS), r.seq > cursor)]
        linked = select(r.kind, r.key, r.seq, r.doc, r.deleted).where(r.kind.in_(CUSTOMER_KINDS), r.seq > cursor)
        scope = self._in_scope(who)
        if scope is not None:
            linked = linked.where(r.customer_id.in_(select(t.customer.c.id).where(scope)))
        record_parts.append(linked)
        with self.engine.connect() as conn:
            customers = [row for q in self._customer_queries(who, cursor, limit) for row in conn.execute(q)]
            records = [row for q in record_parts for row in conn.execute(q.order_by(r.seq).limit(limit))]
        merged = sorted([(row.seq, "c", row) for row in customers] + [(row.seq, "r", row) for row in records],
                        key=lambda x: x[0])
        # every part returned at most ``limit`` rows in seq order: the first ``limit`` of the merge
        # are exactly the next ``limit`` rows of the whole scope
        more = len(merged) > limit or len(customers) >= limit or len(records) >= limit
        merged = merged[:limit]
        parts = []
        for seq, what, row in merged:
            if what == "c":
                parts.append(
                    '{"t":"customer","seq":%d,"doc":{"id":"%s","reference":"%s","store_code":"%s",'
                    '"created_at":%s,"anonymized_at":%s,"fields":%s,"clocks":%s}}' % (
                        seq, row.id, row.reference, row.home_store,  # uuid, A-Z0-9, store code: no escaping
                        _json_time(row.created_at), _json_time(row.anonymized_at), row.fields, row.clocks))
            else:
                parts.append('{"t":%s,"seq":%d,"key":%s,"deleted":%s,"doc":%s}' % (
                    json.dumps(row.kind), seq, json.dumps(row.key), "true" if row.deleted else "false",
                    row.doc))
        next_cursor = merged[-1][0] if merged else cursor
        return '{"items":[%s],"cursor":%d,"more":%s}' % (",".join(parts), next_cursor,
                                                          "true" if more and merged else "false")

    # -- other stores' customers -----------------------------------------------------------------
    def search(self, who: Identity, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The till's search over every store's customers (hq/search.py), phone numbers read as
        in the calling terminal's store's country."""
        with self.engine.connect() as conn:
            return customer_search.search(conn, query, country=customer_search.store_country(conn, who.store_code),
                                          limit=max(1, min(limit, 100)))

    def pull_in(self, who: Identity, customer_id: str) -> dict[str, Any]:
        """A customer of another store, opened here: from now on it comes with this store's pulls."""
        with self.engine.begin() as conn:
            row = conn.execute(select(t.customer).where(t.customer.c.id == customer_id)).first()
            if row is None:
                raise NotFound(f"no customer {customer_id} at headquarters")
            if not conn.execute(select(t.interest.c.customer_id).where(and_(
                    t.interest.c.store_code == who.store_code, t.interest.c.customer_id == customer_id))).first():
                conn.execute(insert(t.interest).values(store_code=who.store_code, customer_id=customer_id))
            linked = conn.execute(select(t.record.c.kind, t.record.c.doc).where(and_(
                t.record.c.customer_id == customer_id, t.record.c.kind.in_(CUSTOMER_KINDS)))).all()
        return {"customer": {"id": row.id, "reference": row.reference, "store_code": row.home_store,
                             "created_at": _iso(row.created_at), "anonymized_at": _iso(row.anonymized_at),
                             "fields": json.loads(row.fields), "clocks": json.loads(row.clocks)},
                "orders": [json.loads(d) for k, d in linked if k == "order"],
                "conflicts": [json.loads(d) for k, d in linked if k == "conflict"]}

    def orders(self, who: Identity, customer_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            docs = conn.execute(select(t.record.c.doc).where(and_(
                t.record.c.kind == "order", t.record.c.customer_id == customer_id))).scalars().all()
        return sorted((json.loads(d) for d in docs), key=lambda o: o["ordered_at"], reverse=True)

    def store_records(self, who: Identity, code: str, kind: str) -> list[dict[str, Any]]:
        """A store's own template, associates or notes: that store's terminals only."""
        if kind not in STORE_KINDS:
            raise NotFound(f"no such store data: {kind}")
        if code.upper() != who.store_code:
            raise Forbidden(f"store {who.store_code} may not read store {code.upper()}'s {kind}s")
        with self.engine.connect() as conn:
            docs = conn.execute(select(t.record.c.doc).where(and_(
                t.record.c.kind == kind, t.record.c.store_code == who.store_code,
                t.record.c.deleted.is_(False))).order_by(t.record.c.key)).scalars().all()
        out = [json.loads(d) for d in docs]
        if kind == "associate":
            for a in out:
                a.pop("pin_hash", None)  # never leaves headquarters by this route
        return out

    def import_customers(self, docs: Iterable[dict[str, Any]]) -> int:
        """Load customer documents as they are (fields and clocks): a terminal's existing customers
        on first connection, or the demo. Returns headquarters' seq afterwards."""
        with self.engine.begin() as conn:
            regions = dict(conn.execute(select(t.store.c.code, t.store.c.region)).all())
            seq = conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")
                               .with_for_update()).scalar_one()
            now, rows = self._now(), []
            for d in docs:
                if not _REFERENCE.fullmatch(d["reference"]) or str(uuid.UUID(d["id"])) != d["id"]:
                    raise HqError(f"customer {d['id']!r}: bad id or reference")
                seq += 1
                rows.append({"id": d["id"], "reference": d["reference"], "home_store": d["store_code"],
                             "region": regions.get(d["store_code"], ""), "created_at": _parse(d.get("created_at")),
                             "updated_at": now, "anonymized_at": _parse(d.get("anonymized_at")), "seq": seq,
                             "fields": _dumps(d["fields"]), "clocks": _dumps(d.get("clocks") or {}),
                             "search_text": search_text(d["fields"], d["reference"])})
            for k in range(0, len(rows), 1000):
                _bulk_insert(conn, t.customer, rows[k:k + 1000])
            customer_search.index_customers(conn, (  # search index: in step with hq_customer
                (d["id"], d["fields"], d.get("anonymized_at") is not None) for d in docs))
            conn.execute(update(t.counter).where(t.counter.c.name == "seq").values(value=seq))
        return seq

    def current_seq(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")).scalar_one()

    def receive_audit(self, who: Identity, rows: list[dict[str, Any]]) -> tuple[int, list[str]]:
        """A terminal's audit rows, in order. Each is checked (its hash, and its link to the last row
        received from that terminal) and kept. Returns (rows kept, problems found)."""
        from ..domain.audit import GENESIS, audit_hash, changes_hash

        problems: list[str] = []
        kept = 0
        with self.engine.begin() as conn:
            last = conn.execute(select(t.audit.c.local_id, t.audit.c.hash).where(t.audit.c.terminal_id == who.terminal_id)
                                .order_by(t.audit.c.local_id.desc()).limit(1).with_for_update()).first()
            prev_id, prev_hash = (last.local_id, last.hash) if last else (0, None)
            out = []
            for r in sorted(rows, key=lambda r: r["id"]):
                if r["id"] <= prev_id:
                    continue  # sent before: kept already
                at = datetime.fromisoformat(r["at"])
                digest = r["changes_hash"] if r.get("redacted") else changes_hash(r["changes"])
                ok = audit_hash(r["prev_hash"], id=r["id"], at=at, associate=r["associate"], terminal=r["terminal"],
                                store=r["store"], entity=r["entity"], entity_id=r["entity_id"], action=r["action"],
                                changes_digest=digest) == r["hash"]
                linked = r["prev_hash"] == (prev_hash if prev_hash is not None else r["prev_hash"])
                if prev_hash is None and r["prev_hash"] != GENESIS and prev_id == 0 and r["id"] == 1:
                    linked = False
                if not ok:
                    problems.append(f"terminal {who.terminal_id}: audit row {r['id']} does not match its hash")
                elif not linked:
                    problems.append(f"terminal {who.terminal_id}: audit row {r['id']} does not follow row {prev_id}")
                out.append({"terminal_id": who.terminal_id, "local_id": r["id"], "store_code": who.store_code,
                            "at": at, "prev_hash": r["prev_hash"], "hash": r["hash"], "chain_ok": ok and linked,
                            "row": _dumps({k: r.get(k) for k in ("associate", "terminal", "store", "entity",
                                                                  "entity_id", "action", "changes", "changes_hash",
                                                                  "redacted")})})
                prev_id, prev_hash = r["id"], r["hash"]
            if out:
                _bulk_insert(conn, t.audit, out)
                kept = len(out)
        return kept, problems

    def audit_rows(self, store_code: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(t.audit).where(t.audit.c.store_code == store_code).order_by(t.audit.c.terminal_id,
                                                                                  t.audit.c.local_id))]

    # -- password links ---------------------------------------------------------------------------
    RESET_ANSWER = "If the address belongs to a registered account, a link to set a password is on its way."

    def request_reset(self, who: Identity | None, email: str) -> str:
        """Mail a single-use link to set a new password. The answer is the same whether or not the
        address exists, is registered, or has asked too often (no account discovery)."""
        from email.message import EmailMessage

        address = (email or "").strip().casefold()
        now = self._now()
        token = None
        with self.engine.begin() as conn:
            row = self._customer_by_email(conn, address)
            if row is not None:
                recent = conn.execute(select(func.count()).select_from(t.reset_token).where(and_(
                    t.reset_token.c.customer_id == row.id,
                    t.reset_token.c.created_at > now - timedelta(hours=1)))).scalar_one()
                if recent < self.reset_limit_per_hour:
                    token = secrets.token_urlsafe(32)
                    conn.execute(insert(t.reset_token).values(token_hash=digest(token), customer_id=row.id,
                                                              created_at=now, expires_at=now + self.reset_ttl))
        if token is not None:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = self.mail_from, email.strip(), "Set your password"
            hours = int(self.reset_ttl.total_seconds() // 3600)
            msg.set_content(
                "Hello,\n\nsomeone (hopefully you, at one of our stores) asked for a link to set the password of "
                f"your customer account:\n\n    {self.reset_url}?token={token}\n\nThe link works once, for "
                f"{hours} hour{'s' if hours != 1 else ''}. If you did not ask for it, ignore this mail.\n")
            self.mailer.send(msg)
        return self.RESET_ANSWER

    def _customer_by_email(self, conn: Connection, address: str):
        if not address or "@" not in address:
            return None
        escaped = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for row in conn.execute(select(t.customer.c.id, t.customer.c.fields).where(
                t.customer.c.anonymized_at.is_(None),
                t.customer.c.search_text.like(f"%{escaped}%", escape="\\"))):
            f = json.loads(row.fields)
            if f.get("account_type") == "registered" and any(
                    e["address"].casefold() == address for e in f.get("emails") or []):
                return row
        return None

    def reset_password(self, token: str, new_password: str) -> None:
        """Consume a link: check the policy, store the argon2id hash, and let every store know."""
        from argon2 import PasswordHasher

        from ..domain.password import PasswordPolicy, password_problems

        now = self._now()
        with self.engine.begin() as conn:
            row = conn.execute(select(t.reset_token).where(t.reset_token.c.token_hash == digest(token or ""))
                               .with_for_update()).first()
            if row is None or row.used_at is not None or _aware(row.expires_at) < now:
                raise HqError("this link is unknown, used or expired: ask the store for a new one")
            customer = self._load_customers(conn, {row.customer_id}).get(row.customer_id)
            if customer is None or customer["anonymized_at"] is not None:
                raise HqError("this account no longer exists")
            f = customer["fields"]
            problems = password_problems(PasswordPolicy(), new_password,
                                         email=next((e["address"] for e in f.get("emails") or []), ""),
                                         names=(f.get("first_name") or "", f.get("last_name") or ""))
            if problems:
                raise HqError("the password needs " + ", ".join(problems))
            hashed = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(new_password)
            stamp = _next_stamp(customer["clocks"], now)
            fields = {**f, "password_hash": hashed, "password_changed_at": now.isoformat()}
            clocks = {**customer["clocks"], "password_hash": stamp, "password_changed_at": stamp}
            conn.execute(update(t.reset_token).where(t.reset_token.c.customer_id == row.customer_id,
                                                     t.reset_token.c.used_at.is_(None)).values(used_at=now))
            seq = conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")
                               .with_for_update()).scalar_one() + 1
            conn.execute(update(t.customer).where(t.customer.c.id == row.customer_id).values(
                fields=_dumps(fields), clocks=_dumps(clocks), updated_at=now, seq=seq))
            customer_search.index_customers(conn, [(row.customer_id, fields, False)])  # search index
            conn.execute(update(t.counter).where(t.counter.c.name == "seq").values(value=seq))

    SIGN_IN_REFUSED = "unknown email or wrong password"

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """An online sign-in (the web shop asks): checks the argon2id hash and records when, so every
        store's Account tab shows the last sign-in. A wrong email and a wrong password look alike."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        now = self._now()
        with self.engine.begin() as conn:
            row = self._customer_by_email(conn, (email or "").strip().casefold())
            customer = self._load_customers(conn, {row.id}).get(row.id) if row is not None else None
            stored = (customer or {}).get("fields", {}).get("password_hash")
            try:
                ok = bool(stored) and hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok:
                if not stored:
                    hasher.hash(password)  # the same time spent whether or not the account exists
                raise Unauthorized(self.SIGN_IN_REFUSED)
            stamp = _next_stamp(customer["clocks"], now)
            fields = {**customer["fields"], "last_sign_in_at": now.isoformat()}
            clocks = {**customer["clocks"], "last_sign_in_at": stamp}
            seq = conn.execute(select(t.counter.c.value).where(t.counter.c.name == "seq")
                               .with_for_update()).scalar_one() + 1
            conn.execute(update(t.customer).where(t.customer.c.id == row.id).values(
                fields=_dumps(fields), clocks=_dumps(clocks), updated_at=now, seq=seq))
            customer_search.index_customers(conn, [(row.id, fields, False)])  # search index
            conn.execute(update(t.counter).where(t.counter.c.name == "seq").values(value=seq))
        return {"customer_id": row.id, "reference": customer["reference"]}

    def customer_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.customer)).scalar_one()


def _bulk_insert(conn: Connection, table, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: COPY on PostgreSQL (one round trip for the lot), executemany elsewhere."""
    if conn.dialect.name != "postgresql" or len(rows) < 20:
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


_REFERENCE = re.compile(r"[0-9A-Z]{9}")


def _check_shape(e: dict[str, Any]) -> None:
    """Customer ids are UUIDs and references 9 symbols: nothing else is stored (or sent on)."""
    p = e.get("payload") or {}
    cid = p.get("id", "")
    try:
        ok = str(uuid.UUID(cid)) == cid
    except (ValueError, TypeError, AttributeError):
        ok = False
    if not ok or cid != e.get("entity_id"):
        raise HqError(f"event {e.get('id')}: customer id {cid!r} is not a UUID matching entity_id")
    if p.get("reference") is not None and not _REFERENCE.fullmatch(str(p["reference"])):
        raise HqError(f"event {e.get('id')}: {p['reference']!r} is not a customer reference")
    if not isinstance(p.get("fields", {}), dict):
        raise HqError(f"event {e.get('id')}: fields must be an object")


def _check_scope(who: Identity, events: list[dict[str, Any]]) -> None:
    """Malformed events, and store-scoped data of another store, are refused before anything is applied."""
    for e in events:
        p = e.get("payload") or {}
        if e.get("entity") == "customer":
            _check_shape(e)
        if e.get("type") == "template.updated" and (p.get("store_code") or "").upper() != who.store_code:
            raise Forbidden(f"store {who.store_code} may not change store {p.get('store_code')}'s template")
        if e.get("type") == "associate.changed" and p.get("store_code") not in (None, "", who.store_code):
            raise Forbidden(f"store {who.store_code} may not change store {p.get('store_code')}'s associates")
        if e.get("type") == "customer.created" and p.get("store_code") not in (None, "", who.store_code):
            raise Forbidden(f"store {who.store_code} may not register customers for store {p.get('store_code')}")


def _next_stamp(clocks: dict[str, str], now: datetime) -> str:
    """A hybrid-logical-clock stamp for a change headquarters makes itself: after every stamp the
    customer already carries, even when a terminal's clock ran ahead."""
    wall = int(now.timestamp() * 1000)
    top = max(clocks.values(), default="")
    if top and int(top[:13]) >= wall:
        return f"{int(top[:13]):013d}-{int(top[14:19]) + 1:05d}-hq"
    return f"{wall:013d}-00000-hq"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _json_time(moment: datetime | None) -> str:
    return f'"{_aware(moment).isoformat()}"' if moment else "null"


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


__all__ = ["Headquarters", "Identity", "PushResult", "HqError", "Forbidden", "NotFound", "Unauthorized",
           "DOCUMENT_FIELDS"]
