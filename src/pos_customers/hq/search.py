"""Headquarters' customer search: the till's search, over every store's customers.

The query is read exactly as the till reads it (``domain.search.parse_query``, with the calling
store's country for phone numbers), and a customer is indexed from the same texts as at the till
(``name_index_text`` and ``contact_index_text``). Only the machinery differs per database:

- SQLite: two FTS5 tables over ``hq_customer_search``, as the till has: the name words
  (unicode61, diacritics removed, prefix indexes) and the contact text (trigram);
- PostgreSQL: a GIN index on the name words as a ``tsvector`` (built from the folded words as they
  are, no parser or dictionary in between, so ``'mul':*`` is a prefix lookup) and a ``pg_trgm`` GIN
  index on the contact text (``LIKE '%0151234%'``).

Whole emails, phone numbers (E.164) and card numbers are looked up in ``hq_customer_key``, and
references in ``hq_customer``. Results are ranked as at the till: exact hits (reference, email,
phone, card, a reference's beginning), then names (every word whole before every word as a
prefix), then names that sound alike or are one typo away (``hq_name_key``), then fragments of
emails, phone digits and card numbers; newest first within each.

:func:`index_customers` is called in the transaction of every write to ``hq_customer``, so the
index never disagrees with the customers after a commit (:func:`index_problems` checks it).
Anonymized customers have no index rows: they are never found.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, delete, insert, select, text
from sqlalchemy.engine import Connection

from ..domain import fuzzy
from ..domain.search import (HQ_FTS, NAME_WORD_FIELDS, SearchQuery, contact_index_text, fragment_text, fts_exact_query,
                             fts_name_query, name_index_text, parse_query, people_after_organizations)
from ..domain.text import fields_display_name
from ..domain.validation import national_form
from . import tables as t
from .common import bulk_insert

NAME_FIELDS = NAME_WORD_FIELDS
MAX_KEY = 254  # longer values cannot be an email, a phone number or a card number

# -- the dialects' own indexes (revision 0004 makes them) -----------------------------------------
# Names start with hq_search_fts_ / ix_hq_search_fts_: see include_name, which keeps them out of
# the comparison of the tables with the migrations.
SQLITE_CREATE = HQ_FTS.create()   # the till's FTS5 definition (domain/search.py), over this table
SQLITE_DROP = HQ_FTS.drop()
SQLITE_FTS_TABLES = HQ_FTS.tables

# The name words as a tsvector, exactly as indexed: one lexeme per folded word.
PG_NAME_VECTOR = "array_to_tsvector(string_to_array(name_text, ' '))"
PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX ix_hq_search_fts_name ON hq_customer_search USING gin ({PG_NAME_VECTOR})",
    "CREATE INDEX ix_hq_search_fts_contact ON hq_customer_search USING gin (contact_text gin_trgm_ops)",
]
PG_DROP = [
    "DROP INDEX IF EXISTS ix_hq_search_fts_contact",
    "DROP INDEX IF EXISTS ix_hq_search_fts_name",
]


def include_name(name: str | None, type_: str, parent_names: Mapping[str, Any]) -> bool:
    """For Alembic's comparisons: the FTS5 tables (and their shadow tables) and the GIN indexes
    are the dialect's own, made by revision 0004, and not part of the table metadata."""
    if name and type_ == "table" and name.startswith("hq_search_fts_"):
        return False
    if name and type_ == "index" and name.startswith("ix_hq_search_fts_"):
        return False
    return True


def create_dialect_indexes(conn: Connection) -> None:
    for statement in SQLITE_CREATE if conn.dialect.name == "sqlite" else PG_CREATE:
        conn.exec_driver_sql(statement)


def drop_dialect_indexes(conn: Connection) -> None:
    for statement in SQLITE_DROP if conn.dialect.name == "sqlite" else PG_DROP:
        conn.exec_driver_sql(statement)


# -- what a customer is found by ------------------------------------------------------------------
@dataclass(frozen=True)
class IndexEntry:
    name_text: str
    contact_text: str
    keys: frozenset[tuple[str, str]]  # (email | phone | card, value)


def _items(fields: Mapping[str, Any], name: str) -> list[Any]:
    value = fields.get(name)
    return value if isinstance(value, list) else []


@functools.lru_cache(maxsize=8192)
def _phone_digit_forms(e164: str) -> tuple[str, str]:
    """E.164 digits and national digits, as the till keeps them ('4915123456789', '015123456789'):
    ``Phone.digit_forms``, with only the national format made (``national_form``: without
    phonenumbers' general parsing where the number is plain). Remembered: a customer's numbers are
    indexed again with each change of theirs."""
    try:
        national = national_form(e164)
    except Exception:  # noqa: BLE001 - a number phonenumbers cannot read is still found by its digits
        return "".join(c for c in e164 if c.isdigit()), ""
    return e164.lstrip("+"), "".join(c for c in national if c.isdigit())


def index_entry(fields: Mapping[str, Any]) -> IndexEntry:
    """A customer's index texts and exact keys from its document fields (the till's texts)."""
    names = [v if isinstance(v := fields.get(k), str) else "" for k in NAME_FIELDS]
    emails = [e["address"] for e in _items(fields, "emails")
              if isinstance(e, dict) and isinstance(e.get("address"), str) and e["address"]]
    phones = [p["e164"] for p in _items(fields, "phones")
              if isinstance(p, dict) and isinstance(p.get("e164"), str) and p["e164"]]
    cards = [c for c in _items(fields, "cards") if isinstance(c, str) and c]
    keys = {("email", e.casefold()) for e in emails} | {("phone", p) for p in phones} | {
        ("card", c) for c in cards}
    return IndexEntry(
        name_text=name_index_text(*names),
        contact_text=contact_index_text(emails, [_phone_digit_forms(p) for p in phones], cards),
        keys=frozenset((k, v) for k, v in keys if len(v) <= MAX_KEY))


# -- keeping the index in step ---------------------------------------------------------------------
_UPSERT = text("""
INSERT INTO hq_customer_search (customer_id, name_text, contact_text)
VALUES (:customer_id, :name_text, :contact_text)
ON CONFLICT (customer_id) DO UPDATE SET
    name_text = excluded.name_text, contact_text = excluded.contact_text
WHERE hq_customer_search.name_text <> excluded.name_text
   OR hq_customer_search.contact_text <> excluded.contact_text
""")


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for k in range(0, len(values), size):
        yield values[k:k + size]


def index_customers(conn: Connection, customers: Iterable[tuple[str, Mapping[str, Any] | None, bool]], *,
                    new: bool = False, name_keys: bool = True) -> None:
    """Bring the search rows of these customers up to date, in the caller's transaction.

    customers: (customer id, document fields, anonymized). An anonymized customer (or one
    without fields) loses its rows: it is never found again. ``new``: none of them has index rows
    yet (customers just inserted): their rows are written at once (COPY on PostgreSQL).
    ``name_keys``: keep the name words' sound-alike keys too (False only before revision 0010).
    """
    todo = {cid: (fields, anonymized) for cid, fields, anonymized in customers}
    if not todo:
        return
    rows, keys, gone = [], [], []
    for cid, (fields, anonymized) in todo.items():
        if anonymized or fields is None:
            gone.append(cid)
            continue
        entry = index_entry(fields)
        rows.append({"customer_id": cid, "name_text": entry.name_text, "contact_text": entry.contact_text})
        keys += [{"kind": kind, "value": value, "customer_id": cid} for kind, value in sorted(entry.keys)]
    if new:
        for table, values in ((t.customer_search, rows), (t.customer_key, keys)):
            if values:
                bulk_insert(conn, table, values)
        if name_keys:
            _add_name_keys(conn, [r["name_text"] for r in rows])
        return
    s = t.customer_search.c
    before: dict[str, str] = {}
    if name_keys:
        for chunk in _chunks(list(todo)):
            before.update(conn.execute(select(s.customer_id, s.name_text).where(s.customer_id.in_(chunk))).all())
    for chunk in _chunks(list(todo)):
        conn.execute(delete(t.customer_key).where(t.customer_key.c.customer_id.in_(chunk)))
    for chunk in _chunks(gone):
        conn.execute(delete(t.customer_search).where(t.customer_search.c.customer_id.in_(chunk)))
    for chunk in _chunks(rows, 1000):
        conn.execute(_UPSERT, chunk)
    for chunk in _chunks(keys, 1000):
        conn.execute(insert(t.customer_key), chunk)
    if name_keys:
        after = {r["customer_id"]: r["name_text"] for r in rows}
        _add_name_keys(conn, after.values())
        removed = {w for cid, old in before.items() for w in set(old.split()) - set(after.get(cid, "").split())}
        gone = [w for w in sorted(fuzzy.name_words([" ".join(removed)])) if not _word_in_use(conn, w)]
        for chunk in _chunks([{"key": k, "word": w} for k, w in fuzzy.key_rows(gone)], 1000):
            conn.execute(_DELETE_NAME_KEY, chunk)


# -- the name words' sound-alike and one-typo keys (domain/fuzzy.py) -------------------------------
_INSERT_NAME_KEY = text("INSERT INTO hq_name_key (key, word) VALUES (:key, :word) ON CONFLICT DO NOTHING")
_DELETE_NAME_KEY = text("DELETE FROM hq_name_key WHERE key = :key AND word = :word")


def _held_words(conn: Connection, words: set[str]) -> set[str]:
    n = t.name_key.c
    out: set[str] = set()
    for chunk in _chunks(sorted(words)):
        rows = conn.execute(select(n.key, n.word).where(n.key.in_([fuzzy.presence_key(w) for w in chunk])))
        out |= {word for key, word in rows if key == fuzzy.presence_key(word)}
    return out


def _add_name_keys(conn: Connection, name_texts: Iterable[str]) -> None:
    """Keys for the words of these name texts that have none yet."""
    words = fuzzy.name_words(name_texts)
    rows = [{"key": k, "word": w} for k, w in fuzzy.key_rows(words - _held_words(conn, words))] if words else []
    for chunk in _chunks(rows, 1000):
        conn.execute(_INSERT_NAME_KEY, chunk)


def _word_in_use(conn: Connection, word: str) -> bool:
    if conn.dialect.name == "postgresql":
        return conn.execute(text(f"SELECT 1 FROM hq_customer_search WHERE {PG_NAME_VECTOR} @@ CAST(:q AS tsquery)"
                                 " LIMIT 1"), {"q": _tsquery((word,), prefix=False)}).first() is not None
    return conn.execute(text("SELECT 1 FROM hq_search_fts_name WHERE hq_search_fts_name MATCH :q LIMIT 1"),
                        {"q": f'"{word}"'}).first() is not None


def rebuild_name_keys(conn: Connection) -> None:
    """Every name word's keys again, from every search row (revision 0010's backfill; a repair)."""
    conn.execute(delete(t.name_key))
    words: set[str] = set()
    result = conn.execute(select(t.customer_search.c.name_text)).scalars()
    for text_ in result:
        words |= fuzzy.name_words([text_])
    for chunk in _chunks([{"key": k, "word": w} for k, w in fuzzy.key_rows(words)], 5000):
        conn.execute(_INSERT_NAME_KEY, chunk)


def _name_alternatives(conn: Connection, typed: tuple[str, ...]) -> fuzzy.Alternatives:
    n = t.name_key.c
    rows: list[tuple[str, str]] = []
    for chunk in _chunks(fuzzy.lookup_keys(typed)):
        rows += [tuple(r) for r in conn.execute(select(n.key, n.word).where(n.key.in_(chunk)))]
    return fuzzy.alternatives(typed, rows)


def reindex_all(conn: Connection, *, batch: int = 2000, name_keys: bool = True) -> int:
    """Index every customer (revision 0004's backfill; a repair). Returns the customers indexed."""
    c = t.customer.c
    done, after = 0, ""
    while True:
        rows = conn.execute(select(c.id, c.fields, c.anonymized_at).where(c.id > after)
                            .order_by(c.id).limit(batch)).all()
        if not rows:
            return done
        index_customers(conn, ((r.id, _fields(r.fields), r.anonymized_at is not None) for r in rows),
                        name_keys=name_keys)
        done += len(rows)
        after = rows[-1].id


def _fields(stored: str | None) -> dict[str, Any]:
    try:
        value = json.loads(stored or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def index_problems(conn: Connection) -> list[str]:
    """Every customer's index rows compared with what its fields say (and FTS5's own check)."""
    problems: list[str] = []
    c, s, k = t.customer.c, t.customer_search.c, t.customer_key.c
    stored = {r.customer_id: (r.name_text, r.contact_text)
              for r in conn.execute(select(s.customer_id, s.name_text, s.contact_text))}
    stored_keys: dict[str, set[tuple[str, str]]] = {}
    for r in conn.execute(select(k.customer_id, k.kind, k.value)):
        stored_keys.setdefault(r.customer_id, set()).add((r.kind, r.value))
    wrong = missing = 0
    for r in conn.execute(select(c.id, c.fields, c.anonymized_at)):
        if r.anonymized_at is not None:
            if r.id in stored or r.id in stored_keys:
                problems.append(f"anonymized customer {r.id} is still in the search index")
            stored.pop(r.id, None)
            stored_keys.pop(r.id, None)
            continue
        entry = index_entry(_fields(r.fields))
        row = stored.pop(r.id, None)
        if row is None:
            missing += 1
        elif row != (entry.name_text, entry.contact_text) or stored_keys.get(r.id, set()) != set(entry.keys):
            wrong += 1
        stored_keys.pop(r.id, None)
    if missing:
        problems.append(f"{missing} customers have no search row")
    if wrong:
        problems.append(f"{wrong} search rows differ from their customer's fields")
    if stored or stored_keys:
        problems.append(f"{len(set(stored) | set(stored_keys))} search rows have no customer")
    words: set[str] = set()
    for name_text in conn.execute(select(s.name_text)).scalars():
        words |= fuzzy.name_words([name_text])
    n = t.name_key.c
    keyed = set(conn.execute(select(n.word).where(n.key == "d" + n.word)).scalars())
    if words - keyed:
        problems.append(f"{len(words - keyed)} name words have no sound-alike keys")
    if keyed - words:
        problems.append(f"{len(keyed - words)} sound-alike keys belong to words no customer has")
    if conn.dialect.name == "sqlite":
        for table in SQLITE_FTS_TABLES:
            try:
                conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                problems.append(f"{table}: {exc}")
    return problems


# -- searching -------------------------------------------------------------------------------------
def store_country(conn: Connection, store_code: str) -> str:
    """The store's country: how a phone number typed there is read ('0151 234' is German in Berlin)."""
    return conn.execute(select(t.store.c.country).where(t.store.c.code == store_code)).scalar() or ""


def search(conn: Connection, query: str, *, country: str, limit: int) -> list[dict[str, Any]]:
    """Customers of every store for a typed query, best first (at most ``limit``).

    Each hit: id, reference, store_code, display_name, email, phone, city, via (a person found through
    an organization's name: its name), matched_by.
    """
    q = parse_query(query, country=country)
    if q.empty:
        return []
    if conn.dialect.name == "postgresql":
        # plan every statement for its own words: a cached generic plan walks the whole table
        # backwards for a rare name or a whole email (200 ms at 100,000 customers instead of 0.1)
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    found = _ranked(conn, q, max(1, limit))
    via = _people_of_organizations(conn, found, max(1, limit)) if q.name_words else {}
    return _hits(conn, list(found)[:limit], found, via)


def _people_of_organizations(conn: Connection, found: dict[str, str], want: int) -> dict[str, str]:
    """As at the till (storage/search_index.py): organizations found by name bring their people,
    each right after its organization, the primary contact and the manager first. Reorders
    ``found`` in place; returns person id -> organization id."""
    from ..domain.membership import MembershipRecord, holders

    named = [cid for cid, how in found.items() if how == "name"]
    if not named:
        return {}
    m = t.membership.c
    members: dict[str, list[MembershipRecord]] = {}
    for chunk in _chunks(named):
        for r in conn.execute(select(m.organization_id, m.person_id, m.fields).where(m.organization_id.in_(chunk))):
            record = MembershipRecord.from_document({"organization_id": r.organization_id, "person_id": r.person_id,
                                                     "fields": _fields(r.fields)})
            members.setdefault(r.organization_id, []).append(record)
    people: dict[str, list[str]] = {}
    for org, records in members.items():
        marks = holders(records)
        active = [x.person_id for x in records if x.active]
        people[org] = sorted(active, key=lambda p: (p != marks.get("primary"), p != marks.get("manager"), p))
    return people_after_organizations(found, people, want)


def _ranked(conn: Connection, q: SearchQuery, want: int) -> dict[str, str]:
    """customer id -> how it matched, in rank order: the till's steps, in the till's order."""
    found: dict[str, str] = {}
    c, k = t.customer.c, t.customer_key.c

    def take(ids: Iterable[str], how: str) -> None:
        for cid in ids:
            found.setdefault(cid, how)

    if q.reference:
        take(conn.execute(select(c.id).where(c.reference == q.reference, c.anonymized_at.is_(None)))
             .scalars(), "reference")
        if found:  # a complete reference with a valid check character: that customer, nothing else
            return found

    def by_key(kind: str, value: str) -> Iterable[str]:
        return conn.execute(select(k.customer_id).where(and_(k.kind == kind, k.value == value))
                            .limit(want)).scalars()

    if q.email_key:
        take(by_key("email", q.email_key), "email")
    if q.phone_e164:
        take(by_key("phone", q.phone_e164), "phone")
    if q.card:
        take(by_key("card", q.card), "card")
    if q.complete and found:  # a whole email, phone or card number found exactly: no scan after it
        return found
    if q.reference_prefix and len(found) < want:
        # references are letters and digits only: every one that starts with the prefix sorts
        # below prefix + "Z" ("Z" is not a reference symbol), in any collation
        take(conn.execute(select(c.id).where(c.reference >= q.reference_prefix,
                                             c.reference < q.reference_prefix + "Z",
                                             c.anonymized_at.is_(None))
                          .order_by(c.reference).limit(want)).scalars(), "reference")
    postgres = conn.dialect.name == "postgresql"

    def by_name(tsquery: str, match: str) -> Iterable[str]:
        """Newest first: the tsquery on PostgreSQL, the FTS5 match on SQLite."""
        if postgres:
            return conn.execute(text(
                f"SELECT customer_id FROM hq_customer_search WHERE {PG_NAME_VECTOR} @@ CAST(:q AS tsquery)"
                " ORDER BY id DESC LIMIT :n"), {"q": tsquery, "n": want + len(found)}).scalars()
        return conn.execute(text(
            "SELECT customer_id FROM hq_customer_search WHERE id IN (SELECT rowid FROM"
            " hq_search_fts_name WHERE hq_search_fts_name MATCH :q ORDER BY rowid DESC LIMIT :n)"
            " ORDER BY id DESC"), {"q": match, "n": want + len(found)}).scalars()

    before_names = len(found)
    if q.name_words and len(found) < want:
        # every word whole first, then every word as a prefix; newest customers first in each
        for whole in (True, False):
            if len(found) >= want:
                break
            take(by_name(_tsquery(q.name_words, prefix=not whole),
                         fts_exact_query(q.name_words) if whole else fts_name_query(q.name_words)), "name")
    named = len(found) - before_names
    if q.name_words and len(found) < want and named < want:
        # the name words found fewer than a page: names that sound alike, then one typo away
        alternatives = _name_alternatives(conn, q.name_words)
        for how in fuzzy.MATCH_KINDS:
            match = fuzzy.fts_query(q.name_words, alternatives.of(how))
            if match and len(found) < want:
                take(by_name(_fuzzy_tsquery(q.name_words, alternatives.of(how)), match), how)
    fragment = fragment_text(q.fragment) if q.fragment else None
    if fragment and len(found) < want:
        if postgres:
            escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            ids = conn.execute(text(
                "SELECT customer_id FROM hq_customer_search WHERE contact_text LIKE :q ESCAPE '\\'"
                " ORDER BY id DESC LIMIT :n"), {"q": f"%{escaped}%", "n": want + len(found)}).scalars()
        else:
            ids = conn.execute(text(
                "SELECT customer_id FROM hq_customer_search WHERE id IN (SELECT rowid FROM"
                " hq_search_fts_contact WHERE hq_search_fts_contact MATCH :q ORDER BY rowid DESC LIMIT :n)"
                " ORDER BY id DESC"), {"q": f'"{fragment}"', "n": want + len(found)}).scalars()
        take(ids, "phone" if fragment.isdigit() else "fragment")
    return found


def _lexeme(word: str, *, prefix: bool) -> str:
    """A word quoted as it is, so nothing in it is an operator ('mul':* as a prefix)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")


def _tsquery(name_words: tuple[str, ...], *, prefix: bool) -> str:
    """'anna':* & 'mul':* (or whole words)."""
    return " & ".join(_lexeme(w, prefix=prefix) for w in name_words)


def _fuzzy_tsquery(name_words: tuple[str, ...], alternatives_of: Mapping[str, tuple[str, ...]]) -> str:
    """('meier':* | 'meyer' | 'maier') & 'anna':* : every word as typed or as one it may stand for."""
    return " & ".join("(" + " | ".join([_lexeme(w, prefix=True)] + [_lexeme(v, prefix=False) for v in alts]) + ")"
                      for w, alts in fuzzy.groups(name_words, alternatives_of) or ())


def _hits(conn: Connection, ids: list[str], how: Mapping[str, str],
          via: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The hits, each with ``via``: the name of the organization a person was found through."""
    if not ids:
        return []
    c = t.customer.c
    via = via or {}
    wanted = set(ids) | {via[i] for i in ids if i in via}
    rows = {r.id: r for r in conn.execute(select(c.id, c.reference, c.home_store, c.fields)
                                          .where(c.id.in_(sorted(wanted)), c.anonymized_at.is_(None)))}
    names = {cid: fields_display_name(_fields(r.fields)) for cid, r in rows.items()}
    out = []
    for cid in ids:
        row = rows.get(cid)
        if row is None:
            continue
        f = _fields(row.fields)
        out.append({
            "id": row.id, "reference": row.reference, "store_code": row.home_store,
            "display_name": names[cid], "via": names.get(via.get(cid, ""), ""),
            "email": next((e["address"] for e in _items(f, "emails") if isinstance(e, dict) and e.get("primary")), ""),
            "phone": next((p["e164"] for p in _items(f, "phones") if isinstance(p, dict) and p.get("primary")), ""),
            "city": next((a.get("city") or "" for a in _items(f, "addresses") if isinstance(a, dict)), ""),
            "matched_by": how[cid]})
    return out


