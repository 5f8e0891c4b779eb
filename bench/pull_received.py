"""Pulling customers into a till: the time the "received from headquarters" audit rows add.

The same pull pages (demo customers as headquarters sends them, 2,000 a page, served in process)
applied into a fresh till with the audit rows and without them (the baseline: the customers
alone), interleaved, medians of three runs each.

    uv run python bench/pull_received.py --customers 6000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from pos_customers.services.context import Actor, Services
from pos_customers.services.demo import export_for_hq, seed_demo
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from pos_customers.sync import engine as eng
from pos_customers.sync.client import HqClient

PAGE = 2000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=6000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        docs = export_for_hq(seed_demo(Database(tmp / "source.db"), args.customers), "0001700000000-00000-demo")
        pages = []
        for k in range(0, len(docs), PAGE):
            chunk = docs[k:k + PAGE]
            pages.append({"items": [{"t": "customer", "seq": k + i + 1, "key": d["id"], "deleted": False, "doc": d}
                                    for i, d in enumerate(chunk)],
                          "cursor": k + len(chunk), "more": k + PAGE < len(docs)})

        def answer(request: httpx.Request) -> httpx.Response:
            cursor = int(request.url.params["cursor"])
            return httpx.Response(200, json=next(p for p in pages if p["cursor"] > cursor))

        audited_insert = eng._insert_received

        def customers_only(s, docs, local_store):
            eng.insert_documents(s, docs)

        def run(i: int, audited: bool) -> float:
            eng._insert_received = audited_insert if audited else customers_only
            db = Database(tmp / f"till{i}.db")
            upgrade(db)
            init_store(Services(db), Actor.command_line(), code="HQ01", number=2, name="Bench", country="DE",
                       currency="EUR", language="de")
            engine = eng.SyncEngine(db, HqClient("http://hq.test", "c", transport=httpx.MockTransport(answer)))
            t0 = time.perf_counter()
            more = True
            while more:
                _, more = engine.pull_page()
            elapsed = time.perf_counter() - t0
            db.dispose()
            return elapsed

        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(6):
            times[i % 2 == 0].append(run(i, i % 2 == 0))
            print(f"  run {i + 1}: {'with' if i % 2 == 0 else 'without'} audit rows {times[i % 2 == 0][-1]:.2f} s",
                  flush=True)
        eng._insert_received = audited_insert
        n, with_rows, baseline = len(docs), statistics.median(times[True]), statistics.median(times[False])
        print(f"{n:,} customers pulled and applied: customers alone {n / baseline:,.0f}/s ({baseline:.2f} s); "
              f"with their 'received' audit rows {n / with_rows:,.0f}/s ({with_rows:.2f} s): "
              f"{with_rows / baseline:.2f}x the baseline")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
