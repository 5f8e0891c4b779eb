"""`pos-customers recover` on a till enrolled with a real headquarters and no backup: a full pull
rebuilds the file, and the offline change made before the damage still reaches headquarters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.services import sync
from pos_customers.services.context import Services
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.storage.backup_files import integrity_problem
from pos_customers.storage.engine import Database
from tests.helpers import person
from tests.storage.test_backup_recovery import cli, damage, later_history, quick_cli
from tests.sync.conftest import terminal


@pytest.fixture(autouse=True)
def no_config(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_CONFIG", str(tmp_path / "config.toml"))


def at_hq(server, customer_id: str) -> dict | None:
    with server.hq.engine.connect() as conn:
        row = conn.execute(select(t.customer.c.fields).where(t.customer.c.id == customer_id)).first()
    return json.loads(row.fields) if row else None


def offline_till(tmp_path: Path, server, admin):
    """BER01's till: Anna synced; then, offline, Hans (only in the outbox)."""
    till = terminal(tmp_path, server, "BER01", country="DE", currency="EUR", language="de")
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(till, admin)
    hans = create_customer(till, admin, person("Hans", "Meier", "hans@example.org"))
    assert at_hq(server, hans.id) is None
    return till, anna, hans


@pytest.mark.parametrize("kind", ["truncated", pytest.param("header", marks=pytest.mark.slow),
                                  pytest.param("middle", marks=pytest.mark.slow)])
def test_an_enrolled_till_without_a_backup_is_rebuilt_from_headquarters(tmp_path, hq_server, admin, kind):
    till, anna, hans = offline_till(tmp_path, hq_server, admin)
    later_history(till, anna.id)
    path = till.db.path
    till.db.dispose()
    damage(path, kind)

    run = cli if kind == "truncated" else quick_cli  # one case as its own process, the others in this one
    r = run("--db", path, "recover")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert f"from headquarters {hq_server.url}" in r.stdout and "kept 1 offline change(s)" in r.stdout
    assert list(tmp_path.glob("BER01.db.damaged-*"))
    assert integrity_problem(path) == ""
    pushed = quick_cli("--db", path, "sync", "--once")
    assert pushed.returncode == 0, pushed.stderr
    assert at_hq(hq_server, hans.id)["last_name"] == "Meier"  # the offline change reached headquarters
    back = Services(Database(path))
    try:
        assert get_customer(back, admin, anna.id).primary_email == "anna@example.org"  # pulled
        assert get_customer(back, admin, hans.id).sync_state == "synced"
        lea = create_customer(back, admin, person("Lea", "Wolf", "lea@example.org"))
        assert lea.reference not in (anna.reference, hans.reference)
        assert sync.status(back, admin).audit_problem == ""  # the audit trail goes on where it was
    finally:
        back.db.dispose()


def test_a_text_file_with_a_backup_from_after_the_offline_change(tmp_path, hq_server, admin):
    till, anna, hans = offline_till(tmp_path, hq_server, admin)
    from pos_customers.services.backup import backup_now

    backup_now(till, admin)
    path = till.db.path
    till.db.dispose()
    damage(path, "text")
    r = quick_cli("--db", path, "recover")
    assert r.returncode == 0, r.stderr
    assert "from backup BER01-BER01-" in r.stdout and "nothing could be read" in r.stdout
    assert quick_cli("--db", path, "sync", "--once").returncode == 0
    assert at_hq(hq_server, hans.id)["last_name"] == "Meier"


def test_a_text_file_and_no_backup_re_enrols_with_a_new_token(tmp_path, hq_server, admin):
    till, anna, hans = offline_till(tmp_path, hq_server, admin)
    path = till.db.path
    till.db.dispose()
    damage(path, "text")
    refused = quick_cli("--db", path, "recover")
    assert refused.returncode == 1 and "--hq URL --token T" in refused.stderr
    token = hq_server.hq.issue_token("BER01")
    r = quick_cli("--db", path, "recover", "--hq", hq_server.url, "--token", token)
    assert r.returncode == 0, r.stderr
    assert "re-enrolled" in r.stdout and "nothing could be read" in r.stdout
    back = Services(Database(path))
    try:
        assert get_customer(back, admin, anna.id).primary_email == "anna@example.org"
    finally:
        back.db.dispose()
