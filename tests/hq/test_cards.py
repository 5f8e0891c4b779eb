"""Loyalty cards are unique across the chain: headquarters refuses, per event, a card another
customer holds, and lets it go to another customer once its holder gave it up."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from pos_customers.hq import tables as t

from .test_api import api, created, enrol, ref, state, updated  # noqa: F401  (the api fixture)

CARD = "2000012345678"


def holders(engine):
    with engine.connect() as conn:
        return dict(conn.execute(select(t.card.c.number, t.card.c.customer_id)).all())


def test_a_card_held_in_another_store_is_refused_for_that_event_only(api, hq, hq_engine):
    a, _ = enrol(api, hq, "BER01")
    b, _ = enrol(api, hq, "HAM01")
    anna, ben = str(uuid.uuid4()), str(uuid.uuid4())
    r = api.post("/v1/push", json={"events": [created(anna, ref(0, 1), "BER01", "0000000000001-00000-a",
                                                      cards=[CARD])]}, headers=a)
    assert r.status_code == 200 and r.json()["refused"] == []
    assert holders(hq_engine) == {CARD: anna}

    before = state(hq_engine)
    dup = created(ben, ref(0, 2), "HAM01", "0000000000002-00000-b", first="Ben", email="ben@example.org",
                  cards=[CARD])
    other = created(str(uuid.uuid4()), ref(1, 2), "HAM01", "0000000000003-00000-b", first="Cleo",
                    email="cleo@example.org", cards=["3000000000001"])
    r = api.post("/v1/push", json={"events": [dup, other]}, headers=b)
    assert r.status_code == 200
    body = r.json()
    assert body["applied"] == [other["id"]]
    [refusal] = body["refused"]
    assert (refusal["id"], refusal["status"], refusal["field"]) == (dup["id"], 409, "payload.fields.cards")
    assert CARD in refusal["reason"]
    customers = {row[0] for row in state(hq_engine)[0]}
    assert ben not in customers and len(customers) == len(before[0]) + 1
    assert holders(hq_engine) == {CARD: anna, "3000000000001": other["payload"]["id"]}


def test_an_update_adding_a_held_card_is_refused_and_a_released_card_can_move(api, hq, hq_engine):
    a, _ = enrol(api, hq, "BER01")
    anna, ben = str(uuid.uuid4()), str(uuid.uuid4())
    r = api.post("/v1/push", json={"events": [
        created(anna, ref(0, 1), "BER01", "0000000000001-00000-a", cards=[CARD]),
        created(ben, ref(1, 1), "BER01", "0000000000002-00000-a", first="Ben", email="ben@example.org")]},
        headers=a)
    assert r.json()["refused"] == []
    steal = updated(ben, "0000000000003-00000-a", {"cards": [CARD]}, {"cards": "0000000000002-00000-a"})
    r = api.post("/v1/push", json={"events": [steal]}, headers=a)
    assert [x["status"] for x in r.json()["refused"]] == [409]
    assert holders(hq_engine) == {CARD: anna}
    # Anna gives the card up and Ben takes it, in one batch: both applied
    give = updated(anna, "0000000000004-00000-a", {"cards": []}, {"cards": "0000000000001-00000-a"})
    take = updated(ben, "0000000000005-00000-a", {"cards": [CARD]}, {"cards": "0000000000002-00000-a"})
    r = api.post("/v1/push", json={"events": [give, take]}, headers=a)
    assert r.json()["refused"] == [] and set(r.json()["applied"]) == {give["id"], take["id"]}
    assert holders(hq_engine) == {CARD: ben}
