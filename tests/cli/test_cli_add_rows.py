"""`customers add` in a process of its own writes what a save through the services writes in the app's
process: the customer and its rows, the search row and name keys, the consent rows, the outbox event
and the audit row, the reference counter (issue 15: the command loads no ORM, the save is the same)."""

import json
import re
import sqlite3
import subprocess
import sys

from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.cli.common import _actor
from pos_customers.domain.address import AddressInput
from pos_customers.domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
from pos_customers.domain.protocol import validate_payload
from pos_customers.services.context import Services
from pos_customers.services.customers import create_customer
from pos_customers.storage import audit_chain
from pos_customers.storage.engine import open_database

CHILD = """
import sys
sys.argv = ["pos-customers"] + sys.argv[1:]
from pos_customers.launch import main
main()
"""

VOLATILE = [  # what differs between two saves of the same customer a moment apart
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?"), "<moment>"),
    (re.compile(r"\d{13}-\d{5}-[A-Za-z0-9._:-]+"), "<hlc>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"),
]


def _normal(value):
    if not isinstance(value, str):
        return value
    for pattern, placeholder in VOLATILE:
        value = pattern.sub(placeholder, value)
    return value


def _rows(db) -> dict[str, set[tuple]]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {tuple(_normal(v) for v in row) for row in conn.execute(f'SELECT * FROM "{t}"')} for t in tables}
    finally:
        conn.close()


def _written(before: dict[str, set[tuple]], after: dict[str, set[tuple]]) -> dict[str, set[tuple]]:
    return {t: after[t] - before.get(t, set()) for t in after if after[t] - before.get(t, set())}


def test_a_customer_added_by_the_command_has_the_rows_of_one_saved_by_the_services(tmp_path):
    a = tmp_path / "command.db"
    r = CliRunner().invoke(app, ["init", "--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE",
                                 "--currency", "EUR", "--language", "de", "--db", str(a)])
    assert r.exit_code == 0, r.output
    b = tmp_path / "services.db"
    with sqlite3.connect(a) as src, sqlite3.connect(b) as dst:
        src.backup(dst)  # the same store, terminal and reference counter (the WAL's pages too)
    src.close()
    dst.close()
    before = _rows(a)
    assert before == _rows(b)

    p = subprocess.run([sys.executable, "-c", CHILD, "customers", "add", "--first", "Zoë", "--last", "Weiß",
                        "--email", "zoe@example.org", "--email", "z.weiss@example.org", "--phone", "0151 23456789",
                        "--street", "Hauptstr. 1", "--city", "Berlin", "--postal-code", "10115",
                        "--card", "4000123412341234", "--birth-date", "1990-02-03", "--marketing", "--db", str(a)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr

    svc = Services(open_database(b))
    try:
        create_customer(svc, _actor(), CustomerDraft(
            first_name="Zoë", last_name="Weiß", birth_date="1990-02-03",
            emails=[EmailInput("zoe@example.org", marketing_consent=True), EmailInput("z.weiss@example.org")],
            phones=[PhoneInput("0151 23456789", marketing_consent=True)],
            addresses=[AddressDraft(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code="10115"))],
            cards=["4000123412341234"]))
    finally:
        svc.db.dispose()

    by_command, by_services = _written(before, _rows(a)), _written(before, _rows(b))
    assert by_command == by_services
    for table in ("customer", "customer_email", "customer_phone", "customer_address", "customer_card",
                  "customer_search", "customer_match_key", "consent_event", "outbox_event", "audit_event"):
        assert by_command.get(table), table  # each was written (a table left out would compare equal)
    assert len(by_command["consent_event"]) == 2 and len(by_command["customer_email"]) == 2

    for db in (a, b):
        conn = sqlite3.connect(db)
        try:
            count, _head, problems = audit_chain.verify(conn)
            assert count >= 2 and problems == []
            (kind, payload), = conn.execute("SELECT event_type, payload FROM outbox_event"
                                            " WHERE event_type = 'customer.created'")
            assert conn.execute("SELECT count(*) FROM outbox_event").fetchone() == (2,)  # store, customer
        finally:
            conn.close()
        validate_payload(kind, json.loads(payload))
