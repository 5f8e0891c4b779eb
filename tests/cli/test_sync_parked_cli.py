"""`sync status`, `sync parked`, `sync retry`, `sync discard` on a terminal whose outbox holds an
event a (fake) headquarters refused."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.services import sync
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.storage.engine import Database
from tests.helpers import person
from tests.sync.fake_hq import FakeHq, refuse


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    invoke.db = db
    r = invoke("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
               "--currency", "EUR", "--language", "de")
    assert r.exit_code == 0, r.output
    return invoke


@pytest.fixture
def parked(run):
    """Anna's creation refused by headquarters (parked); Hans went through."""
    database = Database(run.db)
    svc = Services(database)
    actor = Actor.command_line()
    sync.connect(svc, actor, url="http://hq.test", credential="secret", terminal_id="T-1")
    anna = create_customer(svc, actor, person("Anna", "Müller", "anna@example.org"))
    create_customer(svc, actor, person("Hans", "Meier", "hans@example.org"))
    sync.sync_now(svc, actor, transport=httpx.MockTransport(FakeHq(refuse(
        anna.id, 403, "store BER01 may not create customers of store HAM01"))))
    event_id = database.raw().execute("SELECT id FROM outbox_event").fetchone()[0]
    database.dispose()
    return anna, event_id


def outbox(db):
    return sqlite3.connect(db).execute("SELECT id, parked_at IS NOT NULL FROM outbox_event").fetchall()


def test_status_and_parked_show_the_refused_event_with_its_reason(run, parked):
    anna, event_id = parked
    r = run("sync", "status")
    assert r.exit_code == 0, r.output
    assert "parked        1 refused by headquarters\n" in r.output
    assert f"{event_id[:8]}  403 store BER01 may not create customers of store HAM01 [payload.store_code]" in r.output
    r = run("sync", "parked")
    assert r.exit_code == 0 and "customer.created" in r.output and "Anna Müller" in r.output
    assert "1 parked, 0 waiting" in r.output
    [row] = json.loads(run("sync", "parked", "--json").output)
    assert (row["id"], row["status"], row["customer_id"]) == (event_id, 403, anna.id)
    assert json.loads(run("sync", "status", "--json").output)["parked"] == 1


def test_retry_unparks_and_is_audited(run, parked):
    _, event_id = parked
    r = run("sync", "retry", event_id[:8])
    assert r.exit_code == 0 and "1 event(s) will be sent" in r.output
    assert outbox(run.db) == [(event_id, 0)]
    assert "parked        0" in run("sync", "status").output
    n = sqlite3.connect(run.db).execute("SELECT count(*) FROM audit_event WHERE action = 'sync_retry'").fetchone()[0]
    assert n == 1


@pytest.mark.parametrize("args, code, words", [
    (["sync", "retry"], 2, "give one parked event's ID or --all"),
    (["sync", "retry", "abc", "--all"], 2, "give one parked event's ID or --all"),
    (["sync", "retry", "ffffffff"], 1, "no event 'ffffffff' in the outbox"),
    (["sync", "discard", "ffffffff", "--yes"], 1, "no event 'ffffffff' in the outbox"),
    (["sync", "discard", "ffffffff"], 1, "no event 'ffffffff' in the outbox"),  # before any question
])
def test_bad_ids_are_one_line_errors_and_change_nothing(run, parked, args, code, words):
    _, event_id = parked
    r = run(*args)
    assert r.exit_code == code and words in r.output and "Traceback" not in r.output
    assert outbox(run.db) == [(event_id, 1)]


def test_discard_asks_first_and_is_audited(run, parked):
    anna, event_id = parked
    r = run("sync", "discard", event_id[:8], input="n\n")
    assert r.exit_code == 1 and "Discard customer.created" in r.output and "nothing discarded" in r.output
    assert outbox(run.db) == [(event_id, 1)]
    r = run("sync", "discard", event_id[:8], input="y\n")
    assert r.exit_code == 0 and "the customer now exists on this terminal only" in r.output
    assert outbox(run.db) == []
    con = sqlite3.connect(run.db)
    assert con.execute("SELECT sync_state FROM customer WHERE id = ?", (anna.id,)).fetchone() == ("local",)
    assert con.execute("SELECT entity_id FROM audit_event WHERE action = 'sync_discard'").fetchall() == [(anna.id,)]
