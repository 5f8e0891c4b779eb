"""A till joining the chain: the initial pull applied into a fresh file and into a big one, a save
at the till while it runs, and the SQLite work alone as the baseline; plus the build of the big file.

Phases, each printed as it ends:

1. the M-customer demo file (bench/.cache/search-M.db, shared with bench/search.py): built once,
   its build time printed (``--rebuild`` builds it again, timed);
2. N pull documents (demo customers of another seed, references past the file's), as headquarters
   sends them: JSON pages of ``PULL_PAGE`` items;
3. the pull into a fresh file through the real engine and client (pages parsed as the till parses
   them, the next page fetched while one is applied), customers/s; meanwhile a save at the till
   (``create_customer``) every 0.25 s, each timed: the wait for the pull's write lock is the save's
   time less an idle save's (idle saves measured in the same run, before and after);
4. baseline: the statements the pull sent, captured and replayed into another fresh file (the SQLite
   work alone: no parsing, no records, no rows to make);
5. the pull of the same documents into a copy of the M-customer file;
6. the time a new till takes to hold a 1,000,000-customer chain at the rate measured in 3 (measured,
   not projected, when N is 1,000,000).

    uv run python bench/pull.py --customers 100000 --into 1000000
    uv run python bench/pull.py --customers 1000000 --into 0    # a new till, a whole 1M chain

The machine is shared: the load average is printed with every phase, and CPU seconds next to wall
seconds (CPU time moves less with what others run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.services.demo import demo_documents, seed_demo
from pos_customers.services.store import init_store
from pos_customers.storage import engine as storage_engine
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from pos_customers.sync import engine as eng
from pos_customers.sync.client import HqClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import person  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
FIRST_SEQUENCE = 1_200_000  # pulled customers' references: past any demo file's (M <= 1,000,000)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def say(text: str) -> None:
    print(f"{text}   [{load()}]", flush=True)


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.wall:.1f} s wall, {time.process_time() - self.cpu:.1f} s CPU"

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.wall


def pages(docs: list[dict], size: int) -> dict[int, bytes]:
    """Headquarters' answers by cursor, as JSON bytes."""
    out = {}
    for k in range(0, len(docs), size):
        chunk = docs[k:k + size]
        out[k] = orjson.dumps({"items": [{"t": "customer", "seq": k + i + 1, "doc": d} for i, d in enumerate(chunk)],
                               "cursor": k + len(chunk), "more": k + size < len(docs)})
    return out


def client(served: dict[int, bytes]) -> HqClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/push":  # the till's own rows first (run_once pushes, then pulls)
            events = orjson.loads(request.content)["events"]
            return httpx.Response(200, json={"applied": [e["id"] for e in events], "duplicates": [],
                                             "conflicts": [], "refused": [], "cursor": 0})
        return httpx.Response(200, content=served[int(request.url.params["cursor"])],
                              headers={"Content-Type": "application/json"})

    return HqClient("http://hq.test", "bench", transport=httpx.MockTransport(answer))


def till(path: Path, *, fresh: bool = True) -> Services:
    db = Database(path)
    if fresh:
        upgrade(db)
    svc = Services(db)
    if fresh:
        init_store(svc, Actor.command_line(), code="HAM01", number=3, name="Hamburg", country="DE",
                   currency="EUR", language="de")
    return svc


class Saves:
    """A save at the till every ``period`` seconds on another thread, each timed, and the time it
    waited for the write lock (``lock_waits``: its turn among the process's writers, then its
    ``BEGIN IMMEDIATE``)."""

    def __init__(self, svc: Services, period: float = 0.25):
        from sqlalchemy import event

        self.svc, self.period, self.times, self.lock_waits, self.n = svc, period, [], [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        began: dict[int, float] = {}

        def before(conn, cursor, statement, *_):
            if statement == "BEGIN IMMEDIATE":
                began[threading.get_ident()] = time.perf_counter()

        def after(conn, cursor, statement, *_):
            if statement == "BEGIN IMMEDIATE" and threading.get_ident() == self._thread.ident:
                self.lock_waits.append(time.perf_counter() - began.pop(threading.get_ident())
                                       + began.pop(-1, 0.0))

        event.listen(svc.db.write_engine, "before_cursor_execute", before)
        event.listen(svc.db.write_engine, "after_cursor_execute", after)
        saves = self

        class Turn:  # the process's writers' turn (storage.engine): waiting for it is waiting too
            def __init__(self, lock):
                self.lock = lock

            def acquire(self, *args, **kw):
                t0 = time.perf_counter()
                got = self.lock.acquire(*args, **kw)
                if threading.get_ident() == saves._thread.ident:
                    began[-1] = time.perf_counter() - t0
                return got

            def release(self):
                self.lock.release()

        svc.db._write_turn = Turn(svc.db._write_turn)

        class Timed(sqlite3.Connection):  # a save on a plain connection (create_customer): its BEGIN IMMEDIATE
            def execute(self, sql, *args):
                if sql != "BEGIN IMMEDIATE" or threading.get_ident() != saves._thread.ident:
                    return super().execute(sql, *args)
                t0 = time.perf_counter()
                try:
                    return super().execute(sql, *args)
                finally:
                    saves.lock_waits.append(time.perf_counter() - t0 + began.pop(-1, 0.0))

        def raw(path=svc.db.path):
            conn = sqlite3.connect(path, timeout=storage_engine.BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False, factory=Timed)
            storage_engine._configure(conn)
            return conn

        svc.db.raw = raw

    def one(self) -> float:
        self.n += 1
        t0 = time.perf_counter()
        letters = "".join(chr(97 + (self.n // 26 ** i) % 26) for i in range(4))
        create_customer(self.svc, Actor.command_line(),
                        person("Petra", f"Kasse{letters}", f"petra{self.n}.{os.getpid()}@example.org"))
        return time.perf_counter() - t0

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.times.append(self.one())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def ms(values: list[float]) -> str:
    v = sorted(x * 1000 for x in values)
    return f"p50 {statistics.median(v):.0f} ms, p95 {v[int(0.95 * (len(v) - 1))]:.0f} ms, max {v[-1]:.0f} ms"


def report_saves(saver: Saves, idle: float) -> None:
    if not saver.lock_waits:
        say("   no save ran during the pull (it was too quick)")
        return
    say(f"   {len(saver.lock_waits)} saves at the till during the pull: waited for the write lock "
        f"{ms(saver.lock_waits)}; the whole save {ms(saver.times)} (alone: {idle * 1000:.0f} ms; the rest is "
        "the CPU shared with the pull: the GIL and the machine)")


def pull(svc: Services, served: dict[int, bytes]) -> int:
    engine = eng.SyncEngine(svc.db, client(served))
    return engine.run_once().pulled


class Capture:
    """A connection stand-in that keeps the statements the bulk path sends (for the baseline)."""

    def __init__(self, conn):
        self.conn, self.log = conn, []

    def execute(self, sql, params=()):
        self.log.append(("execute", sql, params))
        return self.conn.execute(sql, params)

    def executemany(self, sql, rows):
        rows = list(rows)
        self.log.append(("executemany", sql, rows))
        return self.conn.executemany(sql, rows)


def captured(svc: Services, docs: list[dict], size: int) -> list[list]:
    """The statements the bulk path sends for ``docs``, ``size`` customers a transaction, captured
    on ``svc``'s file (each transaction rolled back); the file is closed after."""
    from datetime import datetime, timezone

    from pos_customers.storage import customers
    from pos_customers.storage.documents import last_change

    conn = svc.db.raw()
    logs = []
    now = datetime.now(timezone.utc)
    for k in range(0, len(docs), size):
        records = [customers.from_document(d, now=now, updated_at=now, version=1, sync_state="synced",
                                           last_activity_at=last_change(d.get("clocks") or {}))
                   for d in docs[k:k + size]]
        cap = Capture(conn)
        conn.execute("BEGIN IMMEDIATE")
        plain, customers.connection = customers.connection, lambda c: c
        try:
            customers.insert(cap, records)
        finally:
            customers.connection = plain
        conn.execute("ROLLBACK")
        logs.append(cap.log)
    conn.close()
    svc.db.dispose()
    return logs


def baseline(docs: list[dict], folder: Path, size: int) -> float:
    """The SQLite work alone: the statements of the bulk path for the same documents, captured
    once, then replayed into a fresh file in transactions of ``size`` customers. Seconds."""
    from pos_customers.storage import documents

    svc = till(folder / "capture.db")
    target = till(folder / "replay.db")
    for db in (svc.db, target.db):  # the stores, groups... the customers name (the pull makes them too)
        with db.write() as s:
            documents._ensure_reference_rows(s, docs)
    logs = captured(svc, docs, size)
    conn = target.db.raw()
    conn.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    for log in logs:
        conn.execute("BEGIN IMMEDIATE")
        for how, sql, params in log:
            getattr(conn, how)(sql, params)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000, help="customers pulled (N)")
    ap.add_argument("--into", type=int, default=1_000_000, help="customers of the big file (M; 0: skip)")
    ap.add_argument("--rebuild", action="store_true", help="build the big file again (timed)")
    ap.add_argument("--big", type=Path, help="an M-customer demo file made elsewhere (copied, never written)")
    args = ap.parse_args()
    code = 0
    folder = Path(tempfile.mkdtemp(prefix="bench-pull-"))
    try:
        say(f"bench/pull.py: {args.customers:,} customers pulled, pages of {eng.PULL_PAGE:,}, "
            f"transactions of about {eng.PULL_LOCK_SECONDS * 1000:.0f} ms; {os.cpu_count()} CPUs")
        big = args.big or CACHE / f"search-{args.into}.db"
        if args.big:
            say(f"1. the {args.into:,}-customer demo file: {big} (not built here)")
        elif args.into:
            if args.rebuild and big.exists():
                for p in big.parent.glob(big.name + "*"):
                    p.unlink()
            if not big.exists():
                CACHE.mkdir(exist_ok=True)
                c = Clock()
                seed_demo(Database(big), args.into, progress=lambda d, t: d % 100_000 == 0 and print(
                    f"  built {d:,}/{t:,} ({c})", flush=True))
                say(f"1. built the {args.into:,}-customer demo file in {c}: "
                    f"{args.into / c.seconds:,.0f} customers/s")
            else:
                say(f"1. the {args.into:,}-customer demo file is cached ({big}); --rebuild times its build")

        c = Clock()
        docs = list(demo_documents(args.customers, seed=99, first_sequence=FIRST_SEQUENCE))
        served = pages(docs, eng.PULL_PAGE)
        say(f"2. made {len(docs):,} pull documents, {len(served)} pages "
            f"({sum(map(len, served.values())) / 1e6:,.0f} MB of JSON) in {c}")

        svc = till(folder / "fresh.db")
        saver = Saves(svc)
        idle = [saver.one() for _ in range(8)]
        c = Clock()
        with saver:
            pulled = pull(svc, served)
        fresh_s = c.seconds
        idle += [saver.one() for _ in range(8)]
        rate = pulled / fresh_s
        say(f"3. pulled {pulled:,} customers into a fresh file in {c}: {rate:,.0f} customers/s")
        base = statistics.median(idle)
        report_saves(saver, base)
        svc.db.dispose()

        replay = baseline(docs, folder, 2000)
        say(f"4. baseline, the same statements replayed (SQLite alone): {len(docs) / replay:,.0f} customers/s "
            f"({replay:.1f} s); the pull is {fresh_s / replay:.1f}x of it")

        if args.into:
            c = Clock()
            copy = folder / "big.db"
            big_db = Database(big)
            conn = big_db.raw()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            big_db.dispose()
            shutil.copy(big, copy)
            svc = till(copy, fresh=False)
            svc.db.health()  # the check a till makes once when it starts (the copy is a file it has not checked)
            say(f"5. copied the {args.into:,}-customer file and checked it (as a till does once when it starts) in {c}")
            c = Clock()
            with Saves(svc) as saver:
                pulled = pull(svc, served)
            say(f"   pulled {pulled:,} customers into the {args.into:,}-customer file in {c}: "
                f"{pulled / c.seconds:,.0f} customers/s")
            report_saves(saver, base)
            svc.db.dispose()

        if args.customers >= 1_000_000:
            say(f"6. a new till holds a {args.customers:,}-customer chain after {fresh_s / 60:.1f} min "
                "(pages parsed and applied; headquarters' side: bench/sync.py)")
        else:
            say(f"6. a new till would hold a 1,000,000-customer chain after about {1_000_000 / rate / 60:.1f} min "
                f"at this rate (projected from {args.customers:,}; --customers 1000000 measures it)")
    except Exception as exc:  # a late phase that fails says so in one line, and the run fails
        print(f"bench/pull.py failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
