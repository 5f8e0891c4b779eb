"""The initial pull's bulk path: many customers a transaction, the search index written by one
statement, pages applied in short transactions that move the cursor. It must leave exactly the
rows the one-by-one path leaves, keep a save at the till from waiting for the whole pull, and
survive a crash between its transactions."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from pos_customers.domain.reference import format_reference, make_reference
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.services.demo import demo_documents
from pos_customers.services.search import search_customers
from pos_customers.services.store import init_store
from pos_customers.storage import documents
from pos_customers.storage.engine import Database
from pos_customers.sync import engine
from pos_customers.sync.engine import SyncEngine, apply_item
from tests.helpers import person
from tests.templates import store_db

FROZEN = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
STAMP = "0001764000000-00000-hq"
REFERENCE = make_reference(4000, 17, terminal=0)


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return FROZEN


def _full_customer(cid: str, store: str) -> dict:
    """A customer with every kind of child row, naming reference data the till has not got."""
    return {"id": cid, "reference": REFERENCE, "store_code": store, "created_at": "2025-01-02T03:04:05+00:00",
            "anonymized_at": None, "clocks": {"last_name": STAMP},
            "fields": {"customer_type": "person", "title": "Dr.", "first_name": "Zoë", "middle_name": "Q",
                       "last_name": "Łukasiewicz-Müller", "organization_name": "", "company": "Acme",
                       "birth_date": "1980-02-29", "language": "de", "currency": "EUR", "group_code": "NEWGRP",
                       "financial_dimensions": {"Segment": "X"}, "receipt_option": "email",
                       "receipt_email": "", "status": "active", "account_type": "guest",
                       "password_hash": None, "password_changed_at": "2025-03-01T10:00:00+00:00",
                       "emails": [{"address": "zoe@example.org", "purpose": "personal", "primary": True,
                                   "marketing_consent": True},
                                  {"address": "Zoe.Work@Example.COM", "purpose": "work", "primary": False,
                                   "marketing_consent": False}],
                       "phones": [{"e164": "+4915112345678", "purpose": "mobile", "primary": True,
                                   "marketing_consent": False},
                                  {"e164": "+33612345678", "purpose": "home", "primary": False,
                                   "marketing_consent": True}],
                       "addresses": [{"purpose": "HOME", "line1": "Torstraße 1", "line2": "", "city": "Berlin",
                                      "district": "", "region": "", "postal_code": "10115", "country": "DE",
                                      "default_billing": True, "default_shipping": False},
                                     {"purpose": "NEWPURPOSE", "line1": "1 Rue X", "line2": "b",
                                      "city": "Paris", "district": "", "region": "", "postal_code": "75001",
                                      "country": "FR", "default_billing": False, "default_shipping": True}],
                       "affiliations": ["CLUB", "NEWAFF"], "cards": ["2999000000017"],
                       "attributes": {"NEWATTR": "blue"}}}


def _pages(size: int = 50) -> list[dict]:
    """Headquarters' answers: demo customers, one with everything, a reference item, then a
    change of a customer pulled earlier (the one-by-one update path in both runs)."""
    docs = list(demo_documents(130, seed=7, stamp=STAMP))
    docs.insert(60, _full_customer("00000000-0000-4000-8000-00000000f011", "NEWSTORE"))
    items = [{"t": "customer", "doc": d} for d in docs]
    items.insert(10, {"t": "group", "key": "VIP", "deleted": False,
                      "doc": {"code": "VIP", "name": "VIP", "financial_dimensions": {}, "active": True}})
    changed = {**docs[3], "fields": {**docs[3]["fields"], "last_name": "Umbenannt", "cards": ["2999000000025"]},
               "clocks": {**docs[3]["clocks"], "last_name": "0001764000000-00001-hq"}}
    items.append({"t": "customer", "doc": changed})
    for seq, item in enumerate(items, start=1):
        item["seq"] = seq
    return [{"items": items[k:k + size], "cursor": min(k + size, len(items)), "more": k + size < len(items)}
            for k in range(0, len(items), size)]


class PagedHq:
    """Headquarters as far as a pull goes: the page after a cursor (and an accepting push)."""

    def __init__(self, pages: list[dict], on_pull=None):
        self.pages, self.on_pull, self.asked = pages, on_pull, []

    def pull(self, cursor: int, limit: int) -> dict:
        self.asked.append(cursor)
        if self.on_pull:
            self.on_pull(cursor)
        return next((p for p in self.pages if p["cursor"] > cursor),
                    {"items": [], "cursor": cursor, "more": False})

    def push(self, events, audit=None) -> dict:
        return {"applied": [e["id"] for e in events], "duplicates": [], "conflicts": [], "refused": []}


def _till(path: Path) -> Services:
    svc = Services(store_db(path))
    init_store(svc, Actor.command_line(), code="HAM01", number=7, name="Hamburg", country="DE",
               currency="EUR", language="de")
    return svc


def _one_by_one(db: Database, pages: list[dict]) -> None:
    """The row-by-row path: every item through its own handler (a new customer: apply_document)."""
    for page in pages:
        with db.write() as s:
            for item in page["items"]:
                apply_item(s, item, "HAM01", {})


def _customer_tables(conn: sqlite3.Connection) -> list[str]:
    """The customer table and every table that holds rows of a customer, as the schema says
    (a child table added later is compared too)."""
    return [r[0] for r in conn.execute(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE '%fts%'"
        " AND m.name != 'audit_event' AND (m.name LIKE 'customer%' OR EXISTS"
        " (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'customer_id'))")]


def _contents(path: Path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    out: dict[str, list] = {}
    for table in _customer_tables(conn) + ["store", "customer_group", "address_purpose", "affiliation",
                                           "attribute_definition"]:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        # a child row's own id is a random uuid made on insert; a store's created_at is its arrival
        keep = [c for c in columns if not (c == "id" and "customer_id" in columns)
                and not (table == "store" and c == "created_at")]
        quoted = ", ".join('"' + c + '"' for c in keep)  # a column may be called "primary"
        out[table] = sorted(conn.execute(f"SELECT {quoted} FROM {table}").fetchall(), key=repr)
    for fts in ("customer_name_fts", "customer_contact_fts"):
        conn.execute(f"CREATE VIRTUAL TABLE temp.v_{fts} USING fts5vocab(main, {fts}, instance)")
        out[fts] = conn.execute(f"SELECT * FROM temp.v_{fts} ORDER BY 1, 2, 3, 4").fetchall()
    conn.close()
    return out


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(engine, "PULL_PART_MIN", 20)   # parts of 20 items whatever the pace:
    monkeypatch.setattr(engine, "PULL_PART_MAX", 20)   # several transactions a page, staged writes
    monkeypatch.setattr(engine, "PULL_PAGE", 50)


class JsonHq(PagedHq):
    """The same pages as JSON bytes too (what the row maker is given)."""

    bodies = 0

    def pull_body(self, cursor: int, limit: int) -> bytes:
        self.bodies += 1
        return orjson.dumps(self.pull(cursor, limit))


@pytest.mark.parametrize("maker, share", [(False, 1.0), (True, 0.8), (True, 0.5)],
                         ids=["rows made here", "rows made by another process",
                              "half a page's rows made by another process, the rest here"])
def test_bulk_pull_leaves_exactly_the_rows_of_the_one_by_one_path(tmp_path, monkeypatch, small_parts, maker,
                                                                   share):
    monkeypatch.setattr(documents, "datetime", _Frozen)
    if maker:  # every page after the first made by the row maker, a process of its own
        monkeypatch.setattr(engine, "ROW_MAKER_FROM", 1)
        # its share of each page (the first items; the rest made here), the second one ending inside a part
        monkeypatch.setattr(engine, "MAKER_SHARE", share)
        monkeypatch.setattr(engine, "MAKER_SHARE_STEP", 0.0)
    pages = _pages()
    bulk = _till(tmp_path / "bulk.db")
    hq = JsonHq(pages)
    SyncEngine(bulk.db, hq).run_once()
    assert hq.bodies == (len(pages) - 1 if maker else 0)
    rows = _till(tmp_path / "rows.db")
    _one_by_one(rows.db, pages)
    a, b = _contents(bulk.db.path), _contents(rows.db.path)
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], f"{table} differs between the bulk and the one-by-one path"
    # not a comparison of empty tables: every kind of row was written
    for table in ("customer", "customer_email", "customer_phone", "customer_address", "customer_affiliation",
                  "customer_attribute", "customer_card", "customer_search", "customer_match_key",
                  "customer_name_key", "customer_name_fts", "customer_contact_fts"):
        assert a[table], f"the test data wrote no {table} rows"
    assert len(a["customer"]) == 131
    assert ("NEWSTORE",) in {r[:1] for r in a["store"]}


def test_a_pulled_page_is_committed_in_parts_and_a_crash_re_pulls_only_the_rest(tmp_path, monkeypatch,
                                                                                  small_parts):
    pages = _pages()
    till = _till(tmp_path / "till.db")
    real, calls = engine.apply_items, []

    def dies_third_time(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(*args, **kw)

    monkeypatch.setattr(engine, "apply_items", dies_third_time)
    with pytest.raises(RuntimeError):
        SyncEngine(till.db, PagedHq(pages)).pull_page()
    conn = sqlite3.connect(till.db.path)
    assert conn.execute("SELECT value FROM setting WHERE key = 'sync_cursor'").fetchone() == ("40",)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (39,)  # 40 items, one a group
    monkeypatch.setattr(engine, "apply_items", real)
    hq = PagedHq(pages)
    SyncEngine(till.db, hq).run_once()
    assert hq.asked[0] == 40
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (131,)
    assert conn.execute("SELECT count(*), count(DISTINCT entity_id) FROM audit_event"
                        " WHERE action = 'received'").fetchone() == (131, 131)
    assert conn.execute("SELECT value FROM setting WHERE key = 'sync_cursor'").fetchone() == ("133",)


def test_a_save_during_a_pull_goes_between_its_transactions_and_both_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "PULL_PART_MIN", 5)
    monkeypatch.setattr(engine, "PULL_PART_MAX", 5)
    pages = _pages(size=60)
    till = _till(tmp_path / "till.db")
    saved: list = []

    def save_while_pulling(cursor: int) -> None:
        if cursor == 0:
            threading.Thread(target=lambda: saved.append(create_customer(
                till, Actor.command_line(), person("Petra", "Kassenbon", "petra@example.org")))).start()

    SyncEngine(till.db, PagedHq(pages, on_pull=save_while_pulling)).run_once()
    while not saved:  # the save is done once the pull is (it went first), or it failed loudly
        threading.Event().wait(0.01)
    conn = sqlite3.connect(till.db.path)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (132,)
    assert conn.execute("SELECT count(*) FROM outbox_event WHERE entity_id = ?", (saved[0].id,)).fetchone() == (1,)
    # the save did not wait for the whole pull: its audit row lies between the pull's
    created, last_received = conn.execute(
        "SELECT (SELECT id FROM audit_event WHERE entity_id = ? AND action = 'create'),"
        " (SELECT max(id) FROM audit_event WHERE action = 'received')", (saved[0].id,)).fetchone()
    assert created < last_received
    assert conn.execute("SELECT value FROM setting WHERE key = 'sync_cursor'").fetchone() == ("133",)


def test_the_search_finds_pulled_customers(tmp_path, small_parts):
    pages = _pages()
    till = _till(tmp_path / "till.db")
    SyncEngine(till.db, PagedHq(pages)).run_once()
    actor = Actor.command_line()
    for typed in ("Łukasiewicz", "lukasiewicz zoe", "zoe.work@example.com", "15112345",
                  format_reference(REFERENCE), "2999000000017"):
        rows = search_customers(till, actor, typed).rows
        assert [r.display_name for r in rows][:1] == ["Zoë Q Łukasiewicz-Müller"], typed
    demo = pages[0]["items"][0]["doc"]
    email = demo["fields"]["emails"][0]["address"] if demo["fields"]["emails"] else None
    assert [r.customer_id for r in search_customers(till, actor, demo["fields"]["last_name"], limit=500).rows
            ].count(demo["id"]) == 1
    if email:
        assert demo["id"] in [r.customer_id for r in search_customers(till, actor, email).rows]
