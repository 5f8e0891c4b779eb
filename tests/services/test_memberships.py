import sqlite3

import pytest

from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.membership import MembershipRecord, holders, membership_id, merge_event
from pos_customers.domain.protocol import validate_payload
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import create_customer
from pos_customers.services.records import activity
from pos_customers.services.memberships import (link, members, membership_roles, organizations_of, set_mark,
                                                set_role, unlink)
from tests.helpers import organization, person
from tests.services.test_customers import rows


@pytest.fixture
def acme(svc, associate):
    org = create_customer(svc, associate, organization("Acme GmbH", postal="10115"))
    anna = create_customer(svc, associate, person("Anna", "Müller", phone="0151 23456789"))
    bob = create_customer(svc, associate, person("Bob", "Bauer", phone="0151 99887766"))
    return org, anna, bob


def test_roles_come_from_reference_data(svc, associate):
    roles = membership_roles(svc, associate)
    assert [r.code for r in roles][:3] == ["contact", "buyer", "manager"]
    assert dict((r.code, r.label) for r in membership_roles(svc, associate, language="de"))["buyer"] == "Einkäufer"


def test_link_writes_membership_audit_and_outbox_together(svc, associate, acme):
    org, anna, _ = acme
    m = link(svc, associate, anna.reference, org.reference, role="buyer", primary=True)
    mid = membership_id(org.id, anna.id)
    assert m.id == mid
    assert rows(svc, "SELECT organization_id, person_id, role, active, is_primary, is_manager"
                     " FROM customer_membership") == [(org.id, anna.id, "buyer", 1, 1, 0)]
    assert rows(svc, "SELECT associate_number, entity, entity_id, action FROM audit_event"
                     " WHERE entity = 'membership'") == [("1002", "membership", mid, "link")]
    events = rows(svc, "SELECT event_type, entity, entity_id, payload FROM outbox_event WHERE entity = 'membership'")
    assert [(e[0], e[1], e[2]) for e in events] == [("membership.changed", "membership", mid)]
    import json
    payload = json.loads(events[0][3])
    assert payload["fields"] == {"role": "buyer", "active": True, "primary": True, "manager": False}
    validate_payload("membership.changed", payload)  # the shape headquarters takes


def test_membership_changes_are_on_both_customers_activity(svc, associate, acme):
    org, anna, bob = acme
    link(svc, associate, anna.id, org.id, role="buyer")
    set_role(svc, associate, anna.id, org.id, "contact")
    link(svc, associate, bob.id, org.id)
    unlink(svc, associate, anna.id, org.id)
    mine = [(e.action, e.changes.get("role")) for e in activity(svc, associate, anna.id)]
    assert mine == [("membership_unlink", None), ("membership_update", {"old": "buyer", "new": "contact"}),
                    ("membership_link", {"old": None, "new": "buyer"}), ("create", None)]
    theirs = [e.action for e in activity(svc, associate, org.id)]
    assert theirs == ["membership_unlink", "membership_link", "membership_update", "membership_link", "create"]
    first = activity(svc, associate, org.id)[-2]
    assert first.who == "1002" and first.changes["person"]["new"] == anna.reference_display
    assert [e.action for e in activity(svc, associate, bob.id)] == ["membership_link", "create"]


def test_one_primary_contact_and_one_manager_per_organization(svc, associate, acme):
    org, anna, bob = acme
    link(svc, associate, anna.id, org.id, role="buyer", primary=True, manager=True)
    link(svc, associate, bob.id, org.id, role="contact")
    set_mark(svc, associate, bob.id, org.id, "primary", True)
    assert rows(svc, "SELECT person_id, is_primary, is_manager FROM customer_membership ORDER BY person_id = ?",
                anna.id) == [(bob.id, 1, 0), (anna.id, 0, 1)]
    # the database itself refuses a second primary contact
    with pytest.raises(sqlite3.IntegrityError):
        conn = sqlite3.connect(svc.db.path)
        conn.execute("UPDATE customer_membership SET is_primary = 1")
    people = members(svc, associate, org.reference)
    assert [(p.name, p.primary, p.manager, p.role) for p in people] == [
        ("Bob Bauer", True, False, "contact"), ("Anna Müller", False, True, "buyer")]
    # only the changed field travels: the second event of Bob says primary, nothing else
    payloads = [r[0] for r in rows(svc, "SELECT json_extract(payload, '$.fields') FROM outbox_event"
                                        " WHERE entity = 'membership' ORDER BY seq")]
    assert payloads[-2:] == ['{"primary":false}', '{"primary":true}']  # taken from Anna, given to Bob


def test_unlink_keeps_an_inactive_row_and_clears_the_marks(svc, associate, acme):
    org, anna, _ = acme
    link(svc, associate, anna.id, org.id, primary=True)
    unlink(svc, associate, anna.id, org.id)
    assert rows(svc, "SELECT active, is_primary, is_manager FROM customer_membership") == [(0, 0, 0)]
    assert members(svc, associate, org.id) == []
    assert rows(svc, "SELECT action FROM audit_event WHERE entity = 'membership' ORDER BY id") == [
        ("link",), ("unlink",)]
    assert rows(svc, "SELECT count(*) FROM outbox_event WHERE entity = 'membership'") == [(2,)]
    with pytest.raises(ValidationFailed, match="not a member"):
        unlink(svc, associate, anna.id, org.id)


def test_the_persons_organizations_show_the_manager_and_the_managers_phone(svc, associate, acme):
    org, anna, bob = acme
    link(svc, associate, anna.id, org.id, role="buyer")
    link(svc, associate, bob.id, org.id, role="manager", manager=True)
    [o] = organizations_of(svc, associate, anna.reference)
    assert (o.name, o.role, o.manager_name, o.manager_phone) == ("Acme GmbH", "buyer", "Bob Bauer", bob.phones[0].e164)
    assert "10115" in o.address and o.reference == org.reference


def test_bad_links_are_refused_with_one_line_and_nothing_written(svc, associate, acme):
    org, anna, bob = acme
    before = rows(svc, "SELECT (SELECT count(*) FROM customer_membership), (SELECT count(*) FROM outbox_event),"
                       " (SELECT count(*) FROM audit_event)")
    with pytest.raises(ValidationFailed, match="not an organization"):
        link(svc, associate, anna.id, bob.id)
    with pytest.raises(ValidationFailed, match="only a person"):
        link(svc, associate, org.id, org.id)
    with pytest.raises(ValidationFailed, match="Unknown role 'chef'"):
        link(svc, associate, anna.id, org.id, role="chef")
    with pytest.raises(ValidationFailed, match="not a member"):
        set_role(svc, associate, anna.id, org.id, "buyer")
    assert rows(svc, "SELECT (SELECT count(*) FROM customer_membership), (SELECT count(*) FROM outbox_event),"
                     " (SELECT count(*) FROM audit_event)") == before


def test_linking_needs_the_edit_permission(svc, acme):
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor

    org, anna, _ = acme
    with pytest.raises(PermissionDenied):
        link(svc, Actor("7001", "Sam", Role.SUPPORT, "T-test"), anna.id, org.id)


def test_a_link_that_changes_nothing_writes_nothing(svc, associate, acme):
    org, anna, _ = acme
    link(svc, associate, anna.id, org.id, role="buyer")
    link(svc, associate, anna.id, org.id, role="buyer")
    assert rows(svc, "SELECT count(*) FROM outbox_event WHERE entity = 'membership'") == [(1,)]


# -- the merge rule: the same result whatever order the events arrive in --------------------------

def _apply_all(events):
    state: dict[str, MembershipRecord] = {}
    for person, fields, stamp in events:
        state[person] = merge_event(state.get(person), "org", person, fields, stamp)
    return holders(list(state.values())), {p: (m.active, m.role) for p, m in sorted(state.items())}


def test_concurrent_marks_converge_in_any_order():
    from itertools import permutations

    events = [("a", {"role": "buyer", "active": True, "primary": True, "manager": False}, "0000000000001-00000-t1"),
              ("b", {"role": "contact", "active": True, "primary": True, "manager": False}, "0000000000002-00000-t2"),
              ("c", {"role": "contact", "active": True, "primary": False, "manager": False}, "0000000000005-00000-t3"),
              ("a", {"role": "manager"}, "0000000000004-00000-t1"),
              ("a", {"manager": True}, "0000000000002-00001-t1")]
    results = {str(_apply_all(list(order))) for order in permutations(events)}
    assert len(results) == 1
    marks, members = _apply_all(events)
    # b claimed the primary contact after a (concurrently): b holds it; a newer member claiming
    # nothing takes nothing away
    assert marks == {"primary": "b", "manager": "a"}
    assert members == {"a": (True, "manager"), "b": (True, "contact"), "c": (True, "contact")}


def test_a_removed_member_holds_no_mark_even_when_a_claim_arrives_later():
    events = [("a", {"role": "buyer", "active": True, "primary": False, "manager": False}, "0000000000001-00000-t1"),
              ("a", {"active": False, "primary": False, "manager": False}, "0000000000002-00000-t1"),
              ("a", {"primary": True}, "0000000000003-00000-t2")]
    assert _apply_all(events)[0] == {"primary": None, "manager": None}


def test_searching_an_organizations_name_finds_its_people_after_it(svc, associate, acme):
    from pos_customers.services.search import search_customers

    org, anna, bob = acme
    carl = create_customer(svc, associate, person("Carl", "Acme"))  # found by his own name: his own place
    link(svc, associate, anna.id, org.id, role="buyer")
    link(svc, associate, bob.id, org.id, role="contact", primary=True)
    link(svc, associate, carl.id, org.id, role="contact")
    rows_ = search_customers(svc, associate, "acme").rows
    got = [(r.display_name, r.matched_by, r.via) for r in rows_]
    assert got[got.index(("Acme GmbH", "name", "")) + 1:][:2] == [
        ("Bob Bauer", "member", "Acme GmbH"), ("Anna Müller", "member", "Acme GmbH")]  # primary contact first
    assert ("Carl Acme", "name", "") in got and len(got) == 4
    unlink(svc, associate, anna.id, org.id)
    assert "Anna Müller" not in [r.display_name for r in search_customers(svc, associate, "acme gmbh").rows]
    # a name that finds no organization finds no members
    assert [r.display_name for r in search_customers(svc, associate, "bauer").rows] == ["Bob Bauer"]


def test_the_demo_has_organizations_with_people(tmp_path):
    from pos_customers.services.context import Actor
    from pos_customers.services.demo import DEMO_MEMBERS, seed_demo
    from pos_customers.services.search import search_customers
    from pos_customers.storage.engine import Database

    svc = seed_demo(Database(tmp_path / "demo.db"), 600)
    actor = Actor.command_line()
    conn = sqlite3.connect(tmp_path / "demo.db")
    orgs = [r[0] for r in conn.execute("SELECT DISTINCT organization_id FROM customer_membership")]
    assert len(orgs) >= 3
    people = members(svc, actor, orgs[0])
    assert len(people) == len(DEMO_MEMBERS)
    assert sum(p.primary for p in people) == 1 and sum(p.manager for p in people) == 1
    name = conn.execute("SELECT organization_name FROM customer WHERE id = ?", (orgs[0],)).fetchone()[0]
    found = search_customers(svc, actor, name).rows
    assert {r.display_name for r in found if r.via == name} == {p.name for p in people}
    seed_demo(Database(tmp_path / "demo.db"), 600)  # a second run adds nothing
    assert conn.execute("SELECT count(*) FROM customer_membership").fetchone()[0] == len(orgs) * len(DEMO_MEMBERS)
