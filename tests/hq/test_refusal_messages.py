"""Headquarters' refusals carry their message's code and parameters besides the English text, and a
terminal shows them in its associate's language (here a German test catalog)."""

from __future__ import annotations

import uuid

from pos_customers.domain import i18n
from pos_customers.domain.i18n import Msg, tr
from pos_customers.domain.reference import make_reference
from pos_customers.services import sync
from pos_customers.services.customers import create_customer
from tests.helpers import customer_data_chain, person

from .test_api import api, created, enrol, ref  # noqa: F401  (the api fixture)
from tests.helpers import TestCatalog as _Catalog

CARD = "2000012345678"
CARD_HELD = ("card {card} belongs to another customer of the chain: take it off this customer (or off the "
             "other one first)")


def test_a_refused_event_carries_the_code_and_parameters_of_its_reason(api, hq):
    ber, _ = enrol(api, hq, "BER01")
    ham, _ = enrol(api, hq, "HAM01")
    r = api.post("/v1/push", json={"events": [created(str(uuid.uuid4()), ref(0, 1), "BER01",
                                                      "0000000000001-00000-a", cards=[CARD])]}, headers=ber)
    assert r.status_code == 200 and r.json()["refused"] == []
    dup = created(str(uuid.uuid4()), ref(0, 2), "HAM01", "0000000000002-00000-b", first="Ben",
                  email="ben@example.org", cards=[CARD])
    [refusal] = api.post("/v1/push", json={"events": [dup]}, headers=ham).json()["refused"]
    assert (refusal["code"], refusal["params"]) == (CARD_HELD, {"card": CARD})
    # the English text stays for terminals that know no codes, and is the same sentence
    assert refusal["reason"] == str(Msg.from_dict(refusal)) == CARD_HELD.format(card=CARD)


def test_an_error_answer_carries_the_code_and_parameters_of_its_detail(api, hq):
    r = api.post("/v1/enrol", json={"token": "x" * 40, "terminal_name": "till"})
    assert r.status_code == 401
    assert r.json() == {"detail": "the enrolment token is unknown, used or expired",
                        "code": "the enrolment token is unknown, used or expired", "params": {}}
    ber, _ = enrol(api, hq, "BER01")
    nobody = str(uuid.uuid4())
    r = api.get(f"/v1/customers/{nobody}", headers=ber)
    assert r.status_code == 404
    assert r.json() == {"detail": f"no customer {nobody} at headquarters",
                        "code": "no customer {customer} at headquarters", "params": {"customer": nobody}}


def test_a_value_our_protocol_refuses_is_named_with_its_code_in_the_422(api, hq):
    ber, _ = enrol(api, hq, "BER01")
    bad = created(str(uuid.uuid4()), ref(0, 1), "BER01", "0000000000001-00000-a", birth_date="24.12.1990")
    r = api.post("/v1/push", json={"events": [bad]}, headers=ber)
    assert r.status_code == 422
    [item] = [d for d in r.json()["detail"] if d["loc"][-1] == "birth_date"]
    assert item["msg"] == "Value error, must be a date, YYYY-MM-DD"  # pydantic's words, as before
    assert (item["code"], item["params"]) == ("must be a date, YYYY-MM-DD", {})


def test_a_terminal_shows_a_parked_refusal_and_an_error_answer_in_its_associates_language(hq, svc, admin):
    http = customer_data_chain(hq, svc, admin)  # the till is BER01 (store number 101); MUC01 is 102
    muc = http.http.post("/v1/enrol", json={"token": hq.issue_token("MUC01"), "terminal_name": "till"}).json()
    first = created(str(uuid.uuid4()), make_reference(102, 0, terminal=1), "MUC01", "0000000000001-00000-m",
                    first="Ben", email="ben@example.org", cards=[CARD])
    r = http.http.post("/v1/push", json={"events": [first]},
                       headers={"Authorization": f"Bearer {muc['credential']}"})
    assert r.status_code == 200 and r.json()["applied"] == [first["id"]]

    anna = create_customer(svc, admin, person("Anna", "Müller", "anna@example.org", cards=[CARD]))
    result = sync.sync_now(svc, admin, transport=http)
    assert result.parked == 1
    [parked] = [p for p in sync.parked_events(svc, admin) if p.customer_id == anna.id]
    assert parked.reason == CARD_HELD.format(card=CARD)  # English where nothing translates it

    i18n.install("de", _Catalog({
        CARD_HELD: "Karte {card} gehört einem anderen Kunden der Kette: nehmen Sie sie hier (oder dort) heraus",
        "headquarters refused ({status}): {detail}": "Die Zentrale lehnt ab ({status}): {detail}",
        "no customer {customer} at headquarters": "Kein Kunde {customer} in der Zentrale"}))
    try:
        i18n.set_language("de")
        assert tr(parked.reason) == f"Karte {CARD} gehört einem anderen Kunden der Kette: nehmen Sie sie hier " \
                                    "(oder dort) heraus"
        nobody = str(uuid.uuid4())
        client = sync._client(svc, transport=http)
        try:
            client.pull_in(nobody)
        except sync.HqRefused as exc:
            assert str(exc) == f"headquarters refused (404): no customer {nobody} at headquarters"
            assert tr(exc) == f"Die Zentrale lehnt ab (404): Kein Kunde {nobody} in der Zentrale"
        else:
            raise AssertionError("headquarters knows no such customer")
        finally:
            client.close()
    finally:
        i18n.set_language("en")
        i18n.forget_catalogs()
