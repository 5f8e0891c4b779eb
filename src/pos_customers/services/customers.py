"""Use cases on customers: create, read, edit, search, find duplicates.

Each change is one transaction (customer rows + search index + audit row + outbox row).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain import duplicates as dup
from ..domain.address import AddressInput
from ..domain.customer import (
    AddressDraft,
    AttributeDef,
    CleanCustomer,
    CustomerDraft,
    EmailInput,
    PhoneInput,
    check_customer,
    display_name,
)
from ..domain.enums import AccountType, EventKind, SyncState
from ..domain.errors import FieldError, ValidationFailed
from ..domain.password import MANUAL_MUST_CHANGE, PasswordPolicy
from ..domain.record import (
    CHILD_FIELDS,
    DOCUMENT_FIELDS,
    CustomerRecord,
    fields_from_clean,
)
from ..domain.reference import InvalidReference, normalize, parse_reference
from ..domain.template import apply_template, financial_dimensions_for
from ..domain.validation import phone_from_e164
from ..domain.i18n import Msg
from ..domain.labels import label_in
from ..storage import customers as rows
from ..storage import queries
from .context import Actor, Change, NotFound, Permission, Services
from .views import CustomerView, DuplicateHit

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..storage.tables import Customer

# Reading a customer (`customers show`, the card) runs on a plain sqlite3 snapshot and imports no
# ORM: the modules that need SQLModel/SQLAlchemy (the tables, the store's settings, the conflict
# state) are imported by the use cases that write, inside them.

#: the plain (not list) fields a person sets on a customer, as the checked customer has them
SCALAR_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CleanCustomer)
                                       if f.name in DOCUMENT_FIELDS and f.name not in CHILD_FIELDS)


class StaleEdit(RuntimeError):
    """Someone else saved this customer after it was opened. Nothing was written."""

    def __init__(self, current: CustomerView, changed: dict[str, tuple[Any, Any]]):
        self.current = current
        self.changed = changed  # field -> (value when opened, value now)
        super().__init__(Msg("another terminal changed {fields} since it was opened", fields=", ".join(changed))
                         if changed else Msg("another terminal changed the customer since it was opened"))


# -- reading -----------------------------------------------------------------------------------

def get_customer(svc: Services, actor: Actor, key: str) -> CustomerView:
    """By id or by reference (any case, with or without separators)."""
    actor.require(Permission.SEARCH)
    with svc.db.snapshot() as conn:
        return find_customer(conn, key)


def customer_id_of(svc: Services, actor: Actor, key: str) -> str:
    """The id of the customer an id or reference opens (a merged-away customer's: the one it went
    into, see :func:`find_customer`), or NotFound."""
    actor.require(Permission.SEARCH)
    with svc.db.snapshot() as conn:
        if conn.execute("SELECT 1 FROM customer WHERE id = ?", (key,)).fetchone() is not None:
            return key
        return find_customer(conn, key).id


@dataclass(frozen=True)
class ShownNames:
    """What a reader sees for the codes on a customer: groups, affiliations, attribute definitions,
    each in one language (else its default label)."""

    groups: dict[str, str]
    affiliations: dict[str, str]
    attributes: dict[str, AttributeDef]
    purposes: dict[str, str] = field(default_factory=dict)  # address purposes


def shown_names(svc: Services, actor: Actor, language: str = "") -> ShownNames:
    """Read without the ORM (``customers show`` loads neither it nor pydantic)."""
    actor.require(Permission.SEARCH)
    with svc.db.snapshot() as conn:
        groups = conn.execute("SELECT code, name, labels FROM customer_group").fetchall()
        affiliations = conn.execute("SELECT code, name, labels FROM affiliation").fetchall()
        attributes = conn.execute("SELECT code, label, type, required, choices, active, labels, choice_labels "
                                  "FROM attribute_definition ORDER BY sort_order").fetchall()
        purposes = conn.execute("SELECT code, label, labels FROM address_purpose").fetchall()
    return ShownNames(
        {code: label_in(json.loads(labels or "{}"), name, language) for code, name, labels in groups},
        {code: label_in(json.loads(labels or "{}"), name, language) for code, name, labels in affiliations},
        {r[0]: AttributeDef.labelled(r[0], r[1], r[2], required=bool(r[3]), choices=json.loads(r[4] or "[]"),
                                     active=bool(r[5]), labels=json.loads(r[6] or "{}"),
                                     choice_labels=json.loads(r[7] or "{}"), language=language)
         for r in attributes},
        {code: label_in(json.loads(labels or "{}"), name, language) for code, name, labels in purposes})


def find_customer(s: Session | sqlite3.Connection, key: str) -> CustomerRecord:
    """The stored customer with this id or reference, or NotFound. A customer merged into another
    at headquarters opens as the one it joined."""
    record = rows.read(s, key)
    if record is None:
        into = rows.redirected(s, key)
        if into is not None:
            record = rows.read(s, into)
    if record is None:
        try:
            ref = parse_reference(key)
        except InvalidReference as exc:
            raise NotFound(Msg("no customer '{key}': {reason}", key=key, reason=exc.args[0] if exc.args else "")) from None
        record = rows.by_reference(s, ref)
        if record is None and (into := rows.redirected(s, ref)) is not None:
            record = rows.read(s, into)
    if record is None:
        raise NotFound(Msg("no customer with reference {reference}", reference=normalize(key)))
    return record


def view_in(tx: Change, customer_id: str) -> CustomerView:
    """The customer as stored, inside a transaction that is already open."""
    record = rows.read(tx.session, customer_id)
    if record is None:
        raise NotFound(Msg("customer {customer} no longer exists", customer=customer_id))
    return record


def choose_for_sale(svc: Services, actor: Actor, key: str) -> CustomerView:
    """The customer an associate picks for the sale at the till. A blocked (or anonymized)
    customer is refused: it still shows in the search, marked, but no sale is made for it."""
    view = get_customer(svc, actor, key)
    if view.anonymized_at is not None:
        raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: choose another customer")))
    if view.blocked:
        raise ValidationFailed(FieldError("status", Msg(
            "{name} is blocked ({reason}): not for a sale until the status is set back to active (edit, Status)",
            name=view.display_name, reason=view.status_reason) if view.status_reason else Msg(
            "{name} is blocked: not for a sale until the status is set back to active (edit, Status)",
            name=view.display_name)))
    return view


def card_holder(svc: Services, actor: Actor, number: str, *, exclude_id: str | None = None) -> CustomerView | None:
    """Who holds this loyalty card on this till (another customer than ``exclude_id``), if anyone:
    the till's own check before headquarters checks the whole chain."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        for _number, owner in rows.card_owners(s, [number]):
            if owner != exclude_id:
                return rows.read(s, owner)
    return None


# -- checking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    draft: CustomerDraft
    clean: CleanCustomer


def prepare(svc: Services, s: Session | sqlite3.Connection, draft: CustomerDraft, *, new: bool,
            existing_purposes: frozenset[str] = frozenset(), fill: bool = True,
            before: CustomerRecord | None = None) -> Prepared:
    """Apply the store template (new customers only, unless ``fill`` is False: a customer
    restored from an export is complete as it is) and check every field. The store's account
    options apply to a new customer (filled from the template) and to an edit of ``before``."""
    from .reference_data import choice_codes
    from .store_rules import (affiliation_codes, attribute_defs, group_codes, purpose_rules, store_row,
                              template_of)

    store = store_row(s, svc.store_code)
    tmpl = template_of(s, store.code) if (new and fill) or before is not None else None
    options = tmpl.account_options if tmpl is not None else None
    if new and fill:
        draft = apply_template(draft, tmpl)
        country = tmpl.address_country or store.country
        draft = replace(draft, addresses=[
            a if a.address.country else replace(a, address=replace(a.address, country=country))
            for a in draft.addresses])
    known_groups = group_codes(s)
    known_aff = affiliation_codes(s)
    clean = check_customer(
        draft, country=store.country, today=svc.today(), purposes=purpose_rules(s),
        attribute_defs=attribute_defs(s), known_groups=known_groups, known_affiliations=known_aff,
        existing_purposes=existing_purposes, require_attributes=new,
        password_policy=PasswordPolicy.from_settings(svc.settings()),
        manual_password=svc.settings().get("manual_password", "on") != "off",
        manual_password_must_change=svc.settings().get(MANUAL_MUST_CHANGE, "off") == "on",
        known_genders=choice_codes("gender"), known_salutations=choice_codes("salutation"),
        account_options=options, before=before)
    return Prepared(draft, clean)


def validate_draft(svc: Services, actor: Actor, draft: CustomerDraft, *, new: bool = True,
                   before: CustomerRecord | None = None) -> list[FieldError]:
    """Field errors for a draft as it stands (for live checking in a form); [] when it is fine.
    ``before``: the customer an edit changes (the store's account options judge what changed)."""
    from ..domain.record import fields_from_clean
    from .account_scope import check_fields

    actor.require(Permission.CREATE if new else Permission.EDIT)
    with svc.db.snapshot() as s:
        try:
            clean = prepare(svc, s, draft, new=new, before=before).clean
            # the save's own scope check: a form asks nothing of a customer the save would refuse
            if before is None or (clean.account_type, _emails_of(clean)) != (before.account_type,
                                                                             tuple(e.address for e in before.emails)):
                check_fields(s, before.store_code if before is not None else svc.store_code,
                             before.id if before is not None else None, fields_from_clean(clean), clean,
                             anonymized=before is not None and before.anonymized_at is not None)
        except ValidationFailed as exc:
            return exc.errors
    return []


def _emails_of(clean: CleanCustomer) -> tuple[str, ...]:
    return tuple(e.email.address for e in clean.emails)


def template_draft(svc: Services, actor: Actor) -> CustomerDraft:
    """An empty new-customer form, pre-filled from the store's default-customer template. Its
    receipt option is the template's own (the form shows what it gives: ``receipt_for``)."""
    from .store_rules import template_of

    actor.require(Permission.CREATE)
    with svc.db.snapshot() as s:
        template = template_of(s, svc.store_code)
    return replace(apply_template(CustomerDraft(), template), receipt_option=template.receipt_option)


# -- creating --------------------------------------------------------------------------------------

def create_customer(svc: Services, actor: Actor, draft: CustomerDraft) -> CustomerView:
    # plain SQL end to end: the app's save and `customers add` (a new process each time) load no ORM
    with svc.change(actor, Permission.CREATE, plain=True) as tx:
        prepared = prepare(svc, tx.session, draft, new=True)
        record = insert_customer(tx, prepared.clean)
    return record


def insert_customer(tx: Change, clean: CleanCustomer, *, reference: str | None = None,
                    created_at: datetime | None = None, updated_at: datetime | None = None,
                    action: str = "create") -> CustomerRecord:
    """Store a new checked customer: rows, search index, consent history, audit row and the
    ``customer.created`` event (the whole document, every field stamped now).

    ``reference`` and the timestamps are given when a customer is restored from an export;
    otherwise the store's next reference and now."""
    from .store_rules import group_dimensions

    s = tx.session
    stamp = tx.clock.now()
    password_hash, password_changed_at, password_changed = _password(tx, clean, None)
    record = CustomerRecord(
        id=rows.ordered_id(), reference=reference or _next_reference(s, tx.store_code),
        store_code=tx.store_code, created_at=created_at or tx.now,
        updated_at=updated_at or created_at or tx.now, last_activity_at=updated_at or created_at or tx.now,
        sync_state=SyncState.PENDING, field_clocks={k: stamp for k in DOCUMENT_FIELDS},
        **fields_from_clean(clean),
        financial_dimensions=financial_dimensions_for(group_dimensions(s, clean.group_code)),
        password_hash=password_hash, password_changed_at=password_changed_at)
    _credit_limit_allowed(tx, record.credit_limit, None)
    record, consents = _consents(tx, record, None)
    _check_cards(s, record)
    check_account_scope(s, record, clean)
    rows.insert(tx.connection, [record])
    rows.insert_consents(tx.connection, consents)
    tx.audit("customer", record.id, action, {k: (None, v) for k, v in _snapshot(record).items() if v}
             | ({"password": (None, "set by hand")} if password_changed else {}))
    tx.outbox(EventKind.CUSTOMER_CREATED, "customer", record.id, record.to_document(), hlc=stamp)
    return record


def _password(tx: Change, clean: CleanCustomer,
              previous: CustomerRecord | None) -> tuple[str | None, datetime | None, bool]:
    """A typed password becomes an argon2id hash at once; a guest account has none.
    Returns (hash, when it changed, whether it changed now)."""
    old_hash = previous.password_hash if previous else None
    old_at = previous.password_changed_at if previous else None
    if clean.account_type != AccountType.REGISTERED:
        if old_hash:
            return None, tx.now, True
        return None, old_at, False
    if not clean.password:
        return old_hash, old_at, False
    from ..domain.security import hash_secret  # argon2: imported when a password is typed, not for a guest

    return hash_secret(clean.password), tx.now, True


def _next_reference(s: Session | sqlite3.Connection, store_code: str) -> str:
    """(store number, this till's terminal number, the till's own sequence): see services/terminal."""
    from .store_rules import store_row
    from .terminal import next_reference

    return next_reference(s, store_row(s, store_code).number)


def announce_updated(tx: Change, row: Customer, before: dict[str, Any]) -> None:
    """Queue the fields of ``row`` (as the session holds it) that differ from ``before``, with the
    stamp each had when the edit began (its base). For a use case that changed only clocks
    through the ORM row (resolving a conflict): customer edits go through :func:`write_update`."""
    from ..storage.documents import customer_fields

    after = customer_fields(tx.session, row)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if not changed:
        return
    stamp = tx.clock.now()
    clocks = dict(row.field_clocks or {})
    base = {k: clocks.get(k, "") for k in changed}
    row.field_clocks = {**clocks, **{k: stamp for k in changed}}
    tx.session.add(row)
    tx.outbox(EventKind.CUSTOMER_UPDATED, "customer", row.id,
              {"id": row.id, "reference": row.reference, "store_code": row.store_code,
               "fields": changed, "base": base}, hlc=stamp)


def _credit_limit_allowed(tx: Change, limit: int | None, before: int | None) -> None:
    """Only a manager (or an administrator) sets or changes a credit limit: refused here, whatever
    a screen showed."""
    if limit != before and not tx.actor.can(Permission.SET_CREDIT_LIMIT):
        tx.actor.require(Permission.SET_CREDIT_LIMIT)


def check_account_scope(s: Session, record: CustomerRecord, clean: CleanCustomer) -> None:
    """One registered account per email in the chain's account scope (services/account_scope.py)."""
    from .account_scope import check

    check(s, record, clean)


def _check_cards(s: Session, record: CustomerRecord) -> None:
    for number, owner in rows.card_owners(s, record.cards):
        if owner != record.id:
            raise ValidationFailed(FieldError("cards", Msg("Card {number} belongs to another customer", number=number)))


def _consents(tx: Change, record: CustomerRecord,
              previous: CustomerRecord | None) -> tuple[CustomerRecord, list[tuple]]:
    """Consent given or withdrawn (a new contact with consent, or a changed flag) is recorded
    (rows for :func:`storage.customers.insert_consents`), and each contact says when its flag last
    changed; unchanged contacts keep their moment."""
    events: list[tuple] = []
    before: dict[tuple[str, str], Any] = {}
    if previous is not None:
        before = {("email", e.key): e for e in previous.emails} | {("phone", p.e164): p for p in previous.phones}

    def when(kind: str, key: str, shown: str, granted: bool):
        old = before.get((kind, key))
        if old is not None and old.marketing_consent == granted:
            return old.consent_changed_at
        if old is None and not granted:
            return None
        events.append((record.id, kind, shown, granted, tx.now, tx.store_code,
                       tx.actor.associate_number or tx.actor.name))
        return tx.now

    record = replace(
        record,
        emails=tuple(replace(e, consent_changed_at=when("email", e.key, e.address, e.marketing_consent))
                     for e in record.emails),
        phones=tuple(replace(p, consent_changed_at=when("phone", p.e164, p.e164, p.marketing_consent))
                     for p in record.phones))
    return record, events


# -- editing ---------------------------------------------------------------------------------------

def draft_from_view(view: CustomerView) -> CustomerDraft:
    """The edit form's starting point: the stored customer as a draft."""
    return CustomerDraft(
        customer_type=view.customer_type, title=view.title, first_name=view.first_name,
        middle_name=view.middle_name, last_name=view.last_name, suffix=view.suffix,
        organization_name=view.organization_name, company=view.company,
        birth_date=view.birth_date, language=view.language, currency=view.currency,
        group_code=view.group_code, affiliations=list(view.affiliations),
        receipt_option=view.receipt_option, receipt_email=view.receipt_email, status=view.status,
        account_type=view.account_type, must_change_password=view.must_change_password,
        status_reason=view.status_reason, gender=view.gender,
        salutation=view.salutation, vat_number=view.vat_number, tax_exempt=view.tax_exempt,
        credit_limit=view.credit_limit,
        emails=[EmailInput(e.address, e.purpose, e.primary, e.marketing_consent) for e in view.emails],
        phones=[PhoneInput(phone_from_e164(p.e164).international, p.purpose, p.primary,
                           p.marketing_consent) for p in view.phones],
        addresses=[AddressDraft(AddressInput(a.line1, a.line2, a.city, a.district, a.region,
                                             a.postal_code, a.country),
                                a.purpose, a.default_billing, a.default_shipping) for a in view.addresses],
        cards=list(view.cards), attributes=dict(view.attributes),
    )


#: what an associate edits (the password is typed anew, never rebased)
_DRAFT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CustomerDraft) if f.name != "password")


def rebase_draft(mine: CustomerDraft, opened: CustomerView, current: CustomerView) -> CustomerDraft:
    """My edit replayed on top of what is stored now: the fields I changed take my value,
    every other field keeps the current (other terminal's) value."""
    base, now = draft_from_view(opened), draft_from_view(current)
    return replace(now, **{f: getattr(mine, f) for f in _DRAFT_FIELDS
                           if _comparable(getattr(mine, f)) != _comparable(getattr(base, f))})


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _comparable(getattr(value, k)) for k in value.__dataclass_fields__}
    return "" if value is None else str(value)


def _snapshot(view: CustomerView) -> dict[str, Any]:
    """Comparable field values of a customer, lists included, for diffs and audit rows."""
    snap: dict[str, Any] = {f: getattr(view, f) for f in SCALAR_FIELDS}
    snap["affiliations"] = list(view.affiliations)
    snap["emails"] = [f"{e.address} ({e.purpose}{', primary' if e.primary else ''}"
                      f"{', marketing' if e.marketing_consent else ''})" for e in view.emails]
    snap["phones"] = [f"{p.e164} ({p.purpose}{', primary' if p.primary else ''}"
                      f"{', marketing' if p.marketing_consent else ''})" for p in view.phones]
    snap["addresses"] = [f"{a.purpose}: {', '.join(x for x in (a.line1, a.line2, a.postal_code, a.city, a.region, a.country) if x)}"
                         f"{' [billing]' if a.default_billing else ''}{' [shipping]' if a.default_shipping else ''}"
                         for a in view.addresses]
    snap["cards"] = list(view.cards)
    snap["attributes"] = dict(view.attributes)
    return snap


def diff(before: CustomerView, after: CustomerView) -> dict[str, tuple[Any, Any]]:
    a, b = _snapshot(before), _snapshot(after)
    return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def update_customer(svc: Services, actor: Actor, customer_id: str, draft: CustomerDraft, *,
                    opened: CustomerView) -> CustomerView:
    """Save an edit made on ``opened``. Only changed fields are written and audited.

    If the stored customer changed since ``opened`` was read, StaleEdit says what changed and
    nothing is written: the associate chooses, nothing is silently overwritten.
    """
    with svc.change(actor, Permission.EDIT) as tx:
        return edit_in(svc, tx, customer_id, draft, opened=opened)


def edit_in(svc: Services, tx: Change, customer_id: str, draft: CustomerDraft, *,
            opened: CustomerView, account_options: bool = True) -> CustomerView:
    """:func:`update_customer` inside a transaction that is already open (a use case that edits
    a customer as one of its steps). ``account_options`` False: the store's hidden and required
    fields are not judged (a value chosen between two that were already entered, not typed here)."""
    s = tx.session
    current = view_in(tx, customer_id)
    if current.anonymized_at is not None:
        raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: there is nothing to edit")))
    if current.version != opened.version:
        raise StaleEdit(current, diff(opened, current))
    prepared = prepare(svc, s, draft, new=False,
                       existing_purposes=frozenset(a.purpose for a in current.addresses),
                       before=current if account_options else None)
    return write_update(tx, current, prepared.clean)


def write_update(tx: Change, current: CustomerRecord, clean: CleanCustomer, *,
                 action: str = "update") -> CustomerRecord:
    """Store a checked edit of ``current``: changed rows, consent history, audit row and the
    ``customer.updated`` event with the changed fields. Nothing changed: nothing is written."""
    from .store_rules import group_dimensions

    s = tx.session
    password_hash, password_changed_at, password_changed = _password(tx, clean, current)
    new = replace(current, **fields_from_clean(clean), password_hash=password_hash,
                  password_changed_at=password_changed_at)
    if clean.group_code != current.group_code:
        new = replace(new, financial_dimensions=financial_dimensions_for(group_dimensions(s, clean.group_code)))
    new, consents = _consents(tx, new, current)
    if (new.account_type, new.emails) != (current.account_type, current.emails):
        check_account_scope(s, new, clean)
    extra = {}
    if password_changed:
        extra["password"] = ("…", "set by hand" if new.password_hash else "removed (guest account)")
    return write_record(tx, current, new, action=action, consents=consents, extra=extra)


def write_record(tx: Change, current: CustomerRecord, new: CustomerRecord, *, action: str = "update",
                 consents: list = (), extra: dict[str, tuple[Any, Any]] | None = None) -> CustomerRecord:
    """Store ``new`` over ``current``: the changed document fields, stamped now, the audit row
    (``extra``: more changes to show on it) and the ``customer.updated`` event with those fields.
    Nothing changed: nothing is written."""
    from ..storage.conflicts import edited_state

    s = tx.session
    before_fields, after_fields = current.document_fields(), new.document_fields()
    changed = {k: v for k, v in after_fields.items() if before_fields.get(k) != v}
    if not changed:
        return current  # nothing changed: no write, no audit
    if "credit_limit" in changed:
        _credit_limit_allowed(tx, new.credit_limit, current.credit_limit)
    stamp = tx.clock.now()
    clocks = dict(current.field_clocks)
    base = {k: clocks.get(k, "") for k in changed}
    new = replace(new, version=current.version + 1, updated_at=tx.now, last_activity_at=tx.now,
                  sync_state=edited_state(s, current.id),  # an open conflict still shows
                  field_clocks={**clocks, **{k: stamp for k in changed}})
    _check_cards(s, new)
    rows.replace(s, new, current)
    rows.insert_consents(tx.connection, consents)
    tx.audit("customer", new.id, action, diff(current, new) | (extra or {}))
    tx.outbox(EventKind.CUSTOMER_UPDATED, "customer", new.id,
              {"id": new.id, "reference": new.reference, "store_code": new.store_code,
               "fields": changed, "base": base}, hlc=stamp)
    return new


def set_must_change_password(svc: Services, actor: Actor, customer_id: str, on: bool = True) -> CustomerView:
    """Set (or clear) "must change password at next sign-in" on a registered account: audited,
    and synced as a change of that one field (headquarters' online sign-in honours it)."""
    with svc.change(actor, Permission.EDIT) as tx:
        return flag_password_change(tx, view_in(tx, customer_id), on)


def flag_password_change(tx: Change, current: CustomerRecord, on: bool = True) -> CustomerRecord:
    """:func:`set_must_change_password` inside an open transaction (a password link sets it too)."""
    if current.anonymized_at is not None:
        raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: there is nothing to edit")))
    if on and current.account_type != AccountType.REGISTERED:
        raise ValidationFailed(FieldError("must_change_password",
                                          Msg("A guest has no online account: make it Registered first")))
    return write_record(tx, current, replace(current, must_change_password=on))


# -- duplicates ------------------------------------------------------------------------------------

def find_duplicates(svc: Services, actor: Actor, draft: CustomerDraft, *,
                    exclude_id: str | None = None, limit: int = 10) -> list[DuplicateHit]:
    """Likely existing customers for a draft, each with why: same email, same phone, similar name.

    Works on partial drafts (a form being typed): each rule uses only fields that are valid.
    """
    actor.require(Permission.SEARCH)
    country = svc.settings().get("store_country", "") or "DE"
    with svc.db.snapshot() as conn:
        return duplicates_in(conn, country, draft, exclude_id=exclude_id, limit=limit)


def duplicates_in(conn, country: str, draft: CustomerDraft, *, exclude_id: str | None = None,
                  limit: int = 10) -> list[DuplicateHit]:
    """:func:`find_duplicates` on a given connection (an import sees the rows it wrote)."""
    from ..domain.errors import FieldProblem  # noqa: PLC0415
    from ..domain.validation import clean_email, clean_phone  # noqa: PLC0415

    reasons: dict[str, list[Msg]] = {}
    emails, phones = [], []
    for e in draft.emails:
        try:
            emails.append(clean_email(e.address).key)
        except FieldProblem:
            pass
    for p in draft.phones:
        try:
            phones.append(clean_phone(p.number, country).e164)
        except FieldProblem:
            pass
    ctype = str(draft.customer_type or "person")
    me = dup.NameParts(ctype, draft.first_name or "", draft.last_name or "", draft.organization_name or "")
    key = dup.name_key(ctype, me.last_name, me.organization_name)
    for cid, value in queries.customers_by_email(conn, emails):
        reasons.setdefault(cid, []).append(Msg("same email {email}", email=value))
    for cid, value in queries.customers_by_phone(conn, phones):
        reasons.setdefault(cid, []).append(Msg("same phone {phone}", phone=value))
    if key:
        birth = draft.birth_date
        if isinstance(birth, str):
            from datetime import date  # noqa: PLC0415
            try:
                birth = date.fromisoformat(birth)
            except ValueError:
                birth = None
        candidates: list[tuple[tuple, Msg]] = []
        if birth:
            candidates += [(r, Msg("same date of birth"))
                           for r in queries.customers_by_name_key_and_birth(conn, key, birth)]
        for a in draft.addresses:
            pc = (a.address.postal_code or "").strip().upper()
            if pc:
                cc = (a.address.country or country).upper()
                candidates += [(r, Msg("same postal code {postal_code}", postal_code=pc))
                               for r in queries.customers_by_name_key_and_postal(conn, key, cc, pc)]
        for r, why in candidates:
            other = dup.NameParts(r[2], r[3], r[4], r[5])
            if dup.similar_name(me, other):
                shown = display_name(r[2], r[3], "", r[4], r[5])
                reasons.setdefault(r[0], []).append(Msg("similar name ({name}) and {reason}", name=shown, reason=why))
    reasons.pop(exclude_id, None)
    names = queries.names_of(conn, list(reasons))
    hits = []
    for cid, why in reasons.items():
        if cid in names:
            _, ref, t, first, last, org = names[cid]
            hits.append(DuplicateHit(cid, ref, display_name(t, first, "", last, org),
                                     tuple(dict.fromkeys(why))))
    hits.sort(key=lambda h: (-len(h.reasons), not any(str(r).startswith("same") for r in h.reasons)))
    return hits[:limit]
