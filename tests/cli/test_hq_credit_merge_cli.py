"""`hq credit add|correct|show` and `hq merge-customers`: headquarters' own store credit movements
(with a reason, audited, never below zero) and its merge of two customers, by reference."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.domain.reference import format_reference
from pos_customers.hq import tables as t
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from tests import templates
from tests.hq.test_api import created, ref


def test_credit_at_headquarters_and_a_merge_from_the_command_line(tmp_path):
    url = templates.hq_sqlite_url(tmp_path / "hq.db")
    hq = Headquarters(make_engine(url))
    token = hq.add_store("BER01", "Berlin", country="DE")
    credential = hq.enrol(token)[1]
    who = hq.authenticate(credential)
    anna, ann = str(uuid.uuid4()), str(uuid.uuid4())
    hq.push(who, [created(anna, ref(0), "BER01", "0000000000001-00000-a"),
                  created(ann, ref(1), "BER01", "0000000000002-00000-a", first="Ann", phones=[
                      {"e164": "+4915112345678", "purpose": "mobile", "primary": True, "marketing_consent": False}])])
    runner = CliRunner()
    db = str(tmp_path / "hq.db")

    def run(*args):
        r = runner.invoke(app, ["hq", *args, "--db", db])
        assert "Traceback" not in r.output
        return r

    annas = format_reference(ref(0))
    r = run("credit", "add", annas, "--amount", "25.00", "--reason", "Goodwill: late delivery")
    assert r.exit_code == 0, r.output
    assert "25.00" in r.output.replace(",", ".") and "balance" in r.output
    assert run("credit", "correct", annas, "--amount", "-30.00", "--reason", "Typo").exit_code == 1  # below zero
    assert run("credit", "add", annas, "--amount", "5", "--reason", " ").exit_code == 2
    assert run("credit", "add", annas, "--amount", "five", "--reason", "x").exit_code == 2
    assert run("credit", "correct", annas, "--amount", "-5.00", "--reason", "Typo").exit_code == 0
    assert run("credit", "add", format_reference(ref(1)), "--amount", "10", "--reason", "Refund W-9").exit_code == 0
    shown = run("credit", "show", annas).output
    assert "Typo" in shown and "Goodwill" in shown

    r = run("merge-customers", format_reference(ref(1)), annas)
    assert r.exit_code == 0 and "merged into" in r.output, r.output
    assert "already" in run("merge-customers", format_reference(ref(1)), annas).output
    assert run("merge-customers", annas, format_reference(ref(1))).exit_code == 1  # the other way: refused
    # Ann's reference now leads to Anna: her credit follows
    assert run("credit", "add", format_reference(ref(1)), "--amount", "1", "--reason", "after").exit_code == 0
    with hq.engine.connect() as conn:
        fields = json.loads(conn.execute(select(t.customer.c.fields).where(t.customer.c.id == anna)).scalar_one())
        balances = {cid: sum(a for c, a in conn.execute(select(t.credit_movement.c.customer_id,
                                                                t.credit_movement.c.amount_minor)).all() if c == cid)
                    for cid in (anna, ann)}
        actions = [json.loads(r)["action"] for r in conn.execute(select(t.audit.c.row)).scalars()]
    assert [p["e164"] for p in fields["phones"]] == ["+4915112345678"]
    assert balances == {anna: 2000 + 1000 + 100, ann: 0}
    assert actions.count("credit_added") == 3 and "credit_corrected" in actions and "merged_into" in actions
    hq.engine.dispose()
