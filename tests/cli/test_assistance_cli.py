"""`customers assist-consent`, `customers assist-link`, `customers online` and `hq online`, against a
real headquarters process on loopback."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from tests.cli.test_hq_cli import hq_server  # noqa: F401 - fixture


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(tmp_path / "terminal.db"))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)
    return invoke


def test_consent_then_a_link_and_who_is_online(run, hq_server):  # noqa: F811
    hq_db = str(hq_server.db_path)
    token = run("hq", "add-store", "BER01", "--name", "Berlin Alexanderplatz", "--db", hq_db).output.strip()
    assert run("init", "--hq", hq_server.url, "--token", token).exit_code == 0
    r = run("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@example.org")
    assert r.exit_code == 0, r.output
    ref = re.search(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", r.output).group(0)
    refused = run("customers", "assist-consent", ref, "--on")  # a guest has no online account
    assert refused.exit_code == 2 and "guest" in refused.output and "Traceback" not in refused.output
    assert run("customers", "edit", ref, "--json", "-", input='{"account_type": "registered"}').exit_code == 0
    r = run("customers", "assist-link", ref)
    assert r.exit_code == 2 and "has not agreed to shopper assistance" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = run("customers", "assist-consent", ref, "--on")
    assert r.exit_code == 0 and "agrees to shopper assistance" in r.output, r.output
    r = run("customers", "assist-link", ref)  # the consent is sent first, then the link comes
    assert r.exit_code == 0, r.output
    assert f"{hq_server.url}/assist?token=" in r.output or "/assist?token=" in r.output
    r = run("hq", "online", "--db", hq_db)
    assert r.exit_code == 0 and "no customer is signed in online now" in r.output
    r = run("customers", "online", ref)
    assert r.exit_code == 0 and "never signed in online" in r.output, r.output


def test_hq_online_prints_the_reference_as_the_app_does():
    """`hq online`: YHW-NVR-5PY, never the bare YHWNVR5PY."""
    import uuid
    from datetime import datetime, timezone

    from pos_customers.cli.assistance import online_row
    from pos_customers.domain.assistance import OnlineCustomer

    at = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    row = online_row(OnlineCustomer(customer_id=str(uuid.uuid4()), reference="YHWNVR5PY", name="Anna Müller",
                                    home_store="BER01", signed_in_at=at, last_seen_at=at, expires_at=at))
    assert row.startswith("YHW-NVR-5PY Anna Müller"), row
