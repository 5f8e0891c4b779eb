import json

import pytest

from pos_customers.domain.enums import Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.services import access, backoffice as bo
from pos_customers.services.context import Actor, PermissionDenied
from pos_customers.services.customers import create_customer, draft_from_view, update_customer, validate_draft
from pos_customers.services.store_info import store_info
from tests.helpers import person
from tests.services.test_customers import rows


@pytest.fixture
def manager():
    return Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01")


def test_template_edit_then_create_uses_it(svc, manager, associate):
    view = bo.update_template(svc, manager, group_code="LOYAL", receipt_option="both",
                              receipt_email="Bons@Store.example", affiliations=["club", "STUDENT"],
                              language="de-at", currency="eur", address_country="at")
    assert view.receipt_email_warning.startswith("A receipt email here is copied")
    assert view.person.financial_dimensions == {"BusinessUnit": "Stores", "Department": "Loyalty",
                                                "CostCenter": "110"}
    assert view.person.address_purpose == "HOME" and view.organization.address_purpose == "BUSINESS"
    assert view.organization.customer_type == "organization"
    c = create_customer(svc, associate, person(postal=None))
    assert (c.group_code, c.receipt_option, c.receipt_email, c.affiliations, c.language, c.currency) == (
        "LOYAL", "both", "Bons@store.example", ("CLUB", "STUDENT"), "de-AT", "EUR")
    (changes,), = rows(svc, "SELECT changes FROM audit_event WHERE entity = 'store_template'")
    assert set(json.loads(changes)) >= {"group_code", "receipt_option", "receipt_email", "affiliations"}


def test_template_bad_values_change_nothing(svc, manager):
    with pytest.raises(ValidationFailed) as exc:
        bo.update_template(svc, manager, group_code="NOPE", receipt_email="x@", currency="euro",
                           customer_type="alien")
    assert {e.field for e in exc.value.errors} == {"group_code", "receipt_email", "currency", "customer_type"}
    assert rows(svc, "SELECT group_code, receipt_email FROM store_template") == [(None, "")]


def test_template_roles(svc, associate):
    other_manager = Actor("2001", "Max", Role.MANAGER, "T", "HAM01")
    with pytest.raises(PermissionDenied, match="associate"):
        bo.update_template(svc, associate, group_code="LOYAL")
    with pytest.raises(PermissionDenied, match="works for store HAM01"):
        bo.update_template(svc, other_manager, group_code="LOYAL")
    support = Actor("3001", "Sam", Role.SUPPORT, "T-ssh")
    assert bo.update_template(svc, support, group_code="LOYAL").template.group_code == "LOYAL"
    assert rows(svc, "SELECT count(*) FROM audit_event WHERE entity = 'store_template'") == [(1,)]


def test_purpose_editor(svc, manager):
    bo.add_purpose(svc, manager, "holiday", "Holiday home", {"de": "Ferienwohnung"})
    with pytest.raises(ValidationFailed, match="already exists"):
        bo.add_purpose(svc, manager, "HOLIDAY", "Again")
    with pytest.raises(ValidationFailed, match="Label is required"):
        bo.add_purpose(svc, manager, "EMPTY", "  ")
    bo.rename_purpose(svc, manager, "HOLIDAY", "Ferienhaus", language="de")
    bo.move_purpose(svc, manager, "HOLIDAY", -10)
    listed = bo.purposes(svc, manager)
    assert listed[0].code == "HOLIDAY" and listed[0].labels == {"de": "Ferienhaus"}
    bo.set_default_purpose(svc, manager, "HOLIDAY", "person")
    assert [p.code for p in bo.purposes(svc, manager) if p.default_person] == ["HOLIDAY"]


def test_retiring_defaults_and_purposes_in_use(svc, manager, associate):
    with pytest.raises(ValidationFailed, match="default for Person"):
        bo.retire_purpose(svc, manager, "HOME")
    c = create_customer(svc, associate, person(postal="10115"))
    draft = draft_from_view(c)
    draft.addresses[0].purpose = "POBOX"
    c = update_customer(svc, associate, c.id, draft, opened=c)
    with pytest.raises(ValidationFailed, match="retire it instead"):
        bo.delete_purpose(svc, manager, "POBOX")
    bo.retire_purpose(svc, manager, "POBOX")
    assert [p.active for p in bo.purposes(svc, manager) if p.code == "POBOX"] == [False]
    # hidden for new addresses, still valid on the old one
    new = person("Eva", "Lang", postal="10115")
    new.addresses[0].purpose = "POBOX"
    assert any("retired" in e.message for e in validate_draft(svc, associate, new))
    again = draft_from_view(c)
    again.first_name = "Anne"
    assert update_customer(svc, associate, c.id, again, opened=c).addresses[0].purpose == "POBOX"
    bo.delete_purpose(svc, manager, "INVOICE")  # never used: really deleted
    assert "INVOICE" not in [p.code for p in bo.purposes(svc, manager)]


def test_reference_data_and_required_attribute(svc, manager, associate):
    bo.save_group(svc, manager, "vip", "VIP customers", {"CostCenter": "120"})
    bo.save_affiliation(svc, manager, "press", "Press")
    old = create_customer(svc, associate, person())
    bo.save_attribute(svc, manager, "loyalty_id", "Loyalty ID", "text", required=True)
    errors = validate_draft(svc, associate, person("Eva", "Lang"))
    assert [e.field for e in errors] == ["attributes.LOYALTY_ID"]
    edit = draft_from_view(old)
    edit.first_name = "Anne"
    assert update_customer(svc, associate, old.id, edit, opened=old).first_name == "Anne"
    with pytest.raises(ValidationFailed, match="at least one value"):
        bo.save_attribute(svc, manager, "size", "Size", "choice")
    with pytest.raises(PermissionDenied):
        bo.save_group(svc, associate, "x", "X")


def test_associate_management_rules(svc, admin, manager):
    from pos_customers.services import associates as A
    A.add_associate(svc, admin, number="1001", name="Maria", role="manager", pin="2468")
    A.add_associate(svc, admin, number="1002", name="Jonas", role="associate", pin="1357")
    with pytest.raises(PermissionDenied, match="role admin"):
        A.change_role(svc, manager, "1002", "admin")
    with pytest.raises(ValidationFailed, match="last manager"):
        A.change_role(svc, manager, "1001", "associate")
    with pytest.raises(ValidationFailed, match="last manager"):
        A.set_active(svc, manager, "1001", False)
    A.change_role(svc, manager, "1002", "manager")
    A.change_role(svc, manager, "1001", "associate")  # now someone else manages the store
    for _ in range(5):
        with pytest.raises(access.SignInFailed):
            access.sign_in(svc, "1001", "0000")
    A.unlock(svc, manager, "1001")
    A.reset_pin(svc, manager, "1001", "9999")
    assert access.sign_in(svc, "1001", "9999").role == Role.ASSOCIATE
    A.set_active(svc, manager, "1001", False)
    with pytest.raises(access.SignInFailed):
        access.sign_in(svc, "1001", "9999")
    actions = [a for (a,) in rows(svc, "SELECT action FROM audit_event WHERE entity = 'associate'"
                                       " AND entity_id = '1001' ORDER BY id")]
    assert {"role", "unlock", "pin_reset", "deactivate", "locked"} <= set(actions)
    assert "9999" not in json.dumps(rows(svc, "SELECT changes FROM audit_event"))


def test_store_audit_view_filters(svc, manager, associate):
    from datetime import datetime, timedelta, timezone
    from pos_customers.services.records import store_audit
    c = create_customer(svc, associate, person())
    bo.update_template(svc, manager, group_code="LOYAL")
    everything = store_audit(svc, manager)
    assert [e.entity for e in everything][:2] == ["store_template", "customer"]
    assert [e.entity for e in store_audit(svc, manager, associate="1002")] == ["customer"]
    assert [e.action for e in store_audit(svc, manager, customer_id=c.id)] == ["create"]
    assert store_audit(svc, manager, entity="store_template")[0].changes["group_code"]["new"] == "LOYAL"
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert store_audit(svc, manager, since=later) == []
    with pytest.raises(PermissionDenied):
        store_audit(svc, associate)
