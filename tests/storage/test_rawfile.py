"""Checking or copying the till's file never drops this process's SQLite locks (storage/rawfile.py).

Closing any descriptor of a file drops every POSIX lock the process holds on it. Before, opening the
same file a second time (its header checked with open()/close()) let another process take the last
connection's checkpoint and delete the WAL under the first connection: the next write here was lost.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from pos_customers.storage.errors import open_problem, sniff
from pos_customers.storage.rawfile import copy_file, open_descriptor, read_head
from pos_customers.storage.salvage import salvage

OTHER_PROCESS_WRITES_AND_CLOSES = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
c.execute("INSERT INTO t VALUES (2)")
c.close()
"""


def _open_wal(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("INSERT INTO t VALUES (1)")
    return conn


@pytest.mark.parametrize("look", [
    lambda p: sniff(p),
    lambda p: open_problem(p),
    lambda p: read_head(p, 100),
    lambda p: salvage(p, use_sqlite_program=False),
], ids=["sniff", "open_problem", "read_head", "salvage"])
def test_looking_at_an_open_file_keeps_its_wal_and_every_write(tmp_path, look):
    path = tmp_path / "till.db"
    conn = _open_wal(path)
    look(path)
    subprocess.run([sys.executable, "-c", OTHER_PROCESS_WRITES_AND_CLOSES, str(path)], check=True, timeout=60)
    # still ours: the other process saw our lock, so it left the WAL alone
    assert (tmp_path / "till.db-wal").exists()
    conn.execute("INSERT INTO t VALUES (3)")
    conn.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(r[0] for r in check.execute("SELECT x FROM t")) == [1, 2, 3]
    check.close()


def test_head_and_copy_read_the_same_bytes_open_or_not(tmp_path):
    path = tmp_path / "till.db"
    conn = _open_wal(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert open_descriptor(path) is not None  # SQLite's own descriptor is found and used
    head, size = read_head(path, 100)
    assert head == path.read_bytes()[:100] and size == path.stat().st_size
    copy_file(path, tmp_path / "copy.db")
    conn.close()
    assert open_descriptor(path) is None
    assert (tmp_path / "copy.db").read_bytes() == path.read_bytes()
    copy_file(path, tmp_path / "again.db")
    assert (tmp_path / "again.db").read_bytes() == path.read_bytes()
