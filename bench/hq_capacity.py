"""Headquarters' capacity on PostgreSQL: thousands of stores syncing, and a crowd at one instant.

Starts `pos-customers hq serve --workers N` (the real command) on loopback against a fresh
PostgreSQL database, enrols S stores (default 2,000), and measures in one run:

- paced: every store syncs every P seconds (the app's default, 15 s) at its own random offset,
  R rounds; a sync is a push of 5 new customers and a pull from the store's cursor, as a till
  sends them. Latency of every request: p50 / p95 / p99; failures;
- burst: B stores (default 200) syncing in the same instant.

Two mixes of work, both printed when ``--mix both``:

- heavy (issue 15's, the default): every sync of every store pushes 5 new customers;
- realistic: a store pushes on ``--push-share`` of its syncs (default 0.1) ``--push-events`` new
  customers (default 2), and its other syncs are a pull alone (a till with an empty outbox sends no
  push: src/pos_customers/sync/engine.py). A store open 12 hours syncs 2,880 times a day at 15 s; a
  push on one sync in ten is 288 pushes and 576 customers registered or changed a day, a busy store
  (changes made within one 15 s period go in one push).

A request answered 429 or 503 with ``Retry-After`` is sent again after that many seconds, as the
terminal does (src/pos_customers/sync/engine.py); it is counted apart, not as a failure, and its
latency is that of the answer that was served. A failure is anything else: a connection error, a
timeout, any other status. The load generator is one process (asyncio, a bare HTTP/1.1 client of its own); its own
CPU time is printed next to the server's, so a starved server shows.

    uv run python bench/hq_capacity.py --stores 2000 --burst 200 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import psycopg
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
from sync import ADMIN, event, load, pct  # noqa: E402  (bench/sync.py: the same events and figures)

from pos_customers.hq import tables as t  # noqa: E402
from pos_customers.hq.admission import DEFAULT_MAX_IN_FLIGHT  # noqa: E402
from pos_customers.hq.common import digest  # noqa: E402
from pos_customers.hq.db import make_engine, upgrade  # noqa: E402
from pos_customers.hq.service import Headquarters  # noqa: E402


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, every answered request
    syncs: list[float] = field(default_factory=list)      # seconds, a whole sync (retries included)
    told_to_wait: int = 0   # 429/503 with Retry-After (retried, then served)
    waited: float = 0.0     # seconds spent honouring Retry-After
    failures: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        self.failures += 1
        self.reasons[why] = self.reasons.get(why, 0) + 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (the workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def stores_and_credentials(engine, count: int) -> list[bytes]:
    """``count`` stores, each with one enrolled terminal (written directly: enrolling 2,000 tills
    over HTTP is not what is measured)."""
    hq = Headquarters(engine)
    for i in range(count):
        hq.add_store(f"S{i:04d}", f"Store {i}", number=100 + i)
    now = hq.now()
    creds, rows = [], []
    for i in range(count):
        cred = f"bench-{uuid.uuid4().hex}"
        rows.append({"id": str(uuid.uuid4()), "store_code": f"S{i:04d}", "name": "till", "credential_hash": digest(cred),
                     "created_at": now, "number": 1})
        creds.append(f"Authorization: Bearer {cred}\r\n".encode())
    with engine.begin() as conn:
        conn.execute(insert(t.terminal), rows)
    return creds


def start_server(url: str, port: int, workers: int, max_in_flight: int) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from pos_customers.launch import main; main()", "hq", "serve", "--db", url, "--port", str(port),
           "--workers", str(workers), "--max-in-flight", str(max_in_flight), "--segments-every", "0"]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5).status_code == 200:
                time.sleep(1.0 if workers > 1 else 0)  # every worker up, not just the first
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("headquarters did not start")


class Connection:
    """A bare HTTP/1.1 client over one asyncio connection: a till's sync is one connection (its
    push, then its pull), as the terminal's client opens one per round. Written by hand so the load
    generator spends a fraction of the CPU httpx would (its CPU time is printed)."""

    def __init__(self, host: str, port: int, headers: bytes):
        self.host, self.port, self.headers = host, port, headers
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def send(self, method: str, target: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            await self.open()
        head = (f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
                "Content-Type: application/json\r\n").encode() + self.headers + b"\r\n"
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("connection closed by headquarters")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, data


async def request(conn: Connection, tally: Tally, method: str, target: str, body: bytes = b"") -> bytes | None:
    """One request, sent again after Retry-After as long as headquarters says so."""
    while True:
        t0 = time.perf_counter()
        try:
            status, headers, data = await asyncio.wait_for(conn.send(method, target, body), 30)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            tally.fail(type(exc).__name__)
            await conn.close()
            return None
        if status in (429, 503) and headers.get("retry-after", "").isdigit():
            tally.told_to_wait += 1
            wait = int(headers["retry-after"])
            tally.waited += wait
            await conn.close()  # a till waits with its connection closed
            await asyncio.sleep(wait)
            continue
        tally.latencies.append(time.perf_counter() - t0)
        if status != 200:
            tally.fail(f"HTTP {status}")
            return None
        return data


HEAVY = (1.0, 5)  # issue 15's mix: every sync pushes 5 new customers


async def run(port: int, stores: list[bytes], rounds: int, spread: float, first: int,
              cursors: list[int], seed: int, mix: tuple[float, int] = HEAVY) -> Tally:
    """Every store syncs ``rounds`` times, once per ``spread`` seconds at its own random offset
    (spread 0: all of them in the same instant); ``mix``: the share of syncs that push, and how many
    new customers such a push holds (the others are a pull alone). The push bodies are made before
    the clock starts."""
    rng = random.Random(seed)
    offsets = [rng.uniform(0, spread) for _ in stores]
    share, size = mix
    bodies = [[orjson.dumps({"events": [event(10_000_000 + k * 1000 + (first + r) * 5 + j, 100 + k, f"S{k:04d}",
                                              (first + r) * 5 + j) for j in range(size)]})
               if rng.random() < share else None
               for r in range(rounds)] for k in range(len(stores))]
    tally = Tally()
    epoch = time.perf_counter() + 1.0

    async def one(k: int, headers: bytes) -> None:
        for r in range(rounds):
            wait = epoch + r * spread + offsets[k] - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            conn = Connection("127.0.0.1", port, headers)
            t0 = time.perf_counter()
            try:
                if bodies[k][r] is not None and await request(conn, tally, "POST", "/v1/push",
                                                              bodies[k][r]) is None:
                    continue
                data = await request(conn, tally, "GET", f"/v1/pull?cursor={cursors[k]}")
                if data is None:
                    continue
                cursors[k] = orjson.loads(data)["cursor"]
                tally.syncs.append(time.perf_counter() - t0)
            finally:
                await conn.close()
    await asyncio.gather(*(one(k, h) for k, h in enumerate(stores)))
    return tally


def report(name: str, tally: Tally, wall: float, client_cpu: float, server_cpu: float) -> None:
    lat = tally.latencies or [0.0]
    syncs = tally.syncs or [0.0]
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.reasons.items())) or "none"
    print(f"  {name}: {len(tally.latencies):,} requests in {wall:.1f} s ({len(tally.latencies) / wall:,.0f}/s); "
          f"latency p50 {statistics.median(lat) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms, "
          f"p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms; whole sync p99 "
          f"{pct(syncs, 99) * 1000:.0f} ms\n"
          f"      failures {tally.failures} ({reasons}); told to retry later {tally.told_to_wait} "
          f"(then served; {tally.waited:.0f} s waited in all); CPU: load generator {client_cpu:.1f} s, "
          f"headquarters {server_cpu:.1f} s   [{load()}]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--period", type=float, default=15.0, help="seconds between one store's syncs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--burst", type=int, default=200, help="stores syncing in the same instant")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT)
    ap.add_argument("--port", type=int, default=8797)
    ap.add_argument("--mix", choices=("heavy", "realistic", "both"), default="heavy",
                    help="heavy: every sync pushes 5 new customers (issue 15); realistic: see --push-share")
    ap.add_argument("--push-share", type=float, default=0.1, help="realistic mix: share of syncs that push")
    ap.add_argument("--push-events", type=int, default=2, help="realistic mix: new customers per push")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # killed: still stop headquarters, drop the database

    name = f"pos_bench_{uuid.uuid4().hex[:8]}"
    phase = "creating the bench database"
    server = engine = None
    code = 0
    try:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN.rsplit("/", 1)[0] + "/" + name
        engine = make_engine(url)
        upgrade(engine)
        phase = "enrolling the stores"
        t0 = time.perf_counter()
        stores = stores_and_credentials(engine, max(args.stores, args.burst))
        print(f"headquarters on PostgreSQL, {len(stores):,} stores enrolled ({time.perf_counter() - t0:.1f} s); "
              f"`hq serve --workers {args.workers} --max-in-flight {args.max_in_flight}`; "
              f"{os.cpu_count()} CPUs   [{load()}]", flush=True)
        phase = "starting headquarters"
        server = start_server(url, args.port, args.workers, args.max_in_flight)
        cursors = [0] * len(stores)

        mixes = {"heavy": [("heavy", HEAVY)], "realistic": [("realistic", (args.push_share, args.push_events))]}
        mixes["both"] = mixes["heavy"] + mixes["realistic"]
        failed = 0
        for m, (label, mix) in enumerate(mixes[args.mix]):
            what = ("push 5 + pull" if mix == HEAVY else
                    f"{mix[0]:.0%} of syncs push {mix[1]} + pull, the others pull only")
            phase = f"{args.stores} stores syncing every {args.period:g} s ({label})"
            c0, s0, t0 = time.process_time(), cpu_seconds(server.pid), time.perf_counter()
            paced = asyncio.run(run(args.port, stores[:args.stores], args.rounds, args.period, m * 10, cursors, 7, mix))
            report(f"{label}: {args.stores:,} stores, each every {args.period:g} s ({args.rounds} rounds, {what})",
                   paced, time.perf_counter() - t0, time.process_time() - c0, cpu_seconds(server.pid) - s0)

            phase = f"{args.burst} stores in the same instant ({label})"
            c0, s0, t0 = time.process_time(), cpu_seconds(server.pid), time.perf_counter()
            burst = asyncio.run(run(args.port, stores[:args.burst], 1, 0.0, m * 10 + args.rounds, cursors, 8,
                                    HEAVY if mix == HEAVY else (1.0, mix[1])))
            report(f"{label}: {args.burst:,} stores in the same instant (push {5 if mix == HEAVY else mix[1]} + pull)",
                   burst, time.perf_counter() - t0, time.process_time() - c0, cpu_seconds(server.pid) - s0)
            failed += burst.failures + paced.failures
        if failed:
            code = 1
    except Exception as exc:  # a late phase failing says so, in one line, and the run fails
        print(f"bench/hq_capacity.py: {phase} failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
              file=sys.stderr, flush=True)
        code = 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if engine is not None:
            engine.dispose()
        try:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"bench/hq_capacity.py: could not drop the bench database {name}: {exc}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
