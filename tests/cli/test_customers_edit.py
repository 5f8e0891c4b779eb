"""`customers edit REF`: flags and a partial `show --json` document; bad input is one line and an
exit code, and nothing is written."""

import json
import sqlite3

import pytest

from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)


def q(db, sql, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture
def anna(store):
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de",
              "--phone", "0151 23456789")
    assert r.exit_code == 0, r.output
    return r.output.split()[1]


def test_flags_change_contacts_cards_status_and_details(store, anna):
    r = store("customers", "edit", anna, "--email-add", "anna@work.de", "--purpose", "anna@work.de=work",
              "--marketing-on", "anna@work.de", "--phone-add", "030 1234567", "--card-add", "2000012345678",
              "--status", "blocked", "--reason", "unpaid invoices", "--gender", "FEMALE", "--salutation", "MS",
              "--vat", "DE136695976", "--tax-exempt", "--credit-limit", "1500.50")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"saved {anna} Anna Müller:")
    db = store.db
    assert q(db, "SELECT status, status_reason, gender, salutation, vat_number, tax_exempt, credit_limit"
                 " FROM customer") == [("blocked", "unpaid invoices", "FEMALE", "MS", "DE136695976", 1, 150050)]
    assert q(db, "SELECT address, purpose, is_primary, marketing_consent FROM customer_email ORDER BY address") == [
        ("anna@gmx.de", "personal", 1, 0), ("anna@work.de", "work", 0, 1)]
    assert q(db, "SELECT e164 FROM customer_phone ORDER BY e164") == [("+4915123456789",), ("+49301234567",)]
    assert q(db, "SELECT number FROM customer_card") == [("2000012345678",)]
    assert q(db, "SELECT contact_value, granted FROM consent_event") == [("anna@work.de", 1)]
    (payload,), = q(db, "SELECT payload FROM outbox_event WHERE event_type = 'customer.updated'")
    assert set(json.loads(payload)["fields"]) == {"emails", "phones", "cards", "status", "status_reason", "gender",
                                                  "salutation", "vat_number", "tax_exempt", "credit_limit"}
    assert q(db, "SELECT count(*) FROM audit_event WHERE action = 'update'") == [(1,)]
    shown = store("customers", "search", "müller")
    assert "⊘ Anna Müller" in shown.output
    r = store("customers", "edit", anna, "--email-primary", "anna@work.de", "--email-remove", "anna@gmx.de",
              "--card-remove", "2000 0123 4567 8", "--status", "active", "--no-tax-exempt", "--credit-limit", "none")
    assert r.exit_code == 0, r.output
    assert q(db, "SELECT address, is_primary FROM customer_email") == [("anna@work.de", 1)]
    assert q(db, "SELECT status, status_reason, tax_exempt, credit_limit FROM customer") == [("active", "", 0, None)]
    assert q(db, "SELECT count(*) FROM customer_card") == [(0,)]
    r = store("customers", "edit", anna, "--gender", "FEMALE")
    assert r.exit_code == 0 and "nothing changed" in r.output


def test_json_takes_a_partial_show_document(store, anna, tmp_path):
    doc = json.loads(store("customers", "show", anna, "--json").output)
    doc["emails"].append({"address": "anna@work.de", "purpose": "work", "primary": False, "marketing_consent": True})
    path = tmp_path / "anna.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # the whole document, changed: accepted as it is
    r = store("customers", "edit", anna, "--json", path)
    assert r.exit_code == 0, r.output
    assert q(store.db, "SELECT count(*) FROM customer_email") == [(2,)]
    r = store("customers", "edit", anna, "--json", "-", "--salutation", "MS",
              input=json.dumps({"first_name": "Anne", "credit_limit": 99900, "cards": ["3000000000001"]}))
    assert r.exit_code == 0, r.output
    assert q(store.db, "SELECT first_name, salutation, credit_limit FROM customer") == [("Anne", "MS", 99900)]
    assert q(store.db, "SELECT count(*) FROM customer_email") == [(2,)]  # keys not given stay as they are
    assert q(store.db, "SELECT number FROM customer_card") == [("3000000000001",)]


@pytest.mark.parametrize("args, stdin, where", [
    (["--vat", "DE136695977"], None, "--vat:"),  # a refused field is named by its option
    (["--email-remove", "nobody@example.org"], None, "emails"),
    (["--status", "blocked"], None, "--reason:"),
    (["--status", "gone"], None, "status"),
    (["--gender", "W"], None, "gender"),
    (["--credit-limit", "12,345"], None, "--credit-limit:"),  # in a German store: 12.345 is twelve thousand
    (["--purpose", "anna@gmx.de"], None, "purpose"),
    (["--json", "-"], '{"first_name": ', "not valid JSON"),
    (["--json", "-"], '{"shoe_size": 42}', "shoe_size"),
    (["--json", "-"], '{"credit_limit": 12.5}', "--credit-limit:"),
    (["--json", "-"], '[1, 2]', "json"),
    (["--json", "/no/such/file.json"], None, "No such file"),
])
def test_bad_input_is_one_line_and_nothing_is_written(store, anna, args, stdin, where):
    before = q(store.db, "SELECT version FROM customer")
    r = store("customers", "edit", anna, *args, input=stdin)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and where in lines[0], r.output
    assert "Traceback" not in r.output
    assert q(store.db, "SELECT version FROM customer") == before
    assert q(store.db, "SELECT count(*) FROM audit_event WHERE action = 'update'") == [(0,)]


def test_an_unknown_customer_is_one_line(store):
    r = store("customers", "edit", "ZZZ-ZZZ-ZZZ", "--first", "X")
    assert r.exit_code == 1 and r.output.startswith("error:") and len(r.output.splitlines()) == 1


def test_must_change_password_for_a_registered_account_only(store, anna):
    r = store("customers", "edit", anna, "--must-change-password")
    assert r.exit_code == 2 and "make it Registered first" in r.output and len(r.output.strip().splitlines()) == 1
    r = store("customers", "edit", anna, "--json", "-", "--must-change-password",
              input=json.dumps({"account_type": "registered"}))
    assert r.exit_code == 0, r.output
    assert q(store.db, "SELECT account_type, must_change_password FROM customer") == [("registered", 1)]
    assert "must change at next sign-in" in store("customers", "show", anna).output
    assert store("customers", "edit", anna, "--no-must-change-password").exit_code == 0
    assert q(store.db, "SELECT must_change_password FROM customer") == [(0,)]
