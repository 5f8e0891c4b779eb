"""`init --terminal N`: each till of a standalone store numbers its customers with its own number."""

import sqlite3

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.domain.reference import ReferenceOrigin, decode_reference

STORE = ("--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE", "--currency", "EUR",
         "--language", "de")


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "till.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    invoke.db = db
    return invoke


def add(run, first):
    r = run("customers", "add", "--first", first, "--last", "Müller")
    assert r.exit_code == 0, r.output
    return r.output.split()[1]


def test_init_terminal_n_and_show_says_which_till_issued_the_reference(run):
    r = run("init", *STORE, "--terminal", 3)
    assert r.exit_code == 0, r.output
    assert "till 3" in r.output
    ref = add(run, "Anna")
    assert decode_reference(ref) == ReferenceOrigin(101, 0, 3)
    shown = run("customers", "show", ref).output
    assert "issued by     store 101, till 3" in shown
    doctor = run("doctor")
    assert "terminal number    till 3 of store BER01: 1 of 524,288 references used" in doctor.output


def test_without_terminal_a_new_till_is_till_1(run):
    assert run("init", *STORE).exit_code == 0
    assert decode_reference(add(run, "Anna")).terminal == 1


@pytest.mark.parametrize("bad", [0, 65, -3])
def test_a_terminal_number_out_of_range_is_one_line_and_creates_nothing(run, bad):
    r = run("init", *STORE, "--terminal", bad)
    assert r.exit_code == 2
    assert r.output == f"error: --terminal must be between 1 and 64, got {bad}\n"
    assert not run.db.exists()


def test_terminal_with_enrolment_is_refused(run):
    r = run("init", "--hq", "http://127.0.0.1:9", "--token", "x" * 20, "--terminal", 2)
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "headquarters gives an enrolled till" in r.output


def test_init_terminal_alone_changes_the_number_of_a_till_set_up_already(run):
    assert run("init", *STORE, "--terminal", 2).exit_code == 0
    first = add(run, "Anna")
    r = run("init", "--terminal", 4)
    assert r.exit_code == 0, r.output
    assert r.output == "this till of store BER01 is till 4 now (0 of its 524,288 references used)\n"
    second = add(run, "Bob")
    assert decode_reference(first) == ReferenceOrigin(101, 0, 2)
    assert decode_reference(second) == ReferenceOrigin(101, 0, 4)
    audit = sqlite3.connect(run.db).execute(
        "SELECT entity, action FROM audit_event WHERE entity = 'terminal'").fetchall()
    assert audit == [("terminal", "number")]


def test_an_enrolled_till_gets_its_number_from_headquarters_only(run):
    assert run("init", *STORE, "--terminal", 2).exit_code == 0
    with sqlite3.connect(run.db) as conn:
        conn.execute("INSERT INTO setting (key, value) VALUES ('hq_url', 'http://127.0.0.1:9')")
    r = run("init", "--terminal", 5)
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "enrolled with headquarters, which gives it its number" in r.output
    assert decode_reference(add(run, "Anna")).terminal == 2
