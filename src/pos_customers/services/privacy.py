"""A customer's privacy requests: deletion (anonymization) and access (everything held on them).

Anonymization is irreversible. Names, contacts, addresses, date of birth, cards, notes, attribute
values, consent history, sync conflicts and the old values in the audit rows about the customer
are erased; the customer row stays (order summaries stay attached to it) under the name
"Anonymized customer"; the email is freed, so the person can register again. Headquarters and
every store receive the anonymization; it wins over any edit made elsewhere.

On the terminal's file, deleted content is overwritten (SQLite secure_delete), the search index
is rewritten without the old words, and the write-ahead log is emptied: afterwards no byte of the
old name, email or phone remains in the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Callable

from sqlmodel import delete, select

from ..domain.enums import SyncState
from ..domain.enums import EventKind
from ..domain.errors import FieldError, ValidationFailed
from ..domain.record import CHILD_FIELDS, DOCUMENT_FIELDS, SERVICE_FIELDS
from ..domain.reference import format_reference, normalize
from ..domain.i18n import N_, Msg
from ..storage import audit_chain, memberships, search_index, segments
from ..storage import customers as rows
from ..sync.engine import scrub
from ..storage.tables import (ConsentEvent, Customer, CustomerDataCache, CustomerMatchKey, CustomerNote,
                              CustomerSegment, OrderSummary, OutboxEvent, SyncConflict)
from .context import Actor, NotFound, Permission, Services
from .customers import get_customer
from .views import utc

ANONYMIZED_NAME = "Anonymized customer"


@dataclass(frozen=True)
class AnonymizeResult:
    reference: str
    erased: dict[str, int]  # what was removed, by kind


def anonymize_customer(svc: Services, actor: Actor, customer_id: str, confirmation: str) -> AnonymizeResult:
    """Delete on request. ``confirmation`` must be the customer's reference, typed out."""
    actor.require(Permission.ANONYMIZE)
    view = get_customer(svc, actor, customer_id)
    if _anonymized(svc, customer_id):
        raise ValidationFailed(FieldError("confirmation", Msg("This customer is already anonymized")))
    if normalize(confirmation or "") != view.reference:
        raise ValidationFailed(FieldError(
            "confirmation", Msg("Type the customer's reference {reference} to confirm",
                                reference=format_reference(view.reference))))
    erased: dict[str, int] = {}
    with svc.change(actor, Permission.ANONYMIZE) as tx:
        s = tx.session
        current = rows.read(s, customer_id)
        note_ids = list(s.exec(select(CustomerNote.id).where(CustomerNote.customer_id == customer_id)))
        # what was erased, by kind: the kinds are words a person reads (the edge translates them)
        for name, values in ((N_("emails"), current.emails), (N_("phones"), current.phones),
                             (N_("addresses"), current.addresses), (N_("affiliations"), current.affiliations),
                             (N_("attribute values"), current.attributes), (N_("cards"), current.cards)):
            erased[name] = len(values)
        for name, model in ((N_("notes"), CustomerNote), (N_("consent history"), ConsentEvent),
                            (N_("sync conflicts"), SyncConflict), (N_("match keys"), CustomerMatchKey),
                            (N_("segments"), CustomerSegment)):
            erased[name] = s.exec(delete(model).where(model.customer_id == customer_id)).rowcount
        erased[N_("unsent changes")] = s.exec(delete(OutboxEvent).where(
            OutboxEvent.entity == "customer", OutboxEvent.entity_id == customer_id)).rowcount
        erased[N_("unsent membership changes")] = search_index.raw_connection(s).execute(
            "DELETE FROM outbox_event WHERE entity = 'membership' AND (json_extract(payload, '$.person_id') = ?"
            " OR json_extract(payload, '$.organization_id') = ?)", (customer_id, customer_id)).rowcount
        if note_ids:
            erased[N_("unsent notes")] = s.exec(delete(OutboxEvent).where(
                OutboxEvent.entity == "customer_note", OutboxEvent.entity_id.in_(note_ids))).rowcount
        person = current.customer_type == "person"
        stamp = tx.clock.now()
        anonymous = replace(
            current, title="", first_name="", middle_name="", suffix="", company="", receipt_email="",
            last_name=ANONYMIZED_NAME if person else "", organization_name="" if person else ANONYMIZED_NAME,
            birth_date=None, password_hash=None, must_change_password=False, account_type="guest", status="blocked",
            status_reason="", gender="", salutation="", vat_number="", tax_exempt=False, credit_limit=None,
            receipt_option="print", **{name: type(getattr(current, name))() for name in CHILD_FIELDS},
            **{f.name: f.default for f in fields(current) if f.name in SERVICE_FIELDS},  # e.g. assistance consent
            anonymized_at=tx.now, updated_at=tx.now, version=current.version + 1,
            sync_state=SyncState.PENDING, field_clocks={k: stamp for k in DOCUMENT_FIELDS})
        erased[N_("memberships")] = memberships.deactivate_all(s, customer_id, stamp)
        conn = search_index.raw_connection(s)
        erased[N_("audit rows redacted")] = audit_chain.redact(
            conn, "entity = 'customer' AND entity_id = ?" + (
                f" OR entity = 'customer_note' AND entity_id IN ({','.join('?' * len(note_ids))})" if note_ids else ""),
            (customer_id, *note_ids), tx.now.replace(tzinfo=None).isoformat(sep=" "))
        rows.replace(s, anonymous, current)
        tx.audit("customer", customer_id, "anonymize", {"anonymized": (None, format_reference(current.reference))})
        tx.outbox(EventKind.CUSTOMER_ANONYMIZED, "customer", customer_id,
                  {"id": customer_id, "reference": current.reference, "store_code": current.store_code,
                   "fields": anonymous.document_fields()}, hlc=stamp)
    scrub_file(svc)
    return AnonymizeResult(format_reference(view.reference), {k: v for k, v in erased.items() if v})


def _anonymized(svc: Services, customer_id: str) -> bool:
    with svc.db.read() as s:
        row = s.get(Customer, customer_id)
        return row is not None and row.anonymized_at is not None


def scrub_file(svc: Services) -> None:
    """Leave no copy of erased data in the file (see sync.engine.scrub)."""
    scrub(svc.db)


# -- access request -------------------------------------------------------------------------------------

def access_report(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> dict[str, Any]:
    """Everything held on one customer, on this terminal and at headquarters (when connected)."""
    from . import records
    from . import sync as sync_service

    actor.require(Permission.NOTES)
    view = get_customer(svc, actor, customer_id)
    with svc.db.read() as s:
        orders = [o.model_dump(mode="json") for o in s.exec(
            select(OrderSummary).where(OrderSummary.customer_id == customer_id).order_by(OrderSummary.ordered_at))]
        consents = [c.model_dump(mode="json") for c in s.exec(
            select(ConsentEvent).where(ConsentEvent.customer_id == customer_id).order_by(ConsentEvent.at))]
        conflicts = [c.model_dump(mode="json") for c in s.exec(
            select(SyncConflict).where(SyncConflict.customer_id == customer_id))]
        held = {kind: [r.doc for r in s.exec(select(CustomerDataCache).where(
            CustomerDataCache.customer_id == customer_id, CustomerDataCache.kind == kind)
            .order_by(CustomerDataCache.key))] for kind in ("cart", "payment", "credit")}
        links = [m.record.to_document() | {"primary_contact": m.is_primary, "manager": m.is_manager}
                 for m in memberships.of_person(s, customer_id) + memberships.of_organization(s, customer_id)]
        segs = [{"code": c, "name": n} for c, n in segments.of_customer(search_index.raw_connection(s), customer_id)]
    data = view.to_json()
    data.pop("version", None)
    report: dict[str, Any] = {
        "generated_at": svc.now().isoformat(), "reference": view.reference_display,
        "terminal": {
            "customer": data,
            "password": PASSWORD_SET if _has_password(svc, customer_id) else PASSWORD_NONE,
            "notes": [n.__dict__ | {"at": n.at.isoformat()} for n in records.notes(svc, actor, customer_id)],
            "consent_history": consents,
            "activity": [{"at": a.at.isoformat(), "who": a.who, "action": a.action, "changes": a.changes}
                         for a in records.activity(svc, actor, customer_id, limit=10_000)],
            "orders": orders, "sync_conflicts": conflicts, "memberships": links,
            # kept from headquarters' answers: carts, saved payments (token and last four digits only),
            # store credit (balance and movements)
            "active_carts": held["cart"], "saved_payments": held["payment"], "store_credit": held["credit"],
            # the segments headquarters placed the customer in (rules over their data and orders)
            "segments": segs,
        },
        "headquarters": None,
    }
    if sync_service.is_enrolled(svc):
        try:
            report["headquarters"] = sync_service.remote_record(svc, customer_id, transport=transport)
        except (sync_service.HqUnavailable, sync_service.HqRefused) as exc:
            report["headquarters"] = {"unavailable": str(exc)}
    return report


def _has_password(svc: Services, customer_id: str) -> bool:
    with svc.db.read() as s:
        row = s.get(Customer, customer_id)
        if row is None:
            raise NotFound(Msg("customer {customer} not found", customer=customer_id))
        return bool(row.password_hash)


#: the profile's rows in the readable access report, in order
PROFILE_LABELS = {
    "customer_type": N_("Customer type"), "salutation": N_("Salutation"), "title": N_("Title"),
    "first_name": N_("First name"), "middle_name": N_("Middle name"), "last_name": N_("Last name"),
    "suffix": N_("Suffix"), "organization_name": N_("Organization name"), "company": N_("Company"),
    "birth_date": N_("Birth date"), "gender": N_("Gender"), "language": N_("Language"), "currency": N_("Currency"),
    "group_code": N_("Group code"), "receipt_option": N_("Receipt option"), "receipt_email": N_("Receipt email"),
    "status": N_("Status"), "status_reason": N_("Status reason"), "account_type": N_("Account type"),
    "vat_number": N_("Vat number"), "tax_exempt": N_("Tax exempt"), "credit_limit": N_("Credit limit"),
    "store_code": N_("Store code"), "created_at": N_("Created at"), "updated_at": N_("Updated at"),
    "last_activity_at": N_("Last activity at"), "last_sign_in_at": N_("Last sign in at"),
    "password_changed_at": N_("Password changed at"),
}
PASSWORD_SET, PASSWORD_NONE = N_("set (only a one-way hash is kept)"), N_("none")


def report_text(report: dict[str, Any], *, say: Callable[[Any], str] = str) -> str:
    """The access report as a readable text (the JSON is the complete, machine-readable one).
    ``say`` makes each message into text: ``str`` (English) or the edge's ``tr`` (the reader's language)."""
    t = report["terminal"]
    c = t["customer"]
    none = say(Msg("none"))
    lines = [say(Msg("Data held on customer {reference}", reference=report["reference"])),
             say(Msg("Generated {at}", at=report["generated_at"])), ""]

    def section(title: Msg) -> None:
        text = say(title)
        lines.extend(["", text, "-" * len(text)])

    def mark(primary: bool, consent: bool) -> str:
        if primary:
            return say(Msg("primary, marketing yes") if consent else Msg("primary, marketing no"))
        return say(Msg("marketing yes") if consent else Msg("marketing no"))

    section(Msg("Profile"))
    for key, label in PROFILE_LABELS.items():
        if c.get(key) not in (None, "", []):
            lines.append(f"{say(Msg(label)):<22} {c[key]}")
    password = say(Msg("Password"))
    lines.append(f"{password:<22} {say(Msg(t['password']))}")
    section(Msg("Contacts"))
    lines += [say(Msg("email  {address} ({purpose}, {marks})", address=e["address"], purpose=e["purpose"],
                      marks=mark(e["primary"], e["marketing_consent"]))) for e in c["emails"]] or [none]
    lines += [say(Msg("phone  {national} {e164} ({purpose}, {marks})", national=p["national"], e164=p["e164"],
                      purpose=p["purpose"], marks=mark(p["primary"], p["marketing_consent"]))) for p in c["phones"]]
    section(Msg("Addresses"))
    lines += [f"{a['purpose']}: {' / '.join(x for x in a['formatted'].splitlines() if x)}" for a in c["addresses"]] \
        or [none]
    section(Msg("Attributes, group, affiliations"))
    lines += [f"{k}: {v}" for k, v in c["attributes"].items()] + [
        say(Msg("affiliations: {codes}", codes=", ".join(c["affiliations"]) or "—"))]
    section(Msg("Marketing consent history"))
    lines += [say(Msg("{at}  {kind} {value}  given  store {store}", at=e["at"], kind=e["contact_kind"],
                      value=e["contact_value"], store=e["store_code"]) if e["granted"] else
                  Msg("{at}  {kind} {value}  withdrawn  store {store}", at=e["at"], kind=e["contact_kind"],
                      value=e["contact_value"], store=e["store_code"])) for e in t["consent_history"]] or [none]
    section(Msg("Notes"))
    lines += [f"{n['at']}  {n['author_name']}: {n['text']}" for n in t["notes"]] or [none]
    section(Msg("Orders"))
    lines += [f"{o['ordered_at']}  {o['number']}  {o['store_code']}  {o['status']}  {o['total']} {o['currency']}"
              for o in t["orders"]] or [none]
    section(Msg("Active carts"))
    lines += [f"{k['created_at']}  {k['name']}  {k['store_code']}  {k['type']}  "
              + say(Msg("{count} items", count=sum(x["quantity"] for x in k["lines"])))
              for k in t.get("active_carts", [])] or [none]
    section(Msg("Saved payments"))
    lines += [say(Msg("{brand} •••• {last4}  expires {month:02d}/{year}  {holder}", brand=p["brand"], last4=p["last4"],
                      month=p["expiry_month"], year=p["expiry_year"], holder=p["holder"]))
              for p in t.get("saved_payments", [])] or [none]
    section(Msg("Segments (from headquarters' rules over the customer's data and orders)"))
    lines += [f"{g['code']}: {g['name']}" for g in t.get("segments", [])] or [none]
    section(Msg("Changes (audit trail on this terminal)"))
    lines += [f"{a['at']}  {a['who']}  {a['action']}  {', '.join(a['changes']) or '—'}" for a in t["activity"]] \
        or [none]
    section(Msg("Headquarters"))
    hq = report["headquarters"]
    if hq is None:
        lines.append(say(Msg("this terminal is not connected to headquarters")))
    elif "unavailable" in hq:
        lines.append(say(Msg("headquarters could not be asked: {reason}", reason=hq["unavailable"])))
    else:
        lines.append(json.dumps(hq, ensure_ascii=False, indent=2, default=str))
    return "\n".join(lines) + "\n"
