"""Customer segments at headquarters: define, evaluate, report (`hq segments ...`).

A rule (domain/segment.py) is compiled to one SQL condition over ``hq_customer`` with SQLAlchemy
expressions, the same on PostgreSQL and SQLite: the customer's group, consents, home store and
registration are indexed columns of ``hq_customer`` and each order a typed row of
``hq_order_fact``, kept in step with the documents by their writers (hq/facts.py). No document is
read and no customer is loaded into Python to be tested. Anonymized customers belong to no segment.

Evaluating a segment stores who belongs (``hq_segment_member``); after the first evaluation only
the customers changed since (their seq, their orders' seq, those an order left) and those whose
dated conditions the time since has moved (registered or ordered between the two windows'
starts) are evaluated again. A spend rule reads rolling per-customer totals (hq/spend.py).
What changed goes to the tills in bulk: per segment and home store, records of kind
``segment_members`` listing up to :data:`BATCH` customers who came and went. The definitions (code
and name) go out as records of kind ``segment``. `hq segments refresh` (daily) evaluates again.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

import orjson
from sqlalchemy import (String, and_, any_, bindparam, delete, false, func, insert, literal, not_, or_, select, true,
                        union, update)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from ..domain.enums import PullItemKind
from ..domain.errors import message_of
from ..domain.i18n import Msg
from ..domain.segment import (MAX_SEGMENTS, AllOf, AnyOf, BoughtIn, GroupIs, HomeStore, MarketingConsent,
                              NotRule, RegisteredWithin, Rule, RuleProblem, SegmentDefinition, Spent, explain,
                              parse_rule, rule_from, rule_json)
from ..domain.text import fields_display_name
from . import audit, spend
from . import tables as t
from .common import aware, bulk_insert, dumps, lock_seq, put_records, store_seq
from .errors import Conflict, Invalid, NotFound
from .spend import NOT_SPENDING, months_before

if TYPE_CHECKING:
    from .service import Headquarters

SEGMENT_KIND = "segment"                 # a definition, as the tills receive it (global)
MEMBERS_KIND = "customer_segments"       # one customer's codes (a customer brought into another store)
BATCH_KIND = "segment_members"           # a segment's members who came and went, of one home store
BATCH = 1000                             # customers in one batch record
MAX_LOOK = 100_000                       # changed customers looked at one by one; more: all at once
CHUNK = 500


@dataclass(frozen=True)
class SegmentView:
    code: str
    name: str
    rule: Rule
    created_at: datetime
    updated_at: datetime
    evaluated_at: datetime | None
    members: int

    @property
    def rule_text(self) -> str:
        return rule_json(self.rule)


# -- compiling a rule ------------------------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    return aware(moment).astimezone(timezone.utc)


def condition(rule: Rule, dialect: str = "", now: datetime | None = None, within=None,
              starts: dict[spend.Window, datetime] | None = None) -> ColumnElement[bool]:
    """The rule as a condition on ``hq_customer`` (anonymized customers not excluded here): its
    typed columns and ``hq_order_fact`` (hq/facts.py), the same SQL on PostgreSQL and SQLite.
    ``within``: the only customers asked about, a function giving the condition on an id column
    (their orders alone are summed). ``starts``: the spend windows kept (:func:`spend.windows`,
    read in the same transaction): a spend rule over a kept window reads the customers' rolling
    totals (hq/spend.py) instead of summing their orders."""
    c, o = t.customer.c, t.order_fact.c
    now = now or datetime.now(timezone.utc)

    def _orders(*where):
        """The customers with an order meeting ``where``."""
        return select(o.customer_id).where(*where, *([within(o.customer_id)] if within is not None else []))

    def build(rule: Rule) -> ColumnElement[bool]:
        if isinstance(rule, GroupIs):
            return c.group_code.in_(rule.codes)
        if isinstance(rule, RegisteredWithin):
            return and_(c.created_at.is_not(None), c.created_at >= now - timedelta(days=rule.days))
        if isinstance(rule, HomeStore):
            return c.home_store.in_([s.upper() for s in rule.stores])
        if isinstance(rule, MarketingConsent):
            email, phone = c.email_consent.is_(True), c.phone_consent.is_(True)
            return {"email": email, "phone": phone, "any": or_(email, phone)}[rule.channel]
        if isinstance(rule, BoughtIn):
            where = [o.store_code.in_([s.upper() for s in rule.stores]), o.status != "cancelled"]
            if rule.months:
                where.append(o.ordered_at >= _utc(months_before(now, rule.months)))
            return c.id.in_(_orders(*where))
        if isinstance(rule, Spent):
            kept = (spend.spenders(c.id, rule.currency, rule.months, rule.more_than, now, starts, within)
                    if starts is not None else None)
            if kept is not None:
                return kept
            spenders = (_orders(o.currency == rule.currency, o.status.not_in(NOT_SPENDING),
                                o.ordered_at >= _utc(months_before(now, rule.months)))
                        .group_by(o.customer_id).having(func.sum(o.total_minor) > rule.more_than))
            return c.id.in_(spenders)
        if isinstance(rule, AllOf):
            return and_(true(), *[build(x) for x in rule.rules])
        if isinstance(rule, AnyOf):
            return or_(false(), *[build(x) for x in rule.rules])
        if isinstance(rule, NotRule):
            return not_(build(rule.rule))
        raise TypeError(f"no SQL for {type(rule).__name__}")  # a new kind needs its compilation here

    return build(rule)


def moved_by_time(rule: Rule, then: datetime, now: datetime) -> list:
    """Queries of the customers whose dated conditions may hold differently at ``now`` than at
    ``then`` (an earlier evaluation) without any change to their data: registered, or with an order,
    between the two windows' starts. With the customers changed since ``then``, they are all the
    rule can have gained or lost."""
    c, o = t.customer.c, t.order_fact.c
    out: list = []

    def walk(rule: Rule) -> None:
        if isinstance(rule, RegisteredWithin):
            span = timedelta(days=rule.days)
            out.append(select(c.id.label("id")).where(c.created_at >= then - span, c.created_at < now - span))
        elif isinstance(rule, (Spent, BoughtIn)) and rule.months:
            where = ([o.currency == rule.currency] if isinstance(rule, Spent)
                     else [o.store_code.in_([s.upper() for s in rule.stores])])
            out.append(select(o.customer_id.label("id")).where(
                *where, o.ordered_at >= _utc(months_before(then, rule.months)),
                o.ordered_at < _utc(months_before(now, rule.months))))
        for inner in (rule.rules if isinstance(rule, (AllOf, AnyOf)) else
                      [rule.rule] if isinstance(rule, NotRule) else []):
            walk(inner)

    walk(rule)
    return out


def _live(c) -> ColumnElement[bool]:
    """A customer a segment may hold: not anonymized, and not merged into another (whose redirect
    record follows it; its own row stays at headquarters for the pull)."""
    r = t.record.c
    return and_(c.anonymized_at.is_(None),
                ~select(r.key).where(r.kind == PullItemKind.REDIRECT.value, r.key == c.id).exists())


def member_query(rule: Rule, dialect: str = "", now: datetime | None = None,
                 starts: dict[spend.Window, datetime] | None = None):
    """The ids of the customers the rule holds for now (anonymized or merged-away ones never)."""
    c = t.customer.c
    return select(c.id).where(_live(c), condition(rule, dialect, now, starts=starts))


def spend_windows(rule: Rule) -> set[spend.Window]:
    """The (currency, months) of the rule's spend conditions."""
    if isinstance(rule, Spent):
        return {(rule.currency, rule.months)}
    inner = rule.rules if isinstance(rule, (AllOf, AnyOf)) else [rule.rule] if isinstance(rule, NotRule) else []
    return set().union(*(spend_windows(x) for x in inner))


def _prune_windows(conn) -> None:
    """Keep only the spend windows some segment's rule uses."""
    spend.prune(conn, set().union(*(spend_windows(rule_from(json.loads(text)))
                                    for text in conn.execute(select(t.segment.c.rule)).scalars())))


# -- definitions -----------------------------------------------------------------------------------

def definition(code: str, name: str, rule: Any) -> SegmentDefinition:
    """A definition from what a person gave (the rule as JSON text or parsed), or :class:`Invalid`."""
    from pydantic import ValidationError

    try:
        parsed = parse_rule(rule) if isinstance(rule, str) else rule_from(rule)
    except RuleProblem as exc:
        raise Invalid(Msg("rule: {reason}", reason=message_of(exc))) from None
    try:
        return SegmentDefinition(code=code, name=name, rule=parsed)
    except ValidationError as exc:
        if any(e["loc"][:1] == ("code",) for e in exc.errors()):
            raise Invalid(Msg("code: a segment's code is 1-32 lower-case letters, digits, - and _ "
                              "(what seg:CODE names), not '{code}'", code=code)) from None
        raise Invalid(explain(exc)) from None


def _view(row) -> SegmentView:
    return SegmentView(code=row.code, name=row.name, rule=rule_from(json.loads(row.rule)),
                       created_at=aware(row.created_at), updated_at=aware(row.updated_at),
                       evaluated_at=aware(row.evaluated_at) if row.evaluated_at else None, members=row.members)


def add(hq: Headquarters, code: str, name: str, rule: Any, *, replace: bool = False,
        by: str = "headquarters") -> SegmentView:
    """Define a segment (``replace``: change an existing one) and evaluate it at once; on
    headquarters' own audit trail."""
    d = definition(code.casefold(), name, rule)
    now = hq.now()
    s = t.segment.c
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        before = conn.execute(select(s.name, s.rule).where(s.code == d.code)).first()
        held = before is not None
        if held and not replace:
            raise Conflict(Msg("segment {code} exists already (--replace changes its rule and name)", code=d.code))
        if not held and conn.execute(select(func.count()).select_from(t.segment)).scalar_one() >= MAX_SEGMENTS:
            raise Conflict(Msg("headquarters holds {count} segments, the most it evaluates: remove one first",
                               count=MAX_SEGMENTS))
        values = dict(name=d.name, rule=rule_json(d.rule), updated_at=now)
        if held and before.rule != values["rule"]:
            values["evaluated_seq"] = None  # a new rule: evaluated over every customer
        if held:
            conn.execute(update(t.segment).where(s.code == d.code).values(**values))
        else:
            conn.execute(insert(t.segment).values(code=d.code, created_at=now, members=0, **values))
        seq = put_records(conn, [(SEGMENT_KIND, d.code, {"doc": {"code": d.code, "name": d.name}})], seq)
        if held and before.rule != values["rule"]:
            _prune_windows(conn)
        seq = _evaluate(conn, [d.code], now, seq)
        store_seq(conn, seq)
        audit.record(hq, conn, by=by, entity="segment", entity_id=d.code, action="update" if held else "create",
                     changes={"name": (before.name if held else None, d.name),
                              "rule": (before.rule if held else None, values["rule"])})
    return get(hq, d.code)


def get(hq: Headquarters, code: str) -> SegmentView:
    with hq.engine.connect() as conn:
        row = conn.execute(select(t.segment).where(t.segment.c.code == code.casefold())).first()
    if row is None:
        raise NotFound(Msg("no segment {code} (`pos-customers hq segments list` shows them)", code=code))
    return _view(row)


def segments(hq: Headquarters) -> list[SegmentView]:
    with hq.engine.connect() as conn:
        return [_view(r) for r in conn.execute(select(t.segment).order_by(t.segment.c.code))]


def remove(hq: Headquarters, code: str, *, by: str = "headquarters") -> SegmentView:
    """Remove a segment: every till drops its memberships with its next pull (a clearing batch,
    which every store receives; the segment's earlier batches are no longer needed and go)."""
    view = get(hq, code)
    r = t.record.c
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        members = _members(conn, view.code)
        conn.execute(delete(t.segment_member).where(t.segment_member.c.code == view.code))
        conn.execute(delete(t.segment).where(t.segment.c.code == view.code))
        _prune_windows(conn)
        conn.execute(delete(t.record).where(r.kind == BATCH_KIND, r.key.startswith(f"{view.code}:", autoescape=True)))
        seq = put_records(conn, [(SEGMENT_KIND, view.code, {"doc": {"code": view.code, "name": view.name},
                                                            "deleted": True})], seq)
        seq += 1
        conn.execute(insert(t.record).values(kind=BATCH_KIND, key=f"{view.code}:{seq}", store_code=None,
                                             customer_id=None, seq=seq, deleted=False,
                                             doc=dumps({"code": view.code, "clear": True})))
        i = t.interest.c
        seq = _publish_customers(conn, members & set(conn.execute(select(i.customer_id).distinct()).scalars()), seq)
        store_seq(conn, seq)
        audit.record(hq, conn, by=by, entity="segment", entity_id=view.code, action="delete",
                     changes={"name": (view.name, None), "rule": (view.rule_text, None)})
    return view


# -- evaluating ------------------------------------------------------------------------------------

def refresh(hq: Headquarters, codes: Iterable[str] | None = None, *, full: bool = False) -> dict[str, int]:
    """Evaluate segments again (all of them by default); returns code -> members. Only the
    customers changed since a segment's last evaluation, or whose dated conditions the time since
    has moved, are looked at, unless ``full`` (or the segment was never evaluated)."""
    now = hq.now()
    with hq.engine.begin() as conn:
        wanted = [c.casefold() for c in codes] if codes is not None else list(
            conn.execute(select(t.segment.c.code).order_by(t.segment.c.code)).scalars())
        seq = lock_seq(conn)
        seq = _evaluate(conn, wanted, now, seq, full=full)
        store_seq(conn, seq)
        return dict(conn.execute(select(t.segment.c.code, t.segment.c.members)
                                 .where(t.segment.c.code.in_(wanted))).all())


def _evaluate(conn, codes: list[str], now: datetime, seq: int, *, full: bool = False) -> int:
    """Evaluate these segments, store who belongs and publish the changes; returns the last seq."""
    c, m = t.customer.c, t.segment_member.c
    start, changes = seq, {}
    for code in codes:
        row = conn.execute(select(t.segment).where(t.segment.c.code == code)).first()
        if row is None:
            raise NotFound(Msg("no segment {code}", code=code))
        rule = rule_from(json.loads(row.rule))
        for currency, months in sorted(spend_windows(rule)):  # rolled to now: the orders that left taken off
            spend.track(conn, currency, months, now)
        starts = spend.windows(conn)
        then = aware(row.evaluated_at) if row.evaluated_at else None
        looked: list[str] | None = None
        if not full and row.evaluated_seq is not None and then is not None and then <= now:
            since = row.evaluated_seq  # the customers changed since, and those the dated windows moved past
            looked = sorted(conn.execute(union(
                select(c.id.label("id")).where(c.seq > since),
                select(t.order_fact.c.customer_id.label("id")).where(t.order_fact.c.seq > since),
                select(t.order_left.c.customer_id.label("id")).where(t.order_left.c.seq > since),
                *moved_by_time(rule, then, now))).scalars())
            if len(looked) > MAX_LOOK:
                looked = None  # as many as that: over every customer at once
        if looked is not None:
            new, old = {}, {}
            pg = conn.dialect.name == "postgresql"  # one array parameter there; lists of CHUNK elsewhere
            for k in range(0, len(looked), MAX_LOOK if pg else CHUNK):
                part = looked[k:k + (MAX_LOOK if pg else CHUNK)]

                def among(column, part=part):
                    return column == any_(bindparam(None, part, type_=ARRAY(String))) if pg else column.in_(part)

                new.update(conn.execute(select(c.id, c.home_store).where(
                    among(c.id), _live(c), condition(rule, "", now, within=among, starts=starts))).all())
                old.update(conn.execute(select(m.customer_id, m.home_store).where(
                    m.code == code, among(m.customer_id))).all())
        else:
            found = select(c.id, c.home_store).where(_live(c), condition(rule, "", now, starts=starts))
            old = dict(conn.execute(select(m.customer_id, m.home_store).where(m.code == code)).all())
        if not old and looked is None:  # nobody yet: the members written by the database itself
            sub = found.subquery()
            new = dict(conn.execute(insert(t.segment_member).from_select(
                ["code", "customer_id", "home_store"], select(literal(code), sub.c.id, sub.c.home_store))
                .returning(m.customer_id, m.home_store)).all())
            came, gone = new, {}
        else:
            if looked is None:
                new = dict(conn.execute(found).all())
            came = {cid: home for cid, home in new.items() if old.get(cid) != home}  # new, or moved store
            gone = {cid: home for cid, home in old.items() if new.get(cid) != home}  # left, or moved store
            _store_members(conn, code, came, gone)
        members = (row.members + sum(cid not in old for cid in came) - sum(cid not in new for cid in gone)
                   if looked is not None else len(new))
        conn.execute(update(t.segment).where(t.segment.c.code == code).values(
            evaluated_at=now, members=members, evaluated_seq=start))
        changes[code] = (came, gone)
    oldest = conn.execute(select(func.min(func.coalesce(t.segment.c.evaluated_seq, -1)))).scalar()
    if oldest is None or oldest >= 0:  # the customers orders left that every segment has looked at since
        conn.execute(delete(t.order_left).where(t.order_left.c.seq <= (start if oldest is None else oldest)))
    return _publish(conn, changes, seq)


def _store_members(conn, code: str, came: dict[str, str], gone: dict[str, str]) -> None:
    m = t.segment_member.c
    out = sorted(gone)
    for k in range(0, len(out), CHUNK):
        conn.execute(delete(t.segment_member).where(m.code == code, m.customer_id.in_(out[k:k + CHUNK])))
    rows = [{"code": code, "customer_id": cid, "home_store": home} for cid, home in sorted(came.items())]
    for k in range(0, len(rows), 10 * CHUNK):
        bulk_insert(conn, t.segment_member, rows[k:k + 10 * CHUNK])


def _members(conn, code: str) -> set[str]:
    m = t.segment_member.c
    return set(conn.execute(select(m.customer_id).where(m.code == code)).scalars())


def _publish(conn, changes: dict[str, tuple[dict[str, str], dict[str, str]]], seq: int) -> int:
    """The tills' share of an evaluation: per segment and home store, the customers who came and
    went, in records of :data:`BATCH_KIND` of at most :data:`BATCH` customers each (a store pulls its
    own, its region's or all stores' batches, as it sees their customers). Customers another store
    brought in (pull-in) also get one ``customer_segments`` record with all their codes."""
    rows = []
    for code, (came, gone) in sorted(changes.items()):
        by_store: dict[str, list[tuple[str, str]]] = {}
        for cid, home in sorted(came.items()):
            by_store.setdefault(home, []).append(("add", cid))
        for cid, home in sorted(gone.items()):
            by_store.setdefault(home, []).append(("remove", cid))
        for store, ids in sorted(by_store.items()):
            for k in range(0, len(ids), BATCH):
                part = ids[k:k + BATCH]
                seq += 1
                doc = {"code": code, "add": [cid for how, cid in part if how == "add"],
                       "remove": [cid for how, cid in part if how == "remove"]}
                rows.append({"kind": BATCH_KIND, "key": f"{code}:{seq}", "store_code": store, "customer_id": None,
                             "seq": seq, "doc": dumps(doc), "deleted": False})
    for k in range(0, len(rows), CHUNK):
        bulk_insert(conn, t.record, rows[k:k + CHUNK])
    changed = {cid for came, gone in changes.values() for cid in (*came, *gone)}
    if changed:
        i, c = t.interest.c, t.customer.c
        pulled_in = set(conn.execute(select(i.customer_id).join(t.customer, c.id == i.customer_id)
                                     .where(i.store_code != c.home_store).distinct()).scalars())
        seq = _publish_customers(conn, changed & pulled_in, seq)
    return seq


def _publish_customers(conn, customer_ids: set[str], seq: int) -> int:
    """One ``customer_segments`` record per customer: all their codes, with the next seq."""
    m = t.segment_member.c
    ids = sorted(customer_ids)
    for k in range(0, len(ids), CHUNK):
        part = ids[k:k + CHUNK]
        codes: dict[str, list[str]] = {cid: [] for cid in part}
        for cid, code in conn.execute(select(m.customer_id, m.code).where(m.customer_id.in_(part))
                                      .order_by(m.customer_id, m.code)):
            codes[cid].append(code)
        seq = put_records(conn, [(MEMBERS_KIND, cid, {"customer_id": cid,
                                                      "doc": {"customer_id": cid, "codes": codes[cid]}})
                                 for cid in part], seq)
    return seq


def forget_customer(conn, customer_id: str) -> None:
    """An anonymized customer leaves every segment (their record goes with the customer's)."""
    m = t.segment_member.c
    conn.execute(update(t.segment).where(t.segment.c.code.in_(select(m.code).where(m.customer_id == customer_id)))
                 .values(members=t.segment.c.members - 1))
    conn.execute(delete(t.segment_member).where(m.customer_id == customer_id))


def codes_for(hq: Headquarters, customer_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with hq.engine.connect() as conn:
        for k in range(0, len(customer_ids), CHUNK):
            out.update(codes_of(conn, customer_ids[k:k + CHUNK]))
    return out


def codes_of(conn, customer_ids: list[str]) -> dict[str, list[str]]:
    m = t.segment_member.c
    out: dict[str, list[str]] = {}
    for cid, code in conn.execute(select(m.customer_id, m.code).where(m.customer_id.in_(customer_ids))
                                  .order_by(m.code)):
        out.setdefault(cid, []).append(code)
    return out


# -- the report ------------------------------------------------------------------------------------

REPORT_COLUMNS = ("reference", "name", "email")


def report(hq: Headquarters, code: str, *, members: bool = False) -> tuple[int, list[tuple[str, str, str]]]:
    """How many customers the segment's rule holds for now (evaluated afresh, not the stored
    membership); with ``members``, also each one's reference, name and primary email, by reference
    (:data:`REPORT_COLUMNS`)."""
    view = get(hq, code)
    c = t.customer.c
    with _snapshot(hq.engine) as conn:  # the spend windows' starts and their totals as of one moment
        ids = member_query(view.rule, conn.dialect.name, hq.now(), spend.windows(conn)).subquery()
        count = conn.execute(select(func.count()).select_from(ids)).scalar_one()
        if not members:
            return count, []
        rows = conn.execute(select(c.reference, c.fields).where(c.id.in_(select(ids.c.id)))
                            .order_by(c.reference))
        return count, [_report_row(reference, orjson.loads(fields)) for reference, fields in rows]


@contextmanager
def _snapshot(engine):
    """A read-only transaction that sees one state of the database throughout."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _report_row(reference: str, f: dict[str, Any]) -> tuple[str, str, str]:
    name = fields_display_name(f)
    emails = f.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return reference, name, (primary or {}).get("address", "")


__all__ = ["SegmentView", "condition", "member_query", "moved_by_time", "BATCH_KIND", "add", "get", "segments", "remove", "refresh", "report",
           "forget_customer", "codes_of", "months_before", "SEGMENT_KIND", "MEMBERS_KIND"]
