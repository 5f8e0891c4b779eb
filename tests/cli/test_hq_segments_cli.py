"""`pos-customers hq segments add/list/show/report/refresh/remove`: the count, the CSV export,
one line on stderr for a bad rule or an unknown segment."""

from __future__ import annotations

import csv
import os
import sqlite3
import uuid

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters
from tests.cli.test_hq_support_cli import one_error_line
from tests.hq.test_api import fields, ref


@pytest.fixture
def hq_db(tmp_path):
    """Two customers of BER01: Anna (group VIP) and Bert."""
    path = str(tmp_path / "hq.db")
    engine = make_engine(path)
    upgrade(engine)
    hq = Headquarters(engine)
    hq.add_store("BER01", "Berlin", number=1)
    hq.import_customers([
        {"id": str(uuid.uuid4()), "reference": ref(0), "store_code": "BER01", "created_at": "2026-11-01T10:00:00+00:00",
         "fields": fields(group_code="VIP")},
        {"id": str(uuid.uuid4()), "reference": ref(1), "store_code": "BER01", "created_at": "2026-11-01T10:00:00+00:00",
         "fields": fields(first="Bert", email="bert@example.org")}])
    engine.dispose()
    return path


@pytest.fixture
def run(hq_db):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["hq", "segments", *args, "--db", hq_db], input=input)
    return invoke


def test_add_list_show_report_remove(run, tmp_path):
    r = run("add", "vip", "--name", "VIP customers", "--rule", '{"kind": "group", "codes": ["VIP"]}')
    assert r.exit_code == 0, r.output
    assert "segment vip (VIP customers): 1 customer(s)" in r.stdout
    r = run("add", "all-ber", "--name", "Berlin", "--rule-file", "-",
            input='{"kind": "home_store", "stores": ["BER01"]}')
    assert r.exit_code == 0, r.output
    listed = run("list").stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [["all-ber", "2"], ["vip", "1"]]
    shown = run("show", "VIP").stdout
    assert '"codes": [\n    "VIP"\n  ]' in shown and "members: 1" in shown
    assert run("report", "all-ber").stdout.strip() == "segment all-ber: 2 customer(s)"
    out = tmp_path / "members.csv"
    r = run("report", "all-ber", "--csv", str(out))
    assert r.exit_code == 0, r.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["reference", "name", "email"]
    assert sorted(r[1:] for r in rows[1:]) == [["Anna Müller", "anna@example.org"], ["Bert Müller", "bert@example.org"]]
    assert rows[1][0].count("-") == 2  # references as people read them
    if os.name == "posix":
        assert out.stat().st_mode & 0o077 == 0
    assert run("refresh").stdout.split() == ["all-ber", "2", "vip", "1"]
    assert run("remove", "vip").exit_code == 0
    assert [line.split()[0] for line in run("list").stdout.splitlines()] == ["all-ber"]


def test_refusals_are_one_line(run):
    assert "rule: kind must be one of" in one_error_line(run("add", "x", "--name", "X", "--rule", '{"kind": "?"}'), 2)
    assert "not valid JSON" in one_error_line(run("add", "x", "--name", "X", "--rule", "{"), 2)
    assert "--rule JSON or --rule-file" in one_error_line(run("add", "x", "--name", "X"), 2)
    assert "code" in one_error_line(run("add", "Bad Code", "--name", "X", "--rule", '{"kind": "marketing_consent"}'), 2)
    assert "no segment nope" in one_error_line(run("report", "nope"), 1)
    assert "no segment nope" in one_error_line(run("show", "nope"), 1)
    assert "no segments" in run("list").stdout


def test_till_search_with_seg(tmp_path, monkeypatch):
    """`customers search "seg:vip ..."` at the till: members only; an unknown code is one line."""
    from pos_customers.services.context import Services
    from pos_customers.storage.engine import Database
    from pos_customers.sync.engine import apply_item

    db = tmp_path / "till.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()

    def till(*args):
        return runner.invoke(app, [str(a) for a in args])

    r = till("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE", "--currency", "EUR",
             "--language", "de")
    assert r.exit_code == 0, r.output
    for first in ("Anna", "Anton"):
        assert till("customers", "add", "--first", first, "--last", "Müller").exit_code == 0
    cid = sqlite3.connect(db).execute("SELECT id FROM customer WHERE first_name = 'Anna'").fetchone()[0]
    svc = Services(Database(db))
    with svc.db.write() as s:
        apply_item(s, {"t": "segment", "doc": {"code": "vip", "name": "VIP"}}, "BER01", {})
        apply_item(s, {"t": "customer_segments", "doc": {"customer_id": cid, "codes": ["vip"]}}, "BER01", {})
    found = till("customers", "search", "seg:vip mül").stdout
    assert "Anna" in found and "Anton" not in found
    assert "No segment “gold”: seg:vip" in one_error_line(till("customers", "search", "seg:gold"), 2)
