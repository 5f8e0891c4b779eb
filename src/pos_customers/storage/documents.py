"""A customer as one JSON document (what sync sends and receives), read from and written to the
terminal's tables through :mod:`.customers`.

The document is the wire format between terminals and headquarters: identity fields plus the
fields of :data:`pos_customers.domain.merge.DOCUMENT_FIELDS`, all plain JSON values, made by
:meth:`CustomerRecord.to_document` and read by :meth:`CustomerRecord.from_document`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, delete, select

from ..domain.enums import SyncState
from ..domain.merge import DOCUMENT_FIELDS
from ..domain.record import CustomerRecord
from . import customers, search_index
from .tables import (AddressPurpose, Affiliation, AttributeDefinition, Customer, CustomerGroup, Store)


def last_change(clocks: dict[str, str]) -> datetime | None:
    """When the newest edit anywhere happened: the physical part of the newest clock stamp."""
    try:
        newest = max(clocks.values(), default="")
    except TypeError:  # a value that is no text
        newest = ""
    if not (isinstance(newest, str) and newest[:13].isdigit()):  # the newest is no stamp: the newest of those that are
        stamps = [c for c in clocks.values() if isinstance(c, str) and c[:13].isdigit()]
        if not stamps:
            return None
        newest = max(stamps)
    millis = int(newest[:13])
    return datetime.fromtimestamp(millis / 1000, timezone.utc) if millis > 0 else None


def _record(s: Session, c: Customer | str) -> CustomerRecord:
    s.flush()  # what the session holds reaches the connection before it is read
    return customers.read(s, c if isinstance(c, str) else c.id)


def customer_fields(s: Session, c: Customer | str) -> dict[str, Any]:
    """The mergeable fields of one stored customer, as document values."""
    return _record(s, c).document_fields()


def customer_document(s: Session, c: Customer | str) -> dict[str, Any]:
    return _record(s, c).to_document()


_REFERENCE_TABLES = {"store": Store, "group": CustomerGroup, "purpose": AddressPurpose,
                     "affiliation": Affiliation, "attribute": AttributeDefinition}


def _ensure_reference_rows(s: Session, docs: list[dict[str, Any]]) -> None:
    """Pulled customers may name a store, group, purpose, affiliation or attribute this terminal
    has not received yet: a placeholder row keeps the customer (the next pull fills it in).
    Each code is looked up once per transaction, whatever the number of customers naming it."""
    seen = s.info.setdefault("reference_rows_seen", set())  # this transaction's checks, not repeated
    wanted: dict[tuple[str, Any], None] = {}  # in the order the customers name them (new stores' numbers)
    for doc in docs:
        f = doc["fields"]
        wanted[("store", doc["store_code"])] = None
        if f.get("group_code"):
            wanted[("group", f["group_code"])] = None
        wanted.update((("purpose", a["purpose"]), None) for a in f.get("addresses") or ())
        wanted.update((("affiliation", c), None) for c in f.get("affiliations") or ())
        wanted.update((("attribute", c), None) for c in (f.get("attributes") or {}))
    todo = [w for w in wanted if w not in seen]
    if not todo:
        return
    seen.update(todo)
    conn = search_index.raw_connection(s)
    held = set()
    for kind, model in _REFERENCE_TABLES.items():
        codes = [c for k, c in todo if k == kind]
        for at in range(0, len(codes), 500):
            chunk = codes[at:at + 500]
            held |= {(kind, r[0]) for r in conn.execute(
                f"SELECT {model.__table__.primary_key.columns.keys()[0]} FROM {model.__tablename__}"
                f" WHERE {model.__table__.primary_key.columns.keys()[0]} IN ({','.join('?' * len(chunk))})", chunk)}
    todo = [w for w in todo if w not in held]
    for kind, code in todo:
        if kind == "store" and s.get(Store, code) is None:
            used = set(s.exec(select(Store.number)))
            number = next(n for n in range(8191, 0, -1) if n not in used)
            s.add(Store(code=code, number=number, name=code, country="", currency="", language="",
                        next_sequence=0))
            s.flush()
        elif kind == "group" and s.get(CustomerGroup, code) is None:
            s.add(CustomerGroup(code=code, name=code))
        elif kind == "purpose" and s.get(AddressPurpose, code) is None:
            s.add(AddressPurpose(code=code, label=code, sort_order=999))
        elif kind == "affiliation" and s.get(Affiliation, code) is None:
            s.add(Affiliation(code=code, name=code))
        elif kind == "attribute" and s.get(AttributeDefinition, code) is None:
            s.add(AttributeDefinition(code=code, label=code, type="text", show_on_create=False, active=False))
    s.flush()


def apply_document(s: Session, doc: dict[str, Any], *, keep: frozenset[str] = frozenset(),
                   sync_state: SyncState = SyncState.SYNCED) -> CustomerRecord:
    """Write a customer document into the tables (insert or replace), search index included.

    Fields in ``keep`` hold local edits not yet sent: their local values and clocks stay.
    """
    _ensure_reference_rows(s, [doc])
    previous = customers.read(s, doc["id"])
    if previous is None:
        return insert_new(s, doc, sync_state=sync_state)
    now = datetime.now(timezone.utc)
    incoming = customers.from_document(doc)
    clocks = dict(incoming.field_clocks)
    kept = {k: getattr(previous, k) for k in keep if k in DOCUMENT_FIELDS}
    for name in kept:
        clocks[name] = previous.field_clocks.get(name, "")
    seen = last_change(clocks)
    last_activity = previous.last_activity_at
    if seen is not None and (last_activity is None or last_activity < seen):
        last_activity = seen  # the newest change anywhere, as headquarters knows it
    record = replace(incoming, **kept, id=previous.id, reference=previous.reference,
                     store_code=previous.store_code, created_at=previous.created_at,
                     field_clocks=clocks, last_activity_at=last_activity, sync_state=sync_state,
                     version=previous.version, updated_at=previous.updated_at)
    record = _carry_consent(record, previous, now)
    if record.document_fields() != previous.document_fields() or record.anonymized_at != previous.anonymized_at:
        record = replace(record, version=previous.version + 1, updated_at=now)
    customers.replace(s, record, previous)
    return record


def _carry_consent(record: CustomerRecord, previous: CustomerRecord, now: datetime) -> CustomerRecord:
    """When consent was last given or withdrawn does not travel: a contact whose flag did not
    change keeps its moment, a changed flag is dated now."""
    emails = {e.key: e for e in previous.emails}
    phones = {p.e164: p for p in previous.phones}

    def when(before, flag: bool):
        if before is not None and before.marketing_consent == flag:
            return before.consent_changed_at
        return now if (before is not None or flag) else None

    return replace(
        record,
        emails=tuple(replace(e, consent_changed_at=when(emails.get(e.key), e.marketing_consent))
                     for e in record.emails),
        phones=tuple(replace(p, consent_changed_at=when(phones.get(p.e164), p.marketing_consent))
                     for p in record.phones))


def insert_new(s: Session, doc: dict[str, Any], *, sync_state: SyncState = SyncState.SYNCED) -> CustomerRecord:
    """Insert a customer this file does not hold yet (the same rows as :func:`apply_document`)."""
    return insert_documents(s, [doc], sync_state=sync_state)[0]


def insert_documents(s: Session, docs: list[dict[str, Any]], *,
                     sync_state: SyncState = SyncState.SYNCED) -> list[CustomerRecord]:
    """Insert customers this file does not hold yet, all at once: what an initial pull of a whole
    region does many thousand times (one ``executemany`` per table for the whole page)."""
    _ensure_reference_rows(s, docs)
    records = document_records(docs, sync_state=sync_state)
    customers.insert(s, records)
    return records


def moment_now() -> datetime:
    """Now, as a new customer's ``updated_at`` says it (given to the row maker with a page)."""
    return datetime.now(timezone.utc)


def document_records(docs: list[dict[str, Any]], *, sync_state: SyncState = SyncState.SYNCED,
                     now: datetime | None = None) -> list[CustomerRecord]:
    """Pulled documents of customers new to this file as the records they are stored as."""
    now = now or moment_now()
    return [customers.from_document(doc, now=now, updated_at=now, version=1, sync_state=sync_state,
                                    last_activity_at=last_change(doc.get("clocks") or {}))
            for doc in docs]


def document_rows(docs: list[dict[str, Any]], now: datetime | None = None) -> customers.Rows:
    """The rows :func:`insert_documents` writes for these documents, made without a database
    (a pull makes them in another process, or outside its write transaction)."""
    return customers.rows_of(document_records(docs, now=now))


def insert_rows(s: Session, docs: list[dict[str, Any]], rows: customers.Rows) -> None:
    """Insert customers new to this file from their rows made by :func:`document_rows`
    (``docs``: their documents, for the store, group... rows they name)."""
    _ensure_reference_rows(s, docs)
    customers.write(s, rows)


def holds(s: Session, ids: list[str]) -> set[str]:
    """Which of these customer ids this file already holds."""
    conn = search_index.raw_connection(s)
    out: set[str] = set()
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        out |= {r[0] for r in conn.execute(
            f"SELECT id FROM customer WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
    return out


def all_documents(s: Session, *, store_code: str | None = None):
    """Every customer's document (or one registering store's), read a thousand at a time.
    Yields documents in id order."""
    for record in customers.iter_all(s, store_code=store_code):
        yield record.to_document()


def erase_personal_records(s: Session, customer_id: str, at: datetime) -> None:
    """An anonymized customer (here or elsewhere): notes, consent history, conflicts, match keys
    the cached carts and saved payments and the segments go; the audit rows about them keep only their digests."""
    from . import audit_chain
    from .tables import (ConsentEvent, CustomerDataCache, CustomerMatchKey, CustomerNote, CustomerSegment,
                         SyncConflict)

    conn = search_index.raw_connection(s)
    notes = [r[0] for r in conn.execute("SELECT id FROM customer_note WHERE customer_id = ?", (customer_id,))]
    for model in (CustomerNote, ConsentEvent, SyncConflict, CustomerMatchKey, CustomerDataCache, CustomerSegment):
        s.exec(delete(model).where(model.customer_id == customer_id))
    audit_chain.redact(conn, "entity = 'customer' AND entity_id = ?" + (
        f" OR entity = 'customer_note' AND entity_id IN ({','.join('?' * len(notes))})" if notes else ""),
        (customer_id, *notes), at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" "))
