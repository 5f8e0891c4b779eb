"""What a command opens when nothing is given: after `hq demo`, the `hq` commands use the demo's
headquarters (saying so in one line on stderr) and never make an empty hq.db just to read it;
`associates add` without a terminal says how to give the PIN instead of a Python warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.hq.db import close, make_engine, upgrade
from pos_customers.hq.service import Headquarters


@pytest.fixture
def data(tmp_path):
    """An empty user data folder (XDG) and no $POS_CUSTOMERS_* variables."""
    env = {k: None for k in os.environ if k.startswith("POS_CUSTOMERS") and k != "POS_CUSTOMERS_LANG"}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    folder = tmp_path / "xdg" / "pos-customers"
    folder.mkdir(parents=True)
    runner = CliRunner(env=env)

    def run(*args, input=None):
        return runner.invoke(app, list(args), input=input)

    run.folder = folder
    return run


def make_hq(path, *stores):
    engine = make_engine(str(path))
    upgrade(engine)
    hq = Headquarters(engine)
    for code in stores:
        hq.add_store(code, f"Store {code}")
    close(engine)


def support_numbers(path):
    engine = make_engine(str(path))
    try:
        return [a.number for a in Headquarters(engine).support_accounts()]
    finally:
        close(engine)


def one_line(text):
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_after_the_demo_hq_commands_use_the_demo_headquarters_and_say_so(data):
    demo = data.folder / "demo-hq.db"
    make_hq(demo, "BER01", "HAM01")
    r = data("hq", "stores")
    assert r.exit_code == 0, r.output
    assert "BER01" in r.stdout and "HAM01" in r.stdout
    assert one_line(r.stderr) == (f"using the demo headquarters at {demo} (--db URL or $POS_CUSTOMERS_HQ_DB "
                                  "chooses another)")
    r = data("hq", "support", "add", "S100", "--name", "X", "--pin-stdin", input="8642\n")
    assert r.exit_code == 0, r.output
    assert "using the demo headquarters at" in one_line(r.stderr)
    assert support_numbers(demo) == ["S100"]
    r = data("hq", "support", "list")
    assert r.exit_code == 0 and "S100" in r.stdout
    assert not (data.folder / "hq.db").exists()


def test_hq_serve_serves_the_demo_headquarters(data, monkeypatch):
    make_hq(data.folder / "demo-hq.db", "BER01")
    served = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.append(kw))
    r = data("hq", "serve", "--port", "0")
    assert r.exit_code == 0, r.output
    assert served and "using the demo headquarters at" in r.stderr and "demo-hq.db" in r.stderr
    assert not (data.folder / "hq.db").exists()


def test_a_real_headquarters_wins_over_the_demo(data):
    make_hq(data.folder / "demo-hq.db", "BER01")
    make_hq(data.folder / "hq.db", "MUC01")
    r = data("hq", "stores")
    assert r.exit_code == 0 and "MUC01" in r.stdout and "BER01" not in r.stdout
    assert "demo" not in r.stderr


def test_given_db_and_env_win_over_the_demo(data, tmp_path):
    make_hq(data.folder / "demo-hq.db", "BER01")
    other = tmp_path / "other.db"
    make_hq(other, "KOE01")
    r = data("hq", "stores", "--db", str(other))
    assert r.exit_code == 0 and "KOE01" in r.stdout and "demo" not in r.stderr
    r = CliRunner(env={"POS_CUSTOMERS_HQ_DB": str(other), "XDG_DATA_HOME": str(data.folder.parent)}).invoke(
        app, ["hq", "stores"])
    assert r.exit_code == 0 and "KOE01" in r.stdout and "demo" not in r.stderr


@pytest.mark.parametrize("args", [["stores"], ["support", "list"], ["token", "BER01"],
                                  ["set-scope", "BER01", "all"], ["support", "remove", "S100"]])
def test_reading_without_any_headquarters_says_how_to_make_one(data, args):
    r = data("hq", *args)
    assert r.exit_code == 1
    line = one_line(r.stderr)
    assert line.startswith("error: no headquarters database at ") and "hq add-store" in line
    assert list(data.folder.iterdir()) == []  # no empty hq.db made


def test_add_store_without_any_headquarters_makes_hq_db(data):
    r = data("hq", "add-store", "BER01", "--name", "Berlin")
    assert r.exit_code == 0, r.output
    assert (data.folder / "hq.db").exists() and r.stderr == ""


# -- associates add without a terminal -------------------------------------------------------------

def test_associates_add_without_a_terminal_says_how_to_give_the_pin(data):
    r = data("associates", "add", "--number", "1003", "--name", "Lea Wolf", "--db",
             str(data.folder / "store.db"), input="")
    assert r.exit_code == 2
    assert one_line(r.stderr) == "error: no terminal to type the PIN on: give it on standard input with --pin-stdin"


def test_associates_add_reads_the_pin_from_stdin(data, tmp_path):
    db = str(tmp_path / "store.db")
    r = data("--db", db, "init", "--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE",
             "--currency", "EUR", "--language", "de")
    assert r.exit_code == 0, r.output
    r = data("associates", "add", "--number", "1003", "--name", "Lea Wolf", "--pin-stdin", "--db", db,
             input="2580\n")
    assert r.exit_code == 0, r.output
    assert "associate 1003 (Lea Wolf, associate) added" in r.stdout and "2580" not in r.output
    r = data("associates", "add", "--number", "1004", "--name", "X", "--pin-stdin", "--db", db, input="12\n")
    assert r.exit_code == 2 and "PIN must be" in one_line(r.stderr)


def test_associates_add_in_a_real_process_without_a_terminal(tmp_path):
    """The real command with stdin not a terminal: no GetPassWarning, no "Aborted", one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_CUSTOMERS") or k == "POS_CUSTOMERS_LANG"}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"))
    r = subprocess.run([sys.executable, "-m", "pos_customers.cli", "associates", "add", "--number", "1003",
                        "--name", "Lea Wolf", "--db", str(tmp_path / "store.db")],
                       stdin=subprocess.DEVNULL, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert one_line(r.stderr).startswith("error: no terminal to type the PIN on")
    assert "GetPassWarning" not in r.stderr and "Aborted" not in r.stderr
