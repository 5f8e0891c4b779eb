"""Headquarters' online sign-in honours "must change password at next sign-in": the password is
right, the answer is 403 until the customer sets a new one; a change or a link clears the flag,
on headquarters' audit trail, and the stores learn it with their next pull."""

from __future__ import annotations

import json
import uuid

from argon2 import PasswordHasher
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.audit import HQ_TRAIL
from tests.hq.test_api import created, ref, updated
from tests.hq.test_password_links import setup, smtp, token_in  # noqa: F401 - fixtures

OLD = "Kx7#mP2!qRs"
NEW = "Tee#Zeit-2026"


def stored(engine, cid):
    with engine.connect() as conn:
        row = conn.execute(select(t.customer.c.fields, t.customer.c.clocks).where(t.customer.c.id == cid)).one()
    return json.loads(row.fields), json.loads(row.clocks)


def trail(engine, cid):
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit.c.row).where(t.audit.c.terminal_id == HQ_TRAIL)
                            .order_by(t.audit.c.local_id)).scalars().all()
    return [(r["action"], r["changes"]) for r in map(json.loads, rows) if r["entity_id"] == cid]


def flagged_account(setup, **more):
    api, hq, headers, _, clock = setup
    cid = str(uuid.uuid4())
    ev = created(cid, ref(1), "BER01", "0000000000002-00000-a", account_type="registered",
                 email="eva@example.org", first="Eva", last="Lang",
                 password_hash=PasswordHasher().hash(OLD), must_change_password=True, **more)
    assert api.post("/v1/push", json={"events": [ev]}, headers=headers).status_code == 200
    return cid


def sign_in(api, password, email="eva@example.org"):
    return api.post("/v1/accounts/sign-in", json={"email": email, "password": password})


def test_sign_in_is_refused_until_the_password_is_changed(setup, hq_engine):
    api, hq, headers, _, clock = setup
    cid = flagged_account(setup)
    refused = sign_in(api, OLD)
    assert refused.status_code == 403 and "password change required" in refused.json()["detail"]
    assert "last_sign_in_at" not in stored(hq_engine, cid)[0] or stored(hq_engine, cid)[0]["last_sign_in_at"] is None
    # a wrong password is still the same 401 as an unknown address: the 403 tells nothing to a guesser
    wrong, nobody = sign_in(api, "Wrong#pass-1"), sign_in(api, "Wrong#pass-1", "nobody@example.org")
    assert wrong.status_code == nobody.status_code == 401 and wrong.json() == nobody.json()
    change = lambda pw, new: api.post("/v1/accounts/change-password",  # noqa: E731
                                      json={"email": "eva@example.org", "password": pw, "new_password": new})
    assert change("Wrong#pass-1", NEW).status_code == 401
    weak = change(OLD, "short")
    assert weak.status_code == 400 and "at least 10" in weak.json()["detail"]
    same = change(OLD, OLD)
    assert same.status_code == 400 and "differ" in same.json()["detail"]
    assert stored(hq_engine, cid)[0]["must_change_password"] is True  # nothing changed by the refusals
    ok = change(OLD, NEW)
    assert ok.status_code == 200 and ok.json()["customer_id"] == cid
    fields, clocks = stored(hq_engine, cid)
    assert fields["must_change_password"] is False and PasswordHasher().verify(fields["password_hash"], NEW)
    assert clocks["must_change_password"] > clocks["first_name"] and clocks["must_change_password"].endswith("-hq")
    assert trail(hq_engine, cid) == [("password_change", {
        "password": {"old": "…", "new": "set by the customer"},
        "must_change_password": {"old": True, "new": False}})]
    assert sign_in(api, OLD).status_code == 401
    assert sign_in(api, NEW).status_code == 200
    # the store learns the cleared flag and the new hash with its next pull
    doc = next(i["doc"] for i in api.get("/v1/pull", headers=headers).json()["items"]
               if i["t"] == "customer" and i["doc"]["id"] == cid)
    assert doc["fields"]["must_change_password"] is False


def test_a_store_sets_the_flag_with_an_edit_and_sign_in_stops(setup, hq_engine):
    api, hq, headers, cid, clock = setup  # Anna: registered, no flag
    hashed = PasswordHasher().hash(OLD)
    ev = updated(cid, "0000000000003-00000-a", {"password_hash": hashed}, {})
    assert api.post("/v1/push", json={"events": [ev]}, headers=headers).status_code == 200
    assert sign_in(api, OLD, "anna.mueller@example.org").status_code == 200
    ev = updated(cid, "0000000000004-00000-a", {"must_change_password": True}, {})
    assert api.post("/v1/push", json={"events": [ev]}, headers=headers).status_code == 200
    assert sign_in(api, OLD, "anna.mueller@example.org").status_code == 403
    bad = updated(cid, "0000000000005-00000-a", {"must_change_password": 1}, {})  # strictly a boolean
    r = api.post("/v1/push", json={"events": [bad]}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "must_change_password"
    assert stored(hq_engine, cid)[0]["must_change_password"] is True


def test_a_reset_link_sets_the_flag_and_using_it_clears_it(setup, smtp, hq_engine):
    api, hq, headers, _, clock = setup
    cid = flagged_account(setup)
    # an account without the flag: the link sets it, so the old password no longer signs in
    hq_clear = api.post("/v1/accounts/change-password",
                        json={"email": "eva@example.org", "password": OLD, "new_password": NEW})
    assert hq_clear.status_code == 200 and sign_in(api, NEW).status_code == 200
    assert api.post("/v1/accounts/reset-link", json={"email": "eva@example.org"}, headers=headers).status_code == 202
    assert stored(hq_engine, cid)[0]["must_change_password"] is True
    assert sign_in(api, NEW).status_code == 403
    assert trail(hq_engine, cid)[-1] == ("password_link", {"must_change_password": {"old": False, "new": True}})
    r = api.post("/v1/accounts/reset", json={"token": token_in(smtp.messages[-1]), "password": "Neu#Passwort-27"})
    assert r.status_code == 200
    assert stored(hq_engine, cid)[0]["must_change_password"] is False
    assert trail(hq_engine, cid)[-1][0] == "password_reset"
    assert sign_in(api, "Neu#Passwort-27").status_code == 200


def test_the_routes_are_documented(setup):
    api = setup[0]
    paths = api.get("/openapi.json").json()["paths"]
    assert {"400", "401", "403", "422"} <= set(paths["/v1/accounts/sign-in"]["post"]["responses"])
    change = paths["/v1/accounts/change-password"]["post"]
    assert change["summary"] and {"400", "401", "422"} <= set(change["responses"])
