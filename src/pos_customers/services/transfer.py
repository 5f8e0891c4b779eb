"""Customers in and out: JSON documents, CSV import (all or nothing, or skip bad rows), export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, TextIO

from sqlmodel import select

from ..domain.address import AddressInput
from ..domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
from ..domain.errors import FieldError, ValidationFailed
from ..domain.record import ADDRESS_LINES, READ_ONLY_KEYS, CustomerRecord
from ..domain.reference import BULK_TERMINAL, InvalidReference, decode_reference, format_reference, parse_reference
from ..domain.i18n import Msg
from ..storage.tables import AttributeDefinition, Store
from .views import Joined
from .context import Actor, Permission, Services
from ..storage import customers as rows
from .customers import duplicates_in, insert_customer, prepare, write_update

CSV_COLUMNS = [
    "reference", "type", "title", "first_name", "middle_name", "last_name", "organization_name",
    "company", "birth_date", "language", "currency", "group", "affiliations", "receipt_option",
    "receipt_email", "status", "account_type", "email", "email2", "email_marketing", "phone",
    "phone2", "phone_marketing", "address_purpose", "line1", "line2", "city", "district", "region",
    "postal_code", "country", "card", "store_code", "created_at", "updated_at",
    "salutation", "gender", "status_reason", "vat_number", "tax_exempt", "credit_limit", "suffix",
]
#: what ``add --json`` takes: the draft's fields, plus the short names the CSV uses
_DRAFT_KEYS = frozenset(f.name for f in fields(CustomerDraft) if f.name != "password") | {"type", "group"}


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y")


#: plain text fields of the draft that JSON gives as they are
_PLAIN_TEXT = ("status_reason", "gender", "salutation", "vat_number", "suffix")


def _flag(doc: dict[str, Any], name: str) -> bool:
    value = doc.get(name, False)
    if not isinstance(value, bool):
        raise ValidationFailed(FieldError(name, Msg("expected true or false")))
    return value


def _limit(value: Any) -> int | None:
    """JSON's credit limit: whole minor units (as ``show --json`` prints it), or null for none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(FieldError("credit_limit", Msg("expected whole minor units (e.g. 150000 for 1500.00)"
                                                              " or null")))
    return value


def _minor(text: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(FieldError("credit_limit", Msg("expected whole minor units, e.g. 150000"))) from None


def draft_from_json(doc: dict[str, Any]) -> CustomerDraft:
    """A draft from a JSON object (``customers add`` on stdin). Unknown keys are an error."""
    if not isinstance(doc, dict):
        raise ValidationFailed(FieldError("json", Msg("expected a JSON object")))
    unknown = sorted(set(doc) - _DRAFT_KEYS - READ_ONLY_KEYS)  # `show --json` output is accepted as it is
    if unknown:
        raise ValidationFailed(FieldError(unknown[0], Msg("unknown field")))

    def listed(name: str) -> list:
        value = doc.get(name) or []
        if not isinstance(value, list):
            raise ValidationFailed(FieldError(name, Msg("expected a list")))
        return value

    emails = [EmailInput(e) if isinstance(e, str) else EmailInput(
        e.get("address", ""), e.get("purpose", "personal"), bool(e.get("primary")),
        bool(e.get("marketing_consent"))) for e in listed("emails")]
    phones = [PhoneInput(p) if isinstance(p, str) else PhoneInput(
        p.get("number") or p.get("e164") or p.get("national") or "", p.get("purpose", "mobile"), bool(p.get("primary")),
        bool(p.get("marketing_consent"))) for p in listed("phones")]
    addresses = []
    for a in listed("addresses"):
        if not isinstance(a, dict):
            raise ValidationFailed(FieldError("addresses", Msg("each address must be an object")))
        addresses.append(AddressDraft(
            AddressInput(**{k: str(a.get(k) or "") for k in ADDRESS_LINES}),
            a.get("purpose"), bool(a.get("default_billing")), bool(a.get("default_shipping"))))
    attrs = doc.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise ValidationFailed(FieldError("attributes", Msg("expected an object")))
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
        **{name: str(doc.get(name) or "") for name in _PLAIN_TEXT},
        tax_exempt=_flag(doc, "tax_exempt"), credit_limit=_limit(doc.get("credit_limit")),
        must_change_password=doc.get("must_change_password") is True, emails=emails, phones=phones, addresses=addresses,
        cards=[str(c) for c in listed("cards")], attributes=attrs)


def draft_from_csv_row(row: dict[str, str]) -> CustomerDraft:
    unknown = sorted(k for k in row if k is not None and k not in CSV_COLUMNS and not k.startswith("attr:"))
    if None in row:
        raise ValidationFailed(FieldError("columns", Msg("more values than column headers")))
    if unknown:
        raise ValidationFailed(FieldError(unknown[0], Msg("unknown column")))
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
        salutation=g("salutation"), gender=g("gender"), status_reason=g("status_reason"), suffix=g("suffix"),
        vat_number=g("vat_number"), tax_exempt=_truthy(g("tax_exempt")), credit_limit=_minor(g("credit_limit")),
        emails=emails, phones=phones, addresses=addresses, cards=[g("card")] if g("card") else [],
        attributes={k[5:]: v for k, v in row.items() if k.startswith("attr:") and v})


def with_what_a_row_cannot_say(draft: CustomerDraft, current: CustomerRecord) -> CustomerDraft:
    """A CSV row holds two emails and two phones without their purposes (the second without its
    marketing consent), one address without its default flags, one card and no password flag.
    Updating a stored customer from a row keeps all that as stored, so an export read back in
    changes nothing; what the row does say (a changed or removed first email, another card) wins."""
    def digits(number: str) -> str:
        return re.sub(r"[^\d+]", "", number)

    stored_emails = {e.key: e for e in current.emails}
    emails = []
    for i, e in enumerate(draft.emails):
        had = stored_emails.get(e.address.strip().casefold())
        emails.append(e if had is None else replace(
            e, purpose=had.purpose, primary=had.primary,
            marketing_consent=e.marketing_consent if i == 0 else had.marketing_consent))
    listed = {e.address.strip().casefold() for e in emails}
    emails += [EmailInput(e.address, e.purpose, e.primary, e.marketing_consent)
               for e in current.emails[2:] if e.key not in listed]
    stored_phones = {p.e164: p for p in current.phones}
    phones = []
    for i, p in enumerate(draft.phones):
        had = stored_phones.get(digits(p.number))
        phones.append(p if had is None else replace(
            p, purpose=had.purpose, primary=had.primary,
            marketing_consent=p.marketing_consent if i == 0 else had.marketing_consent))
    listed = {digits(p.number) for p in phones}
    phones += [PhoneInput(p.e164, p.purpose, p.primary, p.marketing_consent)
               for p in current.phones[2:] if p.e164 not in listed]
    addresses = list(draft.addresses)
    if addresses and current.addresses:
        first = current.addresses[0]
        addresses[0] = replace(addresses[0], default_billing=first.default_billing,
                               default_shipping=first.default_shipping)
    addresses += [AddressDraft(AddressInput(*(getattr(a, k) for k in ADDRESS_LINES)), a.purpose,
                               a.default_billing, a.default_shipping) for a in current.addresses[1:]]
    cards = list(draft.cards) + [c for c in current.cards[1:] if c not in draft.cards]
    return replace(draft, emails=emails, phones=phones, addresses=addresses, cards=cards,
                   must_change_password=current.must_change_password)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    errors: list[FieldError]

    def __str__(self) -> str:
        return f"row {self.row}: " + "; ".join(str(e) for e in self.errors)

    @property
    def message(self) -> Msg:
        """What is wrong with the row, for people: "row 3: email: Not a valid email address"."""
        return Msg("row {row}: {problems}", row=self.row,
                   problems=Joined(Joined((e.field, e.message), ": ") for e in self.errors))


@dataclass(frozen=True)
class ImportResult:
    created: int
    bad_rows: list[RowError]
    written: bool
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Import:
    """What one import has done so far."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[RowError] = field(default_factory=list)


def import_csv(svc: Services, actor: Actor, source: TextIO, *, skip_bad: bool = False,
               update: bool = True, allow_duplicate: bool = False) -> ImportResult:
    """Check every row first. By default one bad row means nothing is written; with
    ``skip_bad`` the good rows are written and the bad ones listed. One transaction either way.

    The ``reference`` column decides what a row is:

    - a customer this store holds: the row updates it (only what differs is written and
      audited); with ``update=False`` the row is refused;
    - a reference this store does not hold: refused, unless it was issued by this store (an
      export being restored): then the customer is created with that reference and the
      ``created_at``/``updated_at`` of the row;
    - empty: a new customer with the store's next reference, refused as a likely duplicate of
      an existing customer (or of an earlier row) unless ``allow_duplicate``.

    Every written row is audited and queued for headquarters like any other change.
    """
    actor.require(Permission.IMPORT_EXPORT)
    reader = csv.DictReader(source)
    if not reader.fieldnames:
        return ImportResult(0, [RowError(1, [FieldError("header", Msg("the file is empty"))])], False)
    done = _Import()
    country = svc.settings().get("store_country", "") or "DE"
    with svc.change(actor, Permission.CREATE) as tx:
        store = tx.session.get(Store, tx.store_code)
        for line_no, row in enumerate(reader, start=2):
            try:
                _import_row(svc, tx, store, row, country, done, write=skip_bad or not done.bad,
                            update=update, allow_duplicate=allow_duplicate)
            except ValidationFailed as exc:
                done.bad.append(RowError(line_no, exc.errors))
        if done.bad and not skip_bad:
            tx.session.rollback()
            return ImportResult(0, done.bad, False)
    return ImportResult(done.created, done.bad, True, done.updated, done.unchanged)


def _import_row(svc: Services, tx, store: Store, row: dict[str, str], country: str, done: _Import, *,
                write: bool, update: bool, allow_duplicate: bool) -> None:
    """Check one row and (when ``write``) store it; ValidationFailed names what is wrong."""
    s = tx.session
    draft = draft_from_csv_row(row)
    text = (row.get("reference") or "").strip()
    if not text:
        prepared = prepare(svc, s, draft, new=True)
        if not allow_duplicate:
            hits = duplicates_in(rows.connection(s), country, draft, limit=1)
            if hits:
                h = hits[0]
                raise ValidationFailed(FieldError("reference", Msg(
                    "likely duplicate of {reference} {name} ({reasons}): --allow-duplicate imports it anyway",
                    reference=format_reference(h.reference), name=h.display_name, reasons=h.why)))
        if write:
            insert_customer(tx, prepared.clean, action="import")
            done.created += 1
        return
    try:
        reference = parse_reference(text)
    except InvalidReference as exc:
        raise ValidationFailed(FieldError("reference", exc.args[0] if exc.args else str(exc))) from None
    current = rows.by_reference(s, reference)
    if current is not None:
        if not update:
            raise ValidationFailed(FieldError(
                "reference", Msg("customer {reference} exists: not updated (--no-update)",
                                 reference=format_reference(reference))))
        if current.anonymized_at is not None:
            raise ValidationFailed(FieldError("reference", Msg(
                "customer {reference} was anonymized: there is nothing to update", reference=format_reference(reference))))
        draft = with_what_a_row_cannot_say(draft, current)
        prepared = prepare(svc, s, draft, new=False,
                           existing_purposes=frozenset(a.purpose for a in current.addresses), before=current)
        if write:
            after = write_update(tx, current, prepared.clean, action="import")
            if after is current:
                done.unchanged += 1
            else:
                done.updated += 1
        return
    origin = decode_reference(reference)
    if origin.store_number != store.number:
        raise ValidationFailed(FieldError(
            "reference", Msg("{reference} is not a customer of this store: it was issued by store number {issuer}, "
                             "this store is {store} (empty the reference column to import the row as a new customer "
                             "of this store)", reference=format_reference(reference), issuer=origin.store_number,
                             store=store.number)))
    created_at = _moment(row, "created_at")
    updated_at = _moment(row, "updated_at")
    prepared = prepare(svc, s, draft, new=True, fill=False)
    if write:
        insert_customer(tx, prepared.clean, reference=reference, created_at=created_at,
                        updated_at=updated_at, action="import")
        _never_again(s, store, origin)
        done.created += 1


def _never_again(s, store: Store, origin) -> None:
    """A restored reference is never issued again: the counter that issued it moves past it."""
    from ..storage.tables import Setting
    from .terminal import NEXT_KEY, terminal_number

    if origin.terminal is None or origin.terminal == BULK_TERMINAL:
        # the store-wide sequence: references from before till numbers, and the bulk range
        if origin.sequence >= store.next_sequence:
            store.next_sequence = origin.sequence + 1
            s.add(store)
    elif origin.terminal == terminal_number(s):
        counter = s.get(Setting, NEXT_KEY) or Setting(key=NEXT_KEY, value="0")
        if origin.sequence >= int(counter.value or 0):
            counter.value = str(origin.sequence + 1)
            s.add(counter)
    # another till's reference: only that till issues it


def _moment(row: dict[str, str], column: str) -> datetime | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(FieldError(column, Msg("'{text}' is not a date and time like 2026-11-01T09:00:00+00:00",
                                                      text=text))) from None


def iter_records(svc: Services, actor: Actor, *, batch: int = 1000) -> Iterator[CustomerRecord]:
    """Every customer, by reference (the order is the same in every store holding them)."""
    actor.require(Permission.IMPORT_EXPORT)
    last = ""
    while True:
        with svc.db.read() as s:
            got = list(rows.iter_all(s, after=last, order="reference", limit=batch))
        if not got:
            return
        yield from got
        last = got[-1].reference


def iter_customers(svc: Services, actor: Actor, *, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every customer as ``show --json`` prints it."""
    for record in iter_records(svc, actor, batch=batch):
        yield record.to_json()


def csv_columns(svc: Services) -> list[str]:
    """The CSV columns: the fixed ones, then one ``attr:CODE`` per custom attribute."""
    with svc.db.read() as s:
        codes = s.exec(select(AttributeDefinition.code).order_by(AttributeDefinition.code)).all()
    return CSV_COLUMNS + [f"attr:{c}" for c in codes]


def csv_row(r: CustomerRecord) -> dict[str, str]:
    """One customer as a CSV row (what ``import`` reads back)."""
    emails, phones = r.emails, r.phones
    a = r.addresses[0] if r.addresses else None
    doc = r.to_json()
    return {
        "reference": r.reference, "type": r.customer_type, "title": r.title,
        "first_name": r.first_name, "middle_name": r.middle_name, "last_name": r.last_name,
        "organization_name": r.organization_name, "company": r.company,
        "birth_date": doc["birth_date"] or "", "language": r.language, "currency": r.currency,
        "group": r.group_code or "", "affiliations": "|".join(r.affiliations),
        "receipt_option": r.receipt_option, "receipt_email": r.receipt_email,
        "status": r.status, "account_type": r.account_type,
        "email": emails[0].address if emails else "",
        "email2": emails[1].address if len(emails) > 1 else "",
        "email_marketing": "yes" if emails and emails[0].marketing_consent else "",
        "phone": phones[0].e164 if phones else "",
        "phone2": phones[1].e164 if len(phones) > 1 else "",
        "phone_marketing": "yes" if phones and phones[0].marketing_consent else "",
        "address_purpose": a.purpose if a else "",
        **{k: getattr(a, k) if a else "" for k in ADDRESS_LINES},
        "card": r.cards[0] if r.cards else "", "store_code": r.store_code,
        "created_at": doc["created_at"], "updated_at": doc["updated_at"],
        "salutation": r.salutation, "gender": r.gender, "status_reason": r.status_reason,
        "vat_number": r.vat_number, "tax_exempt": "yes" if r.tax_exempt else "",
        "credit_limit": "" if r.credit_limit is None else str(r.credit_limit), "suffix": r.suffix,
        **{f"attr:{k}": v for k, v in r.attributes.items()},
    }


def export(svc: Services, actor: Actor, out: TextIO, *, fmt: str = "json") -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=csv_columns(svc), lineterminator="\n")
        writer.writeheader()
        for record in iter_records(svc, actor):
            writer.writerow(csv_row(record))
            count += 1
    elif fmt == "json":
        out.write("[")
        for doc in iter_customers(svc, actor):
            out.write(("\n" if count == 0 else ",\n") + json.dumps(doc, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    else:
        raise ValueError(Msg("unknown export format '{format}' (json or csv)", format=fmt))
    return count


# -- editing from the command line -------------------------------------------------------------------

def draft_with_json(view: CustomerRecord, doc: Any) -> CustomerDraft:
    """An edit given as a partial document in the shape of ``show --json``: the keys it has replace
    the customer's values (a list replaces the whole list), every other field stays as it is."""
    if not isinstance(doc, dict):
        raise ValidationFailed(FieldError("json", Msg("expected a JSON object")))
    return draft_from_json({**view.to_json(), **doc})


@dataclass
class DraftEdits:
    """Changes to a customer named one by one (``customers edit`` flags). Contacts and cards are
    named by their value; a phone in any form the store's country reads."""

    fields: dict[str, Any] = field(default_factory=dict)  # draft field -> new value
    email_add: list[str] = field(default_factory=list)
    email_remove: list[str] = field(default_factory=list)
    email_primary: str | None = None
    phone_add: list[str] = field(default_factory=list)
    phone_remove: list[str] = field(default_factory=list)
    phone_primary: str | None = None
    purposes: dict[str, str] = field(default_factory=dict)  # contact -> purpose
    marketing: dict[str, bool] = field(default_factory=dict)  # contact -> consent
    card_add: list[str] = field(default_factory=list)
    card_remove: list[str] = field(default_factory=list)


def apply_edits(draft: CustomerDraft, edits: DraftEdits, *, country: str) -> CustomerDraft:
    """The draft with ``edits`` made; ValidationFailed names a contact or card it does not have."""
    from dataclasses import replace as changed

    from ..domain.customer import clean_card_number
    from ..domain.errors import FieldProblem
    from ..domain.validation import clean_email, clean_phone

    def email_key(text: str) -> str:
        try:
            return clean_email(text).key
        except FieldProblem:
            return text.strip().casefold()

    def phone_key(text: str) -> str:
        try:
            return clean_phone(text, country).e164
        except FieldProblem:
            return text.strip()

    def card_key(text: str) -> str:
        try:
            return clean_card_number(text)
        except FieldProblem:
            return text.strip().upper()

    emails, phones, cards = list(draft.emails), list(draft.phones), list(draft.cards)

    def find(items: list, key, value: str, kind: str) -> int:
        wanted = key(value)
        for i, item in enumerate(items):
            if key(item.address if kind == "email" else item.number) == wanted:
                return i
        raise ValidationFailed(FieldError(f"{kind}s", Msg("{value} is not one of the customer's emails", value=value)
                                          if kind == "email" else
                                          Msg("{value} is not one of the customer's phones", value=value)))

    for value in edits.email_remove:
        del emails[find(emails, email_key, value, "email")]
    for value in edits.phone_remove:
        del phones[find(phones, phone_key, value, "phone")]
    emails += [EmailInput(v, primary=not emails and i == 0) for i, v in enumerate(edits.email_add)]
    phones += [PhoneInput(v, primary=not phones and i == 0) for i, v in enumerate(edits.phone_add)]
    if edits.email_primary:
        chosen = find(emails, email_key, edits.email_primary, "email")
        emails = [changed(e, primary=i == chosen) for i, e in enumerate(emails)]
    if edits.phone_primary:
        chosen = find(phones, phone_key, edits.phone_primary, "phone")
        phones = [changed(p, primary=i == chosen) for i, p in enumerate(phones)]
    for contact, what in [*((c, "purpose") for c in edits.purposes), *((c, "marketing") for c in edits.marketing)]:
        is_email = "@" in contact
        items = emails if is_email else phones
        i = find(items, email_key if is_email else phone_key, contact, "email" if is_email else "phone")
        items[i] = (changed(items[i], purpose=edits.purposes[contact]) if what == "purpose"
                    else changed(items[i], marketing_consent=edits.marketing[contact]))
    for value in edits.card_remove:
        wanted = card_key(value)
        if wanted not in [card_key(c) for c in cards]:
            raise ValidationFailed(FieldError("cards", Msg("{value} is not one of the customer's cards", value=value)))
        cards = [c for c in cards if card_key(c) != wanted]
    cards += edits.card_add
    return changed(draft, **edits.fields, emails=emails, phones=phones, cards=cards)
