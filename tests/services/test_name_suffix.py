"""A person's name suffix (Jr., Sr., III): a field of the record like the other names, checked and
bounded, part of the display name, carried by export and import, and under the store's account
options (persons only)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pos_customers.domain.errors import ValidationFailed
from pos_customers.services import account_options as ao
from pos_customers.services.customers import create_customer, draft_from_view, update_customer
from pos_customers.services.transfer import draft_from_json, export, import_csv
from tests.helpers import person
from pos_customers.domain.enums import Role
from pos_customers.services.context import Actor
from tests.services.test_customers import rows


@pytest.fixture
def manager():
    return Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01")


def test_a_suffix_is_stored_shown_after_the_name_and_edited(svc, associate):
    ben = create_customer(svc, associate, person("Ben", "Berg", suffix="  Jr. "))
    assert (ben.suffix, ben.display_name) == ("Jr.", "Ben Berg Jr.")
    assert rows(svc, "SELECT suffix FROM customer") == [("Jr.",)]
    assert ben.to_json()["suffix"] == "Jr." and ben.to_document()["fields"]["suffix"] == "Jr."
    draft = draft_from_view(ben)
    assert draft.suffix == "Jr."
    draft.suffix = "III"
    ben = update_customer(svc, associate, ben.id, draft, opened=ben)
    assert (ben.suffix, ben.version) == ("III", 2)
    org = create_customer(svc, associate, person("", "", customer_type="organization", organization_name="ACME"))
    assert org.display_name == "ACME"


@pytest.mark.parametrize("value, message", [
    ("J" * 21, "Suffix is too long (21 characters, at most 20)"),
    ("Jr.\u202e", "Suffix"),  # the sanitizer's refusal of invisible characters
    ("Jr!", "Suffix cannot contain '!'"),
    ("..", "Suffix must contain letters or digits"),
])
def test_a_suffix_is_bounded_and_sanitized(svc, associate, value, message):
    with pytest.raises(ValidationFailed) as exc:
        create_customer(svc, associate, person(suffix=value))
    assert [e.field for e in exc.value.errors] == ["suffix"]
    assert str(exc.value.errors[0].message).startswith(message)  # a Msg: its English text
    assert rows(svc, "SELECT count(*) FROM customer") == [(0,)]
    assert create_customer(svc, associate, person(suffix="2nd")).suffix == "2nd"


def test_its_account_option_applies_to_persons_only(svc, manager, associate):
    assert ao.form_options(svc, associate).level("suffix") == "optional"  # nothing changes for a store
    ao.set_account_options(svc, manager, suffix="required")
    with pytest.raises(ValidationFailed, match="Suffix is required in this store"):
        create_customer(svc, associate, person())
    assert create_customer(svc, associate, person(suffix="Sr.")).suffix == "Sr."
    create_customer(svc, associate, person("", "", customer_type="organization", organization_name="ACME"))
    ao.set_account_options(svc, manager, suffix="hidden")
    with pytest.raises(ValidationFailed, match="Suffix is not asked in this store: leave it empty"):
        create_customer(svc, associate, draft_from_json({"first_name": "Cleo", "last_name": "Ray", "suffix": "Jr."}))


def test_export_and_import_carry_it(svc, manager, associate):
    create_customer(svc, associate, person("Ben", "Berg", suffix="Jr."))
    out = io.StringIO()
    export(svc, manager, out, fmt="csv")
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["suffix"] == "Jr."
    out = io.StringIO()
    export(svc, manager, out, fmt="json")
    assert json.loads(out.getvalue())[0]["suffix"] == "Jr."
    result = import_csv(svc, manager, io.StringIO("first_name,last_name,suffix\nCarl,Cole,III\n"))
    assert result.created == 1
    assert rows(svc, "SELECT suffix FROM customer WHERE last_name = 'Cole'") == [("III",)]


def test_the_suffix_is_a_search_word_here_and_at_headquarters(svc, associate):
    from pos_customers.hq.search import index_entry
    from pos_customers.services.search import search_customers

    ben = create_customer(svc, associate, person("Ben", "Berg", suffix="Jr."))
    create_customer(svc, associate, person("Ben", "Berg"))
    assert [r.customer_id for r in search_customers(svc, associate, "berg jr").rows] == [ben.id]
    draft = draft_from_view(ben)
    draft.suffix = "III"
    update_customer(svc, associate, ben.id, draft, opened=ben)
    assert search_customers(svc, associate, "berg jr").rows == []
    assert [r.customer_id for r in search_customers(svc, associate, "ben iii").rows] == [ben.id]
    assert "iii" in index_entry(ben.document_fields() | {"suffix": "III"}).name_text.split()
