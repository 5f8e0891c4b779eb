"""A till numbers its customers from (store number, its terminal number, its own sequence)."""

from __future__ import annotations

import pytest

from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.reference import (MAX_TERMINAL_SEQUENCE, ReferenceOrigin, decode_reference,
                                            make_legacy_reference)
from pos_customers.services.context import Services
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.services.store import init_store
from pos_customers.services.terminal import ReferencesExhausted, reference_origin, set_terminal_number
from tests.conftest import FIXED_NOW
from tests.helpers import person


def settings(svc, *keys):
    with svc.db.snapshot() as conn:
        found = dict(conn.execute("SELECT key, value FROM setting"))
    return tuple(found.get(k) for k in keys)


def count(svc, sql):
    with svc.db.snapshot() as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_new_till_is_till_1_and_counts_its_own_sequence(svc, admin):
    assert settings(svc, "terminal_number", "reference_next") == ("1", "0")
    a = create_customer(svc, admin, person("Anna", "Müller"))
    b = create_customer(svc, admin, person("Bob", "Bauer"))
    assert decode_reference(a.reference) == ReferenceOrigin(101, 0, 1)
    assert decode_reference(b.reference) == ReferenceOrigin(101, 1, 1)
    assert settings(svc, "reference_next") == ("2",)


def test_init_terminal_n_numbers_references_with_that_till(db, admin):
    svc = Services(db, now=lambda: FIXED_NOW)
    init_store(svc, admin, code="BER01", number=101, name="Berlin", country="DE", currency="EUR",
               language="de", terminal=7)
    view = create_customer(svc, admin, person("Anna", "Müller"))
    assert decode_reference(view.reference) == ReferenceOrigin(101, 0, 7)
    assert reference_origin(view.reference) == "store 101, till 7"
    # running init again without --terminal keeps the number
    init_store(svc, admin, code="BER01", number=101, name="Berlin", country="DE", currency="EUR", language="de")
    assert settings(svc, "terminal_number", "reference_next") == ("7", "1")


@pytest.mark.parametrize("bad", [0, 65, -1])
def test_a_terminal_number_out_of_range_is_refused_and_nothing_is_written(db, admin, bad):
    svc = Services(db, now=lambda: FIXED_NOW)
    with pytest.raises(ValidationFailed, match="terminal: Terminal number must be between 1 and 64"):
        init_store(svc, admin, code="BER01", number=101, name="Berlin", country="DE", currency="EUR",
                   language="de", terminal=bad)
    assert count(svc, "SELECT count(*) FROM setting") == 0 and count(svc, "SELECT count(*) FROM store") == 0


def test_a_failed_create_does_not_move_the_sequence(svc, admin):
    with pytest.raises(ValidationFailed):
        create_customer(svc, admin, person(email="not-an-email"))
    assert settings(svc, "reference_next") == ("0",)
    view = create_customer(svc, admin, person())
    assert decode_reference(view.reference).sequence == 0


def test_a_database_from_before_terminal_numbers_works_as_till_1_and_keeps_its_references(svc, admin):
    old = create_customer(svc, admin, person("Anna", "Müller"))
    legacy = make_legacy_reference(101, 0)  # what the earlier code gave her
    conn = svc.db.raw()
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE customer SET reference = ? WHERE id = ?", (legacy, old.id))
        conn.execute("DELETE FROM setting WHERE key IN ('terminal_number', 'reference_next')")
        conn.execute("COMMIT")
    finally:
        conn.close()
    svc.forget_settings()
    assert get_customer(svc, admin, legacy).id == old.id
    assert reference_origin(legacy) == "store 101"
    new = create_customer(svc, admin, person("Bob", "Bauer"))
    assert decode_reference(new.reference) == ReferenceOrigin(101, 0, 1)
    assert new.reference != legacy


def test_a_till_that_used_every_reference_is_refused_with_what_to_do(svc, admin):
    with svc.db.write() as s:
        set_terminal_number(s, 5)
    conn = svc.db.raw()
    try:
        conn.execute("UPDATE setting SET value = ? WHERE key = 'reference_next'", (str(MAX_TERMINAL_SEQUENCE),))
    finally:
        conn.close()
    last = create_customer(svc, admin, person("Anna", "Müller"))
    assert decode_reference(last.reference) == ReferenceOrigin(101, MAX_TERMINAL_SEQUENCE, 5)
    before = count(svc, "SELECT count(*) FROM customer"), count(svc, "SELECT count(*) FROM outbox_event")
    with pytest.raises(ReferencesExhausted) as info:
        create_customer(svc, admin, person("Bob", "Bauer"))
    message = str(info.value)
    assert "till 5 of store 101 has issued all 524,288 customer references" in message
    assert "re-enrol this till to get a new terminal number" in message and "\n" not in message
    assert (count(svc, "SELECT count(*) FROM customer"), count(svc, "SELECT count(*) FROM outbox_event")) == before
    # a new number (re-enrolment) starts that number's own sequence
    with svc.db.write() as s:
        set_terminal_number(s, 6)
    assert decode_reference(create_customer(svc, admin, person("Bob", "Bauer")).reference) == \
        ReferenceOrigin(101, 0, 6)


def test_going_back_to_an_earlier_number_does_not_repeat_its_references(svc, admin):
    first = create_customer(svc, admin, person("Anna", "Müller"))
    with svc.db.write() as s:
        set_terminal_number(s, 2)
    create_customer(svc, admin, person("Bob", "Bauer"))
    with svc.db.write() as s:
        set_terminal_number(s, 1)
    again = create_customer(svc, admin, person("Carl", "Cramer"))
    assert decode_reference(first.reference) == ReferenceOrigin(101, 0, 1)
    assert decode_reference(again.reference) == ReferenceOrigin(101, 1, 1)


def test_an_enrolment_answer_without_a_terminal_number_is_refused_and_writes_nothing(db, admin):
    import httpx

    from pos_customers.services.sync import enrol_terminal

    store = {"code": "BER01", "number": 101, "name": "Berlin", "country": "DE", "currency": "EUR",
             "language": "de", "region": ""}
    old_hq = httpx.MockTransport(lambda request: httpx.Response(
        200, json={"terminal_id": "t-1", "credential": "c" * 40, "store": store}))
    svc = Services(db, now=lambda: FIXED_NOW)
    with pytest.raises(ValidationFailed, match="terminal: headquarters assigned no terminal number .*upgrade"):
        enrol_terminal(svc, admin, "http://hq.test", "t" * 20, transport=old_hq)
    assert count(svc, "SELECT count(*) FROM setting") == 0
    numbered = httpx.MockTransport(lambda request: httpx.Response(
        200, json={"terminal_id": "t-2", "credential": "c" * 40, "store": store, "terminal_number": 9}))
    enrol_terminal(svc, admin, "http://hq.test", "t" * 20, transport=numbered)
    assert settings(svc, "terminal_number", "reference_next", "terminal_id") == ("9", "0", "t-2")
    assert decode_reference(create_customer(svc, admin, person()).reference) == ReferenceOrigin(101, 0, 9)


def test_the_demo_till_is_till_1_and_its_bulk_customers_come_from_terminal_0(tmp_path):
    from pos_customers.services.demo import seed_demo
    from pos_customers.storage.engine import Database

    svc = seed_demo(Database(tmp_path / "demo.db"), 120)
    with svc.db.snapshot() as conn:
        bulk = [(r, code) for r, code in conn.execute("SELECT reference, store_code FROM customer")]
        numbers = dict(conn.execute("SELECT code, number FROM store"))
    origins = {ref: decode_reference(ref) for ref, _ in bulk}
    assert {o.terminal for o in origins.values()} == {0}
    assert all(origins[ref].store_number == numbers[code] for ref, code in bulk)
    assert settings(svc, "terminal_number") == ("1",)
    made = create_customer(svc, svc_admin(), person("Zoë", "Weiß", "zoe@example.org"))
    assert decode_reference(made.reference) == ReferenceOrigin(numbers["BER01"], 0, 1)
    assert made.reference not in origins
    assert str(reference_origin(next(iter(origins)))).endswith(", loaded in bulk")


def svc_admin():
    from pos_customers.services.context import Actor

    return Actor.command_line()
