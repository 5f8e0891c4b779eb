"""Use cases on customers: create, read, edit, search, find duplicates.

Each change is one transaction (customer rows + search index + audit row + outbox row).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, delete, select

from ..domain.protocol import EventKind
from ..domain import duplicates as dup
from ..domain.address import AddressInput, format_address
from ..domain.customer import (AddressDraft, CleanCustomer, CustomerDraft, EmailInput, PhoneInput,
                               check_customer, display_name)
from ..domain.enums import SyncState
from ..domain.errors import FieldError, ValidationFailed
from ..domain.reference import make_reference, normalize, parse_reference, InvalidReference
from ..domain.validation import phone_from_e164
from ..domain.template import apply_template, financial_dimensions_for
from ..domain.merge import DOCUMENT_FIELDS
from ..domain.password import PasswordPolicy
from ..storage import queries, search_index
from ..storage.conflicts import edited_state
from ..storage.documents import customer_document, customer_fields
from ..storage.tables import (Affiliation, ConsentEvent, Customer, CustomerAddress,
                              CustomerAffiliation, CustomerAttribute, CustomerCard, CustomerEmail,
                              CustomerGroup, CustomerPhone, Store)
from .context import Actor, Change, NotFound, Permission, Services
from .store import attribute_defs, group_dimensions, purpose_rules, template_of
from .views import AddressView, CustomerView, DuplicateHit, EmailView, PhoneView, utc

SCALAR_FIELDS = ("customer_type", "title", "first_name", "middle_name", "last_name",
                 "organization_name", "company", "birth_date", "language", "currency", "group_code",
                 "receipt_option", "receipt_email", "status", "account_type")


class StaleEdit(RuntimeError):
    """Someone else saved this customer after it was opened. Nothing was written."""

    def __init__(self, current: CustomerView, changed: dict[str, tuple[Any, Any]]):
        self.current = current
        self.changed = changed  # field -> (value when opened, value now)
        fields = ", ".join(changed) or "the customer"
        super().__init__(f"another terminal changed {fields} since it was opened")


# -- reading -----------------------------------------------------------------------------------

def get_customer(svc: Services, actor: Actor, key: str) -> CustomerView:
    """By id or by reference (any case, with or without separators)."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        row = s.get(Customer, key)
        if row is None:
            try:
                ref = parse_reference(key)
            except InvalidReference as exc:
                raise NotFound(f"no customer '{key}': {exc}") from None
            row = s.exec(select(Customer).where(Customer.reference == ref)).first()
        if row is None:
            raise NotFound(f"no customer with reference {normalize(key)}")
        return _view(s, row)


def view_in(tx: Change, customer_id: str) -> CustomerView:
    """The customer as stored, inside a transaction that is already open."""
    row = tx.session.get(Customer, customer_id)
    if row is None:
        raise NotFound(f"customer {customer_id} no longer exists")
    return _view(tx.session, row)


def _view(s: Session, c: Customer) -> CustomerView:
    emails = s.exec(select(CustomerEmail).where(CustomerEmail.customer_id == c.id)
                    .order_by(CustomerEmail.is_primary.desc(), CustomerEmail.address)).all()
    phones = s.exec(select(CustomerPhone).where(CustomerPhone.customer_id == c.id)
                    .order_by(CustomerPhone.is_primary.desc(), CustomerPhone.e164)).all()
    addresses = s.exec(select(CustomerAddress).where(CustomerAddress.customer_id == c.id)
                       .order_by(CustomerAddress.default_billing.desc(), CustomerAddress.id)).all()
    affiliations = s.exec(select(CustomerAffiliation.affiliation_code)
                          .where(CustomerAffiliation.customer_id == c.id)
                          .order_by(CustomerAffiliation.affiliation_code)).all()
    cards = s.exec(select(CustomerCard.number).where(CustomerCard.customer_id == c.id)
                   .order_by(CustomerCard.number)).all()
    attributes = {a.code: a.value for a in s.exec(
        select(CustomerAttribute).where(CustomerAttribute.customer_id == c.id))}
    return CustomerView(
        id=c.id, reference=c.reference, customer_type=c.customer_type, title=c.title,
        first_name=c.first_name, middle_name=c.middle_name, last_name=c.last_name,
        organization_name=c.organization_name, company=c.company,
        display_name=display_name(c.customer_type, c.first_name, c.middle_name, c.last_name,
                                  c.organization_name),
        birth_date=c.birth_date, language=c.language, currency=c.currency, group_code=c.group_code,
        financial_dimensions=dict(c.financial_dimensions), affiliations=tuple(affiliations),
        receipt_option=c.receipt_option, receipt_email=c.receipt_email, status=c.status,
        account_type=c.account_type, store_code=c.store_code, created_at=utc(c.created_at),
        updated_at=utc(c.updated_at), last_activity_at=utc(c.last_activity_at),
        password_changed_at=utc(c.password_changed_at), last_sign_in_at=utc(c.last_sign_in_at),
        sync_state=SyncState(c.sync_state), version=c.version,
        emails=tuple(EmailView(e.id, e.address, e.purpose, e.is_primary, e.marketing_consent) for e in emails),
        phones=tuple(PhoneView(p.id, p.e164, p.national, p.purpose, p.is_primary, p.marketing_consent)
                     for p in phones),
        addresses=tuple(AddressView(
            a.id, a.purpose_code, a.line1, a.line2, a.city, a.district, a.region, a.postal_code,
            a.country, a.default_billing, a.default_shipping,
            format_address(AddressInput(a.line1, a.line2, a.city, a.district, a.region,
                                        a.postal_code, a.country))) for a in addresses),
        cards=tuple(cards), attributes=attributes, anonymized_at=utc(c.anonymized_at),
    )


# -- checking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    draft: CustomerDraft
    clean: CleanCustomer


def prepare(svc: Services, s: Session, draft: CustomerDraft, *, new: bool,
            existing_purposes: frozenset[str] = frozenset()) -> Prepared:
    """Apply the store template (new customers only) and check every field."""
    store = s.get(Store, svc.store_code)
    if new:
        tmpl = template_of(s, store.code)
        draft = apply_template(draft, tmpl)
        country = tmpl.address_country or store.country
        draft = replace(draft, addresses=[
            a if a.address.country else replace(a, address=replace(a.address, country=country))
            for a in draft.addresses])
    known_groups = frozenset(s.exec(select(CustomerGroup.code)).all())
    known_aff = frozenset(s.exec(select(Affiliation.code)).all())
    clean = check_customer(
        draft, country=store.country, today=svc.today(), purposes=purpose_rules(s),
        attribute_defs=attribute_defs(s), known_groups=known_groups, known_affiliations=known_aff,
        existing_purposes=existing_purposes, require_attributes=new,
        password_policy=PasswordPolicy.from_settings(svc.settings()),
        manual_password=svc.settings().get("manual_password", "on") != "off")
    return Prepared(draft, clean)


def validate_draft(svc: Services, actor: Actor, draft: CustomerDraft, *, new: bool = True) -> list[FieldError]:
    """Field errors for a draft as it stands (for live checking in a form); [] when it is fine."""
    actor.require(Permission.CREATE if new else Permission.EDIT)
    with svc.db.read() as s:
        try:
            prepare(svc, s, draft, new=new)
        except ValidationFailed as exc:
            return exc.errors
    return []


def template_draft(svc: Services, actor: Actor) -> CustomerDraft:
    """An empty new-customer form, pre-filled from the store's default-customer template."""
    actor.require(Permission.CREATE)
    with svc.db.read() as s:
        return apply_template(CustomerDraft(), template_of(s, svc.store_code))


# -- creating --------------------------------------------------------------------------------------

def create_customer(svc: Services, actor: Actor, draft: CustomerDraft) -> CustomerView:
    with svc.change(actor, Permission.CREATE) as tx:
        prepared = prepare(svc, tx.session, draft, new=True)
        row = _insert(tx, prepared.clean)
        password_changed = _set_password(tx, row, prepared.clean)
        view = _view(tx.session, row)
        tx.audit("customer", row.id, "create", {k: (None, v) for k, v in _snapshot(view).items() if v}
                 | ({"password": (None, "set by hand")} if password_changed else {}))
        announce_created(tx, row)
    return view


def announce_created(tx: Change, row: Customer) -> None:
    """Queue a new customer for headquarters: the whole document, every field stamped now."""
    stamp = tx.clock.now()
    row.field_clocks = {k: stamp for k in DOCUMENT_FIELDS}
    tx.session.add(row)
    tx.outbox(EventKind.CUSTOMER_CREATED, "customer", row.id, customer_document(tx.session, row), hlc=stamp)


def announce_updated(tx: Change, row: Customer, before: dict[str, Any]) -> None:
    """Queue the fields that changed, with the stamp each had when the edit began (its base)."""
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


def _set_password(tx: Change, row: Customer, clean: CleanCustomer) -> bool:
    """A typed password becomes an argon2id hash at once; a guest account has none."""
    from .access import hash_secret

    if clean.account_type.value != "registered":
        if row.password_hash:
            row.password_hash, row.password_changed_at = None, tx.now
            tx.session.add(row)
            return True
        return False
    if not clean.password:
        return False
    row.password_hash = hash_secret(clean.password)
    row.password_changed_at = tx.now
    tx.session.add(row)
    return True


def _next_reference(s: Session, store_code: str) -> str:
    """(store number, this till's terminal number, the till's own sequence): see services/terminal."""
    from .terminal import next_reference

    return next_reference(s, s.get(Store, store_code).number)


def _insert(tx: Change, clean: CleanCustomer) -> Customer:
    s = tx.session
    row = Customer(
        reference=_next_reference(s, tx.store_code), store_code=tx.store_code,
        created_at=tx.now, updated_at=tx.now, last_activity_at=tx.now,
        financial_dimensions=financial_dimensions_for(group_dimensions(s, clean.group_code)),
        **_scalars(clean))
    s.add(row)
    s.flush()
    _write_children(tx, row, clean, previous=None)
    return row


def _scalars(clean: CleanCustomer) -> dict[str, Any]:
    values = {f: getattr(clean, f) for f in SCALAR_FIELDS}
    for k in ("customer_type", "receipt_option", "status", "account_type"):
        values[k] = values[k].value
    values["name_key"] = dup.name_key(clean.customer_type, clean.last_name, clean.organization_name)
    return values


def _write_children(tx: Change, row: Customer, clean: CleanCustomer,
                    previous: CustomerView | None) -> None:
    s = tx.session
    old_consent: dict[tuple[str, str], tuple[bool, Any]] = {}
    if previous is not None:
        # consent and when it was last given or withdrawn survive rewriting the contact rows
        old_consent = {("email", e.address_key): (e.marketing_consent, e.consent_changed_at) for e in
                       s.exec(select(CustomerEmail).where(CustomerEmail.customer_id == row.id))}
        old_consent |= {("phone", p.e164): (p.marketing_consent, p.consent_changed_at) for p in
                        s.exec(select(CustomerPhone).where(CustomerPhone.customer_id == row.id))}
        for model in (CustomerEmail, CustomerPhone, CustomerAddress, CustomerAffiliation,
                      CustomerAttribute, CustomerCard):
            s.exec(delete(model).where(model.customer_id == row.id))
        s.flush()
    for e in clean.emails:
        before = old_consent.get(("email", e.email.key))
        s.add(CustomerEmail(customer_id=row.id, address=e.email.address, address_key=e.email.key,
                            purpose=e.purpose.value, is_primary=e.primary,
                            marketing_consent=e.marketing_consent,
                            consent_changed_at=_consent(tx, row.id, "email", e.email.address,
                                                        e.marketing_consent, before)))
    for p in clean.phones:
        before = old_consent.get(("phone", p.phone.e164))
        s.add(CustomerPhone(customer_id=row.id, e164=p.phone.e164, national=p.phone.national,
                            purpose=p.purpose.value, is_primary=p.primary,
                            marketing_consent=p.marketing_consent,
                            consent_changed_at=_consent(tx, row.id, "phone", p.phone.e164,
                                                        p.marketing_consent, before)))
    for a in clean.addresses:
        ad = a.address
        s.add(CustomerAddress(customer_id=row.id, purpose_code=a.purpose, line1=ad.line1,
                              line2=ad.line2, city=ad.city, district=ad.district, region=ad.region,
                              postal_code=ad.postal_code, country=ad.country,
                              default_billing=a.default_billing, default_shipping=a.default_shipping))
    for code in clean.affiliations:
        s.add(CustomerAffiliation(customer_id=row.id, affiliation_code=code))
    for code, value in clean.attributes.items():
        s.add(CustomerAttribute(customer_id=row.id, code=code, value=value))
    for number in clean.cards:
        owner = s.get(CustomerCard, number)
        if owner is not None and owner.customer_id != row.id:
            raise ValidationFailed(FieldError("cards", f"Card {number} belongs to another customer"))
        s.add(CustomerCard(customer_id=row.id, number=number, issued_at=tx.now))
    s.flush()
    search_index.reindex_customer(s, row.id)


def _consent(tx: Change, customer_id: str, kind: str, value: str, granted: bool,
             before: tuple[bool, Any] | None) -> Any:
    """Record consent given or withdrawn (a new contact with consent, or a changed flag) and
    return when the flag last changed."""
    if before is not None and before[0] == granted:
        return before[1]
    if before is None and not granted:
        return None
    tx.session.add(ConsentEvent(customer_id=customer_id, contact_kind=kind, contact_value=value,
                                granted=granted, at=tx.now, store_code=tx.store_code,
                                associate_number=tx.actor.associate_number or tx.actor.name))
    return tx.now


# -- editing ---------------------------------------------------------------------------------------

def draft_from_view(view: CustomerView) -> CustomerDraft:
    """The edit form's starting point: the stored customer as a draft."""
    return CustomerDraft(
        customer_type=view.customer_type, title=view.title, first_name=view.first_name,
        middle_name=view.middle_name, last_name=view.last_name,
        organization_name=view.organization_name, company=view.company,
        birth_date=view.birth_date, language=view.language, currency=view.currency,
        group_code=view.group_code, affiliations=list(view.affiliations),
        receipt_option=view.receipt_option, receipt_email=view.receipt_email, status=view.status,
        account_type=view.account_type,
        emails=[EmailInput(e.address, e.purpose, e.primary, e.marketing_consent) for e in view.emails],
        phones=[PhoneInput(phone_from_e164(p.e164).international, p.purpose, p.primary,
                           p.marketing_consent) for p in view.phones],
        addresses=[AddressDraft(AddressInput(a.line1, a.line2, a.city, a.district, a.region,
                                             a.postal_code, a.country),
                                a.purpose, a.default_billing, a.default_shipping) for a in view.addresses],
        cards=list(view.cards), attributes=dict(view.attributes),
    )


_DRAFT_FIELDS = ("customer_type", "title", "first_name", "middle_name", "last_name",
                 "organization_name", "company", "birth_date", "language", "currency", "group_code",
                 "affiliations", "receipt_option", "receipt_email", "status", "account_type",
                 "emails", "phones", "addresses", "cards", "attributes")


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
            opened: CustomerView) -> CustomerView:
    """:func:`update_customer` inside a transaction that is already open (a use case that edits
    a customer as one of its steps)."""
    s = tx.session
    row = s.get(Customer, customer_id)
    if row is None:
        raise NotFound(f"customer {customer_id} no longer exists")
    current = _view(s, row)
    if row.anonymized_at is not None:
        raise ValidationFailed(FieldError("customer", "This customer was anonymized: there is nothing to edit"))
    if current.version != opened.version:
        raise StaleEdit(current, diff(opened, current))
    before_fields = customer_fields(s, row)
    prepared = prepare(svc, s, draft, new=False,
                       existing_purposes=frozenset(a.purpose for a in current.addresses))
    clean = prepared.clean
    new_scalars = _scalars(clean)
    if clean.group_code != row.group_code:
        row.financial_dimensions = financial_dimensions_for(group_dimensions(s, clean.group_code))
    for k, v in new_scalars.items():
        if getattr(row, k) != v:
            setattr(row, k, v)
    after_scalars = {f: getattr(row, f) for f in SCALAR_FIELDS}
    children_changed = _children_differ(current, clean)
    password_changed = _set_password(tx, row, clean)
    if not children_changed and not password_changed and all(
            after_scalars[f] == getattr(current, f) for f in SCALAR_FIELDS):
        s.expunge(row)
        return current  # nothing changed: no write, no audit
    row.version += 1
    row.updated_at = row.last_activity_at = tx.now
    row.sync_state = edited_state(s, row.id)  # an open conflict still shows
    s.add(row)
    s.flush()
    if children_changed:
        _write_children(tx, row, clean, previous=current)
    else:
        search_index.reindex_customer(s, row.id)
    after = _view(s, row)
    changes = diff(current, after)
    if password_changed:
        changes["password"] = ("…", "set by hand" if row.password_hash else "removed (guest account)")
    tx.audit("customer", row.id, "update", changes)
    announce_updated(tx, row, before_fields)
    return after


def _children_differ(current: CustomerView, clean: CleanCustomer) -> bool:
    now = (
        [(e.email.address, e.purpose.value, e.primary, e.marketing_consent) for e in clean.emails],
        [(p.phone.e164, p.purpose.value, p.primary, p.marketing_consent) for p in clean.phones],
        sorted((a.purpose, a.address.line1, a.address.line2, a.address.city, a.address.district,
                a.address.region, a.address.postal_code, a.address.country, a.default_billing,
                a.default_shipping) for a in clean.addresses),
        sorted(clean.affiliations), sorted(clean.cards), dict(clean.attributes))
    before = (
        [(e.address, e.purpose, e.primary, e.marketing_consent) for e in current.emails],
        [(p.e164, p.purpose, p.primary, p.marketing_consent) for p in current.phones],
        sorted((a.purpose, a.line1, a.line2, a.city, a.district, a.region, a.postal_code, a.country,
                a.default_billing, a.default_shipping) for a in current.addresses),
        sorted(current.affiliations), sorted(current.cards), dict(current.attributes))
    return sorted(now[0]) != sorted(before[0]) or sorted(now[1]) != sorted(before[1]) or now[2:] != before[2:]


# -- duplicates ------------------------------------------------------------------------------------

def find_duplicates(svc: Services, actor: Actor, draft: CustomerDraft, *,
                    exclude_id: str | None = None, limit: int = 10) -> list[DuplicateHit]:
    """Likely existing customers for a draft, each with why: same email, same phone, similar name.

    Works on partial drafts (a form being typed): each rule uses only fields that are valid.
    """
    actor.require(Permission.SEARCH)
    from ..domain.validation import clean_email, clean_phone  # noqa: PLC0415
    from ..domain.errors import FieldProblem  # noqa: PLC0415

    country = svc.settings().get("store_country", "") or "DE"
    reasons: dict[str, list[str]] = {}
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
    with svc.db.snapshot() as conn:
        for cid, value in queries.customers_by_email(conn, emails):
            reasons.setdefault(cid, []).append(f"same email {value}")
        for cid, value in queries.customers_by_phone(conn, phones):
            reasons.setdefault(cid, []).append(f"same phone {value}")
        if key:
            birth = draft.birth_date
            if isinstance(birth, str):
                from datetime import date  # noqa: PLC0415
                try:
                    birth = date.fromisoformat(birth)
                except ValueError:
                    birth = None
            candidates: list[tuple[tuple, str]] = []
            if birth:
                candidates += [(r, "same date of birth")
                               for r in queries.customers_by_name_key_and_birth(conn, key, birth)]
            for a in draft.addresses:
                pc = (a.address.postal_code or "").strip().upper()
                if pc:
                    cc = (a.address.country or country).upper()
                    candidates += [(r, f"same postal code {pc}")
                                   for r in queries.customers_by_name_key_and_postal(conn, key, cc, pc)]
            for r, why in candidates:
                other = dup.NameParts(r[2], r[3], r[4], r[5])
                if dup.similar_name(me, other):
                    shown = display_name(r[2], r[3], "", r[4], r[5])
                    reasons.setdefault(r[0], []).append(f"similar name ({shown}) and {why}")
        reasons.pop(exclude_id, None)
        names = queries.names_of(conn, list(reasons))
    hits = []
    for cid, why in reasons.items():
        if cid in names:
            _, ref, t, first, last, org = names[cid]
            hits.append(DuplicateHit(cid, ref, display_name(t, first, "", last, org),
                                     tuple(dict.fromkeys(why))))
    hits.sort(key=lambda h: (-len(h.reasons), not any(r.startswith("same") for r in h.reasons)))
    return hits[:limit]
