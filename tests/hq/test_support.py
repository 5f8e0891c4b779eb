"""The chain's support accounts at headquarters (service and HTTP), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pos_customers.domain.audit import verify_chain
from pos_customers.domain.protocol import SupportAccount
from pos_customers.domain.security import verify_secret
from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.errors import Conflict, Invalid, NotFound
from pos_customers.hq.service import Headquarters

BY = "cli:hq-admin"


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


def enrol(api, hq, code):
    r = api.post("/v1/enrol", json={"token": hq.add_store(code, f"Store {code}"), "terminal_name": "till"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['credential']}"}


def support_items(api, headers, cursor=0):
    page = api.get("/v1/pull", params={"cursor": cursor}, headers=headers)
    assert page.status_code == 200, page.text
    return [i for i in page.json()["items"] if i["t"] == "support"], page.json()["cursor"]


def associate_event(number, store="BER01", role="associate"):
    return {"id": str(uuid.uuid4()), "seq": 1, "hlc": "0000000000001-00000-t", "type": "associate.changed",
            "entity": "associate", "entity_id": number,
            "payload": {"number": number, "name": "Someone", "role": role, "pin_hash": "x", "store_code": store}}


def counts(engine):
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (t.support, t.record, t.audit))


def test_add_list_and_every_store_pulls_the_hash_never_the_pin(api, hq):
    ber, ham = enrol(api, hq, "BER01"), enrol(api, hq, "HAM01")
    view = hq.add_support("s100", "  Sam   Support ", "8642", by=BY)
    assert (view.number, view.name, view.active) == ("S100", "Sam Support", True)
    assert [(a.number, a.name, a.active) for a in hq.support_accounts()] == [("S100", "Sam Support", True)]
    for headers in (ber, ham):  # every store, whatever its scope
        items, _ = support_items(api, headers)
        assert [(i["key"], i["deleted"]) for i in items] == [("S100", False)]
        doc = SupportAccount.model_validate(items[0]["doc"])
        assert doc.name == "Sam Support" and doc.active
        assert doc.pin_hash.startswith("$argon2id$") and verify_secret(doc.pin_hash, "8642")
        assert "8642" not in json.dumps(items[0])
    trail = hq.own_audit()
    assert [(r.associate, r.entity, r.entity_id, r.action) for r in trail] == [
        (BY, "support_account", "S100", "create")]
    assert trail[0].changes == {"name": {"old": None, "new": "Sam Support"}, "role": {"old": None, "new": "support"}}
    assert verify_chain(trail)[2] == []


@pytest.mark.parametrize("number, name, pin, field", [
    ("100", "Sam", "8642", "number"), ("S", "Sam", "8642", "number"), ("S1234567890123456", "Sam", "8642", "number"),
    ("S100", "", "8642", "name"), ("S100", "Sam\x1b[31m", "8642", "name"), ("S100", "Sam\u202eSupport", "8642", "name"),
    ("S100", "Sam", "12", "pin"),
    ("S100", "Sam", "12ab", "pin")])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(hq, hq_engine, number, name, pin, field):
    before = counts(hq_engine)
    with pytest.raises(Invalid) as exc:
        hq.add_support(number, name, pin, by=BY)
    assert exc.value.status == 422 and str(exc.value).startswith(f"{field}:")
    assert counts(hq_engine) == before


def test_a_number_is_one_account_and_never_given_again(hq, hq_engine):
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    with pytest.raises(Conflict, match="already"):
        hq.add_support("S100", "Someone Else", "1111", by=BY)
    hq.remove_support("S100", by=BY)
    with pytest.raises(Conflict, match="not given again"):
        hq.add_support("S100", "Someone Else", "1111", by=BY)
    with pytest.raises(NotFound, match="removed"):
        hq.reset_support("S100", "1234", by=BY)
    with pytest.raises(NotFound, match="removed"):
        hq.remove_support("S100", by=BY)
    with pytest.raises(NotFound, match="no support account S999"):
        hq.remove_support("S999", by=BY)
    assert [(a.number, a.active) for a in hq.support_accounts()] == [("S100", False)]
    assert hq.support_accounts(removed=False) == []


def test_reset_and_remove_reach_the_stores_and_are_audited(api, hq):
    ber = enrol(api, hq, "BER01")
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    first, cursor = support_items(api, ber)
    hq.reset_support("S100", "1357", by=BY)
    items, cursor = support_items(api, ber, cursor)
    assert len(items) == 1 and items[0]["doc"]["pin_hash"] != first[0]["doc"]["pin_hash"]
    assert verify_secret(items[0]["doc"]["pin_hash"], "1357") and not verify_secret(items[0]["doc"]["pin_hash"], "8642")
    hq.remove_support("S100", by=BY)
    items, _ = support_items(api, ber, cursor)
    assert [(i["key"], i["deleted"], i["doc"]["active"], i["doc"]["pin_hash"]) for i in items] == [
        ("S100", True, False, "")]
    with hq.engine.connect() as conn:
        assert conn.execute(select(t.support.c.pin_hash, t.support.c.removed_at.is_not(None))).one() == ("", True)
    trail = hq.own_audit()
    assert [r.action for r in trail] == ["create", "pin_reset", "remove"]
    assert "1357" not in json.dumps([r.changes for r in trail])
    assert verify_chain(trail)[2] == []


def test_a_store_may_not_take_a_support_accounts_number(api, hq):
    ber = enrol(api, hq, "BER01")
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    taken = associate_event("S100")
    fine = associate_event("1003")
    r = api.post("/v1/push", json={"events": [taken, fine]}, headers=ber).json()
    assert [(x["id"], x["status"], x["field"]) for x in r["refused"]] == [(taken["id"], 409, "payload.number")]
    assert r["applied"] == [fine["id"]]
    assert [a["number"] for a in api.get("/v1/stores/BER01/associate", headers=ber).json()] == ["1003"]


def test_a_support_account_is_not_made_with_a_stores_associates_number(api, hq, hq_engine):
    ber = enrol(api, hq, "BER01")
    # a terminal from before support accounts gave an associate a number of their range
    old = associate_event("S200")
    assert api.post("/v1/push", json={"events": [old]}, headers=ber).json()["applied"] == [old["id"]]
    before = counts(hq_engine)
    with pytest.raises(Conflict, match="associate's number in store BER01"):
        hq.add_support("S200", "Sam Support", "8642", by=BY)
    assert counts(hq_engine) == before
    assert hq.add_support("S20", "Sam Support", "8642", by=BY).number == "S20"


def test_no_route_lets_a_terminal_make_or_change_a_support_account(api, hq):
    """Support accounts are managed with `hq support ...` only: no HTTP route changes them, and a
    terminal's push cannot turn a store associate into one."""
    paths = api.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "support" in p]
    ber = enrol(api, hq, "BER01")
    forged = associate_event("S300", role="support")
    api.post("/v1/push", json={"events": [forged]}, headers=ber)
    assert hq.support_accounts() == []
    items, _ = support_items(api, ber)
    assert items == []


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request, tmp_path):
    """An empty database of its own (the migration is run down and up on it)."""
    from sqlalchemy import create_engine, text

    from pos_customers.hq.db import make_engine
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    from tests.hq.conftest import PG_ADMIN
    request.getfixturevalue("pg_url")  # skips (or fails in CI) without a server
    name = f"pos_hq_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_revision_0005_up_down_and_up_on_a_database_in_use(fresh_engine):
    from sqlalchemy import inspect

    from pos_customers.hq.db import downgrade, upgrade
    upgrade(fresh_engine, "0004")
    hq = Headquarters(fresh_engine)
    hq.add_store("BER01", "Berlin")
    upgrade(fresh_engine)
    hq.add_support("S100", "Sam Support", "8642", by=BY)
    downgrade(fresh_engine, "0004")
    assert "hq_support" not in inspect(fresh_engine).get_table_names()
    with fresh_engine.connect() as conn:  # no store pulls an account headquarters no longer knows
        assert conn.execute(select(t.record.c.key).where(t.record.c.kind == "support")).all() == []
    assert [s["code"] for s in hq.stores()] == ["BER01"]
    upgrade(fresh_engine)
    assert hq.support_accounts() == []
    assert hq.add_support("S100", "Sam Support", "8642", by=BY).active
