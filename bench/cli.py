"""The command line end to end: `customers search`, `customers show`, `customers add`, each a new
process as support staff run them over SSH (issue 15, target 4: each within 0.3 s).

Next to each command, in the same run and interleaved (a slow moment of a shared machine hits
all alike):

- ``python -c pass``: what any Python process costs here (interpreter, site);
- raw: a Python process that opens the same file with ``sqlite3`` and sends the very statements
  the command sent (captured from a run of the command, values inlined, on as many connections as
  it used, in the same order: pragmas, the read or write transaction, the commit and its fsync).
  Nothing else: no imports beyond ``sqlite3``, no parsing, no checks.

Each figure is the median of ``--runs`` starts: wall time and CPU time (user + sys of the process,
from ``wait4``). On a machine shared with other work the wall time carries the waits for a core;
the CPU time is what the command would take alone on a quiet machine (plus its disk waits: an
add's commit waits for fsync).

After the timings, where each command's start-up goes: its top-level imports by their own
cumulative time (``python -X importtime``, one run; the import clock carries that tool's overhead).

Works on a copy of the demo store (bench/.cache/search-N.db, the file bench/search.py makes);
``add`` writes new customers into the copy only.

    uv run python bench/cli.py --customers 10000 --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
TARGET_S = 0.3

# run in the child: `pos-customers ARGS`, every statement sent on every sqlite3 connection written
# to the file named by the first argument, as [connection number, expanded SQL]
CAPTURE = r"""
import json, sqlite3, sys
out, sent, opened, _connect = sys.argv[1], [], [], sqlite3.connect
def connect(*a, **k):
    conn = _connect(*a, **k)
    n = len(opened)
    opened.append(conn)
    conn.set_trace_callback(lambda sql, n=n: sent.append((n, sql)))
    return conn
sqlite3.connect = connect
sys.argv = ["pos-customers"] + sys.argv[2:]
try:
    from pos_customers.launch import main
    main()
finally:
    with open(out, "w") as fh:
        json.dump(sent, fh)
"""

# the raw baseline: the captured statements, nothing else
REPLAY = r"""
import json, sqlite3, sys
db, statements = sys.argv[1], json.load(open(sys.argv[2]))
conns = {}
for n, sql in statements:
    conn = conns.get(n)
    if conn is None:
        conn = conns[n] = sqlite3.connect(db, isolation_level=None)
    conn.execute(sql).fetchall()
for conn in conns.values():
    conn.close()
"""


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """One process: (wall s, CPU s (user + sys), exit code)."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in (0, 1):  # 1: `search` found nothing (not a failure here)
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[-6:])} failed ({p.returncode}): {err.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, p.returncode


def copy_db(source: Path, to: Path) -> None:
    """The file as SQLite sees it (its WAL too), and the record that it was checked."""
    for suffix in ("", "-wal", "-checked"):
        src, dst = Path(str(source) + suffix), Path(str(to) + suffix)
        dst.unlink(missing_ok=True)
        if src.exists():
            shutil.copyfile(src, dst)
    Path(str(to) + "-shm").unlink(missing_ok=True)


def ensure_demo(n: int) -> Path:
    path = CACHE / f"search-{n}.db"
    if not path.exists():
        from pos_customers.services.demo import seed_demo
        from pos_customers.storage.engine import Database

        CACHE.mkdir(exist_ok=True)
        print(f"building {path.name} ...", file=sys.stderr, flush=True)
        svc = seed_demo(Database(path), n, progress=lambda d, t: print(
            f"\r  seeding {d:,}/{t:,}", end="", file=sys.stderr))
        svc.db.dispose()
        print(file=sys.stderr)
    return path


def compile_bytecode() -> None:
    """An installed program starts from compiled bytecode: make sure every process here does,
    whatever PYTHONDONTWRITEBYTECODE says (otherwise each start compiles its imports anew)."""
    import pos_customers

    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_paths()["purelib"],
                    str(Path(pos_customers.__file__).parent)], check=False, capture_output=True)


def top_imports(argv: list[str], env: dict[str, str], count: int) -> list[tuple[str, float]]:
    """The command's top-level imports by cumulative time (ms), largest first."""
    p = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, capture_output=True, text=True)
    tops = []
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():  # the header
            continue
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: one space after the bar
            tops.append((name.strip(), int(cumulative) / 1000))
    tops.sort(key=lambda t: -t[1])
    return tops[:count]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=10_000, help="demo store size (default 10,000)")
    ap.add_argument("--runs", type=int, default=15, help="starts per figure (default 15)")
    ap.add_argument("--imports", type=int, default=8, help="top-level imports listed per command")
    args = ap.parse_args()

    source = ensure_demo(args.customers)
    compile_bytecode()
    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        measure(args, source, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args, source: Path, work: Path) -> None:
    db = work / "store.db"
    copy_db(source, db)
    env = {**os.environ, **{k: str(work / k.lower()) for k in
                            ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}}
    env.pop("POS_CUSTOMERS_DB", None)
    entry = [sys.executable, str(Path(sys.executable).with_name("pos-customers"))]  # the installed command
    conn = __import__("sqlite3").connect(db)
    reference, surname = conn.execute("SELECT reference, last_name FROM customer WHERE last_name != ''"
                                      " ORDER BY reference LIMIT 1 OFFSET ?", (args.customers // 2,)).fetchone()
    conn.close()

    def add_args(i: int) -> list[str]:
        return ["customers", "add", "--first", "Bench", "--last", f"Zed{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}",
                "--email", f"bench.{i}@example.org", "--phone", f"030 {5550000 + i}", "--city", "Berlin",
                "--street", "Allee 1", "--postal-code", f"{10000 + i:05d}", "--db", str(db)]

    commands = {
        "customers search": lambda i: ["customers", "search", surname.lower()[:5], "--db", str(db)],
        "customers show": lambda i: ["customers", "show", reference, "--db", str(db)],
        "customers add": add_args,
    }
    load = os.getloadavg()
    print(f"{args.customers:,} demo customers, {args.runs} starts per figure, medians; "
          f"target {TARGET_S:.1f} s a command; {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at start; Python {sys.version.split()[0]}", flush=True)

    # one untimed run of each first (the first write checks the file; later ones find it unchanged)
    for name, make in commands.items():
        run(entry + make(20_000), env)
    # capture each command's statements; the add's on a copy, whose state before it every replay
    # starts from
    captured = {}
    before_add = work / "before-add.db"
    for name, make in commands.items():
        target = db
        argv = make(0)
        if name == "customers add":  # a copy, checked (as the timed runs' file is), then its state kept
            target = work / "capture.db"
            copy_db(db, target)
            run(entry + make(30_000)[:-1] + [str(target)], env)
            copy_db(target, before_add)
            argv = make(10_000)[:-1] + [str(target)]
        out = work / f"{name.split()[-1]}.json"
        subprocess.run([sys.executable, "-c", CAPTURE, str(out), *argv], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        captured[name] = out
        stmts = json.loads(out.read_text())
        print(f"  captured {name}: {len(stmts)} statements on {len({n for n, _ in stmts})} connection(s)",
              flush=True)

    passes = [run([sys.executable, "-c", "pass"], env) for _ in range(args.runs)]
    print(f"\n{'':<22}{'wall p50':>10}{'CPU p50':>10}{'wall min':>10}{'CPU min':>10}", flush=True)
    line("python -c pass", passes)

    for name, make in commands.items():
        ours, raw = [], []
        replay_db = work / "replay.db"
        for i in range(args.runs):  # interleaved
            ours.append(run(entry + make(i), env))
            if name == "customers add":
                copy_db(before_add, replay_db)
                target = replay_db
            else:
                target = db
            raw.append(run([sys.executable, "-c", REPLAY, str(target), str(captured[name])], env))
        line(f"{name}", ours, passes, TARGET_S)
        line("  raw sqlite3, same SQL", raw, passes)

    print(f"\nwhere the start-up goes (top-level imports, cumulative ms, -X importtime):", flush=True)
    for name, make in commands.items():
        tops = top_imports(entry[1:] + make(50_000), env, args.imports)
        print(f"  {name}: " + ", ".join(f"{m} {ms:.0f}" for m, ms in tops), flush=True)


def line(label: str, runs: list[tuple[float, float, int]], passes=None, target: float | None = None) -> None:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    extra = ""
    if passes is not None:
        extra += f"   {cpu / statistics.median(r[1] for r in passes):5.1f}x python -c pass (CPU)"
    if target is not None:
        extra += f"   target {target:.1f} s: {'met' if cpu <= target else 'NOT met'} (CPU)"
    print(f"{label:<22}{wall:>9.3f}s{cpu:>9.3f}s{min(r[0] for r in runs):>9.3f}s"
          f"{min(r[1] for r in runs):>9.3f}s{extra}", flush=True)


if __name__ == "__main__":
    main()
