"""One customer model: record <-> document, export -> import -> export, the import rules, and
demo data that passes every rule the app applies."""

import io
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from pos_customers.domain.record import DOCUMENT_FIELDS, CustomerRecord, fields_from_clean
from pos_customers.domain.merge import DOCUMENT_FIELDS as MERGED_FIELDS
from pos_customers.domain.reference import format_reference, make_reference
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, prepare
from pos_customers.services.demo import keep_home_store_only, seed_demo
from pos_customers.services.store import init_store
from pos_customers.services.transfer import export, import_csv
from pos_customers.storage import customers as rows
from pos_customers.storage import search_index
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from tests.helpers import person


def count(svc, sql, *args):
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def csv_of(svc) -> str:
    out = io.StringIO()
    export(svc, Actor.command_line(), out, fmt="csv")
    return out.getvalue()


def fresh_store(path, *, code="BER01", number=101) -> Services:
    db = Database(path)
    upgrade(db)
    svc = Services(db, now=lambda: datetime.now(timezone.utc))
    init_store(svc, Actor.command_line(), code=code, number=number, name="Fresh", country="DE",
               currency="EUR", language="de")
    return svc


def test_the_record_defines_the_document_fields():
    assert MERGED_FIELDS is DOCUMENT_FIELDS
    assert "emails" in DOCUMENT_FIELDS and "reference" not in DOCUMENT_FIELDS


def test_record_document_round_trip_keeps_the_wire_shape(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de", phone="0151 23456789",
                                                  postal="10115", cards=["2000000000001"]))
    with svc.db.read() as s:
        stored = rows.read(s, view.id)
    doc = stored.to_document()
    assert set(doc) == {"id", "reference", "store_code", "created_at", "anonymized_at", "fields", "clocks"}
    assert list(doc["fields"]) == list(DOCUMENT_FIELDS)
    assert doc["fields"]["phones"] == [{"e164": "+4915123456789", "purpose": "mobile", "primary": True,
                                        "marketing_consent": False}]
    again = rows.from_document(doc)
    assert again.to_document() == doc
    # what a pull writes is what the services wrote: same record, same search row
    assert replace(again, updated_at=stored.updated_at, last_activity_at=stored.last_activity_at,
                   version=stored.version, sync_state=stored.sync_state) == stored
    assert search_index.doc_from_record(again) == search_index.doc_from_record(stored)


def test_demo_export_imports_into_a_fresh_store_byte_for_byte(tmp_path):
    demo = seed_demo(Database(tmp_path / "demo.db"), 300)
    keep_home_store_only(demo)  # another store's customer is not this store's to restore
    actor = Actor.command_line()
    # every demo customer passes every rule the app applies, and is stored as the rules leave it
    with demo.db.read() as s:
        records = list(rows.iter_all(s))
        for record in records:
            clean = prepare(demo, s, draft_from_view(record), new=False).clean
            assert {k: getattr(record, k) for k in fields_from_clean(clean)} == fields_from_clean(clean)
    first = csv_of(demo)
    assert first.count("\n") == len(records) + 1
    number = count(demo, "SELECT number FROM store WHERE code = 'BER01'")
    fresh = fresh_store(tmp_path / "fresh.db", number=number)
    result = import_csv(fresh, actor, io.StringIO(first))
    assert result.bad_rows == [] and result.created == len(records)
    assert csv_of(fresh) == first
    # each imported row is audited and queued for headquarters
    assert count(fresh, "SELECT count(*) FROM audit_event WHERE action = 'import'") == len(records)
    assert count(fresh, "SELECT count(*) FROM outbox_event WHERE event_type = 'customer.created'") == len(records)
    # the restored references are never issued again
    new = create_customer(fresh, actor, person("Neu", "Kundin", email="neu@example.org"))
    assert new.reference not in {r.reference for r in records}
    # export, then import into the same store: nothing new, nothing written
    again = import_csv(demo, actor, io.StringIO(first))
    assert (again.created, again.updated, again.unchanged, again.bad_rows) == (0, 0, len(records), [])
    assert count(demo, "SELECT count(*) FROM customer") == len(records)
    assert csv_of(demo) == first


HEADER = "reference,first_name,last_name,email,city,postal_code\n"


def test_import_updates_a_known_reference_or_refuses_it(svc, manager):
    anna = create_customer(svc, manager, person(email="anna@gmx.de"))
    ref = format_reference(anna.reference)
    r = import_csv(svc, manager, io.StringIO(HEADER + f"{ref},Anna,Schmidt,anna@gmx.de,,\n"),
                   update=False)
    assert not r.written and "exists: not updated (--no-update)" in str(r.bad_rows[0])
    assert get_customer(svc, manager, anna.id).last_name == "Müller"
    r = import_csv(svc, manager, io.StringIO(HEADER + f"{ref},Anna,Schmidt,anna@gmx.de,,\n"))
    assert (r.created, r.updated, r.bad_rows) == (0, 1, [])
    after = get_customer(svc, manager, anna.id)
    assert after.last_name == "Schmidt" and after.version == anna.version + 1
    assert count(svc, "SELECT count(*) FROM customer") == 1
    assert count(svc, "SELECT count(*) FROM outbox_event WHERE event_type = 'customer.updated'") == 1
    assert count(svc, "SELECT count(*) FROM audit_event WHERE action = 'import'") == 1


def test_import_refuses_another_stores_reference_and_restores_its_own(svc, manager):
    theirs = format_reference(make_reference(102, 5, terminal=1))
    r = import_csv(svc, manager, io.StringIO(HEADER + f"{theirs},Bea,Berg,bea@example.org,,\n"))
    assert not r.written and "not a customer of this store" in str(r.bad_rows[0])
    bad = import_csv(svc, manager, io.StringIO(HEADER + "XXX-XXX-XX1,Bea,Berg,bea@example.org,,\n"))
    assert bad.bad_rows and bad.bad_rows[0].errors[0].field == "reference"
    number = count(svc, "SELECT number FROM store WHERE code = 'BER01'")
    ours = make_reference(number, 40, terminal=1)  # this till's 41st reference
    r = import_csv(svc, manager, io.StringIO(
        "reference,first_name,last_name,created_at\n"
        f"{format_reference(ours)},Bea,Berg,2024-05-01T10:00:00+00:00\n"))
    assert (r.created, r.bad_rows) == (1, [])
    bea = get_customer(svc, manager, ours)
    assert bea.created_at == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert count(svc, "SELECT value FROM setting WHERE key = 'reference_next'") == "41"
    assert count(svc, "SELECT count(*) FROM customer_search") == 1


def test_new_import_rows_go_through_the_duplicate_check(svc, manager):
    anna = create_customer(svc, manager, person(email="anna@gmx.de"))
    body = HEADER + ",Anna,Mueller,ANNA@gmx.de,,\n"
    r = import_csv(svc, manager, io.StringIO(body))
    assert not r.written and f"likely duplicate of {format_reference(anna.reference)}" in str(r.bad_rows[0])
    # rows of the same file count too
    twice = HEADER + ",Bo,Berg,bo@example.org,,\n,Bo,Berg,bo@example.org,,\n"
    r = import_csv(svc, manager, io.StringIO(twice), skip_bad=True)
    assert r.created == 1 and "likely duplicate" in str(r.bad_rows[0])
    r = import_csv(svc, manager, io.StringIO(body), allow_duplicate=True)
    assert (r.created, r.bad_rows) == (1, [])
    assert count(svc, "SELECT count(*) FROM customer") == 3


@pytest.mark.parametrize("kind", ["record"])
def test_records_compare_by_value(kind):
    a = CustomerRecord(id="x", reference="R", store_code="S", created_at=datetime(2026, 1, 1),
                       cards=("2", "1"), affiliations=("B", "A"))
    b = CustomerRecord(id="x", reference="R", store_code="S",
                       created_at=datetime(2026, 1, 1, tzinfo=timezone.utc), cards=("1", "2"),
                       affiliations=("A", "B"))
    assert a == b and a.to_document() == b.to_document()


def test_keeping_the_home_store_only_leaves_no_row_of_the_customers_removed(tmp_path):
    demo = seed_demo(Database(tmp_path / "demo.db"), 300)
    with demo.db.write() as s:  # a cached answer of headquarters about another store's customer
        conn = search_index.raw_connection(s)
        other = conn.execute("SELECT id FROM customer WHERE store_code != ? LIMIT 1", (demo.store_code,)).fetchone()[0]
        conn.execute("INSERT INTO customer_data_cache (kind, key, customer_id, doc, fetched_at)"
                     " VALUES ('cart', 'c-1', ?, '{}', '2026-12-03 10:00:00')", (other,))
    assert keep_home_store_only(demo) > 0
    with demo.db.read() as s:
        conn = search_index.raw_connection(s)
        tables = [r[0] for r in conn.execute(
            "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS"
            " (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'customer_id')")]
        assert "customer_data_cache" in tables
        for table in tables:
            left = conn.execute(f"SELECT count(*) FROM {table} WHERE customer_id != ''"
                                " AND customer_id NOT IN (SELECT id FROM customer)").fetchone()[0]
            assert left == 0, table


def test_a_csv_export_read_back_changes_nothing_the_row_cannot_say(svc, manager):
    """A CSV row has two emails and phones without purposes, one address, one card: importing the
    export over the same store keeps the rest as stored (purposes, a third email, the second
    address and card, the password flag) and writes nothing."""
    from pos_customers.domain.address import AddressInput
    from pos_customers.domain.customer import AddressDraft, EmailInput, PhoneInput
    from pos_customers.services.customers import draft_from_view, update_customer

    made = create_customer(svc, manager, person("Lea", "Wolf", "lea@example.org", "0151 23456789", "10115",
                                                account_type="registered"))
    draft = draft_from_view(get_customer(svc, manager, made.id))
    draft.emails = [EmailInput("lea@example.org", "work", True, True),
                    EmailInput("lea.wolf@gmx.de", "personal", False, True),
                    EmailInput("l.w@example.com", "work", False, False)]
    draft.phones = [PhoneInput("+4915123456789", "work", True, False), PhoneInput("+49301234567", "home")]
    draft.addresses = [*draft.addresses, AddressDraft(AddressInput("Ring 2", "", "Köln", "", "", "50667", "DE"),
                                                      None, False, False)]
    draft.cards, draft.must_change_password = ["2000012345678", "2000087654321"], True
    stored = update_customer(svc, manager, made.id, draft, opened=get_customer(svc, manager, made.id))
    out = io.StringIO()
    export(svc, manager, out, fmt="csv")
    r = import_csv(svc, manager, io.StringIO(out.getvalue()))
    assert (r.created, r.updated, r.unchanged, r.bad_rows) == (0, 0, 1, [])
    after = get_customer(svc, manager, made.id)
    assert after.version == stored.version
    assert sorted((e.address, e.purpose, e.marketing_consent) for e in after.emails) == [
        ("l.w@example.com", "work", False), ("lea.wolf@gmx.de", "personal", True), ("lea@example.org", "work", True)]
    assert len(after.addresses) == 2 and after.cards == ("2000012345678", "2000087654321")
    assert after.must_change_password is True
    # what the row does say still wins: a new first email replaces the stored one
    changed = out.getvalue().replace("lea@example.org", "lea.new@example.org")
    r = import_csv(svc, manager, io.StringIO(changed))
    assert (r.updated, r.bad_rows) == (1, [])
    assert [e.address for e in get_customer(svc, manager, made.id).emails][:1] == ["lea.new@example.org"]
