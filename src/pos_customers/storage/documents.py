"""A customer as one JSON document (what sync sends and receives), read from and written to the
terminal's tables.

The document is the wire format between terminals and headquarters: identity fields plus the
fields of :data:`pos_customers.domain.merge.DOCUMENT_FIELDS`, all plain JSON values. Lists are
kept in a stable order so that two equal customers give two equal documents.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlmodel import Session, delete, select

from ..domain import duplicates as dup
from ..domain.enums import SyncState
from ..domain.merge import DOCUMENT_FIELDS
from ..domain.validation import phone_from_e164
from . import search_index
from .tables import (AddressPurpose, Affiliation, AttributeDefinition, Customer, CustomerAddress,
                     CustomerAffiliation, CustomerAttribute, CustomerCard, CustomerEmail,
                     CustomerGroup, CustomerPhone, Store)

SCALARS = ("customer_type", "title", "first_name", "middle_name", "last_name", "organization_name",
           "company", "language", "currency", "group_code", "receipt_option", "receipt_email",
           "status", "account_type", "password_hash")


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def last_change(clocks: dict[str, str]) -> datetime | None:
    """When the newest edit anywhere happened: the physical part of the newest clock stamp."""
    stamps = [c for c in clocks.values() if c and c[:13].isdigit()]
    if not stamps:
        return None
    millis = int(max(stamps)[:13])
    return datetime.fromtimestamp(millis / 1000, timezone.utc) if millis > 0 else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def customer_fields(s: Session, c: Customer) -> dict[str, Any]:
    """The mergeable fields of one stored customer, as document values."""
    out: dict[str, Any] = {k: getattr(c, k) for k in SCALARS}
    out["birth_date"] = _iso(c.birth_date)
    out["password_changed_at"] = _iso(c.password_changed_at)
    out["last_sign_in_at"] = _iso(c.last_sign_in_at)
    out["financial_dimensions"] = dict(c.financial_dimensions)
    out["emails"] = sorted(
        ({"address": e.address, "purpose": e.purpose, "primary": e.is_primary,
          "marketing_consent": e.marketing_consent}
         for e in s.exec(select(CustomerEmail).where(CustomerEmail.customer_id == c.id))),
        key=lambda e: (not e["primary"], e["address"]))
    out["phones"] = sorted(
        ({"e164": p.e164, "purpose": p.purpose, "primary": p.is_primary,
          "marketing_consent": p.marketing_consent}
         for p in s.exec(select(CustomerPhone).where(CustomerPhone.customer_id == c.id))),
        key=lambda p: (not p["primary"], p["e164"]))
    out["addresses"] = sorted(
        ({"purpose": a.purpose_code, "line1": a.line1, "line2": a.line2, "city": a.city,
          "district": a.district, "region": a.region, "postal_code": a.postal_code,
          "country": a.country, "default_billing": a.default_billing,
          "default_shipping": a.default_shipping}
         for a in s.exec(select(CustomerAddress).where(CustomerAddress.customer_id == c.id))),
        key=lambda a: tuple(str(v) for v in a.values()))
    out["affiliations"] = sorted(s.exec(select(CustomerAffiliation.affiliation_code)
                                        .where(CustomerAffiliation.customer_id == c.id)))
    out["cards"] = sorted(s.exec(select(CustomerCard.number).where(CustomerCard.customer_id == c.id)))
    out["attributes"] = dict(sorted((a.code, a.value) for a in s.exec(
        select(CustomerAttribute).where(CustomerAttribute.customer_id == c.id))))
    assert set(out) == set(DOCUMENT_FIELDS)
    return out


def customer_document(s: Session, c: Customer) -> dict[str, Any]:
    return {"id": c.id, "reference": c.reference, "store_code": c.store_code,
            "created_at": _iso(c.created_at), "anonymized_at": _iso(c.anonymized_at),
            "fields": customer_fields(s, c), "clocks": dict(c.field_clocks or {})}


def _ensure_reference_rows(s: Session, doc: dict[str, Any]) -> None:
    """A pulled customer may name a store, group, purpose, affiliation or attribute this terminal
    has not received yet: a placeholder row keeps the customer (the next pull fills it in)."""
    f = doc["fields"]
    seen = s.info.setdefault("reference_rows_seen", set())  # this transaction's checks, not repeated
    wanted = {("store", doc["store_code"]), ("group", f.get("group_code")),
              *(("purpose", a["purpose"]) for a in f.get("addresses") or []),
              *(("affiliation", c) for c in f.get("affiliations") or []),
              *(("attribute", c) for c in (f.get("attributes") or {}))}
    if wanted <= seen:
        return
    seen |= wanted
    if s.get(Store, doc["store_code"]) is None:
        used = set(s.exec(select(Store.number)))
        number = next(n for n in range(8191, 0, -1) if n not in used)
        s.add(Store(code=doc["store_code"], number=number, name=doc["store_code"], country="",
                    currency="", language="", next_sequence=0))
    if f.get("group_code") and s.get(CustomerGroup, f["group_code"]) is None:
        s.add(CustomerGroup(code=f["group_code"], name=f["group_code"]))
    for a in f.get("addresses") or []:
        if s.get(AddressPurpose, a["purpose"]) is None:
            s.add(AddressPurpose(code=a["purpose"], label=a["purpose"], sort_order=999))
    for code in f.get("affiliations") or []:
        if s.get(Affiliation, code) is None:
            s.add(Affiliation(code=code, name=code))
    for code in (f.get("attributes") or {}):
        if s.get(AttributeDefinition, code) is None:
            s.add(AttributeDefinition(code=code, label=code, type="text", show_on_create=False,
                                      active=False))
    s.flush()


def apply_document(s: Session, doc: dict[str, Any], *, keep: frozenset[str] = frozenset(),
                   sync_state: SyncState = SyncState.SYNCED) -> Customer:
    """Write a customer document into the tables (insert or replace) and reindex it.

    Fields in ``keep`` hold local edits not yet sent: their local values and clocks stay.
    """
    f = doc["fields"]
    _ensure_reference_rows(s, doc)
    row = s.get(Customer, doc["id"])
    clocks = dict(doc.get("clocks") or {})
    if row is None:
        row = Customer(id=doc["id"], reference=doc["reference"], store_code=doc["store_code"],
                       customer_type=f.get("customer_type") or "person",
                       created_at=_moment(doc.get("created_at")) or datetime.now(timezone.utc))
        current: dict[str, Any] = {}
    else:
        current = customer_fields(s, row)
        for name in keep:
            if name in current:
                clocks[name] = (row.field_clocks or {}).get(name, "")
    new = {k: (current[k] if k in keep and k in current else f.get(k)) for k in DOCUMENT_FIELDS}
    for k in SCALARS:
        value = new.get(k)
        setattr(row, k, value if value is not None or k in ("group_code", "password_hash") else "")
    row.birth_date = date.fromisoformat(new["birth_date"]) if new.get("birth_date") else None
    row.password_changed_at = _moment(new.get("password_changed_at"))
    row.last_sign_in_at = _moment(new.get("last_sign_in_at"))
    row.financial_dimensions = dict(new.get("financial_dimensions") or {})
    row.anonymized_at = _moment(doc.get("anonymized_at"))
    row.field_clocks = clocks
    seen = last_change(clocks)
    if seen is not None and (row.last_activity_at is None or _aware(row.last_activity_at) < seen):
        row.last_activity_at = seen  # the newest change anywhere, as headquarters knows it
    row.name_key = dup.name_key(row.customer_type, row.last_name, row.organization_name)
    if current != new:
        row.version = (row.version or 0) + 1
        row.updated_at = datetime.now(timezone.utc)
    row.sync_state = sync_state
    s.add(row)
    s.flush()
    if any(current.get(k) != new.get(k) for k in ("emails", "phones", "addresses", "affiliations",
                                                   "cards", "attributes")):
        _replace_children(s, row.id, new)
    search_index.reindex_customer(s, row.id)
    return row


def _replace_children(s: Session, customer_id: str, f: dict[str, Any]) -> None:
    for model in (CustomerEmail, CustomerPhone, CustomerAddress, CustomerAffiliation,
                  CustomerAttribute, CustomerCard):
        s.exec(delete(model).where(model.customer_id == customer_id))
    s.flush()
    for e in f.get("emails") or []:
        s.add(CustomerEmail(customer_id=customer_id, address=e["address"],
                            address_key=e["address"].casefold(), purpose=e["purpose"],
                            is_primary=e["primary"], marketing_consent=e["marketing_consent"]))
    for p in f.get("phones") or []:
        s.add(CustomerPhone(customer_id=customer_id, e164=p["e164"],
                            national=phone_from_e164(p["e164"]).national, purpose=p["purpose"],
                            is_primary=p["primary"], marketing_consent=p["marketing_consent"]))
    for a in f.get("addresses") or []:
        s.add(CustomerAddress(customer_id=customer_id, purpose_code=a["purpose"], line1=a["line1"],
                              line2=a["line2"], city=a["city"], district=a["district"],
                              region=a["region"], postal_code=a["postal_code"], country=a["country"],
                              default_billing=a["default_billing"],
                              default_shipping=a["default_shipping"]))
    for code in f.get("affiliations") or []:
        s.add(CustomerAffiliation(customer_id=customer_id, affiliation_code=code))
    for code, value in (f.get("attributes") or {}).items():
        s.add(CustomerAttribute(customer_id=customer_id, code=code, value=value))
    for number in f.get("cards") or []:
        other = s.get(CustomerCard, number)
        if other is not None:
            s.delete(other)  # headquarters says the card is this customer's now
            s.flush()
        s.add(CustomerCard(customer_id=customer_id, number=number))
    s.flush()


# -- the fast path: many new customers at once (an initial pull) -------------------------------------

def _ts(text: str | None) -> str | None:
    """ISO text -> the UTC text form SQLAlchemy uses for SQLite DATETIME columns."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_new(s: Session, doc: dict[str, Any], *, sync_state: SyncState = SyncState.SYNCED) -> None:
    """Insert a customer this file does not hold yet, with raw SQL (no ORM objects): what an
    initial pull of a whole region does many thousand times. Same rows as :func:`apply_document`."""
    import json as _json
    import uuid as _uuid

    _ensure_reference_rows(s, doc)
    conn = search_index.raw_connection(s)
    f = doc["fields"]
    cid = doc["id"]
    ctype = f.get("customer_type") or "person"
    now = datetime.now(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    created = _ts(doc.get("created_at")) or now
    conn.execute(
        "INSERT INTO customer (id, reference, customer_type, title, first_name, middle_name, last_name,"
        " organization_name, company, birth_date, language, currency, group_code, financial_dimensions,"
        " receipt_option, receipt_email, status, account_type, password_hash, password_changed_at,"
        " last_sign_in_at, store_code, created_at, updated_at, last_activity_at, anonymized_at, sync_state,"
        " version, name_key, field_clocks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?)",
        (cid, doc["reference"], ctype, f.get("title") or "", f.get("first_name") or "",
         f.get("middle_name") or "", f.get("last_name") or "", f.get("organization_name") or "",
         f.get("company") or "", f.get("birth_date"), f.get("language") or "", f.get("currency") or "",
         f.get("group_code"), _json.dumps(f.get("financial_dimensions") or {}),
         f.get("receipt_option") or "print", f.get("receipt_email") or "", f.get("status") or "active",
         f.get("account_type") or "guest", f.get("password_hash"), _ts(f.get("password_changed_at")),
         _ts(f.get("last_sign_in_at")), doc["store_code"], created, now,
         _ts(_iso(last_change(doc.get("clocks") or {}))), _ts(doc.get("anonymized_at")), SyncState(sync_state).value,
         dup.name_key(ctype, f.get("last_name") or "", f.get("organization_name") or ""),
         _json.dumps(doc.get("clocks") or {})))
    conn.executemany(
        "INSERT INTO customer_email (id, customer_id, address, address_key, purpose, is_primary,"
        " marketing_consent) VALUES (?,?,?,?,?,?,?)",
        [(str(_uuid.uuid4()), cid, e["address"], e["address"].casefold(), e["purpose"], e["primary"],
          e["marketing_consent"]) for e in f.get("emails") or []])
    conn.executemany(
        "INSERT INTO customer_phone (id, customer_id, e164, national, purpose, is_primary, marketing_consent)"
        " VALUES (?,?,?,?,?,?,?)",
        [(str(_uuid.uuid4()), cid, p["e164"], phone_from_e164(p["e164"]).national, p["purpose"], p["primary"],
          p["marketing_consent"]) for p in f.get("phones") or []])
    conn.executemany(
        "INSERT INTO customer_address (id, customer_id, purpose_code, line1, line2, city, district, region,"
        " postal_code, country, default_billing, default_shipping) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [(str(_uuid.uuid4()), cid, a["purpose"], a["line1"], a["line2"], a["city"], a["district"], a["region"],
          a["postal_code"], a["country"], a["default_billing"], a["default_shipping"])
         for a in f.get("addresses") or []])
    conn.executemany("INSERT INTO customer_affiliation (customer_id, affiliation_code) VALUES (?,?)",
                     [(cid, code) for code in f.get("affiliations") or []])
    conn.executemany("INSERT INTO customer_attribute (customer_id, code, value) VALUES (?,?,?)",
                     [(cid, k, v) for k, v in (f.get("attributes") or {}).items()])
    for number in f.get("cards") or []:
        conn.execute("DELETE FROM customer_card WHERE number = ?", (number,))
        conn.execute("INSERT INTO customer_card (number, customer_id, issued_at) VALUES (?,?,?)",
                     (number, cid, now))
    doc_row = search_index.derive_doc(conn, cid)
    if doc_row is not None:
        conn.execute(search_index.UPSERT, doc_row.as_params())
    search_index.write_match_keys(conn, cid)


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
    """Every customer's document (or one registering store's), read with a handful of grouped
    queries instead of six per customer. Yields documents in id order."""
    import json as _json

    conn = search_index.raw_connection(s)
    where, args = ("WHERE store_code = ?", (store_code,)) if store_code else ("", ())
    children: dict[str, dict[str, Any]] = {}

    def kids(cid: str) -> dict[str, Any]:
        return children.setdefault(cid, {"emails": [], "phones": [], "addresses": [], "affiliations": [],
                                         "cards": [], "attributes": {}})

    for cid, address, purpose, primary, consent in conn.execute(
            "SELECT customer_id, address, purpose, is_primary, marketing_consent FROM customer_email"):
        kids(cid)["emails"].append({"address": address, "purpose": purpose, "primary": bool(primary),
                                    "marketing_consent": bool(consent)})
    for cid, e164, purpose, primary, consent in conn.execute(
            "SELECT customer_id, e164, purpose, is_primary, marketing_consent FROM customer_phone"):
        kids(cid)["phones"].append({"e164": e164, "purpose": purpose, "primary": bool(primary),
                                    "marketing_consent": bool(consent)})
    for row in conn.execute(
            "SELECT customer_id, purpose_code, line1, line2, city, district, region, postal_code, country,"
            " default_billing, default_shipping FROM customer_address"):
        kids(row[0])["addresses"].append(dict(zip(
            ("purpose", "line1", "line2", "city", "district", "region", "postal_code", "country"), row[1:9]),
            default_billing=bool(row[9]), default_shipping=bool(row[10])))
    for cid, code in conn.execute("SELECT customer_id, affiliation_code FROM customer_affiliation"):
        kids(cid)["affiliations"].append(code)
    for cid, number in conn.execute("SELECT customer_id, number FROM customer_card"):
        kids(cid)["cards"].append(number)
    for cid, code, value in conn.execute("SELECT customer_id, code, value FROM customer_attribute"):
        kids(cid)["attributes"][code] = value
    cols = ("id", "reference", "store_code", "created_at", "anonymized_at", "field_clocks", "birth_date",
            "password_changed_at", "last_sign_in_at", "financial_dimensions") + SCALARS
    for row in conn.execute(f"SELECT {', '.join(cols)} FROM customer {where} ORDER BY id", args):
        r = dict(zip(cols, row))
        k = children.get(r["id"]) or kids(r["id"])
        fields = {name: r[name] for name in SCALARS}
        fields.update(
            birth_date=r["birth_date"], password_changed_at=_iso_text(r["password_changed_at"]),
            last_sign_in_at=_iso_text(r["last_sign_in_at"]),
            financial_dimensions=_json.loads(r["financial_dimensions"] or "{}"),
            emails=sorted(k["emails"], key=lambda e: (not e["primary"], e["address"])),
            phones=sorted(k["phones"], key=lambda p: (not p["primary"], p["e164"])),
            addresses=sorted(k["addresses"], key=lambda a: tuple(str(v) for v in a.values())),
            affiliations=sorted(k["affiliations"]), cards=sorted(k["cards"]),
            attributes=dict(sorted(k["attributes"].items())))
        yield {"id": r["id"], "reference": r["reference"], "store_code": r["store_code"],
               "created_at": _iso_text(r["created_at"]), "anonymized_at": _iso_text(r["anonymized_at"]),
               "fields": fields, "clocks": _json.loads(r["field_clocks"] or "{}")}


def _iso_text(stored: str | None) -> str | None:
    """SQLite's stored UTC text -> ISO 8601 with the zone."""
    if not stored:
        return None
    return datetime.fromisoformat(stored).replace(tzinfo=timezone.utc).isoformat()


def erase_personal_records(s: Session, customer_id: str, at: datetime) -> None:
    """An anonymized customer (here or elsewhere): notes, consent history, conflicts and match
    keys go; the audit rows about them keep only their digests."""
    from . import audit_chain
    from .tables import ConsentEvent, CustomerMatchKey, CustomerNote, SyncConflict

    conn = search_index.raw_connection(s)
    notes = [r[0] for r in conn.execute("SELECT id FROM customer_note WHERE customer_id = ?", (customer_id,))]
    for model in (CustomerNote, ConsentEvent, SyncConflict, CustomerMatchKey):
        s.exec(delete(model).where(model.customer_id == customer_id))
    audit_chain.redact(conn, "entity = 'customer' AND entity_id = ?" + (
        f" OR entity = 'customer_note' AND entity_id IN ({','.join('?' * len(notes))})" if notes else ""),
        (customer_id, *notes), at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" "))
