"""`pos-customers backup` and `recover`, and the rolling backups: copies made while another
connection writes, private modes, retention, and recovery of the damaged files of issue 12 (half a
file, a garbage header, 4 KiB of garbage in the middle, a text file), each holding an offline
change made after the last backup."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pos_customers.services import backup as backups
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.store import init_store
from pos_customers.storage.backup_files import integrity_problem, list_backups
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from tests.helpers import person

DAMAGES = ("truncated", "header", "middle", "text")


def damage(path: Path, kind: str) -> None:
    """The damaged files of issue 12 (deterministic garbage)."""
    data = path.read_bytes()
    garbage = random.Random(12).randbytes
    if kind == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif kind == "header":
        path.write_bytes(garbage(100) + data[100:])
    elif kind == "middle":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + garbage(4096) + data[middle + 4096:])
    else:
        path.write_text("customers\nAnna Müller\n" * 50)


def later_history(svc: Services, customer_id: str, n: int = 5000) -> None:
    """Orders cached later on (as a pull brings them): the file grows past twice its size, so the
    pages that hold the offline changes lie in its first half, as they do on a till with a long
    history. (Pages past a truncation are gone: nothing can bring back what was on them.)"""
    with svc.db.raw_write() as conn:
        conn.executemany("INSERT INTO order_summary (id, customer_id, number, ordered_at, store_code, status, total,"
                         " currency) VALUES (?, ?, ?, '2026-11-01 10:00:00.000000', 'BER01', 'paid', '12.50', 'EUR')",
                         [(f"order-{k}", customer_id, f"N{k:06d}") for k in range(n)])


def cli(*args) -> subprocess.CompletedProcess:
    """The command as a person runs it: its own process, exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "pos_customers.cli", *map(str, args)], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300)


def quick_cli(*args) -> subprocess.CompletedProcess:
    """The same command in this process (Typer's runner): for the cases that check one message."""
    from typer.testing import CliRunner

    from pos_customers.cli import app

    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def store(path: Path) -> Services:
    db = Database(path)
    upgrade(db)
    svc = Services(db)
    init_store(svc, Actor.command_line(), code="BER01", number=101, name="Berlin", country="DE", currency="EUR",
               language="de")
    return svc


def outbox_ids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM outbox_event ORDER BY seq")]
    finally:
        conn.close()


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("POS_CUSTOMERS_CONFIG", str(path))
    return path


# -- backups -------------------------------------------------------------------------------------------

def test_backup_while_another_connection_writes_is_a_consistent_copy(tmp_path, config):
    svc = store(tmp_path / "till.db")
    actor = Actor.command_line()
    stop = threading.Event()
    written = []

    def writer():
        other = Services(Database(svc.db.path))  # its own connections, as the app's would be
        n = 0
        while not stop.is_set() and n < 200:
            written.append(create_customer(other, actor, person("Anna", "Writer", f"w{n}@example.org")).id)
            n += 1
        other.db.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    made = []
    try:
        while len(made) < 4 and thread.is_alive():
            made.append(backups.backup_now(svc, actor, f"{tmp_path / 'copies'}/"))
    finally:
        stop.set()
        thread.join()
    assert made
    for done in made:
        assert integrity_problem(done.path) == ""
        conn = sqlite3.connect(done.path)
        customers = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        # one moment of the file: every customer has its search row, its audit row and its event
        assert conn.execute("SELECT count(*) FROM customer_search").fetchone()[0] == customers
        assert conn.execute("SELECT count(*) FROM outbox_event WHERE event_type = 'customer.created'"
                            ).fetchone()[0] == customers
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'create' AND entity = 'customer'"
                            ).fetchone()[0] == customers
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        conn.close()
    assert len(written) > 0


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_backup_files_and_their_folder_are_private(tmp_path, config):
    old = os.umask(0o022)
    try:
        svc = store(tmp_path / "till.db")
        done = backups.backup_now(svc, Actor.command_line())
        rolled = backups.rolling_backup(svc, backups.BackupSettings(every_hours=1, keep=2),
                                        now=datetime.now(timezone.utc) + timedelta(hours=2))
    finally:
        os.umask(old)
    assert done.path.parent == tmp_path / "backups"
    assert done.path.name.startswith("till-BER01-") and done.path.name.endswith("Z.db")
    assert rolled is not None and rolled.path.name.endswith("Z-auto.db")
    assert (done.path.parent.stat().st_mode & 0o777) == 0o700
    assert (done.path.stat().st_mode & 0o777) == 0o600
    assert (rolled.path.stat().st_mode & 0o777) == 0o600


def test_backup_command_names_the_file_and_refuses_to_overwrite(tmp_path, config):
    store(tmp_path / "till.db").db.dispose()
    r = quick_cli("--db", tmp_path / "till.db", "backup")
    assert r.returncode == 0, r.stderr
    assert "backups/till-BER01-" in r.stdout
    target = tmp_path / "mine.db"
    assert quick_cli("--db", tmp_path / "till.db", "backup", target).returncode == 0
    assert integrity_problem(target) == ""
    again = quick_cli("--db", tmp_path / "till.db", "backup", target)
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr


def test_rolling_backups_keep_the_newest_and_never_remove_those_made_by_hand(tmp_path, config):
    svc = store(tmp_path / "till.db")
    settings = backups.BackupSettings(every_hours=24, keep=3)
    t0 = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)
    by_hand = backups.backup_now(svc, Actor.command_line(), now=t0 - timedelta(days=30))
    made = []
    for day in range(6):
        now = t0 + timedelta(days=day)
        done = backups.rolling_backup(svc, settings, now=now)
        assert done is not None
        made.append(done.path)
        assert backups.rolling_backup(svc, settings, now=now + timedelta(hours=23)) is None  # not due yet
        assert backups.last_backup_at(svc) == now
    rolling = [b.path for b in list_backups(svc.db.path) if b.auto]
    assert rolling == made[-3:][::-1]  # the newest three, newest first
    assert by_hand.path.exists()
    assert backups.rolling_backup(svc, replace(settings, every_hours=0), now=t0 + timedelta(days=60)) is None


def test_backup_settings_are_checked():
    assert backups.backup_settings({"every_hours": 6, "keep": 14}) == backups.BackupSettings(6.0, 14)
    for bad in ({"keep": 0}, {"every_hours": -1}, {"keep": "7"}, {"every": 3}):
        with pytest.raises(ValueError):
            backups.backup_settings(bad)


# -- recovery --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", DAMAGES)
def test_recover_uses_the_newest_good_backup_and_keeps_the_offline_changes_made_since(tmp_path, config, kind):
    path = tmp_path / "till.db"
    svc = store(path)
    actor = Actor.command_line()
    anna = create_customer(svc, actor, person("Anna", "Müller", "anna@example.org"))
    old = backups.backup_now(svc, actor, now=datetime.now(timezone.utc) - timedelta(days=2))
    good = backups.backup_now(svc, actor)
    (good.path.parent / good.path.name.replace("Z.db", "Z-9.db")).write_bytes(b"not a backup")  # newer, broken
    # after the backup: a new customer and an edit, both only in this file's outbox
    hans = create_customer(svc, actor, person("Hans", "Meier", "hans@example.org"))
    view = get_customer(svc, actor, anna.id)
    update_customer(svc, actor, anna.id, replace(draft_from_view(view), last_name="Schmidt"), opened=view)
    events = outbox_ids(path)
    later_history(svc, anna.id)
    svc.db.dispose()
    damage(path, kind)
    damaged_bytes = path.read_bytes()

    run = cli if kind == "header" else quick_cli  # one case as its own process, the others in this one
    r = run("--db", path, "recover")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert f"from backup {good.path.name}" in r.stdout and old.path.name not in r.stdout
    moved = next(tmp_path.glob("till.db.damaged-*Z"))
    assert moved.read_bytes() == damaged_bytes  # moved aside, never deleted
    if os.name == "posix":  # both hold customers: private
        assert (path.stat().st_mode & 0o777) == (moved.stat().st_mode & 0o777) == 0o600
    assert integrity_problem(path) == ""
    recovered = Services(Database(path))
    try:
        if kind == "text":  # nothing in it can be read: the backup is all there is
            assert "kept 0 offline change(s)" in r.stdout and "nothing could be read" in r.stdout
            assert outbox_ids(path) == events[:2]
            assert get_customer(recovered, actor, anna.id).last_name == "Müller"
            return
        assert "kept 2 offline change(s)" in r.stdout and "2 customer(s) re-applied" in r.stdout
        assert outbox_ids(path) == events  # every event, in order, each once
        assert get_customer(recovered, actor, anna.id).last_name == "Schmidt"
        back = get_customer(recovered, actor, hans.id)
        assert (back.reference, back.primary_email, back.sync_state) == (hans.reference, "hans@example.org",
                                                                          "pending")
        # the till goes on after the re-applied customer: no reference is issued twice
        lea = create_customer(recovered, actor, person("Lea", "Wolf", "lea@example.org"))
        assert lea.reference not in (anna.reference, hans.reference)
    finally:
        recovered.db.dispose()
    verify = quick_cli("--db", path, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert quick_cli("--db", path, "recover").stdout.startswith(f"{path} passes integrity_check")


@pytest.mark.parametrize("kind", DAMAGES)
def test_without_a_backup_a_standalone_till_is_rebuilt_from_its_own_outbox(tmp_path, config, kind):
    """A standalone till never sends its outbox: it holds every change the till made."""
    path = tmp_path / "till.db"
    svc = store(path)
    actor = Actor.command_line()
    from pos_customers.services.associates import add_associate

    add_associate(svc, actor, number="1001", name="Maria Schneider", role="manager", pin="2468")
    anna = create_customer(svc, actor, person("Anna", "Müller", "anna@example.org"))
    view = get_customer(svc, actor, anna.id)
    update_customer(svc, actor, anna.id, replace(draft_from_view(view), last_name="Schmidt"), opened=view)
    events = outbox_ids(path)
    later_history(svc, anna.id)
    svc.db.dispose()
    damage(path, kind)
    before = path.read_bytes()
    r = quick_cli("--db", path, "recover")
    if kind == "text":  # nothing left to rebuild from: say what to do, touch nothing
        assert r.returncode == 1
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert "--from BACKUP" in r.stderr and "left as it is" in r.stderr
        assert path.read_bytes() == before and not list(tmp_path.glob("till.db.*"))
        return
    assert r.returncode == 0, r.stderr
    assert "its outbox" in r.stdout and "1 customer(s) rebuilt" in r.stdout
    back = Services(Database(path))
    try:
        got = get_customer(back, actor, anna.id)
        assert (got.reference, got.last_name, got.primary_email) == (anna.reference, "Schmidt", "anna@example.org")
        assert [e for e in outbox_ids(path) if e in events] == events  # still all there, in order
        from pos_customers.services.access import sign_in

        assert sign_in(back, "1001", "2468").name == "Maria Schneider"  # associates come back too
        assert create_customer(back, actor, person("Lea", "Wolf", "lea@example.org")).reference != anna.reference
    finally:
        back.db.dispose()


def test_recover_from_a_named_backup_and_a_file_that_is_gone(tmp_path, config):
    path = tmp_path / "till.db"
    svc = store(path)
    done = backups.backup_now(svc, Actor.command_line(), tmp_path / "elsewhere.db")
    svc.db.dispose()
    path.unlink()
    r = quick_cli("--db", path, "recover", "--from", done.path)
    assert r.returncode == 0, r.stderr
    assert integrity_problem(path) == ""
    bad = quick_cli("--db", path, "recover", "--from", tmp_path / "missing.db", "--force")
    assert bad.returncode == 1 and "cannot be used" in bad.stderr and "Traceback" not in bad.stderr


def test_salvaged_parked_events_stay_parked(tmp_path, config):
    path = tmp_path / "till.db"
    svc = store(path)
    actor = Actor.command_line()
    backups.backup_now(svc, actor)
    hans = create_customer(svc, actor, person("Hans", "Meier", "hans@example.org"))
    with svc.db.raw_write() as conn:
        conn.execute("UPDATE outbox_event SET parked_at = '2026-11-25 10:00:00.000000', parked_status = 403, "
                     "parked_reason = 'refused' WHERE entity_id = ?", (hans.id,))
    svc.db.dispose()
    damage(path, "truncated")
    r = quick_cli("--db", path, "recover")
    assert r.returncode == 0, r.stderr
    assert "(1 of them parked)" in r.stdout
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT parked_status, parked_reason FROM outbox_event WHERE entity_id = ?",
                        (hans.id,)).fetchall() == [(403, "refused")]
    payload = json.loads(conn.execute("SELECT payload FROM outbox_event WHERE entity_id = ?", (hans.id,)).fetchone()[0])
    assert payload["reference"] == hans.reference
    conn.close()


def test_a_running_sync_keeps_the_rolling_backups_of_config_toml(tmp_path, config, monkeypatch):
    from pos_customers.services import sync
    from pos_customers.services.sync import SyncResult

    config.write_text(f'[backup]\nevery_hours = 24\nkeep = 2\nfolder = "{tmp_path / "rolling"}"\n')
    store(tmp_path / "till.db").db.dispose()
    rounds = []

    def one_round(*args, **kw):
        rounds.append(1)
        return SyncResult(0, 0, 0)

    def stop_after_two(seconds):
        if len(rounds) >= 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(sync, "sync_now", one_round)
    monkeypatch.setattr("time.sleep", stop_after_two)
    from typer.testing import CliRunner

    from pos_customers.cli import app

    r = CliRunner().invoke(app, ["--db", str(tmp_path / "till.db"), "sync", "--every", "1"])
    assert r.exit_code == 130  # interrupted, as Ctrl+C does
    assert r.stdout.count("backup ") == 1  # one a day, not one a round
    made = list_backups(tmp_path / "till.db", tmp_path / "rolling")
    assert len(made) == 1 and made[0].auto
    config.write_text("[backup]\nkeep = 0\n")
    bad = quick_cli("--db", tmp_path / "till.db", "sync")
    assert bad.returncode == 2 and "keep must be a whole number" in bad.stderr


def test_recover_says_how_many_outbox_pages_were_lost(tmp_path, config):
    """Truncated before the offline changes' pages: they are gone, and the report says so."""
    path = tmp_path / "till.db"
    svc = store(path)
    actor = Actor.command_line()
    backups.backup_now(svc, actor)
    for n in range(3):
        create_customer(svc, actor, person("Hans", "Meier", f"hans{n}@example.org"))
    svc.db.dispose()
    conn = sqlite3.connect(path)
    first, size = conn.execute(  # the outbox's first page below its root: where its rows are
        "SELECT min(pageno), (SELECT page_size FROM pragma_page_size) FROM dbstat WHERE name = 'outbox_event'"
        " AND pageno != (SELECT rootpage FROM sqlite_master WHERE name = 'outbox_event')").fetchone()
    conn.close()
    path.write_bytes(path.read_bytes()[:(first - 1) * size])  # cut there: every offline change is past it
    r = quick_cli("--db", path, "recover")
    assert r.returncode == 0, r.stderr
    assert "kept 0 offline change(s)" in r.stdout
    assert "could not: " in r.stdout and "of the outbox's" in r.stdout and "cannot be read" in r.stdout


def test_a_standalone_rebuild_says_which_customers_it_could_not_bring_back_and_leaves_no_stray_files(
        tmp_path, config):
    """Customers that never went through the outbox (as the demo's seeded ones) cannot be rebuilt
    from it: the report counts the damaged file's customers against the rebuilt file's."""
    path = tmp_path / "till.db"
    svc = store(path)
    actor = Actor.command_line()
    anna = create_customer(svc, actor, person("Anna", "Müller", "anna@example.org"))
    seeded = create_customer(svc, actor, person("Lea", "Wolf", "lea@example.org"))
    with svc.db.raw_write() as conn:  # as if loaded without the outbox
        conn.execute("DELETE FROM outbox_event WHERE entity_id = ?", (seeded.id,))
    svc.db.dispose()
    r = quick_cli("recover", "--force", "--db", path)
    assert r.returncode == 0, r.stderr
    assert "its outbox" in r.stdout
    assert "the damaged file held 2 customer(s); the rebuilt file has 1: 1 of them are not in it" in r.stdout
    assert "sync --once" not in r.stdout  # a standalone till has nothing to sync
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("till.db"))
    assert [n for n in left if "recovering" in n or n.endswith("-checked")] == [], left
    back = Services(Database(path))
    try:
        assert get_customer(back, actor, anna.id).last_name == "Müller"
    finally:
        back.db.dispose()


def test_a_recover_that_changes_nothing_leaves_no_wal_or_shm_beside_the_file(tmp_path, config):
    path = tmp_path / "till.db"
    store(path).db.dispose()
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    r = quick_cli("--db", path, "recover")
    assert r.returncode == 0 and "nothing to recover" in r.stdout
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    with sqlite3.connect(path) as conn:  # no outbox and no backup: the file is left as it is
        conn.execute("DELETE FROM outbox_event")
    conn.close()
    before = path.read_bytes()
    r = quick_cli("recover", "--force", "--db", path)
    assert r.returncode == 1 and "left as it is" in r.stderr, r.stderr
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert not [p for p in tmp_path.iterdir() if "recovering" in p.name]


def test_an_enrolled_terminal_is_told_to_sync_after_recovery_and_a_standalone_one_is_not(tmp_path, config):
    path = tmp_path / "till.db"
    svc = store(path)
    done = backups.backup_now(svc, Actor.command_line(), tmp_path / "one.db")
    svc.db.dispose()
    r = quick_cli("recover", "--force", "--from", done.path, "--db", path)
    assert r.returncode == 0, r.stderr
    assert "sync --once" not in r.stdout
    with sqlite3.connect(done.path) as conn:
        conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('hq_url', 'http://hq.invalid')")
    conn.close()
    r = quick_cli("recover", "--force", "--from", done.path, "--db", path)
    assert r.returncode == 0, r.stderr
    assert "next: `pos-customers sync --once`" in r.stdout and "enrolled terminals" not in r.stdout


def test_the_salvage_reads_every_column_of_the_tables_it_rebuilds_from(db):
    """A damaged page's records are decoded by position: a column added by a migration must be in
    the salvage's list too, in the same place, or its rows are no longer recognised."""
    from pos_customers.storage import salvage

    conn = sqlite3.connect(db.path)
    try:
        def columns(table):
            return tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        assert columns("outbox_event") == ("seq", *salvage.OUTBOX_COLUMNS)
        assert columns("audit_event") == salvage.AUDIT_COLUMNS
        assert set(salvage.STORE_COLUMNS) <= set(columns("store"))
        assert columns("customer_redirect") == salvage.REDIRECT_COLUMNS
    finally:
        conn.close()
