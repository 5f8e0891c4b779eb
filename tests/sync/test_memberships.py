"""People of organizations through a real headquarters: links made at two tills at the same time
both survive, the marks end the same everywhere, and a store that sees only one side gets nothing."""

from __future__ import annotations

import json

import httpx

from pos_customers.services import sync
from pos_customers.services.customers import create_customer
from pos_customers.services.memberships import link, members, organizations_of, set_mark, unlink
from pos_customers.sync.engine import SyncEngine
from pos_customers.sync.client import HqClient
from tests.helpers import organization, person
from tests.sync.conftest import terminal
from tests.sync.fake_hq import FakeHq


def marks(svc, admin, org):
    return sorted((m.name, m.role, m.primary, m.manager) for m in members(svc, admin, org))


def test_links_at_two_tills_merge_and_reach_every_store(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    acme = create_customer(ber, admin, organization("Acme GmbH", postal="10115"))
    anna = create_customer(ber, admin, person("Anna", "Müller", phone="0151 23456789"))
    bob = create_customer(ber, admin, person("Bob", "Bauer"))
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    # offline at the same time: Berlin links Anna as primary contact, Hamburg links Bob as manager
    link(ber, admin, anna.id, acme.id, role="buyer", primary=True)
    link(ham, admin, bob.id, acme.id, role="manager", manager=True)
    for svc in (ber, ham, ber):
        sync.sync_now(svc, admin)
    expected = [("Anna Müller", "buyer", True, False), ("Bob Bauer", "manager", False, True)]
    assert marks(ber, admin, acme.id) == marks(ham, admin, acme.id) == expected
    [org] = organizations_of(ham, admin, anna.id)
    assert (org.name, org.manager_name, org.primary) == ("Acme GmbH", "Bob Bauer", True)
    # Hamburg moves the primary contact to Bob; Berlin removes Anna meanwhile: the same end everywhere
    set_mark(ham, admin, bob.id, acme.id, "primary", True)
    unlink(ber, admin, anna.id, acme.id)
    for svc in (ham, ber, ham):
        sync.sync_now(svc, admin)
    assert marks(ber, admin, acme.id) == marks(ham, admin, acme.id) == [("Bob Bauer", "manager", True, True)]
    assert organizations_of(ber, admin, anna.id) == []
    assert (sync.status(ber, admin).outbox, sync.status(ber, admin).parked) == (0, 0)


def test_a_store_that_sees_only_the_person_gets_no_membership(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    ham = terminal(tmp_path, hq_server, "HAM01")
    acme = create_customer(ber, admin, organization("Acme GmbH"))
    anna = create_customer(ber, admin, person("Anna", "Müller"))
    link(ber, admin, anna.id, acme.id, role="buyer")
    sync.sync_now(ber, admin)
    sync.open_remote(ham, admin, anna.id)  # Hamburg brings Anna in, not Acme
    sync.sync_now(ham, admin)
    assert organizations_of(ham, admin, anna.id) == []
    sync.open_remote(ham, admin, acme.id)  # with Acme too, the link comes along
    assert [m.name for m in members(ham, admin, acme.id)] == ["Anna Müller"]


def test_membership_events_go_out_and_pulled_ones_come_in_through_the_fake(tmp_path, admin):
    from pos_customers.domain.membership import membership_id
    from tests import templates
    from pos_customers.services.context import Services
    from pos_customers.services.store import init_store

    svc = Services(templates.store_db(tmp_path / "t.db"))
    init_store(svc, admin, code="BER01", number=1, name="Berlin", country="DE", currency="EUR", language="de")
    acme = create_customer(svc, admin, organization("Acme GmbH"))
    anna = create_customer(svc, admin, person("Anna", "Müller"))
    bob = create_customer(svc, admin, person("Bob", "Bauer"))
    link(svc, admin, anna.id, acme.id, role="buyer", primary=True)
    fake = FakeHq()
    client = HqClient("http://hq.test", "secret", transport=httpx.MockTransport(fake))
    engine = SyncEngine(svc.db, client)
    engine.run_once()
    sent = [e for batch in fake.pushes for e in batch if e["type"] == "membership.changed"]
    assert [e["entity_id"] for e in sent] == [membership_id(acme.id, anna.id)]
    # headquarters says Bob became the primary contact later (at another till)
    mid = membership_id(acme.id, bob.id)
    fake.pull_items = [{"t": "membership", "seq": 5, "key": mid, "deleted": False, "doc": {
        "id": mid, "organization_id": acme.id, "person_id": bob.id,
        "fields": {"role": "contact", "active": True, "primary": True, "manager": False},
        "clocks": dict.fromkeys(("role", "active", "primary", "manager"), "9999999999999-00000-other")}}]
    engine.run_once()
    assert marks(svc, admin, acme.id) == [("Anna Müller", "buyer", False, False), ("Bob Bauer", "contact", True, False)]
    assert json.loads(json.dumps(sent[0]["payload"]))["fields"]["role"] == "buyer"


def test_the_connected_demo_holds_the_same_memberships_at_headquarters(tmp_path, hq_server, admin):
    from sqlalchemy import func, select

    from pos_customers.cli import connected_demo
    from pos_customers.hq import tables as t

    svc = connected_demo(hq_server.hq, tmp_path / "demo.db", 300, hq_server.url)
    conn = __import__("sqlite3").connect(tmp_path / "demo.db")
    here = conn.execute("SELECT count(*) FROM customer_membership").fetchone()[0]
    with hq_server.hq.engine.connect() as hq_conn:
        there = hq_conn.execute(select(func.count()).select_from(t.membership)).scalar_one()
    assert here == there > 0
    org = conn.execute("SELECT organization_id FROM customer_membership LIMIT 1").fetchone()[0]
    before = marks(svc, admin, org)
    sync.sync_now(svc, admin)
    assert marks(svc, admin, org) == before and len(before) == 3
