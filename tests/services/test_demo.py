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


# what the demo is made of, as a digest: the customers a seed gives never change (the demo's
# generator is written for speed; these are the customers the plain one made)
_CONTENT = [
    "SELECT id, reference, store_code, customer_type, first_name, last_name, organization_name, birth_date,"
    " language, currency, group_code, receipt_option, created_at FROM customer ORDER BY id",
    "SELECT customer_id, address, marketing_consent, consent_changed_at FROM customer_email"
    " ORDER BY customer_id, address",
    "SELECT customer_id, e164, national FROM customer_phone ORDER BY customer_id, e164",
    "SELECT customer_id, line1, city, region, postal_code, country FROM customer_address ORDER BY customer_id, line1",
    "SELECT customer_id, number FROM customer_card ORDER BY number",
    "SELECT customer_id, affiliation_code FROM customer_affiliation ORDER BY customer_id",
]


def content_digest(path) -> str:
    import hashlib

    conn = sqlite3.connect(path)
    h = hashlib.sha256()
    for query in _CONTENT:
        for row in conn.execute(query):
            h.update(repr(row).encode())
    conn.close()
    return h.hexdigest()


def schema(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")}
    finally:
        conn.close()


def test_the_same_seed_gives_the_customers_it_always_gave(tmp_path):
    seed_demo(Database(tmp_path / "demo.db"), 600)
    assert content_digest(tmp_path / "demo.db") == "25c17de526cb5d5b4658f243564f3548650fb3d40d46810c7aa0c9a92979cabd"


def test_a_big_demo_made_with_its_indexes_after_the_load_is_the_same_file(tmp_path, monkeypatch):
    from pos_customers.services import demo
    from pos_customers.storage.search_index import integrity_problems

    plain = tmp_path / "plain.db"
    seed_demo(Database(plain), 300)
    monkeypatch.setattr(demo, "DEFER_FROM", 100)
    monkeypatch.setattr(demo, "BATCH", 100)
    monkeypatch.setattr(demo, "MAKER_FROM", 100)  # the rows made by another process, as for a big file
    deferred = tmp_path / "deferred.db"
    real, batches = demo._write, []

    def cut_short(conn, rows, consents):  # the build dies in its third batch: indexes and triggers are away
        batches.append(1)
        if len(batches) == 3:
            raise KeyboardInterrupt
        real(conn, rows, consents)

    monkeypatch.setattr(demo, "_write", cut_short)
    try:
        seed_demo(Database(deferred), 300)
    except KeyboardInterrupt:
        pass
    assert schema(deferred) != schema(plain)
    monkeypatch.setattr(demo, "_write", real)
    svc = seed_demo(Database(deferred), 300)  # the next run puts them back first, then goes on
    assert schema(deferred) == schema(plain)
    assert content_digest(deferred) == content_digest(plain)
    conn = sqlite3.connect(deferred)
    assert integrity_problems(conn) == []
    assert conn.execute("SELECT count(*) FROM setting WHERE key = 'demo_deferred_schema'").fetchone() == (0,)
    actor = Actor.command_line()
    name = conn.execute("SELECT last_name FROM customer WHERE last_name != '' LIMIT 1").fetchone()[0]
    assert search_customers(svc, actor, name).rows


def test_the_chains_customer_ids_are_in_the_order_they_were_made(tmp_path):
    """Version 7 UUIDs, as a till makes them: a file's customers and those it pulls later (the
    chain's newer ones) are keyed in the order they were made."""
    import uuid

    from pos_customers.services.demo import demo_documents

    seed_demo(Database(tmp_path / "demo.db"), 300)
    conn = sqlite3.connect(tmp_path / "demo.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM customer ORDER BY rowid")]
    conn.close()
    later = [d["id"] for d in demo_documents(50, first_sequence=300)]
    assert len(ids) == 300
    assert ids + later == sorted(ids + later) and len(set(ids + later)) == 350
    assert {uuid.UUID(i).version for i in ids + later} == {7}
    assert all(str(uuid.UUID(i)) == i for i in ids)
