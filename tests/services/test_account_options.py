"""A store's account options (hidden, optional, required fields of the new-customer form), applied
by the services wherever a customer is created or edited: the form, the command line, import."""

from __future__ import annotations

import io
import json

import pytest

from pos_customers.domain.account_options import CONFIGURABLE, OPTION_FIELDS, AccountOptions, FieldOption
from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.record import CustomerRecord
from pos_customers.services import account_options as ao
from pos_customers.services.context import Actor, PermissionDenied
from pos_customers.services.customers import create_customer, draft_from_view, update_customer, validate_draft
from pos_customers.services.transfer import import_csv
from pos_customers.domain.enums import Role
from tests.helpers import person
from tests.services.test_customers import rows


@pytest.fixture
def manager():
    return Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01")


def test_the_fields_come_from_the_record_and_default_to_todays_form(svc, manager, associate):
    names = [f.name for f in OPTION_FIELDS if not f.part]
    record_order = [n for n in CustomerRecord.__dataclass_fields__ if n in names]
    assert names == record_order  # derived from the record, in its order
    # an address's own lines with an option (AddressRecord's metadata) come right after the addresses
    assert [f.name for f in OPTION_FIELDS if f.part] == ["address_line2"]
    assert [f.name for f in OPTION_FIELDS].index("address_line2") == names.index("addresses") + 1
    assert set(CONFIGURABLE) >= {"salutation", "title", "middle_name", "company", "birth_date", "gender",
                                 "vat_number", "emails", "phones", "addresses"}
    view = ao.options_view(svc, manager)
    assert {r.field.name: r.level for r in view.rows if not r.field.needed} == {
        n: FieldOption.OPTIONAL for n in CONFIGURABLE}
    assert rows(svc, "SELECT account_options FROM store_template") == [("{}",)]
    # a store that never chose: what was always accepted still is, empty or filled
    create_customer(svc, associate, person())
    create_customer(svc, associate, person("Ben", "Berg", email="ben@example.com", phone="030 1234567",
                                           postal="10115", birth="1980-02-03", company="ACME", title="Dr.",
                                           middle_name="K", vat_number="DE136695976", gender="MALE"))
    assert rows(svc, "SELECT count(*) FROM customer") == [(2,)]


def test_required_fields_are_refused_empty_with_one_message_each(svc, manager, associate):
    ao.set_account_options(svc, manager, birth_date="required", emails="REQUIRED", addresses="required")
    with pytest.raises(ValidationFailed) as exc:
        create_customer(svc, associate, person(first="Cleo", last="Ray", phone="nope"))
    got = {e.field: e.message for e in exc.value.errors}
    assert got["birth_date"] == "Date of birth is required in this store"
    assert got["emails.0.address"] == "Email is required in this store"
    assert got["addresses"] == "Address is required in this store"
    assert "phones.0.number" in got  # the other checks are listed with them
    assert rows(svc, "SELECT count(*) FROM customer") == [(0,)]
    # the live check of the form says the same
    assert {e.field for e in validate_draft(svc, associate, person())} == {
        "birth_date", "emails.0.address", "addresses"}
    c = create_customer(svc, associate, person(birth="1990-05-06", email="cleo@example.com", postal="10115"))
    assert str(c.birth_date) == "1990-05-06"
    # an organization is not asked a person's date of birth
    org = create_customer(svc, associate, person(first="", last="", customer_type="organization",
                                                 organization_name="ACME GmbH", email="info@acme.example",
                                                 postal="10115"))
    assert org.birth_date is None


def test_an_edit_may_not_empty_a_required_field_but_older_customers_stay_editable(svc, manager, associate):
    old = create_customer(svc, associate, person())  # saved before the store required a birth date
    dated = create_customer(svc, associate, person("Ben", "Berg", birth="1980-02-03"))
    ao.set_account_options(svc, manager, birth_date="required")
    draft = draft_from_view(old)
    draft.company = "ACME"
    assert update_customer(svc, associate, old.id, draft, opened=old).company == "ACME"
    draft = draft_from_view(dated)
    draft.birth_date = None
    with pytest.raises(ValidationFailed, match="Date of birth is required in this store"):
        update_customer(svc, associate, dated.id, draft, opened=dated)
    assert [e.field for e in validate_draft(svc, associate, draft, new=False, before=dated)] == ["birth_date"]


def test_hidden_fields_take_no_value_and_edits_keep_the_one_a_customer_has(svc, manager, associate):
    had = create_customer(svc, associate, person("Ben", "Berg", phone="030 1234567", birth="1980-02-03"))
    ao.set_account_options(svc, manager, phones="hidden", birth_date="hidden", vat_number="hidden")
    with pytest.raises(ValidationFailed) as exc:
        create_customer(svc, associate, person(phone="030 7654321", birth="1970-01-01"))
    assert {e.field: e.message for e in exc.value.errors} == {
        "phones.0.number": "Phone is not asked in this store: leave it empty",
        "birth_date": "Date of birth is not asked in this store: leave it empty"}
    create_customer(svc, associate, person())  # without them: fine
    # an edit keeps what the customer has, unchanged; a new or changed value is refused
    draft = draft_from_view(had)
    draft.company = "ACME"
    had = update_customer(svc, associate, had.id, draft, opened=had)
    assert (had.company, had.primary_phone, str(had.birth_date)) == ("ACME", "030 1234567", "1980-02-03")
    draft = draft_from_view(had)
    draft.birth_date = "1981-02-03"
    with pytest.raises(ValidationFailed, match="Date of birth is not asked in this store"):
        update_customer(svc, associate, had.id, draft, opened=had)
    draft = draft_from_view(had)
    draft.birth_date = None  # removing it is fine
    assert update_customer(svc, associate, had.id, draft, opened=had).birth_date is None


def test_import_applies_them(svc, manager, associate):
    ao.set_account_options(svc, manager, birth_date="required", company="hidden")
    source = io.StringIO("first_name,last_name,birth_date,company\nAnna,Alt,1970-01-01,\nBen,Berg,,\n"
                         "Cleo,Ray,1980-01-01,ACME\n")
    result = import_csv(svc, manager, source, skip_bad=True)
    assert result.created == 1
    assert {(b.row, e.field, str(e.message)) for b in result.bad_rows for e in b.errors} == {
        (3, "birth_date", "Date of birth is required in this store"),
        (4, "company", "Company is not asked in this store: leave it empty")}


def test_a_needed_name_cannot_be_hidden_and_bad_choices_change_nothing(svc, manager):
    with pytest.raises(ValidationFailed) as exc:
        ao.set_account_options(svc, manager, last_name="hidden", first_name="optional", birth_date="maybe",
                               cards="required")
    assert {e.field: e.message for e in exc.value.errors} == {
        "last_name": "Last name cannot be hidden: every customer record needs it, so it is always asked"
                     " and required",
        "first_name": "First name cannot be optional: every customer record needs it, so it is always"
                      " asked and required",
        "birth_date": "Date of birth: 'maybe' is not an option (hidden, optional or required)",
        "cards": "'cards' is not a field of the new-customer form that has an option (one of: "
                 + ", ".join(CONFIGURABLE) + ")"}
    assert rows(svc, "SELECT account_options FROM store_template") == [("{}",)]
    assert rows(svc, "SELECT count(*) FROM audit_event WHERE entity = 'store_template'") == [(0,)]
    assert rows(svc, "SELECT count(*) FROM outbox_event WHERE event_type = 'template.updated'") == [(0,)]


def test_changes_are_audited_queued_for_headquarters_and_for_managers_only(svc, manager, associate):
    queued = rows(svc, "SELECT count(*) FROM outbox_event WHERE event_type = 'template.updated'")[0][0]
    ao.set_account_options(svc, manager, birth_date="required", company="hidden")
    ao.set_account_options(svc, manager, birth_date="required")  # no change: nothing written
    ao.set_account_options(svc, manager, company="optional")
    assert rows(svc, "SELECT account_options FROM store_template") == [('{"birth_date": "required"}',)]
    audit = [(a, json.loads(c)) for a, c in rows(
        svc, "SELECT action, changes FROM audit_event WHERE entity = 'store_template' ORDER BY id")]
    assert audit == [
        ("account_options", {"account_options.company": {"old": "optional", "new": "hidden"},
                             "account_options.birth_date": {"old": "optional", "new": "required"}}),
        ("account_options", {"account_options.company": {"old": "hidden", "new": "optional"}})]
    sent = rows(svc, "SELECT payload FROM outbox_event WHERE event_type = 'template.updated' ORDER BY seq")
    assert len(sent) == queued + 2
    assert json.loads(sent[-1][0])["account_options"] == {"birth_date": "required"}
    with pytest.raises(PermissionDenied):
        ao.set_account_options(svc, associate, birth_date="optional")
    with pytest.raises(PermissionDenied):
        ao.set_account_options(svc, Actor("2001", "Max", Role.MANAGER, "T", "HAM01"), birth_date="optional")
    assert ao.form_options(svc, associate) == AccountOptions({"birth_date": FieldOption.REQUIRED})


def test_headquarters_takes_only_known_fields_and_levels():
    from pos_customers.domain.protocol import ProtocolError, validate_payload

    ok = validate_payload("template.updated", {"store_code": "BER01", "account_options": {"emails": "required"}})
    assert ok.account_options == {"emails": FieldOption.REQUIRED}
    ok = validate_payload("template.updated", {"store_code": "BER01", "account_options": {
        "suffix": "required", "address_line2": "hidden"}})
    assert ok.account_options == {"suffix": FieldOption.REQUIRED, "address_line2": FieldOption.HIDDEN}
    for bad in ({"cards": "required"}, {"last_name": "hidden"}, {"emails": "sometimes"}):
        with pytest.raises(ProtocolError):
            validate_payload("template.updated", {"store_code": "BER01", "account_options": bad})


def test_taking_the_other_value_of_a_sync_conflict_is_not_judged_by_them(svc, manager, admin):
    from pos_customers.services.conflicts import resolve_conflict
    from tests.services.test_conflicts import clear_outbox, pull_conflict

    anna = create_customer(svc, admin, person(company="Alt GmbH")).id
    clear_outbox(svc)
    ao.set_account_options(svc, manager, company="hidden")
    cid = pull_conflict(svc, anna, "company", "Neu GmbH")  # another store's value lost at headquarters
    resolve_conflict(svc, admin, cid, take_other=True)
    assert rows(svc, "SELECT company FROM customer") == [("Neu GmbH",)]


def _address(line2="", postal="10115", city="Berlin"):
    from pos_customers.domain.address import AddressInput
    from pos_customers.domain.customer import AddressDraft

    return AddressDraft(AddressInput(line1="Hauptstr. 1", line2=line2, city=city, postal_code=postal, country="DE"))


def _with(address, first="Anna", last="Müller"):
    draft = person(first, last)
    draft.addresses = [address]
    return draft


def test_the_second_address_line_has_its_own_option(svc, manager, associate):
    had = create_customer(svc, associate, _with(_address("Hinterhaus"), "Ben", "Berg"))
    ao.set_account_options(svc, manager, address_line2="hidden")
    with pytest.raises(ValidationFailed) as exc:
        create_customer(svc, associate, _with(_address("c/o Meier")))
    assert {e.field: e.message for e in exc.value.errors} == {
        "addresses.0.line2": "Address line 2 is not asked in this store: leave it empty"}
    create_customer(svc, associate, _with(_address()))  # the rest of the address is asked
    # an edit keeps the second line an address has, even when the address changes otherwise
    draft = draft_from_view(had)
    draft.addresses[0].address.city, draft.addresses[0].address.postal_code = "Potsdam", "14467"
    assert update_customer(svc, associate, had.id, draft, opened=had).addresses[0].line2 == "Hinterhaus"

    ao.set_account_options(svc, manager, address_line2="required")
    with pytest.raises(ValidationFailed, match="Address line 2 is required in this store"):
        create_customer(svc, associate, _with(_address()))
    assert create_customer(svc, associate, _with(_address("3. OG"))).addresses[0].line2 == "3. OG"
    create_customer(svc, associate, person("Cleo", "Ray"))  # no address at all: the address is optional
    # the country's format still decides the other lines: a German address needs its postal code
    with pytest.raises(ValidationFailed) as exc:
        create_customer(svc, associate, _with(_address("3. OG", postal="")))
    assert [e.field for e in exc.value.errors] == ["addresses.0.postal_code"]
    # with the whole address hidden, its line's option asks nothing more
    ao.set_account_options(svc, manager, addresses="hidden")
    create_customer(svc, associate, person("Dora", "Dix"))
