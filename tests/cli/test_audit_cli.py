"""`pos-customers audit verify` finds a changed, a removed and an inserted audit row."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(tmp_path / "t.db"))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])
    invoke.db = tmp_path / "t.db"
    r = invoke("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
               "--currency", "EUR", "--language", "de")
    assert r.exit_code == 0, r.output
    for first in ("Anna", "Hans", "Zoë", "Eva"):
        assert invoke("customers", "add", "--first", first, "--last", "Müller").exit_code == 0
    return invoke


def rows(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, changes FROM audit_event ORDER BY id").fetchall()
    finally:
        conn.close()


def sql(db, statement, *args):
    conn = sqlite3.connect(db)
    conn.execute(statement, args)
    conn.commit()
    conn.close()


def test_an_untouched_trail_is_intact(run):
    r = run("audit", "verify")
    assert r.exit_code == 0 and "intact" in r.output and f"{len(rows(run.db))} rows" in r.output


def test_a_changed_row_is_named(run):
    target = rows(run.db)[2][0]
    sql(run.db, "UPDATE audit_event SET associate_number = 'someone else' WHERE id = ?", target)
    r = run("audit", "verify")
    assert r.exit_code == 1 and f"audit row {target} was changed" in r.output


def test_a_removed_row_is_named(run):
    ids = [i for i, _ in rows(run.db)]
    sql(run.db, "DELETE FROM audit_event WHERE id = ?", ids[2])
    r = run("audit", "verify")
    assert r.exit_code == 1 and f"before row {ids[3]} were removed" in r.output


def test_a_row_forged_with_a_valid_hash_is_named_by_the_next_link(run):
    """Someone who knows the hash function rewrites row k and recomputes its hash: row k checks
    out, but row k+1 still points at the old hash."""
    import json
    from datetime import datetime

    from pos_customers.domain.audit import audit_hash, changes_hash

    ids = [i for i, _ in rows(run.db)]
    conn = sqlite3.connect(run.db)
    r = conn.execute("SELECT id, at, associate_number, terminal_id, store_code, entity, entity_id, action,"
                     " changes, prev_hash FROM audit_event WHERE id = ?", (ids[2],)).fetchone()
    forged = audit_hash(r[9], id=r[0], at=datetime.fromisoformat(r[1]), associate="9999", terminal=r[3],
                        store=r[4], entity=r[5], entity_id=r[6], action=r[7],
                        changes_digest=changes_hash(json.loads(r[8])))
    conn.execute("UPDATE audit_event SET associate_number = '9999', hash = ? WHERE id = ?", (forged, ids[2]))
    conn.commit()
    conn.close()
    out = run("audit", "verify")
    assert out.exit_code == 1 and f"audit row {ids[3]} was inserted" in out.output


def test_doctor_reports_the_chain(run):
    r = run("doctor")
    assert "audit chain" in r.output and "intact" in r.output
