"""Headquarters on PostgreSQL: push and pull throughput, and latency with many stores at once.

Starts a real headquarters process (uvicorn) on loopback against a fresh PostgreSQL database and
measures, in the same run:

- push: customer.created events sent in batches over HTTP, events/s;
- the raw baseline: the same rows bulk-inserted into the same PostgreSQL (COPY), rows/s;
- initial pull: a store with scope "all" pulling every customer over HTTP, customers/s
  (and the same pages applied into a terminal's SQLite file, customers/s);
- latency: S simulated stores (default 200) each pushing a small batch and pulling, all at once;
  p50 / p99 per request.

    uv run python bench/sync.py --customers 50000 --stores 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
import psycopg

from pos_customers.domain.reference import make_reference
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters
from pos_customers.sync.client import _loads
from pos_customers.sync.engine import PULL_PAGE as PAGE

ADMIN = os.environ.get("POS_CUSTOMERS_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def document_fields(i: int) -> dict:
    return {"customer_type": "person", "title": "", "first_name": f"Anna{i % 977}", "middle_name": "",
            "last_name": f"Müller{i}", "organization_name": "", "company": "", "birth_date": "1984-03-27",
            "language": "de", "currency": "EUR", "group_code": "RETAIL", "financial_dimensions": {"Segment": "R"},
            "receipt_option": "email", "receipt_email": "", "status": "active", "account_type": "guest",
            "password_hash": None, "password_changed_at": None,
            "emails": [{"address": f"anna{i}@example.org", "purpose": "personal", "primary": True,
                        "marketing_consent": i % 3 == 0}],
            "phones": [{"e164": f"+4915{i:09d}", "purpose": "mobile", "primary": True, "marketing_consent": False}],
            "addresses": [{"purpose": "HOME", "line1": f"Torstraße {i % 200}", "line2": "", "city": "Berlin",
                           "district": "", "region": "", "postal_code": "10115", "country": "DE",
                           "default_billing": True, "default_shipping": True}],
            "affiliations": [], "cards": [], "attributes": {}}


def event(i: int, store_number: int, store: str, seq: int | None = None) -> dict:
    cid = str(uuid.UUID(int=i + 1, version=4))
    return {"id": str(uuid.uuid4()), "seq": i + 1, "hlc": f"{1764000000000 + i:013d}-00000-bench",
            "type": "customer.created", "entity": "customer", "entity_id": cid,
            "payload": {"id": cid, "reference": make_reference(store_number, i if seq is None else seq, terminal=0),
                        "store_code": store,
                        "created_at": "2026-11-24T10:00:00+00:00", "fields": document_fields(i)}}


def start_server(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "POS_CUSTOMERS_HQ_DB": url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "pos_customers.hq.api:app_from_env",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("headquarters did not start")


def enrol(base: str, hq: Headquarters, code: str, **kw) -> dict[str, str]:
    token = hq.add_store(code, f"Store {code}", **kw)
    cred = httpx.post(f"{base}/v1/enrol", json={"token": token}).json()["credential"]
    return {"Authorization": f"Bearer {cred}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--stores", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--period", type=float, default=15.0,
                    help="seconds between one store's syncs (the app syncs every 15 s by default)")
    ap.add_argument("--port", type=int, default=8799)
    args = ap.parse_args()

    name = f"pos_bench_{uuid.uuid4().hex[:8]}"
    phase = "creating the bench database"
    server = engine = None
    try:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN.rsplit("/", 1)[0] + "/" + name
        engine = make_engine(url)
        upgrade(engine)
        hq = Headquarters(engine)
        base = f"http://127.0.0.1:{args.port}"
        phase = "starting headquarters"
        server = start_server(url, args.port)
        ber = enrol(base, hq, "BER01", number=1)
        events = [event(i, 1, "BER01") for i in range(args.customers)]
        client = httpx.Client(base_url=base, timeout=60)
        print(f"headquarters on PostgreSQL, {args.customers:,} customers, batches of {args.batch}   [{load()}]",
              flush=True)

        # -- push -----------------------------------------------------------------------------
        phase = "push"
        t0 = time.perf_counter()
        for k in range(0, len(events), args.batch):
            r = client.post("/v1/push", content=orjson.dumps({"events": events[k:k + args.batch]}),
                            headers={**ber, "Content-Type": "application/json"})
            r.raise_for_status()
        push_s = time.perf_counter() - t0
        print(f"  push          {args.customers / push_s:>10,.0f} events/s   ({push_s:.2f} s over HTTP)"
              f"   [{load()}]", flush=True)

        # -- raw baseline: the same rows, COPY into the same PostgreSQL ---------------------------
        phase = "raw COPY baseline"
        rows = [(e["payload"]["id"], e["payload"]["reference"], json.dumps(e["payload"]["fields"]))
                for e in events]
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE raw_customer (id text primary key, reference text unique, fields text)")
            t0 = time.perf_counter()
            with conn.cursor().copy("COPY raw_customer (id, reference, fields) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            raw_s = time.perf_counter() - t0
        print(f"  raw COPY      {args.customers / raw_s:>10,.0f} rows/s     ({raw_s:.2f} s)"
              f"   push is {raw_s / push_s:.2f}x of raw   [{load()}]", flush=True)

        # -- initial pull ---------------------------------------------------------------------
        phase = "initial pull"
        everything = enrol(base, hq, "HQ01", number=2, scope="all")
        t0 = time.perf_counter()
        cursor, pulled, pages = 0, 0, []
        while True:
            r = client.get("/v1/pull", params={"cursor": cursor, "limit": PAGE}, headers=everything)
            r.raise_for_status()
            page = _loads(r.content)   # as the terminal's client parses it
            pages.append(page)
            pulled += sum(1 for i in page["items"] if i["t"] == "customer")
            cursor = page["cursor"]
            if not page["more"]:
                break
        pull_s = time.perf_counter() - t0
        print(f"  pull (HTTP)   {pulled / pull_s:>10,.0f} customers/s ({pull_s:.2f} s, {len(pages)} pages of "
              f"{PAGE:,})   {pull_s / raw_s:.2f}x the raw insert time   [{load()}]", flush=True)
        phase = "applying the pull into a terminal"
        apply_s = apply_into_terminal(pages)
        print(f"  pull + apply  {pulled / (pull_s + apply_s):>10,.0f} customers/s into a terminal's SQLite "
              f"(apply {apply_s:.2f} s, {pulled / apply_s:,.0f} customers/s; bench/pull.py measures it"
              f" at scale)   [{load()}]", flush=True)

        # -- many stores at once ----------------------------------------------------------------
        phase = f"{args.stores} stores syncing every {args.period:g} s"
        stores = [enrol(base, hq, f"S{i:03d}", number=100 + i) for i in range(args.stores)]
        paced = asyncio.run(many_stores(base, stores, args.rounds, spread=args.period))
        print(f"  {args.stores} stores syncing at once, each every {args.period:g} s (jittered; --period), "
              f"push 5 events + pull: p50 {statistics.median(paced) * 1000:.0f} ms, p99 {pct(paced, 99) * 1000:.0f}"
              f" ms over {len(paced)} requests   [{load()}]", flush=True)
        phase = f"all {args.stores} stores in the same instant"
        burst = asyncio.run(many_stores(base, stores, 1, spread=0.0))
        print(f"  worst case, all {args.stores} in the same instant: p50 {statistics.median(burst) * 1000:.0f} ms, "
              f"p99 {pct(burst, 99) * 1000:.0f} ms   [{load()}]", flush=True)
    except Exception as exc:  # a late phase failing says so, in one line, and the run fails
        print(f"bench/sync.py: {phase} failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
              file=sys.stderr, flush=True)
        code = 1
    else:
        code = 0
    finally:
        if server is not None:
            server.kill()
            server.wait()
        if engine is not None:
            engine.dispose()
        try:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"bench/sync.py: could not drop the bench database {name}: {exc}", file=sys.stderr)
    sys.exit(code)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def apply_into_terminal(pages: list[dict]) -> float:
    from pos_customers.services.context import Actor, Services
    from pos_customers.services.store import init_store
    from pos_customers.storage.engine import Database
    from pos_customers.storage.migrate import upgrade as upgrade_terminal
    from pos_customers.sync.engine import apply_items

    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "t.db")
        upgrade_terminal(db)
        svc = Services(db)
        init_store(svc, Actor.command_line(), code="HQ01", number=2, name="HQ", country="DE",
                   currency="EUR", language="de")
        t0 = time.perf_counter()
        for page in pages:
            with db.write() as s:
                apply_items(s, page["items"], "HQ01", {})
        elapsed = time.perf_counter() - t0
        db.close() if hasattr(db, "close") else None
        return elapsed


async def many_stores(base: str, stores: list[dict[str, str]], rounds: int, spread: float) -> list[float]:
    """Every store syncs ``rounds`` times, once per ``spread`` seconds at its own random offset
    (spread 0: all of them in the same instant)."""
    import random

    rng = random.Random(7)
    offsets = [rng.uniform(0, spread) for _ in stores]
    epoch = time.perf_counter() + 0.5
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(stores) + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def one(k: int, headers: dict[str, str]) -> None:
            cursor = 0
            for r in range(rounds):
                wait = epoch + r * spread + offsets[k] - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                batch = [event(10_000_000 + k * 1000 + r * 10 + j, 100 + k, f"S{k:03d}", r * 10 + j) for j in range(5)]
                t0 = time.perf_counter()
                resp = await client.post("/v1/push", content=orjson.dumps({"events": batch}),
                                         headers={**headers, "Content-Type": "application/json"})
                latencies.append(time.perf_counter() - t0)
                resp.raise_for_status()
                t0 = time.perf_counter()
                resp = await client.get("/v1/pull", params={"cursor": cursor}, headers=headers)
                latencies.append(time.perf_counter() - t0)
                cursor = resp.json()["cursor"]
        await asyncio.gather(*(one(k, h) for k, h in enumerate(stores)))
    return latencies


if __name__ == "__main__":
    main()
