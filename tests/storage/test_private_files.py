"""Files that hold customers or credentials are readable by their owner only; doctor says when
one is not and the chmod that fixes it; headquarters' credential is never printed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from email.message import EmailMessage

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.services.context import Services
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    old = os.umask(0o022)  # what a till's shell usually has: new files 0644 unless made private
    yield
    os.umask(old)


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "data" / "till.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    invoke.db = db
    r = invoke("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
               "--currency", "EUR", "--language", "de")
    assert r.exit_code == 0, r.output
    return invoke


def test_the_database_its_wal_and_shm_and_a_new_folder_are_private(tmp_path):
    path = tmp_path / "new" / "folder" / "till.db"
    db = Database(path)
    upgrade(db)
    conn = db.raw()  # open: -wal and -shm exist
    conn.execute("CREATE TABLE t (x)")
    try:
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix
        assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    finally:
        conn.close()
        db.dispose()
    assert mode(f"{path}-checked") == 0o600


def test_exports_and_access_requests_are_private(run, tmp_path):
    r = run("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@example.de")
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    for fmt in ("csv", "json"):
        out = tmp_path / f"all.{fmt}"
        out.write_text("old")  # an existing, world-readable file is replaced by a private one
        out.chmod(0o644)
        assert run("customers", "export", "--format", fmt, "-o", out).exit_code == 0
        assert mode(out) == 0o600 and "Anna" in out.read_text()
    request = tmp_path / "requests" / "anna.json"
    r = run("customers", "data", ref, "--format", "json", "-o", request)
    assert r.exit_code == 0, r.output
    assert mode(request) == 0o600 and mode(request.parent) == 0o700
    assert json.loads(request.read_text())
    assert not list(tmp_path.rglob("*.part"))


def test_headquarters_file_and_mail_folder_are_private(tmp_path):
    from pos_customers.hq.db import make_engine
    from pos_customers.hq.mailer import FileMailer

    path = tmp_path / "hq" / "hq.db"
    engine = make_engine(str(path))
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
        assert mode(path) == 0o600 and mode(f"{path}-wal") == 0o600 and mode(path.parent) == 0o700
    engine.dispose()
    mail = tmp_path / "outbox"
    message = EmailMessage()
    message["To"] = "anna@example.de"
    message.set_content("your link")
    FileMailer(mail).send(message)
    (eml,) = mail.iterdir()
    assert mode(mail) == 0o700 and mode(eml) == 0o600 and eml.suffix == ".eml"


def test_doctor_names_a_wider_mode_and_the_chmod_that_fixes_it(run):
    assert run("doctor").exit_code == 0
    run.db.chmod(0o644)
    r = run("doctor")
    assert r.exit_code == 1
    assert "FAIL file modes" in r.output and "till.db readable by other users" in r.output
    assert f"repair: chmod 600 {run.db}" in r.output
    run.db.chmod(0o600)
    run.db.parent.chmod(0o777)
    r = run("doctor")
    assert r.exit_code == 1 and f"chmod 700 {run.db.parent}" in r.output
    run.db.parent.chmod(0o700)


CREDENTIAL = "tc_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_the_headquarters_credential_is_never_printed(run):
    conn = sqlite3.connect(run.db)
    conn.executemany("INSERT OR REPLACE INTO setting(key, value) VALUES (?, ?)",
                     [("hq_url", "http://127.0.0.1:9"), ("hq_credential", CREDENTIAL),
                      ("sync_last_error", "headquarters unreachable")])
    conn.commit()
    conn.close()
    outputs = [run("sync", "status").output, run("sync", "status", "--json").output, run("doctor").output,
               run("doctor", "--full").output]
    for out in outputs:
        assert CREDENTIAL not in out
    db = Database(run.db)
    settings = Services(db).settings()
    assert settings["hq_credential"] == CREDENTIAL  # usable as it is
    assert CREDENTIAL not in repr(settings) and CREDENTIAL not in repr(settings["hq_credential"])
    db.dispose()


def test_an_unexpected_failure_is_one_line_without_details(tmp_path):
    import subprocess
    import sys

    code = ("import pos_customers.cli.customers as c\n"
            "def boom(*a, **k): raise RuntimeError('" + CREDENTIAL + "')\n"
            "c._services = boom\n"
            "from pos_customers.cli import main\n"
            "main()\n")
    r = subprocess.run([sys.executable, "-c", code, "customers", "search", "x"], capture_output=True, text=True,
                       env={**os.environ, "POS_CUSTOMERS_DB": str(tmp_path / "x.db")}, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr and CREDENTIAL not in r.stderr
    assert r.stderr.strip().startswith("error: unexpected failure (RuntimeError)")
