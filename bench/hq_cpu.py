"""Headquarters' CPU per sync on PostgreSQL, request by request (issue 15, target 5).

The whole HTTP application (`create_app`: admission, credential, body validation, the push or pull,
the answer) is called in this process as an ASGI server calls it, without a socket, so the CPU
printed is headquarters' own Python per request (`time.process_time`; PostgreSQL's work happens in
its own processes and is not counted). Stores each sync as a till does:

- idle: nothing to push (the till sends no push), a pull from its cursor finds nothing new;
- a few changes: a push of 2 `customer.updated` (one field each) of the store's customers + a pull;
- new customers: a push of 5 `customer.created` (full documents, as bench/hq_capacity.py) + a pull.

`--profile` prints where a request's CPU goes (cProfile, CPU clock) for each kind.

    uv run python bench/hq_cpu.py --stores 200 --syncs 300 [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from hq_capacity import stores_and_credentials  # noqa: E402
from sync import ADMIN, event, load, pct  # noqa: E402

from pos_customers.hq.api import create_app  # noqa: E402
from pos_customers.hq.db import make_engine, upgrade  # noqa: E402


class Asgi:
    """One request through the ASGI application, as uvicorn hands it over."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, method: str, target: str, header: bytes, body: bytes = b"") -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        name, _, value = header.decode().strip().partition(": ")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000),
                 "headers": [(b"host", b"hq"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode()),
                             (name.lower().encode(), value.encode())]}
        sent = False

        async def receive():
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, chunks = 0, []

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def updates(store: int, created: list[str], serial: int) -> bytes:
    """Two `customer.updated` events, one field each, of customers the store created."""
    events = []
    for j, cid in enumerate(created[:2]):
        n = serial * 2 + j
        events.append({"id": str(uuid.uuid4()), "seq": 1_000_000 + n, "hlc": f"{1765000000000 + n:013d}-00000-bench",
                       "type": "customer.updated", "entity": "customer", "entity_id": cid,
                       "payload": {"id": cid, "fields": {"title": f"T{n % 97}"}, "base": {}}})
    return orjson.dumps({"events": events})


async def measure(args) -> None:
    name = f"pos_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = None
    try:
        engine = make_engine(ADMIN.rsplit("/", 1)[0] + "/" + name)
        upgrade(engine)
        creds = stores_and_credentials(engine, args.stores)
        call = Asgi(create_app(engine))
        said: list[str] = []
        if args.statements:
            from sqlalchemy import event as sa_event

            @sa_event.listens_for(engine, "before_cursor_execute")
            def _said(_conn, _cursor, statement, _params, _context, many):
                said.append(("many " if many else "") + " ".join(statement.split())[:150])
        cursors = [0] * args.stores
        created: list[list[str]] = [[] for _ in range(args.stores)]
        serial = [0]

        def creations(k: int) -> bytes:
            first = serial[0]
            serial[0] += 5
            evs = [event(20_000_000 + first + j, 100 + k, f"S{k:04d}", first + j) for j in range(5)]
            created[k].extend(e["payload"]["id"] for e in evs)
            return orjson.dumps({"events": evs})

        async def sync(k: int, body: bytes | None, cpu: dict[str, list[float]], prof) -> None:
            if body is not None:
                c0 = time.process_time()
                if prof:
                    prof.enable()
                status, data = await call("POST", "/v1/push", creds[k], body)
                if prof:
                    prof.disable()
                cpu["push"].append(time.process_time() - c0)
                assert status == 200, data[:300]
                answer = orjson.loads(data)
                assert not answer["refused"], answer["refused"][:1]
            c0 = time.process_time()
            if prof:
                prof.enable()
            status, data = await call("GET", f"/v1/pull?cursor={cursors[k]}", creds[k])
            if prof:
                prof.disable()
            cpu["pull"].append(time.process_time() - c0)
            assert status == 200, data[:300]
            cursors[k] = orjson.loads(data)["cursor"]

        # every store holds some customers of its own, and has pulled them
        for k in range(args.stores):
            await sync(k, creations(k), {"push": [], "pull": []}, None)
        print(f"headquarters on PostgreSQL in this process, {args.stores} stores, each with 5 customers; "
              f"{args.syncs} syncs per kind   [{load()}]", flush=True)
        kinds = {
            "idle store (no push; a pull that finds nothing new)": lambda k, i: None,
            "a few changes (push 2 customer.updated + pull)": lambda k, i: updates(k, created[k], i),
            "new customers (push 5 customer.created + pull)": lambda k, i: creations(k),
        }
        for kind, body_of in kinds.items():
            for warm in (True, False):
                cpu = {"push": [], "pull": []}
                prof = cProfile.Profile(time.process_time) if args.profile and not warm else None
                n = min(50, args.syncs) if warm else args.syncs
                for i in range(n):
                    k = (i * 7919) % args.stores
                    await sync(k, body_of(k, i), cpu, prof)
            syncs = [a + b for a, b in zip(cpu["push"], cpu["pull"])] if cpu["push"] else cpu["pull"]
            parts = "; ".join(f"{what} {statistics.mean(v) * 1000:.2f} ms" for what, v in cpu.items() if v)
            print(f"  {kind}: CPU per sync mean {statistics.mean(syncs) * 1000:.2f} ms, p50 "
                  f"{statistics.median(syncs) * 1000:.2f}, p95 {pct(syncs, 95) * 1000:.2f} ({parts})   [{load()}]",
                  flush=True)
            if args.statements:
                said.clear()
                await sync(7 % args.stores, body_of(7 % args.stores, n), cpu, None)
                print("    the statements of one sync:\n" + "\n".join(f"      {x}" for x in said), flush=True)
            if prof is not None:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.filter or "", args.top)
                print(out.getvalue(), flush=True)
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _inline(func, *args, **_kw):
    """For the profile: a route's work in this thread (cProfile sees one thread), not the pool's."""
    return func(*args)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=200)
    ap.add_argument("--syncs", type=int, default=300, help="syncs measured per kind")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of each kind")
    ap.add_argument("--top", type=int, default=40, help="functions printed per profile")
    ap.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    ap.add_argument("--statements", action="store_true", help="print the SQL statements of one sync of each kind")
    ap.add_argument("--filter", default="", help="only functions whose path matches (a regular expression)")
    args = ap.parse_args()
    if args.profile:
        import anyio.to_thread
        anyio.to_thread.run_sync = _inline
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
