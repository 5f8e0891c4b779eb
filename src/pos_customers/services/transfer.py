"""Customers in and out: JSON documents, CSV import (all or nothing, or skip bad rows), export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlmodel import select

from ..domain.address import AddressInput
from ..domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
from ..domain.errors import FieldError, ValidationFailed
from ..storage.tables import Customer
from .context import Actor, Permission, Services
from ..storage import customers as rows
from .customers import insert_customer, prepare

CSV_COLUMNS = [
    "reference", "type", "title", "first_name", "middle_name", "last_name", "organization_name",
    "company", "birth_date", "language", "currency", "group", "affiliations", "receipt_option",
    "receipt_email", "status", "account_type", "email", "email2", "email_marketing", "phone",
    "phone2", "phone_marketing", "address_purpose", "line1", "line2", "city", "district", "region",
    "postal_code", "country", "card", "store_code", "created_at", "updated_at",
]
_EXPORT_ONLY = {"reference", "store_code", "created_at", "updated_at"}
_DRAFT_KEYS = {"customer_type", "type", "title", "first_name", "middle_name", "last_name",
               "organization_name", "company", "birth_date", "language", "currency", "group_code",
               "group", "affiliations", "receipt_option", "receipt_email", "status", "account_type",
               "emails", "phones", "addresses", "cards", "attributes"}


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y")


def draft_from_json(doc: dict[str, Any]) -> CustomerDraft:
    """A draft from a JSON object (``customers add`` on stdin). Unknown keys are an error."""
    if not isinstance(doc, dict):
        raise ValidationFailed(FieldError("json", "expected a JSON object"))
    unknown = sorted(set(doc) - _DRAFT_KEYS)
    if unknown:
        raise ValidationFailed(FieldError(unknown[0], "unknown field"))

    def listed(name: str) -> list:
        value = doc.get(name) or []
        if not isinstance(value, list):
            raise ValidationFailed(FieldError(name, "expected a list"))
        return value

    emails = [EmailInput(e) if isinstance(e, str) else EmailInput(
        e.get("address", ""), e.get("purpose", "personal"), bool(e.get("primary")),
        bool(e.get("marketing_consent"))) for e in listed("emails")]
    phones = [PhoneInput(p) if isinstance(p, str) else PhoneInput(
        p.get("number", ""), p.get("purpose", "mobile"), bool(p.get("primary")),
        bool(p.get("marketing_consent"))) for p in listed("phones")]
    addresses = []
    for a in listed("addresses"):
        if not isinstance(a, dict):
            raise ValidationFailed(FieldError("addresses", "each address must be an object"))
        addresses.append(AddressDraft(
            AddressInput(**{k: str(a.get(k) or "") for k in
                            ("line1", "line2", "city", "district", "region", "postal_code", "country")}),
            a.get("purpose"), bool(a.get("default_billing")), bool(a.get("default_shipping"))))
    attrs = doc.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise ValidationFailed(FieldError("attributes", "expected an object"))
    return CustomerDraft(
        customer_type=doc.get("customer_type") or doc.get("type") or None,
        title=str(doc.get("title") or ""), first_name=str(doc.get("first_name") or ""),
        middle_name=str(doc.get("middle_name") or ""), last_name=str(doc.get("last_name") or ""),
        organization_name=str(doc.get("organization_name") or ""), company=str(doc.get("company") or ""),
        birth_date=doc.get("birth_date") or None, language=doc.get("language") or None,
        currency=doc.get("currency") or None, group_code=doc.get("group_code") or doc.get("group") or None,
        affiliations=listed("affiliations") if "affiliations" in doc else None,
        receipt_option=doc.get("receipt_option") or None, receipt_email=doc.get("receipt_email") or None,
        status=doc.get("status") or "active", account_type=doc.get("account_type") or "guest",
        emails=emails, phones=phones, addresses=addresses,
        cards=[str(c) for c in listed("cards")], attributes=attrs)


def draft_from_csv_row(row: dict[str, str]) -> CustomerDraft:
    unknown = sorted(k for k in row if k is not None and k not in CSV_COLUMNS and not k.startswith("attr:"))
    if None in row:
        raise ValidationFailed(FieldError("columns", "more values than column headers"))
    if unknown:
        raise ValidationFailed(FieldError(unknown[0], "unknown column"))
    g = lambda k: (row.get(k) or "").strip()  # noqa: E731
    emails = [EmailInput(g(k), marketing_consent=_truthy(g("email_marketing")) and k == "email")
              for k in ("email", "email2") if g(k)]
    phones = [PhoneInput(g(k), marketing_consent=_truthy(g("phone_marketing")) and k == "phone")
              for k in ("phone", "phone2") if g(k)]
    addresses = []
    if any(g(k) for k in ("line1", "city", "postal_code")):
        addresses.append(AddressDraft(AddressInput(g("line1"), g("line2"), g("city"), g("district"),
                                                   g("region"), g("postal_code"), g("country")),
                                      g("address_purpose") or None))
    return CustomerDraft(
        customer_type=g("type") or None, title=g("title"), first_name=g("first_name"),
        middle_name=g("middle_name"), last_name=g("last_name"),
        organization_name=g("organization_name"), company=g("company"),
        birth_date=g("birth_date") or None, language=g("language") or None,
        currency=g("currency") or None, group_code=g("group") or None,
        affiliations=[a for a in g("affiliations").split("|") if a] if g("affiliations") else None,
        receipt_option=g("receipt_option") or None, receipt_email=g("receipt_email") or None,
        status=g("status") or "active", account_type=g("account_type") or "guest",
        emails=emails, phones=phones, addresses=addresses, cards=[g("card")] if g("card") else [],
        attributes={k[5:]: v for k, v in row.items() if k.startswith("attr:") and v})


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    errors: list[FieldError]

    def __str__(self) -> str:
        return f"row {self.row}: " + "; ".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class ImportResult:
    created: int
    bad_rows: list[RowError]
    written: bool


def import_csv(svc: Services, actor: Actor, source: TextIO, *, skip_bad: bool = False) -> ImportResult:
    """Check every row first. By default one bad row means nothing is written; with
    ``skip_bad`` the good rows are written and the bad ones listed. One transaction either way."""
    actor.require(Permission.IMPORT_EXPORT)
    reader = csv.DictReader(source)
    if not reader.fieldnames:
        return ImportResult(0, [RowError(1, [FieldError("header", "the file is empty")])], False)
    bad: list[RowError] = []
    with svc.change(actor, Permission.CREATE) as tx:
        created = 0
        for line_no, row in enumerate(reader, start=2):
            try:
                prepared = prepare(svc, tx.session, draft_from_csv_row(row), new=True)
            except ValidationFailed as exc:
                bad.append(RowError(line_no, exc.errors))
                continue
            if bad and not skip_bad:
                continue  # keep checking, to report every bad row, but write nothing
            insert_customer(tx, prepared.clean, action="import")
            created += 1
        if bad and not skip_bad:
            tx.session.rollback()
            return ImportResult(0, bad, False)
    return ImportResult(created, bad, True)


def iter_customers(svc: Services, actor: Actor, *, batch: int = 1000) -> Iterator[dict[str, Any]]:
    actor.require(Permission.IMPORT_EXPORT)
    last = ""
    while True:
        with svc.db.read() as s:
            ids = s.exec(select(Customer.id).where(Customer.id > last).order_by(Customer.id).limit(batch)).all()
            got = rows.read_many(s, ids)
            views = [got[i] for i in ids]
        if not views:
            return
        for v in views:
            yield v.to_json()
        last = views[-1].id


def csv_row(doc: dict[str, Any]) -> dict[str, str]:
    emails, phones, addresses = doc["emails"], doc["phones"], doc["addresses"]
    a = addresses[0] if addresses else {}
    return {
        "reference": doc["reference"], "type": doc["customer_type"], "title": doc["title"],
        "first_name": doc["first_name"], "middle_name": doc["middle_name"], "last_name": doc["last_name"],
        "organization_name": doc["organization_name"], "company": doc["company"],
        "birth_date": doc["birth_date"] or "", "language": doc["language"], "currency": doc["currency"],
        "group": doc["group_code"] or "", "affiliations": "|".join(doc["affiliations"]),
        "receipt_option": doc["receipt_option"], "receipt_email": doc["receipt_email"],
        "status": doc["status"], "account_type": doc["account_type"],
        "email": emails[0]["address"] if emails else "",
        "email2": emails[1]["address"] if len(emails) > 1 else "",
        "email_marketing": "yes" if emails and emails[0]["marketing_consent"] else "",
        "phone": phones[0]["e164"] if phones else "",
        "phone2": phones[1]["e164"] if len(phones) > 1 else "",
        "phone_marketing": "yes" if phones and phones[0]["marketing_consent"] else "",
        "address_purpose": a.get("purpose", ""), "line1": a.get("line1", ""), "line2": a.get("line2", ""),
        "city": a.get("city", ""), "district": a.get("district", ""), "region": a.get("region", ""),
        "postal_code": a.get("postal_code", ""), "country": a.get("country", ""),
        "card": doc["cards"][0] if doc["cards"] else "", "store_code": doc["store_code"],
        "created_at": doc["created_at"], "updated_at": doc["updated_at"],
    }


def export(svc: Services, actor: Actor, out: TextIO, *, fmt: str = "json") -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for doc in iter_customers(svc, actor):
            writer.writerow(csv_row(doc))
            count += 1
    elif fmt == "json":
        out.write("[")
        for doc in iter_customers(svc, actor):
            out.write(("\n" if count == 0 else ",\n") + json.dumps(doc, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    else:
        raise ValueError(f"unknown export format '{fmt}' (json or csv)")
    return count


def to_csv_text(docs: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in docs:
        writer.writerow(csv_row(d))
    return buf.getvalue()
