"""Backups and recovery on a big till file: what `backup` and `recover` cost, against a plain copy.

    uv run python bench/backup.py --customers 100000     # builds bench/.cache/search-100000.db once

Phases (each printed as it ends):
- raw baseline: ``shutil.copyfile`` of the file (no snapshot, not safe while the app writes);
- ``backup``: the online backup API (one read transaction), then with the ``quick_check`` every backup gets;
- ``integrity_check`` of a backup (what ``recover`` runs on each candidate);
- reading a damaged copy (garbage header): the page reader, which needs no schema;
- ``recover`` of a file with 4 KiB of garbage in its middle, three offline customers made after the backup.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pos_customers.services.backup import recover
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.services.demo import seed_demo
from pos_customers.storage.backup_files import copy_database, integrity_problem
from pos_customers.storage.engine import Database
from pos_customers.storage.salvage import salvage

CACHE = Path(__file__).resolve().parent / ".cache"


def timed(label: str, fn, baseline: float | None = None) -> float:
    t = time.perf_counter()
    fn()
    took = time.perf_counter() - t
    print(f"{label:<48} {took:7.2f} s" + (f"  ({took / baseline:.1f}x the plain copy)" if baseline else ""),
          flush=True)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    source = args.db or CACHE / f"search-{args.customers}.db"
    seed_demo(Database(source), args.customers,
              progress=lambda d, t: print(f"\r  seeding {d:,}/{t:,}", end="", file=sys.stderr)).db.dispose()
    print(f"\n{source}: {source.stat().st_size / 1e6:.0f} MB", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        work = Path(tmp)
        raw = timed("raw baseline: plain file copy", lambda: shutil.copyfile(source, work / "plain.db"))
        timed("backup API, no check", lambda: copy_database(source, work / "a.db", check=False), raw)
        timed("backup API + quick_check (what `backup` does)", lambda: copy_database(source, work / "b.db"), raw)
        timed("integrity_check of the backup", lambda: integrity_problem(work / "b.db"), raw)
        damaged = work / "header.db"
        shutil.copyfile(work / "b.db", damaged)
        with open(damaged, "r+b") as fh:
            fh.write(os.urandom(100))
        timed("read a damaged file (garbage header, page reader)",
              lambda: salvage(damaged, use_sqlite_program=False), raw)
        till = work / "customers.db"
        shutil.copyfile(source, till)
        (work / "backups").mkdir()
        copy_database(till, work / "backups" / "customers-BER01-20260101T000000Z.db")
        svc = Services(Database(till))
        for name in ("Hans", "Lea", "Otto"):
            create_customer(svc, Actor.command_line(), _person(name))
        svc.db.dispose()
        data = till.read_bytes()
        middle = len(data) // 2
        till.write_bytes(data[:middle] + os.urandom(4096) + data[middle + 4096:])
        report = {}
        timed("recover (4 KiB garbage in the middle)",
              lambda: report.setdefault("r", recover(till, Actor.command_line(), use_sqlite_program=False)), raw)
        r = report["r"]
        print(f"  kept {r.events_queued} offline change(s), {r.customers_reapplied} customer(s) re-applied")


def _person(first: str):
    from pos_customers.domain.customer import CustomerDraft, EmailInput

    return CustomerDraft(first_name=first, last_name="Offline", emails=[EmailInput(f"{first.lower()}@off.example")])


if __name__ == "__main__":
    main()
