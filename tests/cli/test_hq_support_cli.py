"""`pos-customers hq support add/list/remove/reset`: exit codes, one line on stderr, nothing half done."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters


@pytest.fixture
def hq_db(tmp_path):
    return str(tmp_path / "hq.db")


@pytest.fixture
def run(hq_db):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["hq", "support", *args, "--db", hq_db], input=input)
    return invoke


def accounts(hq_db):
    engine = make_engine(hq_db)
    upgrade(engine)
    try:
        return [(a.number, a.name, a.active) for a in Headquarters(engine).support_accounts()]
    finally:
        engine.dispose()


def one_error_line(r, code):
    assert r.exit_code == code, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.output
    return lines[0]


def test_add_list_reset_remove(run, hq_db):
    r = run("add", "s100", "--name", "Sam Support", "--pin-stdin", input="8642\n")
    assert r.exit_code == 0, r.output
    assert "S100 (Sam Support) added" in r.stdout and "8642" not in r.output
    r = run("list")
    assert r.exit_code == 0 and "S100" in r.stdout and "Sam Support" in r.stdout and "active" in r.stdout
    r = run("reset", "S100", "--pin-stdin", input="1357\n")
    assert r.exit_code == 0 and "new PIN" in r.stdout
    r = run("remove", "S100")
    assert r.exit_code == 0 and "removed" in r.stdout
    assert "removed" in run("list").stdout
    assert accounts(hq_db) == [("S100", "Sam Support", False)]
    assert "already removed" not in (line := one_error_line(run("remove", "S100"), 1)) and "was removed" in line
    assert "not given again" in one_error_line(run("add", "S100", "--name", "X", "--pin-stdin", input="1234\n"), 1)


def test_the_pin_is_asked_twice_on_a_terminal_and_never_shown(run, hq_db, monkeypatch):
    monkeypatch.setattr("pos_customers.cli.hq._stdin_is_tty", lambda: True)
    r = run("add", "S100", "--name", "Sam Support", input="8642\n8642\n")
    assert r.exit_code == 0, r.output
    assert r.output.count("PIN") >= 2 and "8642" not in r.output
    # two different PINs: asked again; nothing is written until they agree
    r = run("add", "S101", "--name", "Kim", input="1111\n2222\n")
    assert r.exit_code != 0 and accounts(hq_db) == [("S100", "Sam Support", True)]


def test_without_a_terminal_the_pin_comes_from_stdin_or_not_at_all(run, hq_db):
    line = one_error_line(run("add", "S100", "--name", "Sam Support"), 2)
    assert "--pin-stdin" in line
    assert "--pin-stdin" in one_error_line(run("reset", "S100"), 2)
    assert accounts(hq_db) == []


@pytest.mark.parametrize("args, stdin, field", [
    (("add", "100", "--name", "Sam"), "8642\n", "number"),
    (("add", "S100", "--name", "Sam"), "12\n", "pin"),
    (("add", "S100", "--name", " "), "8642\n", "name"),
])
def test_bad_input_is_one_line_and_writes_nothing(run, hq_db, args, stdin, field):
    assert one_error_line(run(*args, "--pin-stdin", input=stdin), 2).startswith(f"error: {field}:")
    assert accounts(hq_db) == []


def test_unknown_numbers(run):
    assert "no support account S9" in one_error_line(run("remove", "S9"), 1)
    assert "no support account S9" in one_error_line(run("reset", "S9", "--pin-stdin", input="1234\n"), 1)
    assert "no support accounts" in run("list").stdout
