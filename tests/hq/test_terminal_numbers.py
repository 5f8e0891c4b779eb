"""Headquarters gives every till of a store its own terminal number at enrolment (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from pos_customers.domain.reference import MAX_TERMINAL
from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.db import make_engine, upgrade


@pytest.fixture
def api(hq, hq_engine):
    return TestClient(create_app(hq_engine, hq))


def numbers(engine, store):
    with engine.connect() as conn:
        return sorted(conn.execute(select(t.terminal.c.number).where(t.terminal.c.store_code == store)).scalars())


def test_each_till_of_a_store_gets_the_smallest_free_number_and_stores_count_apart(api, hq, hq_engine):
    hq.add_store("BER01", "Berlin")
    hq.add_store("HAM01", "Hamburg")
    got = []
    for code in ("BER01", "BER01", "HAM01", "BER01"):
        r = api.post("/v1/enrol", json={"token": hq.issue_token(code), "terminal_name": "till"})
        assert r.status_code == 200, r.text
        got.append((code, r.json()["terminal_number"]))
    assert got == [("BER01", 1), ("BER01", 2), ("HAM01", 1), ("BER01", 3)]
    assert numbers(hq_engine, "BER01") == [1, 2, 3] and numbers(hq_engine, "HAM01") == [1]


def test_a_revoked_tills_number_is_never_given_again(api, hq, hq_engine):
    hq.add_store("BER01", "Berlin")
    first = api.post("/v1/enrol", json={"token": hq.issue_token("BER01")}).json()
    api.post("/v1/enrol", json={"token": hq.issue_token("BER01")})
    with hq_engine.begin() as conn:  # the first till is taken out of service
        conn.execute(update(t.terminal).where(t.terminal.c.id == first["terminal_id"]).values(revoked=True))
    again = api.post("/v1/enrol", json={"token": hq.issue_token("BER01")}).json()
    assert again["terminal_number"] == 3  # not 1: the references till 1 made carry its number


def test_a_store_with_every_number_in_use_is_refused_with_409_and_the_token_stays_unused(api, hq, hq_engine):
    hq.add_store("BER01", "Berlin")
    now = datetime.now(timezone.utc)
    with hq_engine.begin() as conn:
        conn.execute(insert(t.terminal), [
            {"id": f"00000000-0000-4000-8000-{n:012d}", "store_code": "BER01", "name": f"till {n}",
             "credential_hash": f"{n:064d}", "created_at": now, "number": n} for n in range(1, MAX_TERMINAL + 1)])
    token = hq.issue_token("BER01")
    r = api.post("/v1/enrol", json={"token": token, "terminal_name": "one too many"})
    assert r.status_code == 409
    assert r.json()["detail"] == ("store BER01 has all 64 terminal numbers in use (they are never given twice): "
                                  "no further till can be enrolled for it")
    assert len(numbers(hq_engine, "BER01")) == MAX_TERMINAL
    with hq_engine.connect() as conn:
        assert conn.execute(select(t.enrolment.c.used_at)).scalars().all() == [None, None]


def test_the_number_is_unique_per_store_in_the_database(hq, hq_engine):
    hq.add_store("BER01", "Berlin")
    hq.enrol(hq.issue_token("BER01"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with hq_engine.begin() as conn:
            conn.execute(insert(t.terminal).values(
                id="00000000-0000-4000-8000-000000000001", store_code="BER01", name="", credential_hash="x" * 64,
                created_at=datetime.now(timezone.utc), number=1))


def test_upgrading_gives_each_stores_oldest_terminal_number_1(tmp_path):
    """Tills enrolled before numbers work as till 1: the oldest keeps 1, new tills start after it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hq.db'}")
    upgrade(engine, "0002")
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        for code, number in (("BER01", 1), ("HAM01", 2)):
            conn.execute(t.store.insert().values(code=code, number=number, name=code, created_at=now))
        conn.execute(t.terminal.insert(), [
            {"id": f"00000000-0000-4000-8000-00000000000{i}", "store_code": code, "name": "", "created_at": at,
             "credential_hash": f"{i:064d}"}
            for i, (code, at) in enumerate((("BER01", now + timedelta(days=2)), ("BER01", now),
                                            ("HAM01", now + timedelta(days=1)), ("BER01", now + timedelta(days=1))))])
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(t.terminal.c.id, t.terminal.c.number).order_by(t.terminal.c.id)).all()
    assert [r.number for r in rows] == [None, 1, 1, None]
    from pos_customers.hq.service import Headquarters
    hq = Headquarters(engine)
    assert hq.enrol(hq.issue_token("BER01"))[3] == 2
    engine.dispose()
