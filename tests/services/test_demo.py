import sqlite3

from pos_customers.services.search import search_customers
from pos_customers.services.context import Actor
from pos_customers.services.demo import seed_demo
from pos_customers.services.doctor import run_checks
from pos_customers.storage.engine import Database


def snapshot(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT reference, first_name, last_name, organization_name, birth_date"
                            " FROM customer ORDER BY reference").fetchall()
    finally:
        conn.close()


def test_demo_is_deterministic_and_realistic(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    svc = seed_demo(Database(a), 600)
    seed_demo(Database(b), 600)
    assert snapshot(a) == snapshot(b) and len(snapshot(a)) == 600
    conn = sqlite3.connect(a)
    countries = {r[0] for r in conn.execute("SELECT DISTINCT country FROM customer_address")}
    assert {"DE", "FR", "GB", "US"} <= countries
    assert conn.execute("SELECT count(*) FROM customer_email").fetchone()[0] > 400
    assert conn.execute("SELECT count(*) FROM associate").fetchone()[0] == 2
    actor = Actor.command_line()
    assert all(c.ok for c in run_checks(svc, actor)), run_checks(svc, actor)
    assert search_customers(svc, actor, "").rows  # the demo store has recent customers


def test_demo_grows_without_changing_existing_customers(tmp_path):
    path = tmp_path / "grow.db"
    seed_demo(Database(path), 300)
    first = snapshot(path)
    seed_demo(Database(path), 500)
    grown = snapshot(path)
    assert len(grown) == 500 and set(first) <= set(grown)
    fresh = tmp_path / "fresh.db"
    seed_demo(Database(fresh), 500)
    assert snapshot(fresh) == grown


def test_the_demo_template_prints_a_receipt_unless_an_email_is_given(tmp_path):
    """BER01's template asks for email receipts: a customer without an email still saves, with a
    printed receipt; one with an email gets the template's email receipt."""
    from pos_customers.domain.customer import CustomerDraft, EmailInput
    from pos_customers.services.customers import create_customer, template_draft

    svc = seed_demo(Database(tmp_path / "demo.db"), 20)
    actor = Actor.command_line()
    assert template_draft(svc, actor).receipt_option == "email"  # the template's intent, for the form
    zoe = create_customer(svc, actor, CustomerDraft(first_name="Zoë", last_name="Weiß"))
    assert zoe.receipt_option == "print"
    anna = create_customer(svc, actor, CustomerDraft(first_name="Anna", last_name="Kurz",
                                                     emails=[EmailInput("anna.kurz@example.org")]))
    assert anna.receipt_option == "email"
    # what the associate chose explicitly is kept, and checked as before
    ben = create_customer(svc, actor, CustomerDraft(first_name="Ben", last_name="Roth", receipt_option="none"))
    assert ben.receipt_option == "none"
