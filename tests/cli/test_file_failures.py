"""Every way the till's file can fail, through the real command line in a subprocess: one line on
stderr, a non-zero exit, no traceback, and the file as it was."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pos_customers.domain.enums import Role
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from tests.helpers import person

# run the command line as `pos-customers` does, with hooks a test needs (a small busy timeout,
# a page limit standing in for a full disk)
LAUNCH = ("import sys, pos_customers.storage.engine as e; e.BUSY_TIMEOUT_MS = int(sys.argv.pop(1)); "
          "extra = sys.argv.pop(1); extra and e.CONNECT_PRAGMAS.append(extra); "
          "from pos_customers.cli import main; main()")
TABLES = ("customer", "audit_event", "outbox_event", "associate")


def cli(db: Path, *args: str, busy_ms: int = 30_000, pragma: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "POS_CUSTOMERS_DB": str(db), "NO_COLOR": "1"}
    env.pop("POS_CUSTOMERS_TRACEBACK", None)
    return subprocess.run([sys.executable, "-c", LAUNCH, str(busy_ms), pragma, *args],
                          capture_output=True, text=True, env=env, timeout=120)


def one_line(r: subprocess.CompletedProcess, *words: str) -> str:
    """The command failed with exactly one line on stderr that says ``words``."""
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small store: a few customers, checkpointed into one file (no -wal)."""
    path = tmp_path_factory.mktemp("base") / "store.db"
    db = Database(path)
    upgrade(db)
    admin = Actor("9000", "Admin", Role.ADMIN, "T-test")
    svc = Services(db)
    init_store(svc, admin, code="BER01", number=101, name="Berlin", country="DE", currency="EUR", language="de")
    firsts = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo")
    lasts = ("Müller", "Schmidt", "Weber", "Wagner", "Becker")
    for i, (first, last) in enumerate((f, la) for f in firsts for la in lasts):
        create_customer(svc, admin, person(first, last, email=f"c{i}@example.de", postal="10115"))
    db.dispose()
    Path(str(path) + "-checked").unlink(missing_ok=True)
    return path


@pytest.fixture
def store(base, tmp_path) -> Path:
    path = tmp_path / "till" / "store.db"
    path.parent.mkdir()
    shutil.copy(base, path)
    return path


def btree_page_in_the_middle(path: Path) -> int:
    data = path.read_bytes()
    size = int.from_bytes(data[16:18], "big")
    pages = len(data) // size
    for n in range(pages // 2, pages):  # pages are numbered from 1; page n starts at (n-1)*size
        if data[(n - 1) * size] in (0x02, 0x05, 0x0A, 0x0D):
            return n
    raise AssertionError("no b-tree page")


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    rnd = random.Random(12)
    if how == "truncated":
        del data[len(data) // 2 + 100:]
    elif how == "header":
        data[:100] = bytes(rnd.randrange(256) for _ in range(100))
    elif how == "middle":
        size = int.from_bytes(data[16:18], "big")
        start = (btree_page_in_the_middle(path) - 1) * size
        data[start:start + 4096] = bytes(rnd.randrange(256) for _ in range(4096))
    path.write_bytes(bytes(data))


# -- damaged, not a database, empty -------------------------------------------------------------

@pytest.mark.parametrize("how", ["truncated", "header", "middle"])
def test_a_damaged_file_is_one_line_and_never_written(store, how):
    if how == "middle":  # a file found sound before (and so recorded) is checked again once changed
        assert cli(store, "customers", "add", "--first", "Ida", "--last", "Sound", "--email", "ida@example.de"
                   ).returncode == 0
        assert Path(f"{store}-checked").exists()
    damage(store, how)
    before = digest(store)
    line = one_line(cli(store, "customers", "add", "--first", "Zoe", "--last", "Zed", "--email", "zoe@example.de"),
                    "is damaged", "pos-customers doctor", "pos-customers recover")
    assert str(store) in line
    r = cli(store, "doctor")
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
    assert "FAIL" in r.stdout and "repair: pos-customers recover" in r.stdout
    if how != "middle":  # the middle page may hold no customer: searching can still work
        one_line(cli(store, "customers", "search", "anna"), "is damaged")
    assert digest(store) == before
    assert not Path(str(store) + "-wal").exists() or Path(str(store) + "-wal").stat().st_size == 0


def test_a_text_file_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list\nmilk\n")
    for args in (("customers", "search", "anna"), ("audit", "verify")):
        one_line(cli(path, *args), "is not a pos-customers database", "recover")
    r = cli(path, "doctor")
    assert r.returncode == 1 and "not a pos-customers database" in r.stdout and "Traceback" not in r.stderr
    assert path.read_text() == "shopping list\nmilk\n"


def test_another_programs_sqlite_file_is_never_turned_into_a_store(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    one_line(cli(path, "customers", "search", "anna"), "is not a pos-customers database")
    assert digest(path) == before


def test_an_empty_file_does_not_silently_become_a_database(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    for args in (("customers", "search", "anna"), ("customers", "add", "--first", "A", "--last", "B")):
        one_line(cli(path, *args), "is empty (0 bytes)", "pos-customers recover", "pos-customers init")
    r = cli(path, "doctor")
    assert r.returncode == 1 and "is empty" in r.stdout
    assert path.stat().st_size == 0 and not Path(str(path) + "-wal").exists()
    # only init (or demo) makes a store of it
    r = cli(path, "init", "--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE",
            "--currency", "EUR", "--language", "de")
    assert r.returncode == 0, r.stderr
    r = cli(path, "customers", "search", "anna")
    assert "no customers found" in r.stderr and "error" not in r.stderr


# -- read-only, full, busy ---------------------------------------------------------------------------

def test_a_read_only_file_refuses_writes_with_one_line(store):
    before = counts(store)
    store.chmod(0o444)
    try:
        one_line(cli(store, "customers", "add", "--first", "Zoe", "--last", "Zed", "--email", "zoe@example.de"),
                 "is read-only", "nothing was changed", "chmod u+w")
        one_line(cli(store, "associates", "add", "--number", "1009", "--name", "X", "--role", "associate",
                     "--pin", "2468"), "is read-only")
    finally:
        store.chmod(0o600)
    assert counts(store) == before


def test_a_read_only_folder_refuses_writes_with_one_line(store):
    before = counts(store)
    store.parent.chmod(0o555)
    try:
        line = one_line(cli(store, "customers", "add", "--first", "Zoe", "--last", "Zed", "--email", "zoe@example.de"),
                        "is read-only", "nothing was changed")
        assert f"folder {store.parent}" in line
    finally:
        store.parent.chmod(0o700)
    assert counts(store) == before


def fill_the_disk(path: Path) -> str:
    """Stand-in for a full disk: the file may not grow past its pages, and they are full."""
    conn = sqlite3.connect(path, isolation_level=None)
    pages = conn.execute("PRAGMA page_count").fetchone()[0] + 2
    conn.execute(f"PRAGMA max_page_count={pages}")
    try:
        for i in range(10_000):
            conn.execute("INSERT INTO setting(key, value) VALUES (?, ?)", (f"filler-{i}", "x" * 900))
    except sqlite3.OperationalError as exc:
        assert "full" in str(exc)
    for size in (400, 100, 20):  # the last bits of room
        try:
            for i in range(10_000):
                conn.execute("INSERT INTO setting(key, value) VALUES (?, ?)", (f"filler-{size}-{i}", "x" * size))
        except sqlite3.OperationalError:
            pass
    conn.close()
    return f"PRAGMA max_page_count={pages}"


def test_a_full_disk_saves_nothing_and_says_so(store, tmp_path):
    limit = fill_the_disk(store)
    before = counts(store)
    line = one_line(cli(store, "customers", "add", "--first", "Zoe", "--last", "Zed", "--email", "zoe@example.de",
                        pragma=limit), "is full", "nothing was saved", "free some space")
    assert str(store) in line
    csv = tmp_path / "in.csv"
    csv.write_text("first_name,last_name\n" + "".join(f"Max,Muster{'x' * i}\n" for i in range(50)))
    one_line(cli(store, "customers", "import", str(csv), "--allow-duplicate", pragma=limit), "is full")
    assert counts(store) == before
    r = cli(store, "doctor")  # the file itself is sound
    assert "ok   sqlite integrity" in r.stdout and "Traceback" not in r.stderr


def test_a_file_held_by_another_program_is_one_line_after_the_busy_timeout(store):
    before = counts(store)
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        one_line(cli(store, "customers", "add", "--first", "Zoe", "--last", "Zed", busy_ms=300),
                 "is busy", "another program", "try again")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert counts(store) == before


def test_a_missing_folder_or_file_is_one_line(tmp_path):
    one_line(cli(tmp_path / "nowhere" / "store.db", "customers", "search", "anna"), "pos-customers init")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.slow
def test_garbage_on_any_page_is_one_line_for_every_command(base, tmp_path, monkeypatch, capsys):
    """4 KiB of garbage on each page in turn: no command ever prints a traceback, a write never
    succeeds on a file quick_check finds damaged."""
    from pos_customers.cli import main

    size = int.from_bytes(base.read_bytes()[16:18], "big")
    pages = base.stat().st_size // size
    rnd = random.Random(7)
    for page in range(1, pages + 1):
        path = tmp_path / f"p{page}.db"
        data = bytearray(base.read_bytes())
        data[(page - 1) * size:page * size] = bytes(rnd.randrange(256) for _ in range(size))
        path.write_bytes(bytes(data))
        damaged = sqlite3.connect(path)
        try:
            sound = damaged.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        except sqlite3.DatabaseError:
            sound = False
        damaged.close()
        monkeypatch.setenv("POS_CUSTOMERS_DB", str(path))
        for args in (["customers", "search", "anna"], ["customers", "export"],
                     ["customers", "add", "--first", "Zoe", "--last", "Zed", "--email", "z@example.de"],
                     ["doctor"]):
            monkeypatch.setattr(sys, "argv", ["pos-customers", *args])
            with pytest.raises(SystemExit) as exit_:
                main()
            err = capsys.readouterr().err
            assert "Traceback" not in err
            if exit_.value.code not in (0, None) and args[0] != "doctor":
                assert len(err.strip().splitlines()) == 1, (page, args, err)
            if args[1:2] == ["add"] and not sound:
                assert exit_.value.code == 1, (page, err)
