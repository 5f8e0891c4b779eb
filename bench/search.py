"""Search at scale: service-level search next to the raw FTS5 query for the same input.

Builds (or reuses) a demo database with N customers, samples realistic queries of each kind
from it, and prints p50/p95 in milliseconds for the service (parse, query, result rows) and
for the bare FTS5/index query the service is built on, measured in the same run, interleaved.

    uv run python bench/search.py --customers 1000000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from pos_customers.domain.address import AddressInput
from pos_customers.domain.customer import AddressDraft, CustomerDraft
from pos_customers.domain.reference import format_reference
from pos_customers.domain.duplicates import name_key
from pos_customers.domain.search import fts_fragment_query, fts_name_query, parse_query
from pos_customers.services.context import Actor
from pos_customers.services.customers import find_duplicates
from pos_customers.services.search import search_customers
from pos_customers.services.demo import seed_demo
from pos_customers.storage.engine import Database

CACHE = Path(__file__).resolve().parent / ".cache"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def sample_queries(conn: sqlite3.Connection, n: int, rng: random.Random) -> dict[str, list[str]]:
    total = conn.execute("SELECT max(rowid) FROM customer_search").fetchone()[0]
    rows = []
    while len(rows) < n:
        r = conn.execute(
            "SELECT s.display_name, s.reference, s.primary_email, s.primary_phone, c.first_name, c.last_name"
            " FROM customer_search s JOIN customer c ON c.id = s.customer_id WHERE s.rowid = ?",
            (rng.randrange(1, total + 1),)).fetchone()
        if r and r[4] and r[5] and r[2] and r[3]:
            rows.append(r)
    q: dict[str, list[str]] = {k: [] for k in ("name prefix", "two words", "phone fragment",
                                               "email part", "reference")}
    for display, ref, email, phone, first, last in rows:
        q["name prefix"].append(last[: rng.randint(3, 5)])
        q["two words"].append(f"{first[:3]} {last[:4]}" if rng.random() < 0.5 else f"{last[:4]} {first[:3]}")
        digits = "".join(c for c in phone if c.isdigit())
        start = rng.randrange(0, max(1, len(digits) - 7))
        frag = digits[start:start + 7]
        q["phone fragment"].append(f"{frag[:3]} {frag[3:]}")
        local = email.split("@")[0]
        q["email part"].append(local + "@" if rng.random() < 0.5 else local[: max(4, len(local) - 2)])
        q["reference"].append(format_reference(ref).lower() if rng.random() < 0.5 else ref)
    return q


_ROWS = ("SELECT s.customer_id, s.reference, s.display_name, s.primary_email, s.primary_phone, s.city,"
         " c.sync_state, c.status FROM customer_search s JOIN customer c ON c.id = s.customer_id")


def raw_query(conn: sqlite3.Connection, kind: str, text: str) -> list:
    """One hand-written SQL statement giving the same page of rows for the same input: the FTS5
    match (or index lookup) joined to the displayed columns. The service adds query parsing,
    exact lookups before the FTS5 tiers, and a connection from its pool."""
    parsed = parse_query(text, country="DE")
    if kind in ("name prefix", "two words"):
        return conn.execute(
            f"{_ROWS} WHERE s.rowid IN (SELECT rowid FROM customer_name_fts WHERE customer_name_fts MATCH ?"
            " ORDER BY rowid DESC LIMIT 51)", (fts_name_query(parsed.name_words),)).fetchall()
    if kind in ("phone fragment", "email part"):
        return conn.execute(
            f"{_ROWS} WHERE s.rowid IN (SELECT rowid FROM customer_contact_fts WHERE customer_contact_fts"
            " MATCH ? ORDER BY rowid DESC LIMIT 51)", (fts_fragment_query(parsed.fragment),)).fetchall()
    return conn.execute(f"{_ROWS} WHERE c.reference = ?", (parsed.reference,)).fetchall()


def raw_duplicates(conn: sqlite3.Connection, key: str, birth: str, postal: str) -> list:
    return conn.execute(
        "SELECT id FROM customer WHERE name_key = ? AND birth_date = ? UNION"
        " SELECT customer_id FROM customer_match_key WHERE name_key = ? AND country = 'DE' AND postal_code = ?",
        (key, birth, key, postal)).fetchall()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200, help="queries per kind")
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()

    path = args.db or CACHE / f"search-{args.customers}.db"
    t0 = time.perf_counter()
    print(f"database: {path}", file=sys.stderr)
    svc = seed_demo(Database(path), args.customers,
                    progress=lambda d, t: print(f"\r  seeding {d:,}/{t:,}", end="", file=sys.stderr))
    print(f"\nready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    actor = Actor.command_line()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA cache_size=-32000")
    rng = random.Random(7)
    queries = sample_queries(raw, args.queries, rng)
    count = raw.execute("SELECT count(*) FROM customer").fetchone()[0]

    for kind, texts in queries.items():  # warm both paths once
        for t in texts[:20]:
            search_customers(svc, actor, t)
            raw_query(raw, kind, t)

    print(f"\nsearch over {count:,} customers, {args.queries} queries per kind, limit 50 (ms)")
    print(f"{'kind':<16}{'service p50':>12}{'p95':>8}{'raw p50':>10}{'p95':>8}{'p95 ratio':>11}{'hits':>7}")
    for kind, texts in queries.items():
        svc_ms, raw_ms, hits = [], [], 0
        for t in texts:
            a = time.perf_counter()
            page = search_customers(svc, actor, t)
            b = time.perf_counter()
            raw_query(raw, kind, t)
            c = time.perf_counter()
            svc_ms.append((b - a) * 1000)
            raw_ms.append((c - b) * 1000)
            hits += bool(page.rows)
        print(f"{kind:<16}{pct(svc_ms, 50):>12.2f}{pct(svc_ms, 95):>8.2f}{pct(raw_ms, 50):>10.2f}"
              f"{pct(raw_ms, 95):>8.2f}{pct(svc_ms, 95) / max(pct(raw_ms, 95), 1e-6):>10.2f}x"
              f"{hits / len(texts):>7.0%}")

    # duplicate finder: a near-copy of an existing customer (other spelling, same birth date + postal code)
    rows = raw.execute(
        "SELECT c.first_name, c.last_name, c.birth_date, a.postal_code FROM customer c JOIN customer_address a"
        " ON a.customer_id = c.id WHERE c.customer_type = 'person' AND c.birth_date IS NOT NULL"
        " AND a.country = 'DE' LIMIT 2000").fetchall()
    rng.shuffle(rows)
    dup_ms, raw_ms, found = [], [], 0
    for first, last, birth, postal in rows[: args.queries]:
        draft = CustomerDraft(first_name=first, last_name=last + "e", birth_date=birth, addresses=[
            AddressDraft(AddressInput(line1="x 1", city="x", postal_code=postal, country="DE"))])
        a = time.perf_counter()
        hits = find_duplicates(svc, actor, draft)
        b = time.perf_counter()
        raw_duplicates(raw, name_key("person", last + "e", ""), birth, postal)
        c = time.perf_counter()
        dup_ms.append((b - a) * 1000)
        raw_ms.append((c - b) * 1000)
        found += bool(hits)
    if dup_ms:
        print(f"{'duplicates':<16}{pct(dup_ms, 50):>12.2f}{pct(dup_ms, 95):>8.2f}{pct(raw_ms, 50):>10.2f}"
              f"{pct(raw_ms, 95):>8.2f}{pct(dup_ms, 95) / max(pct(raw_ms, 95), 1e-6):>10.2f}x"
              f"{found / len(dup_ms):>7.0%}")
    print("\nraw: one hand-written SQL statement returning the same rows (see raw_query)")
    print("target: service p95 <= 30 ms and <= 2x raw p95")


if __name__ == "__main__":
    main()
