"""Searching an organization's name, which lists its people after it: the service next to the bare
queries an expert would write for the same answer (the FTS5 name match, then one lookup of the
members of the organizations found on the membership index), measured in the same run, interleaved.

    uv run python bench/members_search.py --customers 100000

Inputs: the whole name of an organization that has people, its first word, one letter. Each phase
prints p50/p95 in milliseconds as it ends.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from pos_customers.domain.search import fts_name_query, parse_query
from pos_customers.services.context import Actor
from pos_customers.services.demo import seed_demo
from pos_customers.services.search import search_customers
from pos_customers.storage.engine import Database

CACHE = Path(__file__).resolve().parent / ".cache"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def raw(conn: sqlite3.Connection, text: str, limit: int = 51) -> list[str]:
    """By hand: name hits (newest first), then the members of those that are organizations."""
    q = parse_query(text, country="DE")
    ids = [r[0] for r in conn.execute(
        "SELECT s.customer_id FROM customer_name_fts f JOIN customer_search s ON s.rowid = f.rowid"
        " WHERE customer_name_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?", (fts_name_query(q.name_words), limit))]
    if not ids:
        return ids
    marks = ",".join("?" * len(ids))
    members = [r[0] for r in conn.execute(
        f"SELECT person_id FROM customer_membership WHERE organization_id IN ({marks}) AND active", ids)]
    return ids + members


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"members-{args.customers}.db"
    t = time.perf_counter()
    svc = seed_demo(Database(path), args.customers)
    print(f"demo with {args.customers:,} customers ready in {time.perf_counter() - t:.1f} s", flush=True)
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "SELECT DISTINCT c.organization_name FROM customer_membership m JOIN customer c ON c.id = m.organization_id"
        " WHERE m.active ORDER BY c.reference")]
    if not names:
        sys.exit("the demo has no organization with people")
    inputs = {"whole organization name": names, "its first word": [n.split()[0] for n in names], "one letter": ["m"]}
    actor = Actor.command_line()
    for label, texts in inputs.items():
        service, bare = [], []
        for i in range(args.rounds):
            text = texts[i % len(texts)]
            t = time.perf_counter()
            page = search_customers(svc, actor, text)
            service.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw(conn, text)
            bare.append((time.perf_counter() - t) * 1000)
        via = sum(1 for r in page.rows if r.via)
        print(f"{label:<26} service p50 {statistics.median(service):6.2f} p95 {pct(service, 95):6.2f} ms"
              f" | by hand p50 {statistics.median(bare):6.2f} p95 {pct(bare, 95):6.2f} ms"
              f" | last: {len(page.rows)} rows, {via} via an organization", flush=True)


if __name__ == "__main__":
    main()
