"""Headquarters and memberships (people of organizations): authorized per event for the pushing
store's scope (both customers), merged field by field, pulled only by stores that see both. On SQLite
and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from pos_customers.domain.membership import membership_id
from tests.hq.test_api import created, ref
from tests.hq.test_attacks import api, event, push, pulled, stores  # noqa: F401  (fixtures)

T1, T2, T3, T4 = (f"000000000000{n}-00000-a" for n in range(1, 5))


def link_event(org, person, stamp, **fields):
    mid = membership_id(org, person)
    return event("membership.changed", "membership", mid,
                 {"id": mid, "organization_id": org, "person_id": person, "fields": fields}, stamp)


@pytest.fixture
def acme(api, stores):
    """Acme GmbH and Anna, both of BER01."""
    org, anna = str(uuid.uuid4()), str(uuid.uuid4())
    r = push(api, stores["BER01"],
             created(org, ref(1), "BER01", T1, customer_type="organization", organization_name="Acme GmbH",
                     first_name="", last_name=""),
             created(anna, ref(2), "BER01", T1)).json()
    assert len(r["applied"]) == 2, r
    return org, anna


def test_a_link_is_applied_merged_and_pulled_by_the_stores_that_see_both(api, stores, acme):
    org, anna = acme
    first = link_event(org, anna, T2, role="buyer", active=True, primary=True, manager=False)
    role = link_event(org, anna, T4, role="contact")
    stale = link_event(org, anna, T3, role="manager", manager=True)  # concurrent, older role: loses the role
    r = push(api, stores["BER01"], first, role, stale).json()
    assert r["applied"] == [first["id"], role["id"], stale["id"]] and r["refused"] == []
    [item] = pulled(api, stores["BER01"], "membership")
    assert item["doc"]["fields"] == {"role": "contact", "active": True, "primary": True, "manager": True}
    assert item["doc"]["clocks"] == {"role": T4, "active": T2, "primary": T2, "manager": T3}
    assert [i["key"] for i in pulled(api, stores["HQ01"], "membership")] == [membership_id(org, anna)]
    assert pulled(api, stores["HAM01"], "membership") == []  # HAM01 sees neither customer


def test_searching_an_organizations_name_finds_its_people_marked(api, stores, acme):
    """As at the till: the organization, then its people (the primary contact first), each saying
    through which organization; a removed member is not listed."""
    org, anna = acme
    bob, cleo = str(uuid.uuid4()), str(uuid.uuid4())
    push(api, stores["BER01"], created(bob, ref(3), "BER01", T1, first="Bob", last="Bauer", email="bob@example.org"),
         created(cleo, ref(4), "BER01", T1, first="Cleo", last="Acker", email="cleo@example.org"),
         link_event(org, anna, T2, role="buyer", active=True, primary=False, manager=False),
         link_event(org, bob, T2, role="contact", active=True, primary=True, manager=False),
         link_event(org, cleo, T2, role="contact", active=True, primary=False, manager=False),
         link_event(org, cleo, T3, active=False))
    r = api.get("/v1/customers/search", params={"q": "acme"}, headers=stores["HAM01"])
    assert r.status_code == 200
    assert [(h["id"], h["via"]) for h in r.json()] == [(org, ""), (bob, "Acme GmbH"), (anna, "Acme GmbH")]
    # a person found on their own keeps their place and says nothing of the organization
    hits = api.get("/v1/customers/search", params={"q": "acme anna"}, headers=stores["HAM01"]).json()
    assert [h["via"] for h in hits] == [""] * len(hits)


def test_a_store_cannot_link_customers_outside_its_scope(api, stores, acme):
    org, anna = acme
    ham_person = str(uuid.uuid4())
    assert push(api, stores["HAM01"], created(ham_person, ref(1, store_number=2), "HAM01", T1)).status_code == 200
    r = push(api, stores["HAM01"], link_event(org, ham_person, T2, role="buyer", active=True),
             link_event(org, anna, T2, role="buyer", active=True))
    assert r.status_code == 200
    assert [(x["status"], x["field"]) for x in r.json()["refused"]] == [
        (403, "payload.organization_id"), (403, "payload.organization_id")]
    assert r.json()["applied"] == []
    assert pulled(api, stores["HQ01"], "membership") == []
    # a customer unknown at headquarters: 404, naming the field
    stranger = str(uuid.uuid4())
    r = push(api, stores["BER01"], link_event(org, stranger, T2, role="buyer")).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(404, "payload.person_id")]


def test_a_person_cannot_be_an_organization_and_the_id_must_be_the_pairs(api, stores, acme):
    org, anna = acme
    r = push(api, stores["BER01"], link_event(anna, org, T2, role="buyer")).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(422, "payload.organization_id")]
    forged = link_event(org, anna, T2, role="buyer")
    forged["payload"]["id"] = forged["entity_id"] = str(uuid.uuid4())
    bad = push(api, stores["BER01"], forged)
    assert bad.status_code == 422 and "membership id" in bad.text
    assert pulled(api, stores["BER01"], "membership") == []


def test_anonymizing_a_member_removes_their_memberships(api, stores, acme):
    org, anna = acme
    push(api, stores["BER01"], link_event(org, anna, T2, role="buyer", active=True, primary=True, manager=False))
    anon = event("customer.anonymized", "customer", anna, {"id": anna, "fields": {"first_name": ""}}, T3)
    assert push(api, stores["BER01"], anon).json()["applied"] == [anon["id"]]
    [item] = pulled(api, stores["BER01"], "membership")
    assert item["doc"]["fields"]["active"] is False and item["doc"]["fields"]["primary"] is False
    # and no link to an anonymized customer is taken afterwards
    r = push(api, stores["BER01"], link_event(org, anna, T4, role="buyer", active=True)).json()
    assert [(x["status"], x["field"]) for x in r["refused"]] == [(409, "payload.person_id")]
