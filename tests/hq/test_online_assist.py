"""Headquarters' side of "now online" and shopper assistance (hq/online.py), on SQLite and PostgreSQL:
online sessions with the customer session lifetime, sign-out, `online_now`; assistance links that
keep only a digest, work once, expire, and are refused without the customer's consent; both on
headquarters' own audit trail."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.audit import HQ_TRAIL
from pos_customers.hq.service import Headquarters
from tests.hq.test_api import created, enrol, ref, updated
from tests.hq.test_password_links import Clock

PASSWORD = "Kx7#mP2!qRs"


@pytest.fixture
def chain(hq_engine):
    """Headquarters (a clock of its own, sessions of 30 minutes) with store BER01's Eva, registered,
    who has not agreed to shopper assistance yet."""
    clock = Clock()
    hq = Headquarters(hq_engine, now=clock, reset_url="https://shop.example/reset",
                      session_lifetime=timedelta(minutes=30))
    api = TestClient(create_app(hq_engine, hq))
    headers, _ = enrol(api, hq, "BER01")
    cid = str(uuid.uuid4())
    ev = created(cid, ref(1), "BER01", "0000000000002-00000-a", account_type="registered", email="eva@example.org",
                 first="Eva", last="Lang", password_hash=PasswordHasher().hash(PASSWORD))
    assert api.post("/v1/push", json={"events": [ev]}, headers=headers).status_code == 200
    return api, hq, headers, cid, clock


def consent(api, headers, cid, on=True):
    ev = updated(cid, "0000000000003-00000-a" if on else "0000000000004-00000-a", {"assist_consent": on, "assist_consent_by": "1002",
                                                 "assist_consent_at": "2026-11-24T10:00:00+00:00"},
                 {"assist_consent": "", "assist_consent_by": "", "assist_consent_at": ""})
    r = api.post("/v1/push", json={"events": [ev]}, headers=headers)
    assert r.status_code == 200 and not r.json().get("refused"), r.text


def trail(engine, cid):
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit.c.row).where(t.audit.c.terminal_id == HQ_TRAIL)
                            .order_by(t.audit.c.local_id)).scalars().all()
    return [(r["associate"], r["action"]) for r in map(json.loads, rows) if r["entity_id"] == cid]


def ask(api, headers, cid):
    return api.post(f"/v1/customers/{cid}/assist-link", json={"associate": "1002", "role": "associate"},
                    headers=headers)


def test_a_link_is_refused_without_consent_then_works_once(chain, hq_engine):
    api, hq, headers, cid, clock = chain
    refused = ask(api, headers, cid)
    assert refused.status_code == 403 and "not agreed to shopper assistance" in refused.json()["detail"]
    consent(api, headers, cid)
    r = ask(api, headers, cid)
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].startswith("https://shop.example/assist?token=")
    token = link["url"].split("token=", 1)[1]
    with hq_engine.connect() as conn:
        stored = conn.execute(select(t.assist_link)).one()
    assert stored.token_hash != token and token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.requested_by == "BER01 1002 (associate)" and stored.used_at is None
    used = api.post("/v1/accounts/assist", json={"token": token})
    assert used.status_code == 200 and used.json()["assisted_by"] == "BER01 1002 (associate)"
    again = api.post("/v1/accounts/assist", json={"token": token})
    assert again.status_code == 400 and "unknown, used or expired" in again.json()["detail"]
    # the HTML page refuses it too, in one line, without a traceback
    page = api.post("/assist", content=f"token={token}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 400 and "unknown, used or expired" in page.text
    assert trail(hq_engine, cid) == [("BER01 1002 (associate)", "assist_link"),
                                     ("BER01 1002 (associate)", "assist_link_used")]
    state = api.get(f"/v1/customers/{cid}/online", headers=headers).json()
    assert state["online"] is True and state["assisted_by"] == "BER01 1002 (associate)"
    assert [(x["id"], x["used_at"] is not None) for x in state["links"]] == [(link["id"], True)]


def test_an_expired_link_and_a_withdrawn_consent_are_refused(chain):
    api, hq, headers, cid, clock = chain
    consent(api, headers, cid)
    token = ask(api, headers, cid).json()["url"].split("token=", 1)[1]
    clock.now += hq.assist_ttl + timedelta(seconds=1)
    assert api.post("/v1/accounts/assist", json={"token": token}).status_code == 400
    token = ask(api, headers, cid).json()["url"].split("token=", 1)[1]
    consent(api, headers, cid, on=False)
    withdrawn = api.post("/v1/accounts/assist", json={"token": token})
    assert withdrawn.status_code == 403
    assert ask(api, headers, cid).status_code == 403
    assert api.post("/v1/accounts/assist", json={"token": "x" * 43}).status_code == 400


def test_sign_in_opens_a_session_for_the_lifetime_and_sign_out_ends_it(chain):
    api, hq, headers, cid, clock = chain
    assert hq.online_now() == []
    r = api.post("/v1/accounts/sign-in", json={"email": "eva@example.org", "password": PASSWORD})
    assert r.status_code == 200
    session = r.json()["session"]
    (line,) = hq.online_now()
    assert (line.customer_id, line.name, line.home_store) == (cid, "Eva Lang", "BER01")
    assert line.expires_at == clock.now + timedelta(minutes=30)
    # used again 20 minutes later: open for another 30 from then
    clock.now += timedelta(minutes=20)
    assert api.post("/v1/accounts/session", json={"session": session}).status_code == 200
    clock.now += timedelta(minutes=29)
    assert [x.customer_id for x in hq.online_now()] == [cid]
    state = api.get(f"/v1/customers/{cid}/online", headers=headers).json()
    assert state["online"] is True and state["sessions"] == 1
    clock.now += timedelta(minutes=2)  # the lifetime since the last use is over
    assert hq.online_now() == []
    assert api.post("/v1/accounts/session", json={"session": session}).status_code == 401
    state = api.get(f"/v1/customers/{cid}/online", headers=headers).json()
    assert state["online"] is False and state["last_seen_at"].startswith("2026-11-24T10:20")
    # a new sign-in, then signing out (twice: the same answer)
    session = api.post("/v1/accounts/sign-in", json={"email": "eva@example.org", "password": PASSWORD}).json()["session"]
    assert len(hq.online_now()) == 1
    for _ in range(2):
        assert api.post("/v1/accounts/sign-out", json={"session": session}).status_code == 200
    assert hq.online_now() == []


def test_online_state_is_for_the_store_s_scope_only(chain):
    api, hq, headers, cid, clock = chain
    other, _ = enrol(api, hq, "MUC01")
    assert api.get(f"/v1/customers/{cid}/online", headers=other).status_code == 403
    assert ask(api, other, cid).status_code == 403
    assert api.get(f"/v1/customers/{uuid.uuid4()}/online", headers=headers).status_code == 404
    assert api.post(f"/v1/customers/{cid}/assist-link", json={"associate": "", "role": "boss"},
                    headers=headers).status_code == 422


def test_the_assist_page_names_the_customer_by_the_reference_as_printed(chain, hq_engine):
    """The page shows the reference as the app and the card print it (YHW-NVR-5PY), never bare."""
    from pos_customers.domain.reference import format_reference

    api, hq, headers, cid, clock = chain
    consent(api, headers, cid)
    token = ask(api, headers, cid).json()["url"].split("token=", 1)[1]
    with hq_engine.connect() as conn:
        reference = conn.execute(select(t.customer.c.reference).where(t.customer.c.id == cid)).scalar_one()
    page = api.post("/assist", content=f"token={token}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 200 and f"customer {format_reference(reference)} is open" in page.text, page.text
    assert "-" in format_reference(reference)
