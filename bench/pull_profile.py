"""Where a pulled customer's time goes: the row maker's CPU by step, and SQLite's work by index.

The statements the bulk path sends for N pulled customers (``storage.customers.write``) are captured
once, then replayed into a fresh file and into a copy of a big file, in transactions of ``--part``
customers as a pull commits them (``synchronous=NORMAL``): once with the schema as it is, then once
per secondary index (or the search triggers) left out. The difference is that index's share.
Primary keys and unique constraints cannot be left out; their share is what remains.

    uv run python bench/pull_profile.py --customers 20000 --big /work/bench-cache/1m.db
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pull import FIRST_SEQUENCE, captured, say, till  # noqa: E402

from pos_customers.services.demo import demo_documents  # noqa: E402
from pos_customers.storage import customers, documents, search_index  # noqa: E402
from pos_customers.storage.documents import last_change  # noqa: E402


def maker_profile(docs: list[dict]) -> None:
    """CPU per customer of each step of making a pulled customer's rows."""
    from pos_customers.sync.client import decode_page
    import orjson

    n = len(docs)
    body = orjson.dumps({"items": [{"t": "customer", "seq": i + 1, "doc": d} for i, d in enumerate(docs)],
                         "cursor": n, "more": False})
    now = datetime.now(timezone.utc)
    t = time.process_time()
    page = decode_page(body)
    parse = time.process_time() - t
    t = time.process_time()
    records = [customers.from_document(i["doc"], now=now, updated_at=now, version=1, sync_state="synced",
                                       last_activity_at=last_change(i["doc"].get("clocks") or {}))
               for i in page["items"]]
    rec = time.process_time() - t
    steps = {}
    t = time.process_time()
    out = customers.Rows(customers=[customers._customer_params(r) for r in records])
    steps["customer row (incl. name key)"] = time.process_time() - t
    t = time.process_time()
    customers._child_rows(out, records)
    steps["child rows"] = time.process_time() - t
    t = time.process_time()
    sdocs = [search_index.doc_from_record(r) for r in records]
    steps["search doc"] = time.process_time() - t
    t = time.process_time()
    [search_index.doc_values(d) for d in sdocs]
    steps["search values"] = time.process_time() - t
    t = time.process_time()
    [k for r in records for k in search_index.match_keys(r)]
    steps["duplicate-finder keys"] = time.process_time() - t
    us = lambda s: f"{s / n * 1e6:.0f} us"  # noqa: E731
    say(f"row maker, CPU per customer: parse {us(parse)}, record {us(rec)}, rows "
        + ", ".join(f"{k} {us(v)}" for k, v in steps.items()))


def capture(docs: list[dict], folder: Path, part: int) -> list[list]:
    svc = till(folder / "capture.db")
    with svc.db.write() as s:
        documents._ensure_reference_rows(s, docs)
    return captured(svc, docs, part)


def replay(path: Path, logs: list[list], docs: list[dict], without: str | None, cache_kb: int,
           by_statement: dict | None = None) -> tuple[float, float]:
    svc = till(path, fresh=False)
    with svc.db.write() as s:
        documents._ensure_reference_rows(s, docs)
    conn = svc.db.raw()
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA cache_size=-{cache_kb}")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    for pragma in os.environ.get("PROFILE_SQL", "").split(";"):  # e.g. a setting tried for the writer
        if pragma.strip():
            conn.execute(pragma)
    if without == "search triggers":
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                    " AND tbl_name = 'customer_search'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
    elif without:
        conn.execute(f"DROP INDEX {without}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall, cpu = time.perf_counter(), time.process_time()
    written = 0.0
    for log in logs:
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for how, sql, params in log:
            c = time.process_time()
            getattr(conn, how)(sql, params)
            if by_statement is not None:
                key = " ".join(sql.split()[:5])
                by_statement[key] = by_statement.get(key, 0.0) + time.process_time() - c
        c = time.process_time()
        conn.execute("COMMIT")
        if by_statement is not None:
            by_statement["COMMIT"] = by_statement.get("COMMIT", 0.0) + time.process_time() - c
        written += time.perf_counter() - t
        if written > 0.25:  # as the pull does: a passive checkpoint every 0.25 s of writing
            written = 0.0
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    out = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    svc.db.dispose()
    return out


def indexes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        tables = ["customer", *customers.tables_of_customers(conn), "customer_search", "audit_event"]
        return [r[0] for r in conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({','.join('?' * len(tables))}) ORDER BY tbl_name, name", tables)]
    finally:
        conn.close()


def profile(label: str, make, logs, docs, cache_kb: int, only: list[str] | None,
            statements_only: bool = False) -> None:
    n = len(docs)
    folder = Path(tempfile.mkdtemp(prefix="pull-profile-"))
    try:
        probe = make(folder / "probe.db")
        names = [None] if statements_only else [None, *(only or indexes(probe)), "search triggers"]
        base = None
        for name in names:
            path = make(folder / "run.db")
            statements: dict[str, float] | None = {} if name is None else None
            wall, cpu = replay(path, logs, docs, name, cache_kb, statements)
            if statements:
                say(f"{label}: CPU per customer by statement: " + ", ".join(
                    f"{k} {v / n * 1e6:.0f} us" for k, v in sorted(statements.items(), key=lambda x: -x[1])))
            for p in folder.glob("run.db*"):
                p.unlink()
            if base is None:
                base = (wall, cpu)
                say(f"{label}: all indexes: {n / wall:,.0f} customers/s wall, {cpu / n * 1e6:.0f} us CPU and "
                    f"{wall / n * 1e6:.0f} us wall per customer")
            else:
                say(f"{label}: without {name}: {n / wall:,.0f}/s; saves {(base[1] - cpu) / n * 1e6:.0f} us CPU, "
                    f"{(base[0] - wall) / n * 1e6:.0f} us wall per customer")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--part", type=int, default=500, help="customers per transaction")
    ap.add_argument("--big", type=Path, help="a big demo file (copied, never written)")
    ap.add_argument("--cache-kb", type=int, default=8000, help="the writer's page cache (the pull's: 8,000)")
    ap.add_argument("--only", nargs="*", help="these indexes only")
    ap.add_argument("--skip-fresh", action="store_true")
    ap.add_argument("--statements", action="store_true", help="the breakdown by statement only")
    args = ap.parse_args()
    docs = list(demo_documents(args.customers, seed=99, first_sequence=FIRST_SEQUENCE))
    maker_profile(docs)
    folder = Path(tempfile.mkdtemp(prefix="pull-profile-cap-"))
    try:
        logs = capture(docs, folder, args.part)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not args.skip_fresh:
        def new(p: Path) -> Path:
            till(p).db.dispose()
            return p
        profile("fresh file", new, logs, docs, args.cache_kb, args.only, args.statements)
    if args.big:
        def copy(p: Path) -> Path:
            shutil.copy(args.big, p)
            return p
        profile(f"into {args.big.name}", copy, logs, docs, args.cache_kb, args.only, args.statements)


if __name__ == "__main__":
    main()
