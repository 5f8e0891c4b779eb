"""Headquarters finds what the till finds: one table of queries (tests/search_cases.py) against the
till's database and headquarters on SQLite and on PostgreSQL; plus how headquarters keeps its index."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlmodel import select as sm_select

from pos_customers.domain.enums import Role
from pos_customers.hq import search as hq_search
from pos_customers.hq import tables as t
from pos_customers.hq.db import downgrade, make_engine, upgrade
from pos_customers.hq.service import Headquarters, Identity, digest
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer, get_customer, update_customer, draft_from_view
from pos_customers.services.privacy import anonymize_customer
from pos_customers.services.search import search_customers
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade as upgrade_terminal
from pos_customers.storage.tables import OutboxEvent
from tests.search_cases import ANONYMIZED, CASES, CUSTOMERS, STORE, typed

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)
ADMIN = Actor("9000", "Admin", Role.ADMIN, "T-test")


class Till:
    def __init__(self, path):
        self.db = Database(path)
        upgrade_terminal(self.db)
        self.svc = Services(self.db, now=lambda: NOW)
        init_store(self.svc, ADMIN, **STORE)
        self.ids: dict[str, str] = {}
        self.references: dict[str, str] = {}

    def add(self, key, draft):
        view = create_customer(self.svc, ADMIN, draft)
        self.ids[key], self.references[key] = view.id, view.reference
        return view

    def events(self) -> list[dict]:
        """The outbox as sync pushes it."""
        with self.db.read() as s:
            return [{"id": r.id, "seq": r.seq, "hlc": r.hlc, "type": r.event_type, "entity": r.entity,
                     "entity_id": r.entity_id, "payload": r.payload}
                    for r in s.exec(sm_select(OutboxEvent).order_by(OutboxEvent.seq))]

    def search(self, query: str, limit: int = 100) -> list[tuple[str, str]]:
        rows = search_customers(self.svc, ADMIN, query, limit=limit).rows
        # the till lists its own anonymized customers (as "Anonymized customer"); headquarters never does
        gone = {self.ids[k] for k in ANONYMIZED}
        return [(r.customer_id, r.matched_by) for r in rows if r.customer_id not in gone]


@pytest.fixture(scope="module")
def till(tmp_path_factory):
    till = Till(tmp_path_factory.mktemp("till") / "store.db")
    for key, draft in CUSTOMERS.items():
        till.add(key, draft)
    # synced, then anonymized: headquarters holds the customers it then anonymizes
    till.batches = [till.events()]
    for key in ANONYMIZED:
        anonymize_customer(till.svc, ADMIN, till.ids[key], till.references[key])
    sent = {e["id"] for e in till.batches[0]}
    till.batches.append([e for e in till.events() if e["id"] not in sent])
    yield till
    till.db.dispose()


def _clean_engine(kind, request, tmp_path_factory):
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hq') / 'hq.db'}")
        upgrade(engine)
        return engine
    engine = make_engine(request.getfixturevalue("pg_url"))
    with engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(t.counter.insert().values(name="seq", value=0))
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def headquarters(request, till, tmp_path_factory):
    """Headquarters holding the till's customers, sent the way sync sends them (the outbox, pushed)."""
    engine = _clean_engine(request.param, request, tmp_path_factory)
    hq = Headquarters(engine)
    token = hq.add_store(STORE["code"], STORE["name"], number=STORE["number"], country=STORE["country"])
    _, credential, _, _ = hq.enrol(token, "till 1")
    who = hq.authenticate(credential)
    for events in till.batches:
        assert hq.push(who, events).refused == []
    yield hq, who
    engine.dispose()


@pytest.mark.parametrize("case", CASES, ids=[c.query for c in CASES])
def test_headquarters_finds_what_the_till_finds(till, headquarters, case):
    hq, who = headquarters
    query = typed(case.query, till.references)
    at_till = till.search(query)
    at_hq = [(h["id"], h["matched_by"]) for h in hq.search(who, query, limit=100)]
    names = {v: k for k, v in till.ids.items()}
    fuzzy = [(names[cid], how) for cid, how in at_till if how in ("sounds_like", "typo")]
    assert {names[cid] for cid, how in at_till if how not in ("sounds_like", "typo")} == case.expect, "the till"
    assert fuzzy == list(case.fuzzy), "the till's sound-alikes and typos"
    ranks = [how for _, how in at_till]
    exact_and_names = [i for i, how in enumerate(ranks) if how not in ("sounds_like", "typo", "fragment")]
    assert all(i < ranks.index(how) for how in ("sounds_like", "typo") if how in ranks
               for i in exact_and_names), "sound-alikes and typos after every exact and name hit"
    # the same customers, in the same order, matched the same way
    assert [(names[cid], how) for cid, how in at_hq] == [(names[cid], how) for cid, how in at_till]
    if case.first:
        assert (names[at_hq[0][0]], at_hq[0][1]) == case.first


def test_the_index_agrees_with_the_customers(headquarters):
    hq, _ = headquarters
    with hq.engine.connect() as conn:
        assert hq_search.index_problems(conn) == []
        gone = conn.execute(select(t.customer.c.id).where(t.customer.c.anonymized_at.is_not(None))).scalars().all()
        assert len(gone) == len(ANONYMIZED)
        held = set(conn.execute(select(t.customer_search.c.customer_id)).scalars()) | set(
            conn.execute(select(t.customer_key.c.customer_id)).scalars())
        assert not held & set(gone)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_limit_keeps_the_till_s_best(till, headquarters, limit):
    hq, who = headquarters
    # (not "a": the till's own anonymized customers, "Anonymized customer", would take the places)
    for query in ("m", "mueller", "anna", "ann"):
        at_hq = [(h["id"], h["matched_by"]) for h in hq.search(who, query, limit=limit)]
        assert at_hq == till.search(query, limit=limit)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(max_size=60) | st.sampled_from(["'", "\\", "a'b", "a\\b", "'':*", "!", "&|", "<->", "\x00",
                                                      "\ud800", "%_\\", "x" * 300]))
def test_any_text_gets_an_answer(headquarters, typed):
    hq, who = headquarters
    assert isinstance(hq.search(who, typed, limit=5), list)


def test_hits_carry_what_the_list_shows(till, headquarters):
    hq, who = headquarters
    (hit,) = hq.search(who, "anna.mueller@gmx.de")
    assert hit == {"id": till.ids["anna"], "reference": till.references["anna"], "store_code": "BER01",
                   "display_name": "Anna Müller", "email": "anna.mueller@gmx.de", "phone": "+4915123456789",
                   "city": "Berlin", "via": "", "matched_by": "email"}


# -- how headquarters keeps the index: every write to a customer ----------------------------------------
def _doc(first, last, *, ref, email="", phone="", store="BER01"):
    return {"id": str(uuid.uuid4()), "reference": ref, "store_code": store, "created_at": NOW.isoformat(),
            "anonymized_at": None, "clocks": {},
            "fields": {"customer_type": "person", "first_name": first, "last_name": last,
                       "emails": [{"address": email, "primary": True}] if email else [],
                       "phones": [{"e164": phone, "primary": True}] if phone else [],
                       "addresses": [], "cards": []}}


def _ids(hq, who, query):
    return [h["id"] for h in hq.search(who, query)]


def test_a_pushed_change_and_an_anonymization_move_the_index(tmp_path_factory, request):
    for kind in ("sqlite", "postgresql"):
        engine = _clean_engine(kind, request, tmp_path_factory)
        try:
            hq = Headquarters(engine)
            till = Till(tmp_path_factory.mktemp("till") / "store.db")
            token = hq.add_store("BER01", "Berlin", number=101, country="DE")
            who = hq.authenticate(hq.enrol(token)[1])
            view = till.add("eva", CUSTOMERS["annette"])
            assert hq.push(who, till.events()).refused == []
            assert _ids(hq, who, "schröder") == [view.id]
            draft = draft_from_view(get_customer(till.svc, ADMIN, view.id))
            draft.last_name = "Großmann"
            draft.emails[0].address = "a.grossmann@web.de"
            update_customer(till.svc, ADMIN, view.id, draft, opened=get_customer(till.svc, ADMIN, view.id))
            assert hq.push(who, till.events()).refused == []
            assert _ids(hq, who, "schröder") == [] and _ids(hq, who, "a.schroeder@web.de") == []
            assert _ids(hq, who, "grossm") == [view.id] and _ids(hq, who, "a.grossmann@web.de") == [view.id]
            anonymize_customer(till.svc, ADMIN, view.id, view.reference)
            assert hq.push(who, till.events()).refused == []
            for query in ("grossmann", "a.grossmann@web.de", "0170 5551234", view.reference, "annette"):
                assert _ids(hq, who, query) == [], query
            with engine.connect() as conn:
                assert hq_search.index_problems(conn) == []
            till.db.dispose()
        finally:
            engine.dispose()


def test_imported_customers_are_found_and_the_store_s_country_reads_the_phone(hq):
    berlin = hq.authenticate(hq.enrol(hq.add_store("BER01", "Berlin", number=101, country="DE"))[1])
    boston = hq.authenticate(hq.enrol(hq.add_store("BOS01", "Boston", number=102, country="US"))[1])
    # made in this order: the second is the newer one
    landline = _doc("Lena", "Fest", ref="AAAAAAAAA", phone="+49301234567")
    longer = _doc("Otto", "Lang", ref="AAAAAAAAB", phone="+15550301234567")
    hq.import_customers([landline, longer])
    # in Berlin "030 1234567" is a whole German number: its owner alone (no scan for the digits inside
    # another number: issue 15)
    assert [(h["id"], h["matched_by"]) for h in hq.search(berlin, "030 1234567")] == [(landline["id"], "phone")]
    # in Boston it is no number: digits only, newest first
    assert _ids(hq, boston, "030 1234567") == [longer["id"], landline["id"]]
    assert _ids(hq, berlin, "fest lena") == [landline["id"]]
    # a larger load goes in at once (COPY on PostgreSQL) and is found just the same
    symbols = "0123456789ABCDEFGHJKMNPQRSTVWXY"
    many = [_doc("Fritz", f"Füllmann{i:02d}", ref=f"AAAAAAB{symbols[i // 31]}{symbols[i % 31]}",
                 email=f"fritz{i}@example.org", phone=f"+49301234{i:03d}") for i in range(40)]
    hq.import_customers(many)
    assert {h["id"] for h in hq.search(berlin, "fuellmann", limit=100)} == {d["id"] for d in many}
    assert _ids(hq, berlin, "fritz7@example.org")[0] == many[7]["id"]
    with hq.engine.connect() as conn:
        assert hq_search.index_problems(conn) == []


def test_a_password_reset_and_a_sign_in_keep_the_customer_s_index(hq, hq_engine):
    who = hq.authenticate(hq.enrol(hq.add_store("BER01", "Berlin", number=101, country="DE"))[1])
    doc = _doc("Anna", "Müller", ref="AAAAAAAAA", email="anna.mueller@gmx.de", phone="+4915123456789")
    doc["fields"]["account_type"] = "registered"
    hq.import_customers([doc])
    with hq_engine.begin() as conn:
        conn.execute(insert(t.reset_token).values(token_hash=digest("tok"), customer_id=doc["id"],
                                                  created_at=NOW, expires_at=datetime(2999, 1, 1, tzinfo=timezone.utc)))
    hq.reset_password("tok", "Tee#Zeit-2026")
    assert hq.sign_in("anna.mueller@gmx.de", "Tee#Zeit-2026")["customer_id"] == doc["id"]
    for query in ("mueller", "anna mül", "anna.mueller@gmx.de", "0151 234", "+49 151 23456789"):
        assert _ids(hq, who, query) == [doc["id"]], query
    with hq_engine.connect() as conn:
        assert hq_search.index_problems(conn) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    """A headquarters database with no tables yet (PostgreSQL: a database of its own)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'hq.db'}")
        yield engine
        engine.dispose()
        return
    from tests.hq.conftest import PG_ADMIN

    request.getfixturevalue("pg_url")  # skips (or fails) as the other PostgreSQL tests do
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"pos_hq_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_revision_0004_indexes_the_customers_already_held(empty_engine):
    engine = empty_engine
    upgrade(engine, "0003")
    doc = _doc("Anna", "Müller", ref="AAAAAAAAA", email="anna.mueller@gmx.de", phone="+4915123456789")
    gone = _doc("Anna", "Mühlberg", ref="AAAAAAAAB", email="anna.muehlberg@gmx.de")
    with engine.begin() as conn:
        conn.execute(insert(t.store).values(code="BER01", number=101, name="Berlin", country="DE",
                                            created_at=NOW))
        for seq, (d, anonymized) in enumerate([(doc, None), (gone, NOW)], start=1):
            conn.execute(text(
                "INSERT INTO hq_customer (id, reference, home_store, region, updated_at, anonymized_at, seq,"
                " fields, clocks) VALUES (:id, :ref, 'BER01', '', :now, :anon, :seq, :fields, '{}')"),
                {"id": d["id"], "ref": d["reference"], "now": NOW, "anon": anonymized, "seq": seq,
                 "fields": json.dumps(d["fields"])})
    upgrade(engine)
    hq = Headquarters(engine)
    who = Identity("t", "BER01", "own", "")
    for query in ("mueller", "mül ann", "0151 234", "anna.mueller@gmx.de", "gmx.de"):
        assert _ids(hq, who, query) == [doc["id"]], query
    with engine.connect() as conn:
        assert hq_search.index_problems(conn) == []
    # and down again: nothing of the index is left, up again: found again
    downgrade(engine, "0003")
    assert not [n for n in inspect(engine).get_table_names() if "search" in n or n == "hq_customer_key"]
    upgrade(engine)
    assert _ids(hq, who, "mül ann") == [doc["id"]]


def test_revision_0010_keys_the_names_already_held(empty_engine):
    engine = empty_engine
    upgrade(engine, "0005")
    doc = _doc("Eva", "Schmidt", ref="AAAAAAAAA", email="eva@example.org")
    with engine.begin() as conn:
        conn.execute(insert(t.store).values(code="BER01", number=101, name="Berlin", country="DE",
                                            created_at=NOW))
        conn.execute(text(
            "INSERT INTO hq_customer (id, reference, home_store, region, updated_at, anonymized_at, seq,"
            " fields, clocks) VALUES (:id, :ref, 'BER01', '', :now, NULL, 1, :fields, '{}')"),
            {"id": doc["id"], "ref": doc["reference"], "now": NOW, "fields": json.dumps(doc["fields"])})
        hq_search.reindex_all(conn, name_keys=False)  # indexed as revision 0004 left it: no keys yet
    upgrade(engine)
    with engine.connect() as conn:
        words = set(conn.execute(select(t.name_key.c.word)).scalars())
        assert "schmidt" in words and "eva" not in words  # three letters: no keys
        assert hq_search.index_problems(conn) == []
    hq = Headquarters(engine)
    who = Identity("t", "BER01", "own", "")
    assert [(h["id"], h["matched_by"]) for h in hq.search(who, "shmidt", limit=5)] == [(doc["id"], "sounds_like")]
    assert [(h["id"], h["matched_by"]) for h in hq.search(who, "schmdit", limit=5)] == [(doc["id"], "typo")]
    downgrade(engine, "0005")
    assert "hq_name_key" not in inspect(engine).get_table_names()


def test_an_umlaut_typed_ranks_the_names_spelled_so_first_at_the_till_and_at_headquarters(tmp_path):
    """"pet möl" folds to "pet mol": Petra Mol (newer) and Peter Möller both begin so. The one
    spelled as typed comes first; "pet mol" keeps newest first. The same at headquarters."""
    from tests.helpers import person

    till = Till(tmp_path / "store.db")
    till.add("moeller", person("Peter", "Möller"))
    till.add("mol", person("Petra", "Mol"))
    engine = make_engine(f"sqlite:///{tmp_path / 'hq.db'}")
    upgrade(engine)
    hq = Headquarters(engine)
    token = hq.add_store(STORE["code"], STORE["name"], number=STORE["number"], country=STORE["country"])
    _, credential, _, _ = hq.enrol(token, "till 1")
    who = hq.authenticate(credential)
    assert hq.push(who, till.events()).refused == []
    names = {v: k for k, v in till.ids.items()}
    for query, order in (("pet möl", ["moeller", "mol"]), ("PET MÖL", ["moeller", "mol"]),
                         ("pet mol", ["mol", "moeller"])):
        at_till = search_customers(till.svc, ADMIN, query).rows
        assert [names[r.customer_id] for r in at_till] == order, query
        assert [names[h["id"]] for h in hq.search(who, query, limit=100)] == order, query
    engine.dispose()
    till.db.dispose()
