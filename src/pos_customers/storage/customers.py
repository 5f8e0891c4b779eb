"""The one place customer rows are written and read: a :class:`CustomerRecord` in, rows out, and back.

Every writer (the services, a sync pull, demo seeding, import) and every reader (the card, the
sync document, export, the search index) goes through here. Writes use plain SQL with
``executemany`` on the session's own connection, so one customer and a hundred thousand take the
same code path, in the caller's transaction. The search row and the duplicate-finder keys are
written with the customer.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from enum import Enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from ..domain import clocks as clock_codec
from ..domain import duplicates as dup
from ..domain.record import (ADDRESS_LINES, CHILD_FIELDS, AddressRecord, CustomerRecord, EmailRecord,
                             PhoneRecord, day, moment)
from ..domain.validation import national_form
from . import name_keys, search_index
from .ids import new_id, ordered_id

# the customer table's columns: every record field not kept in rows of its own, plus the name key
_SPECS = [f for f in fields(CustomerRecord) if f.name not in CHILD_FIELDS]
COLUMNS: tuple[str, ...] = tuple(f.name for f in _SPECS)
_KIND = {f.name: ("datetime" if f.type.startswith("datetime") else "date" if f.type.startswith("date")
                  else "json" if f.type.startswith("dict") else "bool" if f.type == "bool" else "")
         for f in _SPECS}
# columns SQLite takes as they are (text, numbers, flags); the others are encoded (moments, JSON, enums)
_PLAIN_TYPES = frozenset({"str", "int", "bool", "float", "str | None", "int | None", "bool | None"})
_VALUES = operator.attrgetter(*COLUMNS)
_ENCODED: tuple[tuple[int, str], ...] = tuple((i, f.name) for i, f in enumerate(_SPECS) if f.type not in _PLAIN_TYPES)

_INSERT_CUSTOMER = (f"INSERT INTO customer ({', '.join(COLUMNS)}, name_key)"
                    f" VALUES ({', '.join('?' * (len(COLUMNS) + 1))})")
_UPDATE_CUSTOMER = (f"UPDATE customer SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])}, name_key = ?"
                    " WHERE id = ?")
_ADDRESS_COLUMNS = ("purpose_code",) + ADDRESS_LINES + ("default_billing", "default_shipping")
def tables_of_customers(conn) -> list[str]:
    """Every table whose rows belong to a customer (a ``customer_id`` column), read from the schema:
    a table added by a later migration is included without a list to keep up to date."""
    return [r[0] for r in conn.execute(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS"
        " (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'customer_id') ORDER BY m.name")]


def remove(session_or_conn: Any, customer_id: str) -> None:
    """Every row of one customer (its tables read from the schema), the customer row last: a customer
    made on this till that headquarters never took and that was merged into another account."""
    conn = connection(session_or_conn)
    for table in tables_of_customers(conn):
        conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))
    conn.execute("DELETE FROM customer_membership WHERE person_id = ? OR organization_id = ?",
                 (customer_id, customer_id))
    conn.execute("DELETE FROM customer WHERE id = ?", (customer_id,))


def redirect(session_or_conn: Any, customer_id: str, reference: str, into_id: str, into_reference: str,
             at: datetime, *, undo: dict[str, Any] | None = None) -> None:
    """The customer merged into another at headquarters: its rows go, its id and reference lead to
    the survivor from now on (a redirect already held is kept as it is). ``undo``: what puts the
    customer back should headquarters refuse a merge this till asked for (:func:`undo_redirect`)."""
    conn = connection(session_or_conn)
    remove(conn, customer_id)
    conn.execute("INSERT OR IGNORE INTO customer_redirect (id, reference, into_id, into_reference, merged_at, undo)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (customer_id, reference, into_id, into_reference, stored_moment(at),
                                               json.dumps(undo, separators=(",", ":")) if undo else None))


def merge_confirmed(session_or_conn: Any, customer_id: str) -> None:
    """Headquarters applied the merge (or sent the redirect): nothing is to be put back any more."""
    connection(session_or_conn).execute("UPDATE customer_redirect SET undo = NULL WHERE id = ?", (customer_id,))


# -- what a merge removed, kept to put it back -------------------------------------------------------
# Rows are kept as the schema holds them (columns read from the table, blobs as hex), so a table a
# later migration adds is kept and put back without a list to keep up to date.

def _dump(conn: sqlite3.Connection, sql: str, args: tuple) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [{n: ({"$hex": v.hex()} if isinstance(v, bytes) else v) for n, v in zip(names, row)} for row in cur]


def _load_value(v: Any) -> Any:
    return bytes.fromhex(v["$hex"]) if isinstance(v, dict) and "$hex" in v else v


def table_rows(session_or_conn: Any, table: str, where: str, args: tuple) -> list[dict[str, Any]]:
    """Rows of ``table`` as column -> value (for :func:`put_rows`)."""
    return _dump(connection(session_or_conn), f"SELECT * FROM {table} WHERE {where}", args)


def put_rows(session_or_conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows as :func:`table_rows` read them, each taking the place of the row with its key."""
    conn = connection(session_or_conn)
    info = list(conn.execute(f"PRAGMA table_info({table})"))
    keys = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])] or ["rowid"]
    # a row number (INTEGER PRIMARY KEY) another customer's row took meanwhile is not taken from it
    numbered = len(keys) == 1 and any(r[1] == keys[0] and r[2].upper() == "INTEGER" for r in info) \
        and any(r[1] == "customer_id" for r in info)
    for row in rows:
        if numbered and keys[0] in row:
            held = conn.execute(f"SELECT customer_id FROM {table} WHERE {_quoted(keys[0])} = ?",
                                (row[keys[0]],)).fetchone()
            if held is not None and held[0] != row.get("customer_id"):
                row = {k: v for k, v in row.items() if k != keys[0]}
        if all(k in row for k in keys):  # a row without its key (a new seq) takes nobody's place
            conn.execute(f"DELETE FROM {table} WHERE {' AND '.join(f'{_quoted(k)} = ?' for k in keys)}",
                         [_load_value(row[k]) for k in keys])
        names = list(row)
        conn.execute(f"INSERT INTO {table} ({', '.join(map(_quoted, names))}) VALUES ({', '.join('?' * len(names))})",
                     [_load_value(row[n]) for n in names])


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'



def snapshot(session_or_conn: Any, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row :func:`remove` would take of one customer, table by table, the customer's first."""
    conn = connection(session_or_conn)
    out = {"customer": table_rows(conn, "customer", "id = ?", (customer_id,))}
    for table in tables_of_customers(conn):
        found = table_rows(conn, table, "customer_id = ?", (customer_id,))
        if found:
            out[table] = found
    out["customer_membership"] = table_rows(conn, "customer_membership", "person_id = ? OR organization_id = ?",
                                            (customer_id, customer_id))
    return out


def undo_redirect(session_or_conn: Any, customer_id: str) -> tuple[str, str] | None:
    """Put back a customer this till merged into another, headquarters not having applied the merge:
    its rows as they were, the links the merge moved as they were, its changes back in the outbox (a
    parked one parked again), its notes' waiting events naming it again; the redirect goes. Returns
    (reference, survivor's reference), or None when there is nothing to put back (headquarters
    applied the merge, or it was put back already)."""
    conn = connection(session_or_conn)
    row = conn.execute("SELECT undo, reference, into_reference FROM customer_redirect WHERE id = ?",
                       (customer_id,)).fetchone()
    if row is None or not row[0]:
        return None
    undo = json.loads(row[0])
    tables = undo.get("rows") or {}
    if not tables.get("customer"):
        return None
    put_rows(conn, "customer", tables["customer"])
    for table, found in tables.items():
        if table not in ("customer", "customer_membership"):
            put_rows(conn, table, found)
    # links: the survivor's as they were before the merge moved them, then the customer's own
    links = [*(x["row"] for x in undo.get("links") or () if x.get("row")), *tables.get("customer_membership", ())]
    for x in undo.get("links") or ():
        conn.execute("DELETE FROM customer_membership WHERE id = ?", (x["id"],))
    organizations = {x["organization_id"] for x in links} | {x.get("organization_id") for x in undo.get("links") or ()}
    put_rows(conn, "customer_membership", [{**x, "is_primary": 0, "is_manager": 0} for x in links])
    from .memberships import rederive_marks
    rederive_marks(conn, sorted(o for o in organizations if o))
    for event in undo.get("events") or ():
        if conn.execute("SELECT 1 FROM outbox_event WHERE id = ?", (event["id"],)).fetchone():
            continue
        if conn.execute("SELECT 1 FROM outbox_event WHERE seq = ?", (event.get("seq"),)).fetchone():
            event = {k: v for k, v in event.items() if k != "seq"}  # its place was taken: it goes last
        put_rows(conn, "outbox_event", [event])
    for event_id in undo.get("notes") or ():
        conn.execute("UPDATE outbox_event SET payload = json_set(payload, '$.customer_id', ?) WHERE id = ?",
                     (customer_id, event_id))
    conn.execute("DELETE FROM customer_redirect WHERE id = ?", (customer_id,))
    return row[1], row[2]


def redirected(session_or_conn: Any, key: str) -> str | None:
    """The survivor a merged-away customer's id or reference leads to (followed to the end), or None."""
    conn = connection(session_or_conn)
    seen: set[str] = set()
    into = None
    while key not in seen:
        seen.add(key)
        row = conn.execute("SELECT into_id FROM customer_redirect WHERE id = ? OR reference = ? LIMIT 1",
                           (key, key)).fetchone()
        if row is None:
            break
        into = key = row[0]
    return into


_CHILD_TABLES = ("customer_email", "customer_phone", "customer_address", "customer_affiliation",
                 "customer_attribute", "customer_card")


def connection(session_or_conn: Any) -> sqlite3.Connection:
    if isinstance(session_or_conn, sqlite3.Connection):
        return session_or_conn
    return search_index.raw_connection(session_or_conn)


def stored_moment(value: datetime | None) -> str | None:
    """A moment in the text form SQLAlchemy uses for SQLite DATETIME columns (UTC, no zone)."""
    if value is None:
        return None
    if value.tzinfo is timezone.utc:
        value = value.replace(tzinfo=None)
    elif value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    if value.year >= 1000:  # the same text as strftime below, a third of its cost
        return value.isoformat(" ", "microseconds")
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _encode(name: str, value: Any) -> Any:
    kind = _KIND[name]
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if kind == "datetime":
        return stored_moment(value)
    if kind == "date":
        return value.isoformat()
    if kind == "json":
        return json.dumps(clock_codec.pack(value) if name == "field_clocks" else value)
    return value


def _decode(name: str, value: Any) -> Any:
    kind = _KIND[name]
    if kind == "datetime":
        return moment(value)
    if kind == "date":
        return day(value)
    if kind == "json":
        loaded = json.loads(value) if value else {}
        return clock_codec.unpack(loaded) if name == "field_clocks" else loaded
    if kind == "bool":
        return bool(value)  # SQLite hands back 0 / 1: the wire wants true / false
    return value


def _encoder(name: str):
    kind = _KIND[name]
    if kind == "datetime":
        return lambda v: None if v is None else stored_moment(v)
    if kind == "date":
        return lambda v: None if v is None else v.isoformat()
    return lambda v: _encode(name, v)


_ENCODERS = tuple((i, _encoder(name)) for i, name in _ENCODED)


def _customer_params(r: CustomerRecord) -> list[Any]:
    """The customer row of a record: every column (in ``COLUMNS`` order), then the name key."""
    values = list(_VALUES(r))
    for i, encode in _ENCODERS:
        values[i] = encode(values[i])
    # an anonymized customer is nobody's likely duplicate
    values.append("" if r.anonymized_at else dup.name_key(r.customer_type, r.last_name, r.organization_name))
    return values


# -- writing ---------------------------------------------------------------------------------------

@dataclass
class Rows:
    """The rows of some customers, every table's, made from their records (:func:`rows_of`) and
    written by :func:`write`: the one bulk-write path of a save, a pull and the demo builder.

    Plain lists of tuples, so they can be made in another process (a pull's worker, the demo's
    generator) while this one writes; ``customer_id`` is the second value of every child row."""

    customers: list[list[Any]] = field(default_factory=list)  # COLUMNS, then the name key
    emails: list[tuple] = field(default_factory=list)
    phones: list[tuple] = field(default_factory=list)
    addresses: list[tuple] = field(default_factory=list)
    affiliations: list[tuple] = field(default_factory=list)  # (customer_id, code): customer first
    attributes: list[tuple] = field(default_factory=list)  # (customer_id, code, value)
    cards: list[tuple] = field(default_factory=list)  # (number, customer_id, issued_at)
    search: list[tuple] = field(default_factory=list)  # search_index.SearchDoc values
    match_keys: list[tuple] = field(default_factory=list)  # (name_key, country, postal_code, customer_id)
    made_at: datetime | None = field(default=None, compare=False)  # the moment they were made for (a pull's page)
    _by_customer: dict[str, dict[str, list]] | None = field(default=None, repr=False, compare=False)

    @property
    def ids(self) -> list[str]:
        return [c[0] for c in self.customers]

    def only(self, ids: list[str]) -> Rows:
        """The rows of these customers alone, in this order (a pulled page's customers new to this
        file, a part of the page at a time): each table's rows are grouped by customer once, so a
        page applied in many parts is not filtered whole for each of them."""
        if len(ids) == len(self.customers) and all(c[0] == i for c, i in zip(self.customers, ids)):
            return self
        groups = self._groups()
        return Rows(*([r for i in ids for r in groups[name].get(i, ())] for name in _OWNER))

    def _groups(self) -> dict[str, dict[str, list]]:
        if self._by_customer is None:
            self._by_customer = {}
            for name, at in _OWNER.items():
                groups: dict[str, list] = {}
                for r in getattr(self, name):
                    groups.setdefault(r[at], []).append(r)
                self._by_customer[name] = groups
        return self._by_customer

    def __contains__(self, customer_id: str) -> bool:
        return customer_id in self._groups()["customers"]

    def __add__(self, other: Rows) -> Rows:
        """These customers' rows, then the other's (each table's in that order)."""
        return Rows(*(getattr(self, name) + getattr(other, name) for name in _OWNER), made_at=self.made_at)

    def __len__(self) -> int:
        return len(self.customers)


# where each table's rows name their customer
_OWNER = {"customers": 0, "emails": 1, "phones": 1, "addresses": 1, "affiliations": 0, "attributes": 0,
          "cards": 1, "search": 0, "match_keys": 3}


def rows_of(records: Iterable[CustomerRecord]) -> Rows:
    """Every row of these customers (pure: no database; the same rows wherever they are made)."""
    records = list(records)
    out = Rows(customers=[_customer_params(r) for r in records])
    _child_rows(out, records)
    out.search = [search_index.doc_values(search_index.doc_from_record(r)) for r in records]
    out.match_keys = [k for r in records for k in search_index.match_keys(r)]
    return out


def insert(session_or_conn: Any, records: Iterable[CustomerRecord]) -> int:
    """Insert customers this file does not hold yet (one, or a whole initial pull). Returns how many.

    A card already held by another customer moves to the new one (headquarters decided so)."""
    return write(session_or_conn, rows_of(records))


def write(session_or_conn: Any, rows: Rows) -> int:
    """Write the rows of customers this file does not hold yet, in the caller's transaction
    (their search rows, name keys and duplicate-finder keys with them). Returns how many."""
    conn = connection(session_or_conn)
    if not rows.customers:
        return 0
    conn.executemany(_INSERT_CUSTOMER, rows.customers)
    _write_children(conn, rows)
    search_index.write_values(conn, rows.search)
    name_keys.add(conn, [s[search_index.NAME_TEXT] for s in rows.search])
    conn.executemany(_INSERT_MATCH_KEY, rows.match_keys)
    return len(rows.customers)


def replace(session_or_conn: Any, record: CustomerRecord, previous: CustomerRecord) -> None:
    """Write a changed customer over what is stored (``previous``, as read in this transaction).
    Child rows are rewritten only when one of them changed."""
    conn = connection(session_or_conn)
    params = _customer_params(record)
    conn.execute(_UPDATE_CUSTOMER, params[1:] + [record.id])
    if any(getattr(record, n) != getattr(previous, n) for n in CHILD_FIELDS) or _consent_moved(record, previous):
        for table in _CHILD_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (record.id,))
        _insert_children(conn, [record])
    _index(conn, [record], new=False, previous=[previous])


def insert_consents(session_or_conn: Any, events: Iterable[tuple]) -> None:
    """Consent given or withdrawn, never updated: (customer id, contact kind, contact value, granted,
    at, store code, associate number) each; recorded at the till (source ``pos``)."""
    connection(session_or_conn).executemany(
        "INSERT INTO consent_event (id, customer_id, contact_kind, contact_value, granted, at, store_code,"
        " associate_number, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pos')",
        [(new_id(), cid, kind, value, granted, stored_moment(at), store, associate)
         for cid, kind, value, granted, at, store, associate in events])


def set_clocks(session_or_conn: Any, customer_id: str, clocks: dict[str, str]) -> None:
    connection(session_or_conn).execute("UPDATE customer SET field_clocks = ? WHERE id = ?",
                                        (json.dumps(clock_codec.pack(clocks)), customer_id))


def _consent_moved(a: CustomerRecord, b: CustomerRecord) -> bool:
    return ([e.consent_changed_at for e in a.emails] != [e.consent_changed_at for e in b.emails]
            or [p.consent_changed_at for p in a.phones] != [p.consent_changed_at for p in b.phones])


def _insert_children(conn: sqlite3.Connection, records: list[CustomerRecord]) -> None:
    rows = Rows()
    _child_rows(rows, records)
    _write_children(conn, rows)


def _child_rows(out: Rows, records: list[CustomerRecord]) -> None:
    out.emails = [(ordered_id(), r.id, e.address, e.key, e.purpose, e.primary, e.marketing_consent,
                   stored_moment(e.consent_changed_at)) for r in records for e in r.emails]
    out.phones = [(ordered_id(), r.id, p.e164, p.national, p.purpose, p.primary, p.marketing_consent,
                   stored_moment(p.consent_changed_at)) for r in records for p in r.phones]
    out.addresses = [(ordered_id(), r.id, a.purpose, *(getattr(a, n) for n in ADDRESS_LINES), a.default_billing,
                      a.default_shipping) for r in records for a in r.addresses]
    out.affiliations = [(r.id, code) for r in records for code in r.affiliations]
    out.attributes = [(r.id, k, v) for r in records for k, v in r.attributes.items()]
    out.cards = [(n, r.id, stored_moment(r.updated_at or r.created_at)) for r in records for n in r.cards]


def _write_children(conn: sqlite3.Connection, rows: Rows) -> None:
    conn.executemany(
        "INSERT INTO customer_email (id, customer_id, address, address_key, purpose, is_primary,"
        " marketing_consent, consent_changed_at) VALUES (?,?,?,?,?,?,?,?)", rows.emails)
    conn.executemany(
        "INSERT INTO customer_phone (id, customer_id, e164, national, purpose, is_primary,"
        " marketing_consent, consent_changed_at) VALUES (?,?,?,?,?,?,?,?)", rows.phones)
    conn.executemany(
        f"INSERT INTO customer_address (id, customer_id, {', '.join(_ADDRESS_COLUMNS)})"
        f" VALUES ({', '.join('?' * (len(_ADDRESS_COLUMNS) + 2))})", rows.addresses)
    conn.executemany("INSERT INTO customer_affiliation (customer_id, affiliation_code) VALUES (?,?)",
                     rows.affiliations)
    conn.executemany("INSERT INTO customer_attribute (customer_id, code, value) VALUES (?,?,?)", rows.attributes)
    conn.executemany("DELETE FROM customer_card WHERE number = ?", [(c[0],) for c in rows.cards])
    conn.executemany("INSERT INTO customer_card (number, customer_id, issued_at) VALUES (?,?,?)", rows.cards)


_INSERT_MATCH_KEY = ("INSERT OR IGNORE INTO customer_match_key (name_key, country, postal_code, customer_id)"
                     " VALUES (?,?,?,?)")


def _index(conn: sqlite3.Connection, records: list[CustomerRecord], *, new: bool,
           previous: list[CustomerRecord] | None = None) -> None:
    """The search row, its name words' sound-alike keys and the duplicate-finder keys, from the
    same records (``previous``: the same customers as stored before, for a change)."""
    docs = [search_index.doc_from_record(r) for r in records]
    search_index.write_rows(conn, docs)
    before = [search_index.doc_from_record(p).name_text for p in previous] if previous else [""] * len(docs)
    name_keys.update(conn, zip(before, (d.name_text for d in docs)))
    if not new:
        conn.executemany("DELETE FROM customer_match_key WHERE customer_id = ?", [(r.id,) for r in records])
    conn.executemany(_INSERT_MATCH_KEY, [k for r in records for k in search_index.match_keys(r)])


# -- reading ---------------------------------------------------------------------------------------

def _national(e164: str) -> str:
    return national_form(e164)


def read(session_or_conn: Any, customer_id: str) -> CustomerRecord | None:
    return read_many(session_or_conn, [customer_id]).get(customer_id)


def by_reference(session_or_conn: Any, reference: str) -> CustomerRecord | None:
    conn = connection(session_or_conn)
    row = conn.execute("SELECT id FROM customer WHERE reference = ?", (reference,)).fetchone()
    return read(conn, row[0]) if row else None


def read_many(session_or_conn: Any, ids: Iterable[str]) -> dict[str, CustomerRecord]:
    """These customers (those that exist), by id: seven queries per 500 customers."""
    conn = connection(session_or_conn)
    ids = list(dict.fromkeys(ids))
    out: dict[str, CustomerRecord] = {}
    for k in range(0, len(ids), 500):
        out.update(_load(conn, "id IN ({})".format(",".join("?" * len(ids[k:k + 500]))), ids[k:k + 500]))
    return out


def iter_all(session_or_conn: Any, *, store_code: str | None = None, batch: int = 1000,
             order: str = "id", after: str = "", limit: int | None = None) -> Iterator[CustomerRecord]:
    """Every customer (or one registering store's), in ``order`` (id or reference), read
    ``batch`` at a time; from after ``after``, at most ``limit``."""
    if order not in ("id", "reference"):
        raise ValueError(f"customers are read by id or by reference, not by {order}")
    conn = connection(session_or_conn)
    last, left = after, limit
    while left is None or left > 0:
        where = f"{order} > ?" + (" AND store_code = ?" if store_code else "")
        size = batch if left is None else min(batch, left)
        keys = conn.execute(f"SELECT id, {order} FROM customer WHERE {where} ORDER BY {order} LIMIT ?",
                            (last, *((store_code,) if store_code else ()), size)).fetchall()
        if not keys:
            return
        got = read_many(conn, [k[0] for k in keys])
        for cid, _ in keys:
            yield got[cid]
        last = keys[-1][1]
        if left is not None:
            left -= len(keys)


def _load(conn: sqlite3.Connection, where: str, args: list[Any]) -> dict[str, CustomerRecord]:
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM customer WHERE {where}", args).fetchall()
    if not rows:
        return {}
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    kids: dict[str, dict[str, list]] = {i: {n: [] for n in CHILD_FIELDS} for i in ids}
    for cid, *e in conn.execute(
            "SELECT customer_id, address, purpose, is_primary, marketing_consent, consent_changed_at"
            f" FROM customer_email WHERE customer_id IN ({marks})", ids):
        kids[cid]["emails"].append(EmailRecord(e[0], e[1], bool(e[2]), bool(e[3]), moment(e[4])))
    for cid, *p in conn.execute(
            "SELECT customer_id, e164, national, purpose, is_primary, marketing_consent, consent_changed_at"
            f" FROM customer_phone WHERE customer_id IN ({marks})", ids):
        kids[cid]["phones"].append(PhoneRecord(p[0], p[1], p[2], bool(p[3]), bool(p[4]), moment(p[5])))
    for cid, *a in conn.execute(
            f"SELECT customer_id, {', '.join(_ADDRESS_COLUMNS)} FROM customer_address"
            f" WHERE customer_id IN ({marks})", ids):
        kids[cid]["addresses"].append(AddressRecord(*a[:-2], bool(a[-2]), bool(a[-1])))
    for cid, code in conn.execute(
            f"SELECT customer_id, affiliation_code FROM customer_affiliation WHERE customer_id IN ({marks})", ids):
        kids[cid]["affiliations"].append(code)
    for cid, number in conn.execute(
            f"SELECT customer_id, number FROM customer_card WHERE customer_id IN ({marks})", ids):
        kids[cid]["cards"].append(number)
    for cid, code, value in conn.execute(
            f"SELECT customer_id, code, value FROM customer_attribute WHERE customer_id IN ({marks})", ids):
        kids[cid]["attributes"].append((code, value))
    out = {}
    for row in rows:
        values = {c: _decode(c, v) for c, v in zip(COLUMNS, row)}
        k = kids[values["id"]]
        out[values["id"]] = CustomerRecord(
            **values, emails=tuple(k["emails"]), phones=tuple(k["phones"]),
            addresses=tuple(k["addresses"]), affiliations=tuple(k["affiliations"]),
            cards=tuple(k["cards"]), attributes=dict(k["attributes"]))
    return out


# -- documents (sync) --------------------------------------------------------------------------------

def from_document(doc: dict[str, Any], **local: Any) -> CustomerRecord:
    """A sync document as a record; phones get their national form here."""
    return CustomerRecord.from_document(doc, national=_national, **local)



def card_owners(session_or_conn: Any, numbers: Iterable[str]) -> list[tuple[str, str]]:
    """(card number, customer id) of the cards among ``numbers`` that someone holds."""
    numbers = list(numbers)
    if not numbers:
        return []
    return connection(session_or_conn).execute(
        f"SELECT number, customer_id FROM customer_card WHERE number IN ({','.join('?' * len(numbers))})",
        numbers).fetchall()
