"""The search projection (``customer_search``), its FTS5 indexes, and the search queries.

Every write path that changes what a customer is found by calls :func:`reindex_customer` in
the same transaction, so the indexes can never disagree with the tables after a commit.
``doctor`` re-derives every row and runs FTS5's own integrity check to prove it.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from ..domain import duplicates as dup
from ..domain import fuzzy
from ..domain.record import CustomerRecord
from ..domain.search import (NAME_WORD_FIELDS, SearchQuery, contact_index_text, fts_exact_query, fts_fragment_plan,
                             fts_name_query, name_index_text, name_steps, people_after_organizations)
from ..domain.enums import SyncState
from ..domain.text import digits
from ..domain.i18n import Msg
from . import name_keys
from .search_schema import FTS_TABLES

if TYPE_CHECKING:
    from sqlmodel import Session

_INSERT = """
INSERT INTO customer_search (customer_id, display_name, reference, primary_email, primary_phone,
                             city, name_text, contact_text)"""
_ON_CONFLICT = """
ON CONFLICT(customer_id) DO UPDATE SET
    display_name = excluded.display_name, reference = excluded.reference,
    primary_email = excluded.primary_email, primary_phone = excluded.primary_phone,
    city = excluded.city, name_text = excluded.name_text, contact_text = excluded.contact_text
WHERE display_name IS NOT excluded.display_name OR reference IS NOT excluded.reference
   OR primary_email IS NOT excluded.primary_email OR primary_phone IS NOT excluded.primary_phone
   OR city IS NOT excluded.city OR name_text IS NOT excluded.name_text
   OR contact_text IS NOT excluded.contact_text
"""
UPSERT = _INSERT + """
VALUES (:customer_id, :display_name, :reference, :primary_email, :primary_phone, :city,
        :name_text, :contact_text)""" + _ON_CONFLICT


@dataclass(frozen=True)
class SearchDoc:
    customer_id: str
    display_name: str
    reference: str
    primary_email: str
    primary_phone: str
    city: str
    name_text: str
    contact_text: str

    def as_params(self) -> dict:
        return self.__dict__.copy()


_COLUMNS = ", ".join(f.name for f in fields(SearchDoc))
_ROW = operator.attrgetter(*(f.name for f in fields(SearchDoc)))
_STAGE = "temp.customer_search_stage"
_STAGED = 16  # rows from which a write goes through the staging table


NAME_TEXT = [f.name for f in fields(SearchDoc)].index("name_text")  # its place in a row of values


def doc_values(doc: SearchDoc) -> tuple:
    """A search row as plain values, in column order (made in another process, written by
    :func:`write_values`)."""
    return _ROW(doc)


def write_rows(conn: sqlite3.Connection, docs: list[SearchDoc]) -> None:
    """Write (insert or update) these search rows, the FTS5 indexes with them (the triggers)."""
    write_values(conn, [_ROW(d) for d in docs])


def write_values(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """Write (insert or update) these search rows given as :func:`doc_values`.

    A few rows go one statement each. Many rows (a pulled page, a demo batch) are staged in a
    temporary table and written by one ``INSERT ... SELECT``: FTS5 flushes what it holds in
    memory at every statement's savepoint, so one statement a row writes one tiny index segment
    a row and merges them over and over (4x the time of the whole page at once). The triggers
    run the same way for each row: the indexes hold the same entries either way."""
    if len(rows) < _STAGED:
        conn.executemany(_UPSERT_VALUES, rows)
        return
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS customer_search_stage AS"
                 f" SELECT {_COLUMNS} FROM main.customer_search WHERE 0")
    conn.execute(f"DELETE FROM {_STAGE}")
    conn.executemany(f"INSERT INTO {_STAGE} ({_COLUMNS}) VALUES ({', '.join('?' * len(fields(SearchDoc)))})", rows)
    # "WHERE true": an upsert's SELECT needs one (SQLite's parser), it filters nothing
    conn.execute(f"{_INSERT} SELECT {_COLUMNS} FROM {_STAGE} WHERE true ORDER BY rowid {_ON_CONFLICT}")
    conn.execute(f"DELETE FROM {_STAGE}")


_UPSERT_VALUES = _INSERT + f" VALUES ({', '.join('?' * len(fields(SearchDoc)))})" + _ON_CONFLICT


def derive_doc(conn: sqlite3.Connection, customer_id: str) -> SearchDoc | None:
    """A customer's search row as its stored record says (what ``doctor`` compares with)."""
    from .customers import read  # noqa: PLC0415 (customers writes through this module)

    record = read(conn, customer_id)
    return None if record is None else doc_from_record(record)


def doc_from_record(r: CustomerRecord) -> SearchDoc:
    """The single definition of the search projection: a customer record's search row."""
    return make_doc(
        customer_id=r.id, reference=r.reference, display=r.display_name,
        names=tuple(getattr(r, n) for n in NAME_WORD_FIELDS),
        emails=[e.address for e in r.emails], phones=[(p.e164, p.national) for p in r.phones],
        cards=list(r.cards), city=r.city)


def match_keys(r: CustomerRecord) -> list[tuple[str, str, str, str]]:
    """The duplicate finder's (name key, country, postal code, customer) rows of a record."""
    key = dup.name_key(r.customer_type, r.last_name, r.organization_name)
    if not key or r.anonymized_at:
        return []
    return [(key, a.country, a.postal_code, r.id) for a in r.addresses if a.postal_code]


def make_doc(*, customer_id: str, reference: str, display: str, names: tuple[str, ...],
             emails: list[str], phones: list[tuple[str, str]], cards: list[str], city: str) -> SearchDoc:
    """phones: (e164, national) pairs, primary first; emails: primary first."""
    return SearchDoc(
        customer_id=customer_id,
        display_name=display,
        reference=reference,
        primary_email=emails[0] if emails else "",
        # E.164: the lists show it as the store dials it (domain.formats.phone_text); rows written
        # before hold the national form, which is shown as it is
        primary_phone=phones[0][0] if phones else "",
        city=city,
        name_text=name_index_text(*names),
        contact_text=contact_index_text(
            emails, [(e164.lstrip("+"), digits(national)) for e164, national in phones], cards),
    )


def raw_connection(session: Session) -> sqlite3.Connection:
    return session.connection().connection.driver_connection


def reindex_customer(session: Session, customer_id: str) -> None:
    """Bring the search row and the duplicate match keys of one customer up to date."""
    conn = raw_connection(session)
    doc = derive_doc(conn, customer_id)
    old = conn.execute("SELECT name_text FROM customer_search WHERE customer_id = ?", (customer_id,)).fetchone()
    if doc is None:
        conn.execute("DELETE FROM customer_search WHERE customer_id = ?", (customer_id,))
    else:
        conn.execute(UPSERT, doc.as_params())
    name_keys.update(conn, [(old[0] if old else "", doc.name_text if doc else "")])
    write_match_keys(conn, customer_id)


_MATCH_KEYS_ALL = (
    "SELECT c.name_key, a.country, a.postal_code, c.id FROM customer c"
    " JOIN customer_address a ON a.customer_id = c.id"
    " WHERE c.name_key != '' AND a.postal_code != ''")
_MATCH_KEYS_ONE = _MATCH_KEYS_ALL + " AND c.id = ?"


def write_match_keys(conn: sqlite3.Connection, customer_id: str) -> None:
    conn.execute("DELETE FROM customer_match_key WHERE customer_id = ?", (customer_id,))
    conn.execute("INSERT OR IGNORE INTO customer_match_key (name_key, country, postal_code, customer_id) "
                 + _MATCH_KEYS_ONE, (customer_id,))


@dataclass(frozen=True)
class SearchRow:
    customer_id: str
    reference: str
    display_name: str
    primary_email: str
    primary_phone: str
    city: str
    sync_state: SyncState
    status: str
    matched_by: str  # reference | email | phone | card | name | fragment | sounds_like | typo | recent | member
    #                 | segment (seg:CODE alone)
    via: str = ""  # matched_by "member": the name of the organization found, whose person this is


@dataclass(frozen=True)
class SearchPage:
    rows: list[SearchRow]
    offset: int
    has_more: bool


def search(conn: sqlite3.Connection, q: SearchQuery, *, limit: int, offset: int = 0) -> SearchPage:
    """Exact reference/email/phone/card hits first (alone, for a whole email, phone or card
    number), then names (whole words before prefixes), then (when the names found fewer than a
    page) names that sound alike and names one typo away, then email/phone fragments."""
    want = offset + limit + 1
    if q.reference and (survivor := _survivor_reference(conn, q.reference)) is not None:
        q = replace(q, reference=survivor)  # a merged-away customer's reference finds the one it went into
    found: dict[str, str] = {}  # customer_id -> matched_by, in rank order
    # seg:CODE words: every step keeps to the segments' members (by customer id, or by search rowid)
    codes = list(q.segments)
    by_id, by_rowid = (in_segments("c.id", q.segments), in_segments("rowid", q.segments, rowid=True)) \
        if codes else ("", "")

    def take(ids, how: str) -> None:
        for (cid,) in ids:
            found.setdefault(cid, how)

    fetched: dict[str, tuple] = {}

    def take_rows(fts: str, match: str, how: str, contains: str | None = None) -> None:
        """FTS hits, newest first, with their display rows, in one statement (the matching
        rowids are a subquery the rows are read by); rows found by an earlier step keep their place.
        ``contains``: only rows whose contact text holds it (``instr``: exactly, as stored)."""
        check = " AND instr(contact_text, ?)" if contains is not None else ""
        rows = conn.execute(
            f"SELECT s.rowid, {_ROW_COLUMNS} {_ROW_FROM} WHERE s.rowid IN (SELECT rowid FROM {fts}"
            f" WHERE {fts} MATCH ?{check}{by_rowid} ORDER BY rowid DESC LIMIT ?)",
            (match, *(() if contains is None else (contains,)), *codes, want + len(found))
        ).fetchall()
        rows.sort(key=_FIRST, reverse=True)
        for r in rows:
            if r[0] not in seen_rowids:
                seen_rowids.add(r[0])
                fetched.setdefault(r[1], r[1:])
                found.setdefault(r[1], how)

    seen_rowids: set[int] = set()

    # the exact lookups (reference, whole email, phone, card) in one statement: a whole contact
    # found there is the whole answer, read without a transaction of its own
    exact = tuple(how for how, value in (("reference", q.reference), ("email", q.email_key),
                                         ("phone", q.phone_e164), ("card", q.card)) if value)
    if q.reference:
        # a complete reference with a valid check character, alone first: found, that customer is
        # the whole answer (what it might also be read as, a card number, is not looked up)
        page = by_reference(conn, q.reference, limit=limit, offset=offset, segments=q.segments)
        if page is not None:
            return page
        exact = exact[1:]
    if exact:
        params: list = []
        for how in exact:
            params += (getattr(q, _EXACT_VALUE[how]), *codes, want)
        rows = conn.execute(_exact_statement(exact, len(codes)), params).fetchall()
        if len(exact) > 1 and rows:
            rank = {how: i for i, how in enumerate(exact)}
            rows.sort(key=lambda r: rank[r[0]])  # each kind's rows in the order SQLite gave them
        if rows and q.complete:
            # a whole email, phone or card number found exactly: no scan after it
            return _exact_page(rows, offset, limit)
        for r in rows:
            fetched.setdefault(r[1], r[1:])
            found.setdefault(r[1], r[0])
    if not conn.in_transaction:  # every step after the exact one reads the same snapshot
        conn.execute("BEGIN")
    if q.reference_prefix and len(found) < want:
        take(conn.execute(
            f"SELECT id FROM customer c WHERE reference >= ? AND reference < ?{by_id} ORDER BY reference LIMIT ?",
            (q.reference_prefix, q.reference_prefix + "~", *codes, want)), "reference")
    before_names = len(found)
    if q.name_words and len(found) < want:
        # every word whole first, then every word as a prefix; newest customers first in each.
        # (bm25 ordering would score every match: 1 s for "m" at a million customers)
        for name_words, whole in name_steps(q):  # with an umlaut typed, names spelled so first
            if len(found) >= want:
                break
            take_rows("customer_name_fts", fts_exact_query(name_words) if whole else fts_name_query(name_words),
                      "name")
    named = len(found) - before_names
    if q.name_words and len(found) < want and named < limit:
        # the name words found fewer than a page: names that sound alike, then one typo away
        alternatives = name_keys.lookup(conn, q.name_words)
        for how in fuzzy.MATCH_KINDS:
            match = fuzzy.fts_query(q.name_words, alternatives.of(how))
            if match and len(found) < want:
                take_rows("customer_name_fts", match, how)
    if q.fragment and len(found) < want:
        plan = fts_fragment_plan(q.fragment)
        if plan:
            take_rows("customer_contact_fts", plan[0], "phone" if q.fragment.isdigit() else "fragment", plan[1])
    via = _people_of_organizations(conn, found, want, q.segments) if q.name_words else {}
    return _page(conn, found, fetched, offset, limit, via)


def _survivor_reference(conn: sqlite3.Connection, reference: str) -> str | None:
    """The reference of the customer a merged-away customer's reference leads to (pulled
    redirects, followed to the end), or None for a reference that is not a redirect."""
    if conn.execute("SELECT 1 FROM customer_redirect WHERE reference = ? LIMIT 1", (reference,)).fetchone() is None:
        return None
    from .customers import redirected
    into = redirected(conn, reference)
    row = conn.execute("SELECT reference FROM customer WHERE id = ?", (into,)).fetchone() if into else None
    return row[0] if row else None


_EXACT = {
    "reference": ("", "c.reference = ?"),
    "email": ("JOIN customer_email e ON e.customer_id = c.id", "e.address_key = ?"),
    "phone": ("JOIN customer_phone p ON p.customer_id = c.id", "p.e164 = ?"),
    "card": ("JOIN customer_card k ON k.customer_id = c.id", "k.number = ?"),
}
_EXACT_VALUE = {"reference": "reference", "email": "email_key", "phone": "phone_e164", "card": "card"}


@functools.lru_cache(maxsize=64)
def _exact_statement(kinds: tuple[str, ...], segments: int) -> str:
    """One statement for the exact index lookups of these kinds, their display rows marked with
    how they matched, each kind's rows after the one before (``UNION ALL`` keeps its arms' order;
    parameters: each kind's value, the segment codes, the limit)."""
    by_id = in_segments("c.id", ("",) * segments)
    arms = [f"SELECT '{how}', {_ROW_COLUMNS} {_ROW_FROM} {_EXACT[how][0]} WHERE {_EXACT[how][1]}{by_id} LIMIT ?"
            for how in kinds]
    if len(arms) == 1:
        return arms[0]
    return " UNION ALL ".join(f"SELECT * FROM ({arm})" for arm in arms)


def by_reference(conn: sqlite3.Connection, reference: str, *, limit: int, offset: int = 0,
                 segments: tuple[str, ...] = ()) -> SearchPage | None:
    """The customer a complete reference names (compact, valid check character), as a page; None
    when no customer here has it. One indexed statement: a reference names one customer (not found,
    a merged-away customer's reference names the one it went into: a pulled redirect)."""
    rows = conn.execute(_exact_statement(("reference",), len(segments)),
                        (reference, *segments, offset + limit + 1)).fetchall()
    if not rows and (survivor := _survivor_reference(conn, reference)) is not None:
        rows = conn.execute(_exact_statement(("reference",), len(segments)),
                            (survivor, *segments, offset + limit + 1)).fetchall()
    return _exact_page(rows, offset, limit) if rows else None


def _exact_page(rows: list[tuple], offset: int, limit: int) -> SearchPage:
    """The page of exact lookups' rows (how each matched, then the display columns), in their
    order, each customer once (where first found: phone before card)."""
    if len(rows) > 1:
        first: dict[str, tuple] = {}
        for r in rows:
            first.setdefault(r[1], r)
        rows = list(first.values())
    return SearchPage(rows=[_row(r[1:], r[0]) for r in rows[offset: offset + limit]], offset=offset,
                      has_more=len(rows) > offset + limit)


def _page(conn: sqlite3.Connection, found: dict[str, str], fetched: dict[str, tuple], offset: int,
          limit: int, via: dict[str, str] | None = None) -> SearchPage:
    ids = list(found)[offset: offset + limit]
    return SearchPage(rows=_rows(conn, ids, found, fetched, via), offset=offset,
                      has_more=len(found) > offset + limit)


def _people_of_organizations(conn: sqlite3.Connection, found: dict[str, str], want: int,
                             segments: tuple[str, ...] = ()) -> dict[str, str]:
    """Organizations found by name bring their people, each right after its organization (one index
    lookup for all of them). Reorders ``found`` in place; returns person id -> organization name."""
    named = [cid for cid, how in found.items() if how == "name"]
    if not named:
        return {}
    marks = ",".join("?" * len(named))
    people: dict[str, list[str]] = {}  # only an organization has members: no need to ask for the type
    for org, person in conn.execute(
            f"SELECT organization_id, person_id FROM customer_membership WHERE organization_id IN ({marks})"
            f" AND active{in_segments('person_id', segments)} ORDER BY is_primary DESC, is_manager DESC, person_id",
            [*named, *segments]):
        people.setdefault(org, []).append(person)
    if not people:
        return {}
    marks = ",".join("?" * len(people))
    orgs = dict(conn.execute(f"SELECT customer_id, display_name FROM customer_search WHERE customer_id IN ({marks})",
                             list(people)).fetchall())
    return {person: orgs.get(org, "") for person, org in people_after_organizations(found, people, want).items()}


def in_segments(column: str, codes: tuple[str, ...], *, rowid: bool = False) -> str:
    """`` AND column IN (...)`` once per segment code (a parameter each): the rows of customers
    belonging to every one of them. ``rowid``: the column is a search row's rowid."""
    member = ("SELECT s.rowid FROM customer_search s JOIN customer_segment m ON m.customer_id = s.customer_id"
              " WHERE m.code = ?") if rowid else "SELECT customer_id FROM customer_segment WHERE code = ?"
    return "".join(f" AND {column} IN ({member})" for _ in codes)


def segment_members(conn: sqlite3.Connection, codes: tuple[str, ...], *, limit: int,
                    offset: int = 0) -> SearchPage:
    """``seg:vip`` alone: the members of every one of these segments held here, latest changed first."""
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM customer c WHERE anonymized_at IS NULL{in_segments('c.id', codes)}"
        " ORDER BY updated_at DESC LIMIT ? OFFSET ?", (*codes, limit + 1, offset))]
    rows = _rows(conn, ids[:limit], dict.fromkeys(ids, "segment"))
    return SearchPage(rows=rows, offset=offset, has_more=len(ids) > limit)


def recent(conn: sqlite3.Connection, store_code: str, *, limit: int, offset: int = 0) -> SearchPage:
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM customer WHERE store_code = ? AND anonymized_at IS NULL"
        " ORDER BY updated_at DESC LIMIT ? OFFSET ?", (store_code, limit + 1, offset))]
    rows = _rows(conn, ids[:limit], dict.fromkeys(ids, "recent"))
    return SearchPage(rows=rows, offset=offset, has_more=len(ids) > limit)


_ROW_COLUMNS = ("s.customer_id, s.reference, s.display_name, s.primary_email, s.primary_phone, s.city,"
                " c.sync_state, c.status")
_ROW_FROM = "FROM customer_search s JOIN customer c ON c.id = s.customer_id"


def _rows(conn: sqlite3.Connection, ids: list[str], how: dict[str, str],
          fetched: dict[str, tuple] | None = None, via: dict[str, str] | None = None) -> list[SearchRow]:
    by_id = fetched if fetched is not None else {}
    missing = [i for i in ids if i not in by_id]
    if missing:
        by_id = dict(by_id)
        marks = ",".join("?" * len(missing))
        by_id.update((r[0], r) for r in conn.execute(
            f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE s.customer_id IN ({marks})", missing))
    via = via or {}
    return [_row(by_id[i], how[i], via.get(i, "")) for i in ids if i in by_id]


_SYNC_STATES = {state.value: state for state in SyncState}
_FIRST = operator.itemgetter(0)


def _row(v: tuple, how: str, via: str = "") -> SearchRow:
    """A result row from (customer id, reference, display name, primary email, primary phone,
    city, sync state, status)."""
    state = _SYNC_STATES.get(v[6]) or SyncState(v[6])
    return SearchRow(v[0], v[1], v[2], v[3], v[4], v[5], state, v[7], how, via)


def integrity_problems(conn: sqlite3.Connection, *, sample: int | None = None) -> list[Msg | str]:
    """FTS5's own integrity check plus a comparison of every projection row with its tables."""
    problems: list[Msg | str] = []
    for table in FTS_TABLES:
        try:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"{table}: {exc}")
    missing = conn.execute(
        "SELECT count(*) FROM customer c LEFT JOIN customer_search s ON s.customer_id = c.id"
        " WHERE s.customer_id IS NULL").fetchone()[0]
    if missing:
        problems.append(Msg("{count} customers have no search row", count=missing))
    orphans = conn.execute(
        "SELECT count(*) FROM customer_search s LEFT JOIN customer c ON c.id = s.customer_id"
        " WHERE c.id IS NULL").fetchone()[0]
    if orphans:
        problems.append(Msg("{count} search rows have no customer", count=orphans))
    query = "SELECT customer_id, display_name, reference, primary_email, primary_phone, city," \
            " name_text, contact_text FROM customer_search"
    if sample:
        query += f" ORDER BY random() LIMIT {int(sample)}"
    stale = 0
    for row in conn.execute(query).fetchall():
        doc = derive_doc(conn, row[0])
        if doc is not None and tuple(doc.as_params().values()) != tuple(row):
            stale += 1
    if stale:
        problems.append(Msg("{count} search rows differ from their customer's data", count=stale))
    keys = _MATCH_KEYS_ALL
    wrong = conn.execute(
        f"SELECT count(*) FROM (SELECT * FROM ({keys}) EXCEPT SELECT name_key, country, postal_code,"
        f" customer_id FROM customer_match_key) ").fetchone()[0] + conn.execute(
        f"SELECT count(*) FROM (SELECT name_key, country, postal_code, customer_id FROM customer_match_key"
        f" EXCEPT SELECT * FROM ({keys}))").fetchone()[0]
    if wrong:
        problems.append(Msg("{count} duplicate-finder keys differ from the customers' addresses", count=wrong))
    problems += name_keys.problems(conn)
    return problems


def rebuild(conn: sqlite3.Connection) -> None:
    """Re-derive every projection row and rebuild both FTS5 indexes (``doctor --repair``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM customer")]
        conn.execute("DELETE FROM customer_search WHERE customer_id NOT IN (SELECT id FROM customer)")
        for cid in ids:
            doc = derive_doc(conn, cid)
            conn.execute(UPSERT, doc.as_params())
            write_match_keys(conn, cid)
        for table in FTS_TABLES:
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # one segment (see demo)
        name_keys.rebuild(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

