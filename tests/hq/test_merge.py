"""Two customers headquarters holds become one (issue 17): a till's ``customer.merged`` event or
headquarters' own merge, on SQLite and PostgreSQL. The survivor takes the other's contacts, cards,
notes and credit; the other becomes a redirect every till pulls; later events naming it are refused."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.account_scope import set_scope

from .test_api import api, created, enrol, ref, updated  # noqa: F401  (the api fixture)

MAIL = "anna@example.org"


def merged(gone, into, role="manager", seq=9, associate="1001"):
    return {"id": str(uuid.uuid4()), "seq": seq, "hlc": f"00000000000{seq:02d}-00000-b", "type": "customer.merged",
            "entity": "customer", "entity_id": gone,
            "payload": {"id": gone, "into": into, "associate": associate, "role": role}}


def note(cid, text="called about the order"):
    nid = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "seq": 3, "hlc": "0000000000003-00000-b", "type": "note.created",
            "entity": "customer_note", "entity_id": nid, "payload": {"id": nid, "customer_id": cid, "text": text}}


def doc(engine, cid):
    with engine.connect() as conn:
        return json.loads(conn.execute(select(t.customer.c.fields).where(t.customer.c.id == cid)).scalar_one())


def twins(api, hq):
    """Anna of BER01 and Ann of HAM01 registered with one address while the chain shared emails;
    then one account per email in the chain. Ann has a phone, a card, a note and 15.00 EUR credit."""
    ber, _ = enrol(api, hq, "BER01", country="DE")
    ham, _ = enrol(api, hq, "HAM01", country="DE")
    anna, ann = str(uuid.uuid4()), str(uuid.uuid4())
    phone = [{"e164": "+4915112345678", "purpose": "mobile", "primary": True, "marketing_consent": False}]
    assert api.post("/v1/push", json={"events": [created(anna, ref(0, 1), "BER01", "0000000000001-00000-a",
                                                         account_type="registered")]}, headers=ber).json()["applied"]
    r = api.post("/v1/push", json={"events": [
        created(ann, ref(0, 2), "HAM01", "0000000000002-00000-b", first="Ann", email="Anna@Example.org",
                account_type="registered", phones=phone, cards=["C-77"]), note(ann)]}, headers=ham).json()
    assert len(r["applied"]) == 2, r
    assert [e for _, e, _ in set_scope(hq, "chain", by="test").shared] == [MAIL]
    hq.credit_move(ann, currency="EUR", kind="refunded", amount_minor=1500, reason="Return of W-2")
    return ber, ham, anna, ann


def test_a_till_merges_two_accounts_and_every_till_gets_the_redirect(api, hq, hq_engine):
    ber, ham, anna, ann = twins(api, hq)
    # an update of Ann's emails is refused (the clash the merge resolves)
    emails = [{"address": "anna@example.org", "purpose": "work", "primary": True, "marketing_consent": True}]
    r = api.post("/v1/push", json={"events": [updated(ann, "0000000000004-00000-b", {"emails": emails},
                                                      {"emails": "0000000000002-00000-b"})]}, headers=ham).json()
    assert [(x["status"], x["holder"]) for x in r["refused"]] == [(409, anna)]
    # an associate may not merge; a manager may, once
    assert [x["status"] for x in api.post("/v1/push", json={"events": [merged(ann, anna, role="associate")]},
                                          headers=ham).json()["refused"]] == [403]
    r = api.post("/v1/push", json={"events": [merged(ann, anna, seq=8)]}, headers=ham).json()
    assert [x["status"] for x in r["refused"]] == [403], r  # Berlin's Anna is not in Hamburg's scope
    assert api.post(f"/v1/customers/{anna}/pull-in", headers=ham).status_code == 200  # the till opened her
    event = merged(ann, anna)
    r = api.post("/v1/push", json={"events": [event]}, headers=ham).json()
    assert r["applied"] == [event["id"]] and r["refused"] == [], r
    again = api.post("/v1/push", json={"events": [event, merged(ann, anna, seq=10)]}, headers=ham).json()
    assert again["duplicates"] == [event["id"]] and len(again["applied"]) == 1  # the same merge: taken as done

    kept = doc(hq_engine, anna)
    assert kept["first_name"] == "Anna" and [p["e164"] for p in kept["phones"]] == ["+4915112345678"]
    assert kept["cards"] == ["C-77"] and [e["address"] for e in kept["emails"]] == [MAIL]
    with hq_engine.connect() as conn:
        assert dict(conn.execute(select(t.card.c.number, t.card.c.customer_id)).all()) == {"C-77": anna}
        assert set(conn.execute(select(t.account_email.c.customer_id)).scalars()) == {anna}
        notes = [json.loads(d) for d in conn.execute(select(t.record.c.doc).where(t.record.c.kind == "note")).scalars()]
        assert [n["customer_id"] for n in notes] == [anna]
        sums = dict(conn.execute(select(t.credit_movement.c.customer_id, t.credit_movement.c.balance_minor)
                                 .order_by(t.credit_movement.c.n)).all())
        assert sums == {ann: 0, anna: 1500}
        trail = [json.loads(r)["action"] for r in conn.execute(select(t.audit.c.row)).scalars()]
        assert {"merged_into", "merge_account"} <= set(trail)

    # a later change naming Ann is refused with the survivor's reference, for that event only
    late = updated(ann, "0000000000011-00000-b", {"first_name": "Annie"}, {"first_name": "0000000000002-00000-b"})
    r = api.post("/v1/push", json={"events": [late, note(ann)]}, headers=ham).json()
    assert [x["status"] for x in r["refused"]] == [409, 409]
    assert "merged into" in r["refused"][0]["reason"] and "BER" not in r["refused"][0]["reason"]

    # Hamburg pulls the redirect and, from now on, Anna; Berlin never held Ann: no redirect for it
    items = api.get("/v1/pull", headers=ham).json()["items"]
    [redirect] = [i["doc"] for i in items if i["t"] == "redirect"]
    assert (redirect["id"], redirect["into"]) == (ann, anna)
    assert anna in [i["doc"]["id"] for i in items if i["t"] == "customer"]
    assert not [i for i in api.get("/v1/pull", headers=ber).json()["items"] if i["t"] == "redirect"]
    # searching at headquarters finds Anna only
    found = api.get("/v1/customers/search", params={"q": "Ann"}, headers=ber).json()
    assert [c["id"] for c in found if c["id"] in (anna, ann)] == [anna]


def test_headquarters_merges_by_reference_and_refuses_the_impossible(api, hq, hq_engine):
    from pos_customers.domain.reference import format_reference
    from pos_customers.hq.errors import Conflict, NotFound

    _, ham, anna, ann = twins(api, hq)
    done = hq.merge_customers(format_reference(ref(0, 2)).lower(), anna, by="hq:test")
    assert (done.kept, done.merged, done.already) == (ref(0, 1), ref(0, 2), False)
    assert hq.merge_customers(ann, anna).already
    for bad, into in ((anna, ann), ("nobody", anna)):
        try:
            hq.merge_customers(bad, into)
        except (Conflict, NotFound):
            pass
        else:
            raise AssertionError(f"{bad} into {into} was merged")
    assert doc(hq_engine, anna)["cards"] == ["C-77"]
    # a till that still sends a merge the other way round is refused, visibly
    r = api.post("/v1/push", json={"events": [merged(anna, ann)]}, headers=ham).json()
    assert [x["status"] for x in r["refused"]] == [409]


def _links(engine) -> dict[tuple[str, str], dict]:
    with engine.connect() as conn:
        return {(r.organization_id, r.person_id): json.loads(r.fields) for r in conn.execute(select(t.membership))}


def test_a_merged_persons_organizations_move_to_the_survivor_once(api, hq, hq_engine):
    """Ann (Acme's buyer and primary contact, Bolt's contact) merges into Anna (Acme's contact):
    Anna keeps one Acme link with her own role and takes Ann's primary-contact mark, gains Bolt;
    Ann's links go inactive; each move is in the audit trail and reaches the stores that see both."""
    from tests.hq.test_memberships import link_event

    ber, _ = enrol(api, hq, "BER01", country="DE")
    acme, bolt, anna, ann, otto = (str(uuid.uuid4()) for _ in range(5))
    org = dict(customer_type="organization", first_name="", last_name="")
    T1, T2 = "0000000000001-00000-a", "0000000000002-00000-a"
    r = api.post("/v1/push", json={"events": [
        created(acme, ref(0, 1), "BER01", T1, organization_name="Acme GmbH", **org),
        created(bolt, ref(1, 1), "BER01", T1, organization_name="Bolt AG", **org),
        created(anna, ref(2, 1), "BER01", T1), created(ann, ref(3, 1), "BER01", T1, first="Ann"),
        created(otto, ref(4, 1), "BER01", T1, first="Otto", email="otto@example.org"),
        link_event(acme, ann, T2, role="buyer", active=True, primary=True, manager=False),
        link_event(acme, anna, T2, role="contact", active=True, primary=False, manager=False),
        link_event(bolt, ann, T2, role="contact", active=True, primary=False, manager=False),
        link_event(bolt, otto, T2, role="manager", active=True, primary=True, manager=True)]}, headers=ber).json()
    assert r["refused"] == [], r
    hq.merge_customers(ann, anna, by="hq:test")

    links = _links(hq_engine)
    assert links[(acme, anna)] == {"role": "contact", "active": True, "primary": True, "manager": False}
    assert links[(bolt, anna)] == {"role": "contact", "active": True, "primary": False, "manager": False}
    assert links[(bolt, otto)]["primary"] is True  # Bolt's own primary contact keeps the mark
    for gone in ((acme, ann), (bolt, ann)):
        assert links[gone] == {"role": links[gone]["role"], "active": False, "primary": False, "manager": False}
    assert len(links) == 5  # one link per pair: nothing doubled
    with hq_engine.connect() as conn:
        moved = [json.loads(r) for r in conn.execute(select(t.audit.c.row)).scalars()]
    moved = [r for r in moved if r["action"] == "merge_moved"]
    assert len(moved) == 4 and all(r["entity"] == "membership" for r in moved)
    # Berlin pulls the moved links (it sees both sides) with the redirect
    docs = {(i["doc"]["organization_id"], i["doc"]["person_id"]): i["doc"]["fields"]
            for i in api.get("/v1/pull", headers=ber).json()["items"] if i["t"] == "membership"}
    assert docs[(bolt, anna)]["active"] and not docs[(bolt, ann)]["active"]


def test_a_merged_organizations_people_move_and_its_marks_give_way(api, hq, hq_engine):
    """Acme Ltd (Bob its primary contact and manager) merges into Acme GmbH (Cleo its primary
    contact, Bob its buyer): Bob stays one member of Acme GmbH with his role there, takes the manager
    mark (Acme GmbH had none), not the primary contact (Cleo keeps it)."""
    from tests.hq.test_memberships import link_event

    ber, _ = enrol(api, hq, "BER01", country="DE")
    gmbh, ltd, bob, cleo = (str(uuid.uuid4()) for _ in range(4))
    org = dict(customer_type="organization", first_name="", last_name="")
    T1, T2 = "0000000000001-00000-a", "0000000000002-00000-a"
    r = api.post("/v1/push", json={"events": [
        created(gmbh, ref(0, 1), "BER01", T1, organization_name="Acme GmbH", **org),
        created(ltd, ref(1, 1), "BER01", T1, organization_name="Acme Ltd", email="ltd@example.org", **org),
        created(bob, ref(2, 1), "BER01", T1, first="Bob", email="bob@example.org"),
        created(cleo, ref(3, 1), "BER01", T1, first="Cleo", email="cleo@example.org"),
        link_event(ltd, bob, T2, role="manager", active=True, primary=True, manager=True),
        link_event(gmbh, bob, T2, role="buyer", active=True, primary=False, manager=False),
        link_event(gmbh, cleo, T2, role="contact", active=True, primary=True, manager=False)]}, headers=ber).json()
    assert r["refused"] == [], r
    hq.merge_customers(ltd, gmbh, by="hq:test")
    links = _links(hq_engine)
    assert links[(gmbh, bob)] == {"role": "buyer", "active": True, "primary": False, "manager": True}
    assert links[(gmbh, cleo)]["primary"] is True
    assert links[(ltd, bob)]["active"] is False and len(links) == 3
