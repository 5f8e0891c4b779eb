"""Customer segments at headquarters: define, evaluate, report (`hq segments ...`).

A rule (domain/segment.py) is compiled to one SQL condition over ``hq_customer`` with SQLAlchemy
expressions, on PostgreSQL and on SQLite alike: customer fields and orders are JSON texts, read with
the database's own JSON functions (PostgreSQL ``jsonb``, SQLite ``json_extract``/``json_each``),
so no customer is loaded into Python to be tested. Anonymized customers belong to no segment.

Evaluating a segment stores who belongs (``hq_segment_member``) and, for each customer whose
segments changed, one record of kind ``customer_segments`` (their codes) with the next seq, so the
tills of the stores that see the customer receive it with their next pull. The definitions (code
and name) go out as records of kind ``segment``. Time moves rules such as "registered in the last
30 days": `hq segments refresh` (daily, from cron) evaluates every segment again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import (Float, Numeric, and_, cast, delete, exists, false, func, insert, literal, not_, or_, select,
                        true, update)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from ..domain.errors import message_of
from ..domain.i18n import Msg
from ..domain.money import minor_digits
from ..domain.segment import (MAX_SEGMENTS, AllOf, AnyOf, BoughtIn, GroupIs, HomeStore, MarketingConsent,
                              NotRule, RegisteredWithin, Rule, RuleProblem, SegmentDefinition, Spent, explain,
                              parse_rule, rule_from, rule_json)
from ..domain.text import fields_display_name
from . import audit
from . import tables as t
from .common import aware, lock_seq, put_records, store_seq
from .errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from .service import Headquarters

SEGMENT_KIND = "segment"                 # a definition, as the tills receive it (global)
MEMBERS_KIND = "customer_segments"       # one customer's codes (follows the customer's scope)
NOT_SPENDING = ("cancelled", "returned")  # orders that count for no spend
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

class _Json:
    """The dialect's way of reading a key of a JSON text column."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def text(self, column, key: str):
        if self.pg:
            return cast(column, JSONB)[key].astext
        return func.json_extract(column, f"$.{key}")

    def moment_since(self, column, key: str, since: datetime):
        """The ISO moment at ``key`` is at or after ``since`` (offsets taken into account)."""
        if self.pg:
            return cast(self.text(column, key), t.customer.c.created_at.type) >= since
        return func.julianday(self.text(column, key)) >= func.julianday(since.isoformat())

    def minor(self, column, key: str, currency: str):
        """A decimal amount text (``"12.34"``) as whole minor units of ``currency``."""
        scale = 10 ** minor_digits(currency)
        if self.pg:
            return func.round(cast(self.text(column, key), Numeric) * scale)
        return func.round(cast(self.text(column, key), Float) * scale)

    def consent(self, fields, lists: tuple[str, ...]):
        """An email or phone of these lists carries marketing consent."""
        if self.pg:
            return or_(*[cast(fields, JSONB).contains({name: [{"marketing_consent": True}]}) for name in lists])
        parts = []
        for name in lists:
            each = func.json_each(fields, f"$.{name}").table_valued("value").alias(f"each_{name}")
            parts.append(exists(select(literal(1)).select_from(each).where(
                func.json_extract(each.c.value, "$.marketing_consent") == 1)))
        return or_(*parts)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter)."""
    import calendar

    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def condition(rule: Rule, dialect: str, now: datetime) -> ColumnElement[bool]:
    """The rule as a condition on ``hq_customer`` (anonymized customers not excluded here)."""
    j, c, r = _Json(dialect), t.customer.c, t.record.c

    def orders(*where):
        return select(r.customer_id).where(r.kind == "order", r.deleted.is_(False), r.customer_id.is_not(None),
                                           *where)

    def build(rule: Rule) -> ColumnElement[bool]:
        if isinstance(rule, GroupIs):
            return func.coalesce(j.text(c.fields, "group_code"), "").in_(rule.codes)  # no group: never NULL
        if isinstance(rule, RegisteredWithin):
            return and_(c.created_at.is_not(None), c.created_at >= now - timedelta(days=rule.days))
        if isinstance(rule, HomeStore):
            return c.home_store.in_([s.upper() for s in rule.stores])
        if isinstance(rule, MarketingConsent):
            lists = {"email": ("emails",), "phone": ("phones",), "any": ("emails", "phones")}[rule.channel]
            return j.consent(c.fields, lists)
        if isinstance(rule, BoughtIn):
            where = [j.text(r.doc, "store_code").in_([s.upper() for s in rule.stores]),
                     j.text(r.doc, "status") != "cancelled"]
            if rule.months:
                where.append(j.moment_since(r.doc, "ordered_at", months_before(now, rule.months)))
            return c.id.in_(orders(*where))
        if isinstance(rule, Spent):
            spenders = (orders(j.text(r.doc, "currency") == rule.currency,
                               j.text(r.doc, "status").not_in(NOT_SPENDING),
                               j.moment_since(r.doc, "ordered_at", months_before(now, rule.months)))
                        .group_by(r.customer_id)
                        .having(func.sum(j.minor(r.doc, "total", rule.currency)) > rule.more_than))
            return c.id.in_(spenders)
        if isinstance(rule, AllOf):
            return and_(true(), *[build(x) for x in rule.rules])
        if isinstance(rule, AnyOf):
            return or_(false(), *[build(x) for x in rule.rules])
        if isinstance(rule, NotRule):
            return not_(build(rule.rule))
        raise TypeError(f"no SQL for {type(rule).__name__}")  # a new kind needs its compilation here

    return build(rule)


def member_query(rule: Rule, dialect: str, now: datetime):
    """The ids of the customers the rule holds for now (anonymized ones never)."""
    c = t.customer.c
    return select(c.id).where(c.anonymized_at.is_(None), condition(rule, dialect, now))


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
        if held:
            conn.execute(update(t.segment).where(s.code == d.code).values(**values))
        else:
            conn.execute(insert(t.segment).values(code=d.code, created_at=now, members=0, **values))
        seq = put_records(conn, [(SEGMENT_KIND, d.code, {"doc": {"code": d.code, "name": d.name}})], seq)
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
    """Remove a segment: its members lose it on every till with their next pull."""
    view = get(hq, code)
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        members = _members(conn, view.code)
        conn.execute(delete(t.segment_member).where(t.segment_member.c.code == view.code))
        conn.execute(delete(t.segment).where(t.segment.c.code == view.code))
        seq = put_records(conn, [(SEGMENT_KIND, view.code, {"doc": {"code": view.code, "name": view.name},
                                                            "deleted": True})], seq)
        seq = _publish(conn, members, seq)
        store_seq(conn, seq)
        audit.record(hq, conn, by=by, entity="segment", entity_id=view.code, action="delete",
                     changes={"name": (view.name, None), "rule": (view.rule_text, None)})
    return view


# -- evaluating ------------------------------------------------------------------------------------

def refresh(hq: Headquarters, codes: Iterable[str] | None = None) -> dict[str, int]:
    """Evaluate segments again (all of them by default); returns code -> members."""
    now = hq.now()
    with hq.engine.begin() as conn:
        wanted = [c.casefold() for c in codes] if codes is not None else list(
            conn.execute(select(t.segment.c.code).order_by(t.segment.c.code)).scalars())
        seq = lock_seq(conn)
        seq = _evaluate(conn, wanted, now, seq)
        store_seq(conn, seq)
        return dict(conn.execute(select(t.segment.c.code, t.segment.c.members)
                                 .where(t.segment.c.code.in_(wanted))).all())


def _evaluate(conn, codes: list[str], now: datetime, seq: int) -> int:
    changed: set[str] = set()
    m = t.segment_member.c
    for code in codes:
        row = conn.execute(select(t.segment).where(t.segment.c.code == code)).first()
        if row is None:
            raise NotFound(Msg("no segment {code}", code=code))
        rule = rule_from(json.loads(row.rule))
        new = set(conn.execute(member_query(rule, conn.dialect.name, now)).scalars())
        old = _members(conn, code)
        gone, came = sorted(old - new), sorted(new - old)
        for k in range(0, len(gone), CHUNK):
            conn.execute(delete(t.segment_member).where(m.code == code, m.customer_id.in_(gone[k:k + CHUNK])))
        if came:
            conn.execute(insert(t.segment_member), [{"code": code, "customer_id": cid} for cid in came])
        conn.execute(update(t.segment).where(t.segment.c.code == code).values(evaluated_at=now, members=len(new)))
        changed.update(gone, came)
    return _publish(conn, changed, seq)


def _members(conn, code: str) -> set[str]:
    m = t.segment_member.c
    return set(conn.execute(select(m.customer_id).where(m.code == code)).scalars())


def _publish(conn, customer_ids: set[str], seq: int) -> int:
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
    conn.execute(delete(t.segment_member).where(t.segment_member.c.customer_id == customer_id))


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
    with hq.engine.connect() as conn:
        ids = member_query(view.rule, conn.dialect.name, hq.now()).subquery()
        count = conn.execute(select(func.count()).select_from(ids)).scalar_one()
        if not members:
            return count, []
        rows = conn.execute(select(c.reference, c.fields).where(c.id.in_(select(ids.c.id)))
                            .order_by(c.reference))
        return count, [_report_row(reference, json.loads(fields)) for reference, fields in rows]


def _report_row(reference: str, f: dict[str, Any]) -> tuple[str, str, str]:
    name = fields_display_name(f)
    emails = f.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return reference, name, (primary or {}).get("address", "")


__all__ = ["SegmentView", "condition", "member_query", "add", "get", "segments", "remove", "refresh", "report",
           "forget_customer", "codes_of", "months_before", "SEGMENT_KIND", "MEMBERS_KIND"]
