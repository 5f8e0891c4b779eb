"""Customer segments at headquarters: rules compiled to SQL give the right members on SQLite and
PostgreSQL; definitions and memberships go out by pull; the report; bad rules refused."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.errors import Conflict, Invalid, NotFound
from pos_customers.hq.service import Headquarters
from tests.hq.test_api import enrol, fields, ref

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
IDS = {name: str(uuid.UUID(int=k + 1)) for k, name in enumerate("ABCD")}


def _phone(consent: bool) -> dict:
    return {"e164": "+4915123456789", "national": "0151 23456789", "purpose": "mobile", "primary": True,
            "marketing_consent": consent}


def _order(cid: str, k: int, total: str, store: str, days_ago: int, *, status="delivered", currency="EUR"):
    oid = f"{cid}:{k}"
    return ("order", oid, {"customer_id": cid, "doc": {
        "id": oid, "customer_id": cid, "number": f"S-{k}", "ordered_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "store_code": store, "status": status, "total": total, "currency": currency}})


@pytest.fixture
def chain(hq_engine):
    """Four customers whose segments are known:
    A  VIP, registered 10 days ago, email consent, BER01; spent 300.00 + 250.00 EUR in the last 5 months
    B  RETAIL, registered 400 days ago, phone consent; a cancelled 600.00, a 100.00 at HAM01 13 months ago
    C  no group, registered 5 days ago, home HAM01; 499.99 + 0.02 EUR (50,001 cents) and 1000 CHF
    D  VIP, anonymized: in no segment
    """
    hq = Headquarters(hq_engine, now=lambda: NOW)
    hq.add_store("BER01", "Berlin", number=1)
    hq.add_store("HAM01", "Hamburg", number=2)
    a, b, c, d = (IDS[k] for k in "ABCD")

    def doc(cid, n, store, days, anonymized=False, **f):
        return {"id": cid, "reference": ref(n, 1 if store == "BER01" else 2), "store_code": store,
                "created_at": (NOW - timedelta(days=days)).isoformat(),
                "anonymized_at": NOW.isoformat() if anonymized else None, "fields": fields(**f)}

    consent = [{"address": "anna@example.org", "purpose": "personal", "primary": True, "marketing_consent": True}]
    hq.import_customers([
        doc(a, 0, "BER01", 10, group_code="VIP", emails=consent),
        doc(b, 1, "BER01", 400, first="Bert", email="bert@example.org", group_code="RETAIL",
            phones=[_phone(True)]),
        doc(c, 0, "HAM01", 5, first="Cleo", email="cleo@example.org"),
        doc(d, 2, "BER01", 3, anonymized=True, group_code="VIP", emails=consent),
    ])
    hq.put_records([
        _order(a, 0, "300.00", "BER01", 60), _order(a, 1, "250.00", "WEB", 150),
        _order(b, 0, "600.00", "BER01", 20, status="cancelled"), _order(b, 1, "100.00", "HAM01", 400),
        _order(c, 0, "499.99", "HAM01", 30), _order(c, 1, "0.02", "WEB", 31), _order(c, 2, "1000", "WEB", 2,
                                                                                     currency="CHF"),
        _order(d, 0, "900.00", "BER01", 2),
    ])
    return hq


CASES = [
    ({"kind": "group", "codes": ["VIP"]}, "A"),
    ({"kind": "registered_within", "days": 30}, "AC"),
    ({"kind": "spent", "more_than": 50000, "currency": "EUR"}, "AC"),
    ({"kind": "spent", "more_than": 50001, "currency": "EUR"}, "A"),
    ({"kind": "spent", "more_than": 99999, "currency": "CHF", "months": 1}, "C"),
    ({"kind": "spent", "more_than": 20000, "currency": "EUR", "months": 3}, "AC"),
    ({"kind": "bought_in", "stores": ["HAM01"]}, "BC"),
    ({"kind": "bought_in", "stores": ["ham01"], "months": 12}, "C"),
    ({"kind": "bought_in", "stores": ["BER01"]}, "A"),  # B's BER01 order was cancelled
    ({"kind": "home_store", "stores": ["HAM01"]}, "C"),
    ({"kind": "marketing_consent", "channel": "email"}, "A"),
    ({"kind": "marketing_consent", "channel": "phone"}, "B"),
    ({"kind": "marketing_consent"}, "AB"),
    ({"kind": "all", "rules": [{"kind": "registered_within", "days": 30},
                               {"kind": "not", "rule": {"kind": "group", "codes": ["VIP"]}}]}, "C"),
    ({"kind": "any", "rules": [{"kind": "group", "codes": ["VIP"]}, {"kind": "home_store", "stores": ["HAM01"]}]},
     "AC"),
]


def _members(hq, code):
    from pos_customers.hq import tables as t
    from sqlalchemy import select

    with hq.engine.connect() as conn:
        got = set(conn.execute(select(t.segment_member.c.customer_id).where(t.segment_member.c.code == code))
                  .scalars())
    return "".join(k for k, v in IDS.items() if v in got)


def test_every_kind_of_rule_finds_its_members(chain):
    for k, (rule, expected) in enumerate(CASES):
        view = chain.add_segment(f"s{k}", f"case {k}", json.dumps(rule))
        assert (_members(chain, view.code), view.members) == (expected, len(expected)), rule
        assert chain.segment_report(view.code)[0] == len(expected)


def test_the_report_lists_members_by_reference(chain):
    chain.add_segment("new", "New this month", {"kind": "registered_within", "days": 30})
    count, rows = chain.segment_report("NEW", members=True)
    assert count == 2
    assert sorted(r[2] for r in rows) == ["anna@example.org", "cleo@example.org"]
    assert rows == sorted(rows)
    assert {r[1] for r in rows} == {"Anna Müller", "Cleo Müller"}


def _apply(items, held=None):
    """What a till holds after these pulled items: customer id -> its codes."""
    held = {} if held is None else held
    for i in items:
        if i["t"] == "customer_segments":
            held[i["doc"]["customer_id"]] = set(i["doc"]["codes"])
        elif i["t"] == "segment_members":
            d = i["doc"]
            if d.get("clear"):
                for codes in held.values():
                    codes.discard(d["code"])
            for cid in d.get("add", []):
                held.setdefault(cid, set()).add(d["code"])
            for cid in d.get("remove", []):
                held.get(cid, set()).discard(d["code"])
        elif i["t"] == "segment" and i["deleted"]:
            for codes in held.values():
                codes.discard(i["key"])
    return {cid: codes for cid, codes in held.items() if codes}


def test_memberships_reach_the_pull_in_batches_and_follow_changes(chain, hq_engine):
    api = TestClient(create_app(hq_engine, chain))
    token = chain.issue_token("BER01")
    cred = api.post("/v1/enrol", json={"token": token}).json()["credential"]
    headers = {"Authorization": f"Bearer {cred}"}
    chain.add_segment("vip", "VIP", {"kind": "group", "codes": ["VIP"]})
    chain.add_segment("fans", "Consent", {"kind": "marketing_consent"})
    items = api.get("/v1/pull", params={"cursor": 0, "limit": 5000}, headers=headers).json()["items"]
    defs = {i["key"]: i["doc"] for i in items if i["t"] == "segment"}
    assert defs == {"vip": {"code": "vip", "name": "VIP"}, "fans": {"code": "fans", "name": "Consent"}}
    batches = [i["doc"] for i in items if i["t"] == "segment_members"]
    assert batches == [{"code": "vip", "add": [IDS["A"]], "remove": []},  # one record per segment and store
                       {"code": "fans", "add": [IDS["A"], IDS["B"]], "remove": []}]
    held = _apply(items)
    assert held == {IDS["A"]: {"fans", "vip"}, IDS["B"]: {"fans"}}  # C is HAM01's (own scope)
    cursor = max(i["seq"] for i in items)
    chain.remove_segment("vip")
    items = api.get("/v1/pull", params={"cursor": cursor}, headers=headers).json()["items"]
    assert [(i["t"], i["deleted"]) for i in items if i["t"] == "segment"] == [("segment", True)]
    assert [i["doc"] for i in items if i["t"] == "segment_members"] == [{"code": "vip", "clear": True}]
    assert _apply(items, held) == {IDS["A"]: {"fans"}, IDS["B"]: {"fans"}}
    cursor = max(i["seq"] for i in items)
    assert chain.refresh_segments() == {"fans": 2}
    assert api.get("/v1/pull", params={"cursor": cursor}, headers=headers).json()["items"] == []  # nothing changed
    # a till that starts now ends with the same memberships (the removed segment's batches are gone)
    fresh = api.get("/v1/pull", params={"cursor": 0, "limit": 5000}, headers=headers).json()["items"]
    assert _apply(fresh) == {IDS["A"]: {"fans"}, IDS["B"]: {"fans"}}


def test_a_pushed_edit_moves_the_customer_at_the_next_evaluation(chain, hq_engine):
    """The columns a rule reads follow the document through a push: consent given and group
    changed at a till are found by the next (incremental) evaluation."""
    from tests.hq.test_api import created, updated

    api = TestClient(create_app(hq_engine, chain))
    cred = api.post("/v1/enrol", json={"token": chain.issue_token("BER01")}).json()["credential"]
    headers = {"Authorization": f"Bearer {cred}"}
    chain.add_segment("fans", "Consent", {"kind": "all", "rules": [
        {"kind": "marketing_consent", "channel": "email"}, {"kind": "not", "rule": {"kind": "group", "codes": ["VIP"]}}]})
    assert _members(chain, "fans") == ""  # A has consent but is VIP
    cid, t0 = str(uuid.uuid4()), "0000000000001-00000-a"
    api.post("/v1/push", json={"events": [created(cid, ref(5), "BER01", t0)]}, headers=headers)
    emails = [{"address": "eva@example.org", "purpose": "personal", "primary": True, "marketing_consent": True}]
    api.post("/v1/push", json={"events": [updated(cid, "0000000000002-00000-a", {"emails": emails},
                                                  {"emails": t0})]}, headers=headers)
    api.post("/v1/push", json={"events": [updated(IDS["A"], "0000000000003-00000-a", {"group_code": "RETAIL"},
                                                  {})]}, headers=headers)
    assert chain.refresh_segments(["fans"]) == {"fans": 2}
    with hq_engine.connect() as conn:
        got = set(conn.execute(select(t.segment_member.c.customer_id).where(t.segment_member.c.code == "fans"))
                  .scalars())
    assert got == {cid, IDS["A"]}


def test_re_evaluation_looks_at_changed_customers_and_moved_windows(chain):
    """After the first evaluation only changed customers (their orders too) and those the time
    window moved past are evaluated again, with the same members as over every customer."""
    import pos_customers.hq.segments as seg

    rules = {"new": {"kind": "registered_within", "days": 7},
             "big": {"kind": "spent", "more_than": 50000, "currency": "EUR", "months": 3},
             "ham": {"kind": "not", "rule": {"kind": "bought_in", "stores": ["HAM01"], "months": 1}}}
    for code, rule in rules.items():
        chain.add_segment(code, code, rule)
    assert (_members(chain, "new"), _members(chain, "big"), _members(chain, "ham")) == ("C", "C", "AB")
    later = NOW + timedelta(days=3)  # C registered 8 days ago now; A's 300.00 of 60 days ago still counts
    chain._now = lambda: later
    chain.put_records([_order(IDS["B"], 7, "700.00", "WEB", -3)])  # B spends 700.00 (ordered "now")
    looked = []
    real = seg.union
    seg.union = lambda *parts: looked.append(len(parts)) or real(*parts)
    try:
        assert chain.refresh_segments() == {"big": 2, "ham": 3, "new": 0}
    finally:
        seg.union = real
    assert looked == [4, 4, 4]  # changed customers, changed orders, customers orders left, one dated condition each
    # C: registered 8 days ago now; C's 499.99 at HAM01 of 33 days ago left the 1-month window
    assert (_members(chain, "new"), _members(chain, "big"), _members(chain, "ham")) == ("", "BC", "ABC")
    incremental = {code: _members(chain, code) for code in rules}
    chain.refresh_segments(full=True)
    assert {code: _members(chain, code) for code in rules} == incremental


@pytest.mark.parametrize("rule, problem", [
    ('{"kind": "group", "codes": ["VIP"], "extra": 1}', "extra: Extra inputs are not permitted"),
    ('{"kind": "bogus"}', "kind must be one of"),
    ('{"kind": "spent", "more_than": 12.5, "currency": "EUR"}', "more_than"),
    ('{"kind": "spent", "more_than": 100, "currency": "euro"}', "currency"),
    ('{"kind": "registered_within", "days": "30"}', "days"),
    ('{"kind": "registered_within", "days": 0}', "days"),
    ('{"kind": "all", "rules": []}', "rules"),
    ('{"kind": "group"', "not valid JSON"),
    ('{"kind":"not","rule":{"kind":"not","rule":{"kind":"not","rule":{"kind":"not","rule":'
     '{"kind":"home_store","stores":["X"]}}}}}', "nest at most"),
])
def test_bad_rules_are_refused_with_where(hq, rule, problem):
    with pytest.raises(Invalid) as err:
        hq.add_segment("x", "X", rule)
    assert problem in str(err.value)
    assert hq.segments() == []


def test_codes_names_and_duplicates(hq):
    with pytest.raises(Invalid, match="code"):
        hq.add_segment("VIP club!", "x", {"kind": "marketing_consent"})
    hq.add_segment("VIP", "Very important", {"kind": "marketing_consent"})
    assert hq.segment("vip").name == "Very important"
    with pytest.raises(Conflict, match="exists"):
        hq.add_segment("vip", "Again", {"kind": "marketing_consent"})
    assert hq.add_segment("vip", "Again", {"kind": "marketing_consent"}, replace=True).name == "Again"
    with pytest.raises(NotFound):
        hq.remove_segment("nope")
    hq.remove_segment("vip", by="ops")
    trail = [(r.entity, r.entity_id, r.action) for r in hq.own_audit()]
    assert trail == [("segment", "vip", "create"), ("segment", "vip", "update"), ("segment", "vip", "delete")]
