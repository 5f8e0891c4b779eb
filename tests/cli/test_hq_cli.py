"""The headquarters and sync commands, against a real headquarters process on loopback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app, connected_demo
from pos_customers.hq.service import Identity
from pos_customers.services import sync
from pos_customers.services.context import Actor
from tests.sync.conftest import HqServer


@pytest.fixture
def hq_server(tmp_path):
    server = HqServer(tmp_path / "hq.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(tmp_path / "terminal.db"))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])
    return invoke


def test_add_store_enrol_add_a_customer_and_sync(run, hq_server):
    hq_db = str(hq_server.db_path)
    r = run("hq", "add-store", "BER01", "--name", "Berlin Alexanderplatz", "--db", hq_db)
    assert r.exit_code == 0, r.output
    token = r.output.strip()
    assert len(token) >= 40
    r = run("init", "--hq", hq_server.url, "--token", token)
    assert r.exit_code == 0, r.output
    assert "BER01" in r.output and "enrolled" in r.output
    r = run("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@example.org")
    assert r.exit_code == 0, r.output
    r = run("sync", "--once")
    assert r.exit_code == 0, r.output
    assert "pushed" in r.output and "pushed 0" not in r.output
    r = run("sync", "status")
    assert "0 event(s) waiting" in r.output and hq_server.url in r.output
    assert hq_server.hq.customer_count() == 1
    # the token was for one terminal only
    again = run("init", "--hq", hq_server.url, "--token", token)
    assert again.exit_code == 1 and "refused (401)" in again.output
    r = run("hq", "stores", "--db", hq_db)
    assert "BER01" in r.output and "scope=own" in r.output
    assert run("hq", "set-scope", "BER01", "everything", "--db", hq_db).exit_code == 2


def test_sync_once_with_headquarters_down_says_so_and_keeps_the_queue(run, hq_server):
    token = run("hq", "add-store", "BER01", "--name", "Berlin", "--db", str(hq_server.db_path)).output.strip()
    assert run("init", "--hq", hq_server.url, "--token", token).exit_code == 0
    hq_server.stop()
    run("customers", "add", "--first", "Eva", "--last", "Lang")
    r = run("sync", "--once")
    assert r.exit_code == 1 and "unreachable" in r.output
    r = run("sync", "status")
    assert "last error" in r.output and "unreachable" in r.output
    assert "0 event(s)" not in r.output


def test_init_needs_both_hq_and_token(run):
    r = run("init", "--hq", "http://127.0.0.1:9")
    assert r.exit_code == 2 and "--token" in r.output


def test_the_connected_demo_has_other_stores_customers_and_orders(tmp_path, hq_server):
    admin = Actor.command_line()
    svc = connected_demo(hq_server.hq, tmp_path / "demo.db", 300, hq_server.url)
    st = sync.status(svc, admin)
    assert st.enrolled and st.cursor > 0
    result = sync.sync_now(svc, admin)
    assert result.pulled < 50           # it already holds what headquarters has for it
    remote = hq_server.hq.search(Identity("t", "BER01", "own", ""), "a", limit=100)
    others = [h for h in remote if h["store_code"] != "BER01"]
    assert others, "the other stores' customers are at headquarters"
    hits = sync.search_all_stores(svc, admin, others[0]["reference"])
    assert [h.id for h in hits] == [others[0]["id"]]
    view = sync.open_remote(svc, admin, others[0]["id"])
    assert view.store_code == others[0]["store_code"]
    with_orders = [d for d in hq_server.hq.orders(None, view.id)]
    orders, source = sync.orders(svc, admin, view.id)
    assert source == "headquarters" and len(orders) == len(with_orders)


def test_a_second_connected_demo_reuses_the_till_and_headquarters(tmp_path, hq_server):
    admin = Actor.command_line()
    path = tmp_path / "demo.db"
    first = connected_demo(hq_server.hq, path, 120, hq_server.url)
    before = _customers(first)
    settings = dict(first.settings())
    at_hq = hq_server.hq.customer_count()
    first.db.dispose()
    said = []
    again = connected_demo(hq_server.hq, path, 120, hq_server.url, say=said.append)  # no IntegrityError
    assert not said  # nothing built again
    assert _customers(again) == before and before
    assert again.settings()["hq_credential"] == settings["hq_credential"]
    assert again.settings()["terminal_id"] == settings["terminal_id"]
    assert hq_server.hq.customer_count() == at_hq
    st = sync.status(again, admin)
    assert st.enrolled
    sync.sync_now(again, admin)


def test_an_unfinished_demo_till_is_built_again(tmp_path, hq_server):
    from pos_customers.services.demo import seed_demo
    from pos_customers.storage.engine import Database

    path = tmp_path / "demo.db"
    seed_demo(Database(path), 50)  # stopped before it was connected: every store's customers, no credential
    said = []
    svc = connected_demo(hq_server.hq, path, 50, hq_server.url, say=said.append)
    assert any("building it again" in m for m in said)
    assert sync.status(svc, Actor.command_line()).enrolled
    assert {store for _, _, store in _customers(svc)} == {"BER01"}


def _customers(svc):
    conn = svc.db.raw()
    try:
        return sorted(conn.execute("SELECT id, reference, store_code FROM customer").fetchall())
    finally:
        conn.close()


def test_access_request_and_anonymize_from_the_command_line(run, tmp_path):
    assert run("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
               "--currency", "EUR", "--language", "de").exit_code == 0
    r = run("customers", "add", "--first", "Quirinus", "--last", "Zwiebelhaus", "--email", "q@example.org")
    assert r.exit_code == 0, r.output
    show = run("customers", "search", "zwiebelhaus").output
    assert "Zwiebelhaus" in show
    ref = [w for w in show.split() if w.count("-") == 2][0]
    out = tmp_path / "report.json"
    r = run("customers", "data", ref, "--format", "json", "-o", out)
    assert r.exit_code == 0 and '"last_name": "Zwiebelhaus"' in out.read_text()
    assert "q@example.org" in run("customers", "data", ref).output
    r = run("customers", "anonymize", ref, "--confirm", "nope")
    assert r.exit_code == 2 and "Type the customer's reference" in r.output
    r = run("customers", "anonymize", ref, "--confirm", ref)
    assert r.exit_code == 0 and "anonymized" in r.output
    assert "Zwiebelhaus" not in run("customers", "search", "zwiebelhaus").output


def test_each_worker_of_hq_serve_builds_the_same_app_without_migrating_again(tmp_path, monkeypatch):
    import json
    from datetime import timedelta

    from pos_customers.cli import hq as cli_hq

    db = tmp_path / "hq.db"
    cli_hq._hq(str(db)).engine.dispose()  # `hq serve` migrates once, before the workers start
    monkeypatch.setenv(cli_hq.SERVE_ENV, json.dumps({
        "db": str(db), "host": "127.0.0.1", "port": 8750, "smtp": None, "smtp_starttls": False, "smtp_user": "",
        "smtp_password": "", "mail_folder": str(tmp_path / "mail"), "mail_from": "hq@example.org",
        "reset_url": None, "reset_hours": 2.0, "session_minutes": 30, "max_in_flight": 7, "workers": 3}))
    monkeypatch.setattr("pos_customers.hq.db.upgrade", lambda *a, **kw: pytest.fail("a worker migrated"))
    app = cli_hq.worker_app()
    hq = app.state.hq
    assert app.state.admission.limit == 7 and hq.session_lifetime == timedelta(minutes=30)
    assert hq.mail_from == "hq@example.org" and hq.reset_url == "http://127.0.0.1:8750/reset"
    hq.engine.dispose()


def test_hq_settings_set_names_the_accounts_sharing_an_address_by_their_printed_references():
    from pos_customers.cli.hq import shared_line

    line = shared_line("chain", "anna@example.org", ["YHWNVR5PY", "K7QM2XR4P"])
    assert "by YHW-NVR-5PY, K7Q-M2X-R4P (the first keeps it" in line, line
