"""Headquarters refuses what no form lets through: a pushed customer whose name, contact or address
holds a control, bidi or zero-width character is a 422 naming the field, by the forms' own rule
(domain.text.hostile_character). Legitimate scripts and symbols pass. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from pos_customers.domain.errors import FieldProblem
from pos_customers.domain.validation import clean_text
from tests.hq.test_api import created, ref
from tests.hq.test_attacks import T0, api, customer_ids, loc_of, push, stores  # noqa: F401 - fixtures

ADDRESS = {"purpose": "HOME", "line1": "Hauptstr. 1", "line2": "", "city": "Berlin", "district": "",
           "region": "", "postal_code": "10115", "country": "DE", "default_billing": True,
           "default_shipping": True}
EMAIL = {"address": "ann@example.org", "purpose": "personal", "primary": True, "marketing_consent": False}


@pytest.mark.parametrize("fields, where", [
    ({"first_name": "Ann\u202eeL"}, ["first_name"]),                 # right-to-left override
    ({"last_name": "Lee\u200b"}, ["last_name"]),                       # zero-width space
    ({"middle_name": "A\u2066B\u2069"}, ["middle_name"]),              # isolates
    ({"organization_name": "ACME\u200d"}, ["organization_name"]),      # zero-width joiner
    ({"company": "\x1b[31mACME"}, ["company"]),                        # an ANSI escape
    ({"title": "Dr\u0085"}, ["title"]),                                # C1 control
    ({"receipt_email": "a\ufeff@example.org"}, ["receipt_email"]),     # BOM
    ({"emails": [EMAIL | {"address": "ann\u202e@example.org"}]}, ["emails", 0, "address"]),
    ({"addresses": [ADDRESS | {"line1": "Hauptstr.\u200f 1"}]}, ["addresses", 0, "line1"]),
    ({"addresses": [ADDRESS | {"city": "Ber\u061clin"}]}, ["addresses", 0, "city"]),
    ({"addresses": [ADDRESS | {"postal_code": "10\u2060115"}]}, ["addresses", 0, "postal_code"]),
    ({"cards": ["CARD\u200e1234"]}, ["cards", 0]),
    ({"attributes": {"shoe": "42\u202d"}}, ["attributes", "shoe"]),
])
def test_a_pushed_customer_with_hostile_characters_is_422_naming_the_field(api, hq_engine, stores, fields, where):
    ev = created(str(uuid.uuid4()), ref(), "BER01", T0)
    ev["payload"]["fields"].update(fields)
    r = push(api, stores["BER01"], ev)
    assert loc_of(r) == ["body", "events", 0, "payload", "fields", *where]
    assert "invisible or control character (U+" in r.json()["detail"][0]["msg"]
    assert customer_ids(hq_engine) == set()  # nothing of the batch was applied


def test_an_update_with_a_hostile_name_is_refused_too(api, hq_engine, stores):
    from tests.hq.test_api import updated

    cid = str(uuid.uuid4())
    assert push(api, stores["BER01"], created(cid, ref(), "BER01", T0)).status_code == 200
    ev = updated(cid, "0000000000002-00000-a", {"last_name": "Lee\u202e"}, {})
    assert loc_of(push(api, stores["BER01"], ev))[-2:] == ["fields", "last_name"]


@pytest.mark.parametrize("name", ["محمد", "שרה", "Zoë", "Łukasz", "田中", "O'Neil", "Jean-Luc", "[b]Ann"])
def test_names_of_every_script_pass(api, hq_engine, stores, name):
    cid = str(uuid.uuid4())
    ev = created(cid, ref(), "BER01", T0)
    ev["payload"]["fields"].update({"first_name": name, "addresses": [ADDRESS | {"line1": f"{name} 1"}]})
    r = push(api, stores["BER01"], ev)
    assert r.status_code == 200 and r.json()["refused"] == [], r.text
    assert customer_ids(hq_engine) == {cid}


@pytest.mark.parametrize("text", ["Ann\u202eeL", "Lee\u200b", "\x1b[31mACME", "A\u2066B", "x\ufeff"])
def test_the_forms_refuse_the_same_characters_naming_them(text):
    with pytest.raises(FieldProblem, match=r"First name contains an invisible or control character \(U\+"):
        clean_text(text, what="First name")
