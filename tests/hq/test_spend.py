"""The spend rules' rolling totals (hq/spend.py) equal the straightforward sums over
``hq_order_fact``, on SQLite and PostgreSQL, through orders added, corrected, refunded, deleted and
moved by a merge, and the clock moving on (and back)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select, text

from pos_customers.hq import spend
from pos_customers.hq import tables as t
from pos_customers.hq.segments import member_query
from pos_customers.domain.segment import rule_from
from pos_customers.hq.service import Headquarters
from tests.hq.test_api import fields, ref
from tests.hq.test_segments import NOW

RULES = {
    "eur12": {"kind": "spent", "more_than": 50000, "currency": "EUR", "months": 12},
    "eur1": {"kind": "spent", "more_than": 0, "currency": "EUR", "months": 1},
    "chf3": {"kind": "any", "rules": [{"kind": "group", "codes": ["VIP"]},
                                      {"kind": "spent", "more_than": 20000, "currency": "CHF", "months": 3}]},
    "not": {"kind": "not", "rule": {"kind": "spent", "more_than": 10000, "currency": "EUR", "months": 12}},
}
STRAIGHT = text(  # each window's totals as plain SQL over the orders
    "SELECT customer_id, sum(total_minor), count(*) FROM hq_order_fact WHERE currency = :cur"
    " AND status NOT IN ('cancelled', 'returned') AND ordered_at >= :start GROUP BY customer_id")


def _clock(hq: Headquarters, at):
    hq._now = lambda: at


def _check(hq: Headquarters, now, merged: set[str]) -> None:
    """Every kept window's totals are the plain sums from its start; each segment's members, its
    report and the rule over the plain sums agree."""
    counts = {}
    with hq.engine.connect() as conn:
        kept = spend.windows(conn)
        assert set(kept) == {("EUR", 12), ("EUR", 1), ("CHF", 3)}
        s = t.spend_total.c
        for (cur, months), start in kept.items():
            held = {(cid, total, n) for cid, total, n in conn.execute(select(s.customer_id, s.total_minor, s.orders)
                                                                      .where(s.currency == cur, s.months == months))}
            assert held == {tuple(r) for r in conn.execute(STRAIGHT, {"cur": cur, "start": start})}, (cur, months)
        for code, rule in RULES.items():
            plain = set(conn.execute(member_query(rule_from(rule), now=now)).scalars())  # no kept totals
            kept_now = set(conn.execute(member_query(rule_from(rule), now=now, starts=spend.windows(conn)))
                           .scalars())
            stored = set(conn.execute(select(t.segment_member.c.customer_id).where(
                t.segment_member.c.code == code)).scalars())
            assert kept_now == plain, code
            assert stored == plain and not stored & merged and not plain & merged, code  # merged away: never
            counts[code] = len(plain)
    assert {code: hq.segment_report(code)[0] for code in RULES} == counts


def test_rolling_totals_equal_the_plain_sums_through_every_change(hq_engine):
    rng = random.Random(20)
    now = NOW
    hq = Headquarters(hq_engine, now=lambda: now)
    hq.add_store("BER01", "Berlin", number=1)
    hq.add_store("ZRH01", "Zürich", number=2, currency="CHF", country="CH")
    ids = [str(uuid.UUID(int=k + 1)) for k in range(8)]
    hq.import_customers([{"id": cid, "reference": ref(k, 1), "store_code": "BER01",
                          "created_at": (NOW - timedelta(days=400)).isoformat(), "anonymized_at": None,
                          "fields": fields(first=f"P{k}", email=f"p{k}@example.org",
                                           group_code="VIP" if k == 7 else "RETAIL")}
                         for k, cid in enumerate(ids)])
    orders: dict[str, dict] = {}

    def order(oid: str, cid: str) -> dict:
        return {"id": oid, "customer_id": cid, "number": oid, "store_code": rng.choice(["BER01", "ZRH01", "WEB"]),
                "status": rng.choice(["delivered"] * 4 + ["open", "cancelled", "returned"]),
                "currency": rng.choice(["EUR", "EUR", "CHF"]),
                "ordered_at": (now - timedelta(days=rng.randrange(-5, 420), hours=rng.randrange(24))).isoformat(),
                "total": f"{rng.randrange(-5000, 60000) / 100:.2f}"}

    def put(docs: list[dict], deleted: bool = False) -> None:
        hq.put_records([("order", d["id"], {"customer_id": d["customer_id"], "doc": d, "deleted": deleted})
                        for d in docs])

    put([order(f"o{k}", rng.choice(ids)) for k in range(12)])  # some orders before any window is kept
    orders.update({f"o{k}": None for k in range(12)})
    for code, rule in RULES.items():
        hq.add_segment(code, code, rule)
    alive = [cid for cid in ids]
    for step in range(30):
        what = rng.choice(["add", "add", "correct", "refund", "delete", "later", "refresh", "merge", "back"])
        with hq.engine.connect() as conn:
            held = {k: (cid, d) for k, cid, d in conn.execute(select(t.record.c.key, t.record.c.customer_id,
                                                                      t.record.c.doc).where(
                t.record.c.kind == "order", t.record.c.deleted.is_(False)))}
        if what == "add" or not held:
            put([order(f"n{step}-{k}", rng.choice(alive)) for k in range(rng.randrange(1, 4))])
        elif what in ("correct", "refund", "delete"):
            key = rng.choice(sorted(held))
            doc = json.loads(held[key][1])
            if what == "correct":
                doc.update({k: v for k, v in order(key, doc["customer_id"]).items() if k in ("total", "ordered_at",
                                                                                            "currency")})
            elif what == "refund":
                doc["status"] = "returned"
            put([doc], deleted=what == "delete")
        elif what == "merge" and len(alive) > 3:
            gone, keep = rng.sample(alive[:7], 2)
            hq.merge_customers(gone, keep)
            alive.remove(gone)
        elif what == "later":
            now = now + timedelta(days=rng.randrange(1, 45), hours=rng.randrange(24))
        elif what == "back":
            now = now - timedelta(days=rng.randrange(1, 10))
        hq.refresh_segments()
        _check(hq, now, set(ids) - set(alive))
        if what == "later" and rng.random() < 0.5:  # asked between evaluations: the report rolls on the fly
            now = now + timedelta(days=rng.randrange(1, 20))
            for code, rule in RULES.items():
                with hq.engine.connect() as conn:
                    plain = set(conn.execute(member_query(rule_from(rule), now=now)).scalars())
                    assert set(conn.execute(member_query(rule_from(rule), now=now, starts=spend.windows(conn)))
                               .scalars()) == plain, code
                assert hq.segment_report(code)[0] == len(plain), code
    with hq.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.spend_total)).scalar_one() > 0


def test_windows_no_rule_uses_go(hq):
    hq.add_segment("big", "Big", {"kind": "spent", "more_than": 100, "currency": "EUR", "months": 6})
    hq.add_segment("twice", "Twice", {"kind": "spent", "more_than": 900, "currency": "EUR", "months": 6})
    with hq.engine.connect() as conn:
        assert set(spend.windows(conn)) == {("EUR", 6)}
    hq.add_segment("big", "Big", {"kind": "spent", "more_than": 100, "currency": "CHF", "months": 6}, replace=True)
    with hq.engine.connect() as conn:
        assert set(spend.windows(conn)) == {("EUR", 6), ("CHF", 6)}
    hq.remove_segment("twice")
    with hq.engine.connect() as conn:
        assert set(spend.windows(conn)) == {("CHF", 6)}
    hq.remove_segment("big")
    with hq.engine.connect() as conn:
        assert spend.windows(conn) == {}
        assert conn.execute(select(func.count()).select_from(t.spend_total)).scalar_one() == 0
