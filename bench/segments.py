"""Customer segments at 1,000,000 customers on PostgreSQL: evaluation, re-evaluation, report, export,
and what the tills pull.

Makes a PostgreSQL database of its own (``pos_bench_segments``, dropped at the end unless --keep),
loads N customers and about 2 orders each with COPY (``common.bulk_insert``, the path
``import_customers`` and pushes take; the customer's segment columns and the order rows come from
``hq/facts.py`` as every writer's do; the search index is not built: segments do not read it), then
for each rule kind prints as each phase ends:

- first: ``add_segment`` (evaluated over every customer, memberships stored, published);
- re-evaluation after 1% of the customers changed (consent, group, one new order each), incremental,
  and over every customer again (``full``) for comparison;
- report: the count (the rule evaluated afresh) next to a hand-written SQL count over the same
  columns (the raw baseline), and the ratio;
- CSV: ``segment_report(members=True)`` written as the CLI writes it;
- pull: records and bytes published for the tills, all stores' and one store's share, next to
  what one record per member (before) would have been.

    uv run python bench/segments.py                      # 1,000,000 customers
    uv run python bench/segments.py --customers 100000 --keep
    uv run python bench/segments.py --keep --reuse       # again on the kept database (no load)

The spend rule's first evaluation includes building its rolling totals (hq/spend.py), once per
window; its report's raw SQL is the plain sum over the window's orders those totals replace.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, create_engine, func, select, text, update

from pos_customers.hq import tables as t
from pos_customers.hq.common import bulk_insert, dumps, lock_seq, store_seq
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.facts import customer_facts, order_fact
from pos_customers.hq.segments import BATCH_KIND, MEMBERS_KIND
from pos_customers.hq.service import Headquarters
from pos_customers.services.reference_data import demo_stores

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NAME = "pos_bench_segments"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = ["RETAIL"] * 6 + ["VIP", "GOLD", "STAFF", ""]
FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Lea", "Max"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
STATUSES = ["delivered"] * 8 + ["cancelled", "returned", "open"]

RULES = [
    ("grp", "group VIP or GOLD", {"kind": "group", "codes": ["VIP", "GOLD"]},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND group_code IN ('VIP', 'GOLD')"),
    ("new", "registered in 90 days", {"kind": "registered_within", "days": 90},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND created_at >= now() - interval '90 days'"),
    ("mail", "email consent", {"kind": "marketing_consent", "channel": "email"},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND email_consent"),
    ("spend", "over 500 EUR in 12 months", {"kind": "spent", "more_than": 50000, "currency": "EUR", "months": 12},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND id IN (SELECT customer_id FROM hq_order_fact"
     " WHERE currency = 'EUR' AND status NOT IN ('cancelled', 'returned') AND ordered_at >= now() - interval '12 months'"
     " GROUP BY customer_id HAVING sum(total_minor) > 50000)"),
    ("ham", "bought in HAM01 in 6 months", {"kind": "bought_in", "stores": ["HAM01"], "months": 6},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND id IN (SELECT customer_id FROM hq_order_fact"
     " WHERE store_code = 'HAM01' AND status <> 'cancelled' AND ordered_at >= now() - interval '6 months')"),
    ("mix", "consent, not staff, home BER01/MUC01", {"kind": "all", "rules": [
        {"kind": "marketing_consent"}, {"kind": "not", "rule": {"kind": "group", "codes": ["STAFF"]}},
        {"kind": "home_store", "stores": ["BER01", "MUC01"]}]},
     "SELECT count(*) FROM hq_customer WHERE anonymized_at IS NULL AND (email_consent OR phone_consent)"
     " AND group_code <> 'STAFF' AND home_store IN ('BER01', 'MUC01')"),
]


def say(message: str) -> None:
    print(message, flush=True)


def ref(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(9))


def customer(rng: random.Random, k: int, stores, now: datetime) -> tuple[dict, list[dict]]:
    store = stores[k % len(stores)]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    fields = {"first_name": first, "last_name": last, "group_code": rng.choice(GROUPS),
              "emails": [{"address": f"{first}.{last}.{k}@example.org".lower(), "purpose": "personal",
                          "primary": True, "marketing_consent": rng.random() < 0.4}],
              "phones": [{"e164": f"+49151{k:08d}", "purpose": "mobile", "primary": True,
                          "marketing_consent": rng.random() < 0.2}] if rng.random() < 0.6 else []}
    cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    created = now - timedelta(days=rng.randrange(0, 5 * 365), seconds=rng.randrange(86400))
    orders = []
    for n in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))):
        oid = f"{cid[:8]}-{k}-{n}"
        orders.append({"id": oid, "customer_id": cid, "number": f"W-{k}{n}", "store_code": rng.choice(
            [store.code, store.code, "WEB", "HAM01"]), "status": rng.choice(STATUSES),
            "currency": "CHF" if store.currency == "CHF" else "EUR",
            "ordered_at": (now - timedelta(days=rng.randrange(0, 730))).isoformat(),
            "total": f"{rng.randrange(500, 40000) / 100:.2f}"})
    return {"id": cid, "home_store": store.code, "region": store.region, "created_at": created,
            "fields": fields}, orders


def load(hq: Headquarters, n: int, rng: random.Random) -> None:
    stores = [s for s in demo_stores()]
    for st in stores:
        hq.add_store(st.code, st.name, number=st.number, country=st.country, currency=st.currency,
                     language=st.language, region=st.region, scope="own")
    now = datetime.now(timezone.utc)
    a = time.perf_counter()
    made = 0.0
    orders_n = 0
    seen_refs: set[str] = set()
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        for k0 in range(0, n, 50_000):
            m = time.perf_counter()
            rows, records, facts = [], [], []
            for k in range(k0, min(n, k0 + 50_000)):
                c, orders = customer(rng, k, stores, now)
                while (r := ref(rng)) in seen_refs:
                    pass
                seen_refs.add(r)
                seq += 1
                rows.append({"id": c["id"], "reference": r, "home_store": c["home_store"], "region": c["region"],
                             "created_at": c["created_at"], "updated_at": now, "anonymized_at": None, "seq": seq,
                             "fields": dumps(c["fields"]), "clocks": "{}", "search_text": "",
                             **customer_facts(c["fields"])})
                for o in orders:
                    seq += 1
                    records.append({"kind": "order", "key": o["id"], "store_code": None, "customer_id": c["id"],
                                    "seq": seq, "doc": dumps(o), "deleted": False})
                    facts.append(order_fact(o["id"], c["id"], o, seq))
            made += time.perf_counter() - m
            bulk_insert(conn, t.customer, rows)
            bulk_insert(conn, t.record, records)
            bulk_insert(conn, t.order_fact, [f for f in facts if f])
            orders_n += len(records)
            print(f"\r  loaded {k0 + len(rows):,}/{n:,}", end="", file=sys.stderr, flush=True)
        store_seq(conn, seq)
    took = time.perf_counter() - a
    print(file=sys.stderr)
    say(f"load: {n:,} customers and {orders_n:,} orders by COPY in {took:.1f} s "
        f"({made:.1f} s of it making the rows in Python)")
    a = time.perf_counter()
    with hq.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    say(f"  VACUUM ANALYZE {time.perf_counter() - a:.1f} s")


def change(hq: Headquarters, share: float, rng: random.Random) -> int:
    """1% of the customers change as a push changes them: consent flipped, group changed, one new order."""
    now = datetime.now(timezone.utc)
    c = t.customer.c
    with hq.engine.begin() as conn:
        total = conn.execute(select(func.count()).select_from(t.customer)).scalar_one()
        picked = conn.execute(select(c.id, c.fields).order_by(func.random()).limit(int(total * share))).all()
        seq = lock_seq(conn)
        updates, orders = [], []
        for cid, fields in picked:
            f = json.loads(fields)
            for e in f.get("emails") or []:
                e["marketing_consent"] = not e.get("marketing_consent")
            f["group_code"] = rng.choice(GROUPS)
            seq += 1
            updates.append({"b_id": cid, "fields": dumps(f), "seq": seq, "updated_at": now, **customer_facts(f)})
        conn.execute(update(t.customer).where(c.id == bindparam("b_id")), updates)
        store_seq(conn, seq)
        for k, (cid, _) in enumerate(picked):
            oid = f"chg-{cid[:8]}-{k}"
            orders.append(("order", oid, {"customer_id": cid, "doc": {
                "id": oid, "customer_id": cid, "number": f"C-{k}", "store_code": "HAM01", "status": "delivered",
                "currency": "EUR", "ordered_at": now.isoformat(), "total": f"{rng.randrange(500, 60000) / 100:.2f}"}}))
    hq.put_records(orders)
    return len(picked)


def published(hq: Headquarters, after: int) -> tuple[int, int, int, int]:
    """(records, bytes) published for the tills after seq ``after``, all stores and BER01's share."""
    r = t.record.c
    kinds = (BATCH_KIND, MEMBERS_KIND)
    with hq.engine.connect() as conn:
        n, size = conn.execute(select(func.count(), func.coalesce(func.sum(func.length(r.doc)), 0)).where(
            r.kind.in_(kinds), r.seq > after)).one()
        n1, size1 = conn.execute(select(func.count(), func.coalesce(func.sum(func.length(r.doc)), 0)).where(
            r.kind.in_(kinds), r.seq > after, (r.store_code == "BER01") | r.store_code.is_(None))).one()
    return n, size, n1, size1


def timed(fn):
    a = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--database", default=NAME, help=f"the database's name (default {NAME})")
    ap.add_argument("--reuse", action="store_true",
                    help="use the database a run with --keep left (upgraded to the head revision, its segments "
                         "removed) instead of loading customers again; --customers is then what it holds")
    args = ap.parse_args()
    name = args.database
    rng = random.Random(17)
    say(f"segments benchmark: {args.customers:,} customers, PostgreSQL database {name}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        took = timed(lambda: upgrade(engine))[1]
        hq = Headquarters(engine)
        if args.reuse:
            say(f"reused {name}: upgraded to the head revision in {took:.1f} s")
            for view in hq.segments():
                hq.remove_segment(view.code)
            with engine.connect() as conn:
                held = conn.execute(select(func.count()).select_from(t.customer)).scalar_one()
            say(f"  {held:,} customers held, their segments removed")
        else:
            load(hq, args.customers, rng)
        firsts = {}
        for code, name, rule, _ in RULES:
            before = hq.current_seq()
            view, took = timed(lambda: hq.add_segment(code, name, rule))
            n, size, n1, size1 = published(hq, before)
            firsts[code] = view.members
            say(f"{code:<6} first evaluation {took:6.2f} s  {view.members:>9,} members  published {n:,} records "
                f"{size / 1e6:.1f} MB (BER01's till: {n1:,} records {size1 / 1e6:.2f} MB; one record per member "
                f"would be {view.members:,})")
        for code, name, rule, raw in RULES:
            (count, _), took = timed(lambda: hq.segment_report(code))
            with engine.connect() as conn:
                base, raw_took = timed(lambda: conn.exec_driver_sql(raw).scalar_one())
            if base != count:
                say(f"  (raw count {base:,} differs: its now() is a moment later)")
            say(f"{code:<6} report (count) {took * 1000:7.0f} ms  raw SQL {raw_took * 1000:7.0f} ms  "
                f"ratio {took / raw_took:4.1f}  ({count:,})")
        for code, *_ in RULES:
            with tempfile.TemporaryDirectory() as tmp:
                def export():
                    count, rows = hq.segment_report(code, members=True)
                    with open(os.path.join(tmp, "m.csv"), "w", newline="", encoding="utf-8") as out:
                        w = csv.writer(out)
                        w.writerow(("reference", "name", "email"))
                        w.writerows(rows)
                    return count
                count, took = timed(export)
            say(f"{code:<6} CSV export {took:6.2f} s  {count:,} members ({count / max(took, 1e-9):,.0f}/s)")
        changed, took = timed(lambda: change(hq, 0.01, rng))
        say(f"changed {changed:,} customers (1%: consent, group, one new order each) in {took:.1f} s")
        for code, *_ in RULES:
            before = hq.current_seq()
            counts, took = timed(lambda: hq.refresh_segments([code]))
            n, size, n1, size1 = published(hq, before)
            _, full = timed(lambda: hq.refresh_segments([code], full=True))
            say(f"{code:<6} re-evaluation {took:6.2f} s (over every customer: {full:6.2f} s)  "
                f"{counts[code]:>9,} members ({counts[code] - firsts[code]:+,})  published {n:,} records "
                f"{size / 1e3:.0f} kB (BER01's till: {n1:,} records {size1 / 1e3:.0f} kB)")
        _, took = timed(lambda: hq.refresh_segments())
        say(f"refresh of all {len(RULES)} segments, nothing changed: {took:.2f} s")
        say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
