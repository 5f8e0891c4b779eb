"""The CLI's human-readable output uses the screens' rule: a name holding a bidi override or an ANSI
escape (written straight into the database, as a pull would) prints as "�"; an import carrying
such characters is refused with one clear line. Run as a subprocess, as a person would."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.storage import customers as stored

R = "\ufffd"
HIDDEN = ("\u202e", "\u200b", "\x1b")


def cli(db, *args):
    env = {**os.environ, "POS_CUSTOMERS_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "pos_customers.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=120)


@pytest.fixture
def store(tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()
    r = runner.invoke(app, ["init", "--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE",
                            "--currency", "EUR", "--language", "de"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["customers", "add", "--first", "Ann", "--last", "Lee", "--email", "ann.lee@example.org",
                            "--street", "Hauptstr. 1", "--city", "Berlin", "--postal-code", "10115"])
    assert r.exit_code == 0, r.output
    return db, r.output.split()[1]


def write_as_a_pull_would(db, reference, **fields):
    conn = sqlite3.connect(db)
    try:
        previous = stored.by_reference(conn, reference.replace("-", ""))
        stored.replace(conn, replace(previous, **fields), previous)
        conn.commit()
    finally:
        conn.close()


def test_search_and_show_print_hidden_characters_visibly(store):
    db, ref = store
    write_as_a_pull_would(db, ref, first_name="Ann\u202eeL", last_name="\x1b[2JLee\u200b")
    r = cli(db, "customers", "search", "ann.lee@")
    assert r.returncode == 0, r.stderr
    assert f"Ann{R}eL {R}[2JLee{R}" in r.stdout and not any(h in r.stdout for h in HIDDEN)
    r = cli(db, "customers", "show", ref)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Ann{R}eL {R}[2JLee{R}  [") and not any(h in r.stdout for h in HIDDEN)
    # --json is data for programs: the stored value, exactly (JSON escapes the control characters)
    r = cli(db, "customers", "show", ref, "--json")
    assert json.loads(r.stdout)["first_name"] == "Ann\u202eeL"


def test_an_import_with_hidden_characters_is_refused_with_one_clear_line(store, tmp_path):
    db, _ = store
    f = tmp_path / "hostile.csv"
    f.write_text("first_name,last_name,email\nBea,Roth,bea@example.org\nCe\u202ela,Lang,cela@example.org\n",
                 encoding="utf-8")
    r = cli(db, "customers", "import", f)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert (f"{f}: row 3: first_name: First name contains an invisible or control character "
            "(U+202E RIGHT-TO-LEFT OVERRIDE)") in r.stderr.splitlines()
    assert "nothing imported" in r.stderr and not any(h in r.stderr + r.stdout for h in HIDDEN)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM customer").fetchone()[0] == 1
