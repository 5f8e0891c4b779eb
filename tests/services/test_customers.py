import sqlite3

import pytest
from sqlmodel import select

from pos_customers.domain.customer import CustomerDraft, EmailInput, PhoneInput
from pos_customers.domain.errors import ValidationFailed
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import (StaleEdit, create_customer, draft_from_view,
                                              find_duplicates, get_customer, template_draft,
                                              update_customer)
from pos_customers.storage.tables import AuditEvent, ConsentEvent, OutboxEvent, StoreTemplate
from tests.helpers import person


def rows(svc, sql, *args):
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def set_template(svc, **values):
    with svc.db.write() as s:
        t = s.get(StoreTemplate, "BER01")
        for k, v in values.items():
            setattr(t, k, v)
        s.add(t)


def test_create_writes_customer_audit_and_outbox_together(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de", phone="0151 23456789", postal="10115"))
    assert rows(svc, "SELECT first_name, last_name, store_code FROM customer") == [("Anna", "Müller", "BER01")]
    audit = rows(svc, "SELECT associate_number, terminal_id, entity, entity_id, action FROM audit_event"
                      " WHERE entity = 'customer'")
    assert audit == [("1002", "T-test", "customer", view.id, "create")]
    assert rows(svc, "SELECT event_type, entity_id FROM outbox_event WHERE entity = 'customer'") == [
        ("customer.created", view.id)]
    assert view.reference and get_customer(svc, associate, view.reference).id == view.id


def test_customers_made_one_after_another_get_ids_in_that_order(svc, associate):
    """Version 7 UUIDs: a customer's rows and those of its emails, phones and addresses are keyed
    at the end of their indexes, never at a random page of them."""
    import uuid

    made = [create_customer(svc, associate, person("Anna", "Test" + "abcde"[n], f"anna{n}@gmx.de")).id for n in range(5)]
    assert made == sorted(made) and {uuid.UUID(i).version for i in made} == {7}
    assert [r[0] for r in rows(svc, "SELECT id FROM customer ORDER BY rowid")] == made
    children = [r[0] for r in rows(svc, "SELECT id FROM customer_email ORDER BY rowid")]
    assert children == sorted(children) and {uuid.UUID(i).version for i in children} == {7}


def test_failed_create_leaves_nothing(svc, associate):
    before = rows(svc, "SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM audit_event),"
                       " (SELECT count(*) FROM outbox_event), (SELECT next_sequence FROM store)")
    with pytest.raises(ValidationFailed):
        create_customer(svc, associate, person(email="not-an-email"))
    after = rows(svc, "SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM audit_event),"
                      " (SELECT count(*) FROM outbox_event), (SELECT next_sequence FROM store)")
    assert before == after


def test_card_owned_by_another_customer_rolls_back_everything(svc, associate):
    create_customer(svc, associate, person(cards=["2000000000001"]))
    count = rows(svc, "SELECT count(*) FROM customer")
    with pytest.raises(ValidationFailed, match="another customer"):
        create_customer(svc, associate, person("Bob", "Bauer", cards=["2000000000001"]))
    assert rows(svc, "SELECT count(*) FROM customer") == count
    assert rows(svc, "SELECT count(*) FROM customer_search") == count


def test_template_is_applied_to_new_customers(svc, associate):
    set_template(svc, group_code="LOYAL", receipt_option="both", receipt_email="bons@store.example",
                 affiliations=["CLUB", "STUDENT"], currency="EUR", language="de")
    view = create_customer(svc, associate, person())
    assert view.group_code == "LOYAL" and view.receipt_option == "both"
    assert view.receipt_email == "bons@store.example"
    assert view.affiliations == ("CLUB", "STUDENT")
    assert view.financial_dimensions == {"BusinessUnit": "Stores", "Department": "Loyalty", "CostCenter": "110"}
    own = create_customer(svc, associate, person("Eva", "Lang", receipt_email="eva@lang.de"))
    assert own.receipt_email == "eva@lang.de"
    assert template_draft(svc, associate).group_code == "LOYAL"


def test_template_address_country_used_for_new_addresses(svc, associate):
    draft = person(postal="10115")
    draft.addresses[0].address.country = ""
    assert create_customer(svc, associate, draft).addresses[0].country == "DE"


def test_edit_writes_only_changed_fields_and_audits_them(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de", phone="0151 23456789"))
    draft = draft_from_view(view)
    draft.phones = [PhoneInput("0170 1234567")]
    after = update_customer(svc, associate, view.id, draft, opened=view)
    assert after.version == 2 and after.phones[0].e164 == "+491701234567"
    changes = rows(svc, "SELECT changes FROM audit_event WHERE action = 'update'")
    assert len(changes) == 1
    import json
    diff = json.loads(changes[0][0])
    assert list(diff) == ["phones"]
    assert diff["phones"]["old"] == ["+4915123456789 (mobile, primary)"]


def test_saving_without_changes_writes_nothing(svc, associate):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    n = rows(svc, "SELECT count(*) FROM audit_event")
    same = update_customer(svc, associate, view.id, draft_from_view(view), opened=view)
    assert same.version == 1 and rows(svc, "SELECT count(*) FROM audit_event") == n


def test_stale_edit_is_refused_and_says_what_changed(svc, associate, manager):
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    other = draft_from_view(view)
    other.last_name = "Schmidt"
    update_customer(svc, manager, view.id, other, opened=view)
    mine = draft_from_view(view)
    mine.first_name = "Anne"
    with pytest.raises(StaleEdit) as exc:
        update_customer(svc, associate, view.id, mine, opened=view)
    assert exc.value.changed == {"last_name": ("Müller", "Schmidt")}
    assert get_customer(svc, associate, view.id).first_name == "Anna"


def test_search_index_follows_edits(svc, associate):
    from pos_customers.services.search import search_customers
    view = create_customer(svc, associate, person(email="anna@gmx.de"))
    draft = draft_from_view(view)
    draft.last_name = "Schmidt"
    update_customer(svc, associate, view.id, draft, opened=view)
    assert [r.customer_id for r in search_customers(svc, associate, "anna schmidt").rows] == [view.id]
    assert search_customers(svc, associate, "müller").rows == []


def test_marketing_consent_history(svc, associate):
    view = create_customer(svc, associate, CustomerDraft(
        first_name="Anna", last_name="Berg", emails=[EmailInput("anna@berg.de", marketing_consent=True)]))
    draft = draft_from_view(view)
    draft.emails[0].marketing_consent = False
    update_customer(svc, associate, view.id, draft, opened=view)
    history = rows(svc, "SELECT contact_value, granted, store_code, associate_number FROM consent_event"
                        " ORDER BY at, granted DESC")
    assert history == [("anna@berg.de", 1, "BER01", "1002"), ("anna@berg.de", 0, "BER01", "1002")]


@pytest.mark.parametrize("variant", ["Meyer", "Maier", "Mayer"])
def test_duplicate_finder_similar_names_with_birth_date(svc, associate, variant):
    existing = create_customer(svc, associate, person("Hans", "Meier", birth="1970-05-01"))
    hits = find_duplicates(svc, associate, person("Hans", variant, birth="1970-05-01"))
    assert [h.customer_id for h in hits] == [existing.id]
    assert "similar name" in hits[0].reasons[0] and "date of birth" in hits[0].reasons[0]


def test_duplicate_finder_postal_code_email_and_phone(svc, associate):
    existing = create_customer(svc, associate, person("Hans", "Meier", "hans@meier.de", "0151 11122233", "10115"))
    by_postal = find_duplicates(svc, associate, person("Hans", "Meyer", postal="10115"))
    assert by_postal[0].customer_id == existing.id and "postal code 10115" in by_postal[0].reasons[0]
    assert "same email" in find_duplicates(svc, associate, person("X", "Y", email="HANS@meier.de"))[0].reasons[0]
    assert "same phone" in find_duplicates(svc, associate, person("X", "Y", phone="+49 151 11122233"))[0].reasons[0]


def test_duplicate_finder_ignores_different_people(svc, associate):
    create_customer(svc, associate, person("Hans", "Meier", birth="1970-05-01", postal="10115"))
    assert find_duplicates(svc, associate, person("Hans", "Meier", birth="1980-01-01")) == []
    assert find_duplicates(svc, associate, person("Paula", "Meier", birth="1970-05-01")) == []
    assert find_duplicates(svc, associate, person("Hans", "Schulz", birth="1970-05-01")) == []
    assert find_duplicates(svc, associate, CustomerDraft(emails=[EmailInput("half@")])) == []


def test_associate_cannot_import_export_or_run_diagnostics(svc, associate):
    import io
    from pos_customers.services.doctor import run_checks
    from pos_customers.services.transfer import export, import_csv
    before = rows(svc, "SELECT count(*) FROM audit_event")
    with pytest.raises(PermissionDenied, match="associate"):
        export(svc, associate, io.StringIO())
    with pytest.raises(PermissionDenied):
        import_csv(svc, associate, io.StringIO("first_name,last_name\nA,B\n"))
    with pytest.raises(PermissionDenied):
        run_checks(svc, associate)
    assert rows(svc, "SELECT count(*) FROM audit_event") == before


def test_support_reads_but_does_not_create(svc, associate):
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor
    support = Actor("3000", "Sam", Role.SUPPORT, "T-ssh")
    view = create_customer(svc, associate, person())
    assert get_customer(svc, support, view.reference).id == view.id
    with pytest.raises(PermissionDenied, match="create customers"):
        create_customer(svc, support, person("Eva", "Lang"))


def test_rebase_keeps_their_fields_and_my_changes(svc, associate, manager):
    from pos_customers.services.customers import rebase_draft
    view = create_customer(svc, associate, person("Hans", "Meier", email="hans@meier.de"))
    theirs = draft_from_view(view)
    theirs.last_name = "Meier-Schulz"
    update_customer(svc, manager, view.id, theirs, opened=view)
    mine = draft_from_view(view)
    mine.first_name = "Johann"
    with pytest.raises(StaleEdit) as exc:
        update_customer(svc, associate, view.id, mine, opened=view)
    merged = rebase_draft(mine, view, exc.value.current)
    saved = update_customer(svc, associate, view.id, merged, opened=exc.value.current)
    assert (saved.first_name, saved.last_name, saved.emails[0].address) == ("Johann", "Meier-Schulz", "hans@meier.de")


def test_consent_time_survives_unrelated_edits(db, admin):
    from datetime import datetime, timedelta, timezone
    from pos_customers.services.context import Services
    from pos_customers.services.store import init_store
    clock = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    svc = Services(db, now=lambda: clock[0])
    init_store(svc, admin, code="BER01", number=101, name="B", country="DE", currency="EUR", language="de")
    view = create_customer(svc, admin, CustomerDraft(
        first_name="Anna", last_name="Berg", emails=[EmailInput("anna@berg.de", marketing_consent=True)]))
    clock[0] += timedelta(days=30)
    draft = draft_from_view(view)
    draft.phones = [PhoneInput("0151 23456789")]
    update_customer(svc, admin, view.id, draft, opened=view)
    assert rows(svc, "SELECT consent_changed_at FROM customer_email") == [("2026-01-01 00:00:00.000000",)]
    assert rows(svc, "SELECT count(*) FROM consent_event") == [(1,)]
