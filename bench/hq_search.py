"""Headquarters search (F5, all stores) on PostgreSQL: the service next to hand-written SQL.

Builds (or reuses) the demo customers of every demo store (a till database made by the demo
seeder, cached under bench/.cache), loads them into a PostgreSQL database of their own through
``Headquarters.import_customers`` (which indexes them), samples the queries people type from them,
and prints p50/p95 in milliseconds per kind of query for

- service: ``Headquarters.search`` as F5 calls it (a pooled connection, the store's country, the
  till's query parsing, exact lookups before names before fragments, the hit rows);
- raw: one hand-written SQL statement for the same input, already parsed: the index lookup that
  kind of query needs (tsvector prefix match, trigram LIKE, key or reference lookup) joined to
  the displayed columns, limit 20;
- old: the LIKE over ``search_text`` that headquarters ran before (for comparison; it misses
  most of these queries, see "hits").

    uv run python bench/hq_search.py --customers 100000
    uv run python bench/hq_search.py --customers 100000 --backfill   # also time revision 0004's backfill
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from pathlib import Path

import phonenumbers
from sqlalchemy import create_engine, func, select, text

from pos_customers.domain.reference import format_reference
from pos_customers.domain.search import fragment_text, parse_query
from pos_customers.hq import search as hq_search
from pos_customers.hq import tables as t
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters, Identity
from pos_customers.services.demo import export_for_hq, seed_demo
from pos_customers.services.reference_data import demo_stores
from pos_customers.storage.engine import Database

CACHE = Path(__file__).resolve().parent / ".cache"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LIMIT = 20


def say(message: str, end: str = "\n") -> None:
    print(message, end=end, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def build(args) -> Headquarters:
    name = f"pos_hq_bench_{args.customers}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and args.rebuild:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    upgrade(engine)
    hq = Headquarters(engine)
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(t.customer)).scalar_one()
    if held >= args.customers:
        say(f"headquarters database {name}: {held:,} customers (reused; --rebuild to make it again)")
        return hq
    path = CACHE / f"search-{args.customers}.db"
    say(f"till database {path}")
    a = time.perf_counter()
    svc = seed_demo(Database(path), args.customers,
                    progress=lambda d, n: say(f"\r  seeding {d:,}/{n:,}", end=""))
    say(f"\n  seeded in {time.perf_counter() - a:.0f} s")
    for st in demo_stores():
        if not any(s["code"] == st.code for s in hq.stores()):
            hq.add_store(st.code, st.name, number=st.number, country=st.country, currency=st.currency,
                         language=st.language, region=st.region, scope="all")
    docs = export_for_hq(svc, "0000000000001-00000-bench")
    say(f"  {len(docs):,} documents exported")
    a = time.perf_counter()
    for k in range(0, len(docs), 5000):
        hq.import_customers(docs[k:k + 5000])
        say(f"\r  imported {min(k + 5000, len(docs)):,}/{len(docs):,}", end="")
    say(f"\n  import (customers and their index) in {time.perf_counter() - a:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return hq


def sample(hq: Headquarters, n: int, rng: random.Random) -> dict[str, list[str]]:
    with hq.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT reference, fields FROM hq_customer WHERE anonymized_at IS NULL"
            " ORDER BY md5(id) LIMIT :n"), {"n": n * 3}).all()
    kinds = ("one letter", "name prefix", "two words", "phone fragment", "whole phone", "email part",
             "whole email", "domain", "reference", "card")
    q: dict[str, list[str]] = {k: [] for k in kinds}
    for ref, stored in rows:
        f = json.loads(stored)
        first, last = f.get("first_name") or "", f.get("last_name") or f.get("organization_name") or ""
        emails = [e["address"] for e in f.get("emails") or []]
        phones = [p["e164"] for p in f.get("phones") or []]
        if last:
            q["one letter"].append(last[0])
            q["name prefix"].append(last[: rng.randint(3, 5)])
        if first and last:
            q["two words"].append(f"{first[:3]} {last[:4]}" if rng.random() < 0.5 else f"{last[:4]} {first[:3]}")
        if phones:
            number = phonenumbers.parse(phones[0], None)
            national = "".join(c for c in phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.NATIONAL) if c.isdigit())
            start = rng.randrange(0, max(1, len(national) - 7))
            frag = national[start:start + 7]
            q["phone fragment"].append(f"{frag[:3]} {frag[3:]}")
            q["whole phone"].append(phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.NATIONAL if phonenumbers.region_code_for_number(number) == "DE"
                else phonenumbers.PhoneNumberFormat.INTERNATIONAL))
        if emails:
            local, domain = emails[0].split("@", 1)
            q["email part"].append(local + "@" if rng.random() < 0.5 else local[: max(4, len(local) - 2)])
            q["whole email"].append(emails[0])
            q["domain"].append(domain)
        q["reference"].append(format_reference(ref).lower() if rng.random() < 0.5 else ref)
        if f.get("cards"):
            q["card"].append(f["cards"][0])
    return {k: v[:n] for k, v in q.items() if v}


_SHOW = "SELECT c.id, c.reference, c.home_store, c.fields FROM "


def raw(conn, kind: str, typed: str) -> list:
    """What an expert writes by hand for this kind of input, already parsed: one statement."""
    p = parse_query(typed, country="DE")
    if kind in ("one letter", "name prefix", "two words"):
        tsq = " & ".join(f"'{w}':*" for w in p.name_words)
        return conn.execute(text(
            f"{_SHOW} hq_customer_search s JOIN hq_customer c ON c.id = s.customer_id"
            f" WHERE {hq_search.PG_NAME_VECTOR} @@ CAST(:q AS tsquery) ORDER BY s.id DESC LIMIT {LIMIT}"),
            {"q": tsq}).all()
    if kind in ("phone fragment", "email part", "domain"):
        like = "%" + fragment_text(p.fragment).replace("%", "\\%").replace("_", "\\_") + "%"
        return conn.execute(text(
            f"{_SHOW} hq_customer_search s JOIN hq_customer c ON c.id = s.customer_id"
            f" WHERE s.contact_text LIKE :q ORDER BY s.id DESC LIMIT {LIMIT}"), {"q": like}).all()
    if kind in ("whole phone", "whole email", "card"):
        key = {"whole phone": ("phone", p.phone_e164), "whole email": ("email", p.email_key),
               "card": ("card", p.card)}[kind]
        return conn.execute(text(
            f"{_SHOW} hq_customer_key k JOIN hq_customer c ON c.id = k.customer_id"
            f" WHERE k.kind = :k AND k.value = :v LIMIT {LIMIT}"), {"k": key[0], "v": key[1]}).all()
    return conn.execute(text(f"{_SHOW} hq_customer c WHERE c.reference = :r"), {"r": p.reference}).all()


def old_like(conn, typed: str) -> list:
    """Headquarters' search before: every word somewhere in the lower-case search_text."""
    words = [w for w in typed.casefold().replace("+", " ").split() if w][:6]
    if not words:
        return []
    where = " AND ".join(f"search_text LIKE :w{i}" for i in range(len(words)))
    params = {f"w{i}": "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
              for i, w in enumerate(words)}
    return conn.execute(text(f"SELECT id, reference, home_store, fields FROM hq_customer"
                             f" WHERE anonymized_at IS NULL AND {where} ORDER BY updated_at DESC LIMIT {LIMIT}"),
                        params).all()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200, help="queries per kind")
    ap.add_argument("--rebuild", action="store_true", help="make the headquarters database again")
    ap.add_argument("--backfill", action="store_true", help="time re-indexing every customer (revision 0004)")
    ap.add_argument("--no-old", action="store_true", help="skip the old LIKE search (slow at scale)")
    args = ap.parse_args()

    hq = build(args)
    if args.backfill:
        a = time.perf_counter()
        with hq.engine.begin() as conn:
            done = hq_search.reindex_all(conn)
        say(f"backfill: {done:,} customers re-indexed in {time.perf_counter() - a:.1f} s")
        with hq.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE hq_customer_search, hq_customer_key")
    with hq.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t.customer)).scalar_one()
        sizes = conn.execute(text(
            "SELECT pg_size_pretty(pg_total_relation_size('hq_customer_search')),"
            " pg_size_pretty(pg_total_relation_size('hq_customer_key')),"
            " pg_size_pretty(pg_total_relation_size('hq_customer'))")).one()
    say(f"index size: hq_customer_search {sizes[0]}, hq_customer_key {sizes[1]} (hq_customer {sizes[2]})")
    queries = sample(hq, args.queries, random.Random(7))
    who = Identity(str(uuid.uuid4()), "BER01", "all", "")
    conn = hq.engine.connect()
    for kind, texts in queries.items():  # warm every path once
        for typed in texts[:10]:
            hq.search(who, typed, limit=LIMIT)
            raw(conn, kind, typed)
        conn.rollback()

    print(f"\nheadquarters search on PostgreSQL, {count:,} customers, {args.queries} queries per kind,"
          f" limit {LIMIT} (ms)")
    head = f"{'kind':<15}{'service p50':>12}{'p95':>7}{'raw p50':>9}{'p95':>7}{'ratio':>7}{'hits':>6}"
    print(head + ("" if args.no_old else f"{'old p50':>9}{'p95':>8}{'hits':>6}"))
    for kind, texts in queries.items():
        svc_ms, raw_ms, old_ms, hits, old_hits = [], [], [], 0, 0
        for typed in texts:
            a = time.perf_counter()
            found = hq.search(who, typed, limit=LIMIT)
            b = time.perf_counter()
            raw(conn, kind, typed)
            c = time.perf_counter()
            conn.rollback()
            svc_ms.append((b - a) * 1000)
            raw_ms.append((c - b) * 1000)
            hits += bool(found)
            if not args.no_old:
                c = time.perf_counter()
                old_hits += bool(old_like(conn, typed))
                old_ms.append((time.perf_counter() - c) * 1000)
                conn.rollback()
        line = (f"{kind:<15}{pct(svc_ms, 50):>12.2f}{pct(svc_ms, 95):>7.2f}{pct(raw_ms, 50):>9.2f}"
                f"{pct(raw_ms, 95):>7.2f}{pct(svc_ms, 95) / max(pct(raw_ms, 95), 1e-6):>6.1f}x"
                f"{hits / len(texts):>6.0%}")
        if old_ms:
            line += f"{pct(old_ms, 50):>9.2f}{pct(old_ms, 95):>8.2f}{old_hits / len(texts):>6.0%}"
        print(line, flush=True)
    conn.close()
    print("\nraw: one hand-written statement per kind over the same indexes (see raw());"
          " old: the LIKE search headquarters ran before")


if __name__ == "__main__":
    main()
