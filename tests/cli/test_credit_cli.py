"""`customers credit / credit-add / credit-correct`: on a till not connected to headquarters the
movements are queued (and counted in the balance to expect), bad input is one line, nothing written."""

import json
import sqlite3

from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)


def test_add_correct_and_show_store_credit(store):  # noqa: F811
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--phone", "0151 23456789")
    anna = r.output.split()[1]
    r = store("customers", "credit-add", anna, "25,50", "--reason", "Birthday voucher")
    assert r.exit_code == 0, r.output
    assert "+25,50 € queued for headquarters (balance to expect: 25,50 €)" in r.output
    r = store("customers", "credit-correct", "--reason", "Counted twice", anna, "--", "-5")
    assert r.exit_code == 0, r.output
    r = store("customers", "credit-correct", "--reason", "Too much", anna, "--", "-20.51")
    assert r.exit_code == 2 and "below zero" in r.output and "Traceback" not in r.output
    r = store("customers", "credit-add", anna, "1,999", "--reason", "x")  # 1.999: a thousand in de
    assert r.exit_code == 2 and r.output.strip().endswith("has more than 2 decimal places")
    r = store("customers", "credit-add", anna, "5", "--reason", " ")
    assert r.exit_code == 2 and "reason" in r.output
    r = store("customers", "credit", anna)
    assert r.exit_code == 0, r.output
    assert "store credit: 0,00 € (headquarters not asked yet, not connected)" in r.output
    assert "queued here: +20,50 € -> 20,50 €" in r.output and "Counted twice" in r.output
    doc = json.loads(store("customers", "credit", anna, "--json").output)
    assert doc["balances"] == [{"currency": "EUR", "balance_minor": 0, "queued_minor": 2050, "expected_minor": 2050}]
    assert [p["amount_minor"] for p in doc["pending"]] == [-500, 2550]
    db = sqlite3.connect(store.db)
    assert db.execute("SELECT count(*) FROM outbox_event WHERE event_type = 'credit.moved'").fetchone() == (2,)
    assert [a for (a,) in db.execute("SELECT action FROM audit_event WHERE action LIKE 'credit_%' ORDER BY id")] == [
        "credit_added", "credit_corrected"]
