import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from pos_customers.storage.engine import Database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_pragmas(db):
    with db.write() as s:
        conn = s.connection().connection.driver_connection
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.in_transaction


def _grow(conn: sqlite3.Connection, kb: int) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS filler (b BLOB)")
    conn.execute("INSERT INTO filler (b) VALUES (zeroblob(?))", (kb * 1024,))


def test_a_save_during_a_pull_leaves_the_log_to_the_pull(db):
    """While a job copies the write-ahead log for everyone (a pull), a save's commit does not copy
    it into the file itself (into a 1M file that took a save up to 0.8 s): its pages stay in the log
    until the job copies them. Before and after, a commit that leaves 1,000 pages of
    log copies it, as SQLite does by default."""
    with db.snapshot():  # the app's connections stay open (the last one to close copies the log)
        pass
    size = db.path.stat().st_size
    with db.log_copier():
        with db.raw_write() as conn:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            _grow(conn, 6000)  # 1,500 pages of log
        with db.write() as s:
            conn = s.connection().connection.driver_connection
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert db.path.stat().st_size == size  # all of it still in the log only
    assert db.path.stat().st_size >= size + 6000 * 1024  # the job's last copy, as it ended
    with db.raw_write() as conn:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    with db.write() as s:
        conn = s.connection().connection.driver_connection
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    size = db.path.stat().st_size
    with db.raw_write() as conn:
        _grow(conn, 6000)
    assert db.path.stat().st_size >= size + 6000 * 1024  # copied by the commit itself


def test_writes_take_the_lock_up_front(db):
    """A write transaction holds the write lock from BEGIN: a second writer must wait."""
    with db.write() as s:
        s.connection().exec_driver_sql("SELECT 1")
        other = sqlite3.connect(db.path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor, Services
    from pos_customers.services.customers import create_customer
    from pos_customers.domain.customer import CustomerDraft, EmailInput
    from pos_customers.storage.engine import Database
    path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    svc = Services(Database(path))
    actor = Actor(tag, tag, Role.ASSOCIATE, "T-" + tag)
    for i in range(count):
        create_customer(svc, actor, CustomerDraft(first_name="Proc" + tag, last_name="Writer",
                        emails=[EmailInput(f"w{tag}.{i}@example.org")]))
        print(i, flush=True)
""")


def _spawn(path, tag, count):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_two_processes_writing_one_file_never_see_database_is_locked(svc):
    procs = [_spawn(svc.db.path, tag, 60) for tag in ("a", "b")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "locked" not in err
    conn = sqlite3.connect(svc.db.path)
    assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 120
    assert conn.execute("SELECT count(DISTINCT reference) FROM customer").fetchone()[0] == 120
    assert conn.execute("SELECT count(*) FROM audit_event WHERE entity='customer'").fetchone()[0] == 120


def test_killed_mid_save_loses_nothing_committed_and_leaves_nothing_half_written(svc):
    for round_, tag in enumerate(("ka", "kb", "kc")):
        proc = _spawn(svc.db.path, tag, 10_000)
        for _ in range(5 + round_ * 3):
            # let it commit a few customers, then kill it mid-stream
            assert proc.stdout.readline(), proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    conn = sqlite3.connect(svc.db.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    customers = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    assert customers >= 5 + 8 + 11
    # every customer has exactly its audit row, outbox row and search row: all or nothing
    assert conn.execute("SELECT count(*) FROM audit_event WHERE entity='customer'").fetchone()[0] == customers
    assert conn.execute("SELECT count(*) FROM outbox_event WHERE entity='customer'").fetchone()[0] == customers
    assert conn.execute("SELECT count(*) FROM customer_search").fetchone()[0] == customers
    assert conn.execute("SELECT count(*) FROM customer_email").fetchone()[0] == customers
    from pos_customers.storage.search_index import integrity_problems
    assert integrity_problems(conn) == []
