"""Organizations and their people: link a person to an organization with a role, remove them, mark
the organization's primary contact and manager; the People and Organizations tabs' lists.

Each change is one transaction: the membership rows, one audit row and one ``membership.changed``
event (domain/membership.py says why a membership travels as its own event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ..domain.enums import CustomerType, EventKind
from ..domain.errors import FieldError, ValidationFailed
from ..domain.membership import MEMBERSHIP_FIELDS, MembershipRecord, deactivation
from ..domain.record import CustomerRecord
from ..domain.i18n import Msg
from ..storage import customers as rows
from ..storage import memberships as store
from .context import Actor, Change, Permission, Services
from ..domain.labels import label_in
from .customers import find_customer
from .records import MEMBERSHIP

ENTITY = MEMBERSHIP  # the audit entity: the Activity tab of both customers shows its rows


@dataclass(frozen=True)
class RoleChoice:
    code: str
    label: str


@dataclass(frozen=True)
class MemberView:
    """One person on an organization's People tab."""

    person_id: str
    reference: str
    name: str
    role: str
    role_label: str
    primary: bool
    manager: bool
    email: str
    phone: str


@dataclass(frozen=True)
class OrganizationLink:
    """One organization on a person's Organizations tab."""

    organization_id: str
    reference: str
    name: str
    address: str
    manager_name: str
    manager_phone: str
    role: str
    role_label: str
    primary: bool
    manager: bool


# -- reading ---------------------------------------------------------------------------------------

def _labels(s: Session, language: str = "") -> dict[str, str]:
    return {r.code: label_in(r.labels, r.label, language) for r in store.roles(s, active_only=False)}


def membership_roles(svc: Services, actor: Actor, *, language: str = "") -> list[RoleChoice]:
    """The roles a member can have, in the reference data's order (active ones)."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        labels = _labels(s, language)
        return [RoleChoice(r.code, labels[r.code]) for r in store.roles(s)]


def members(svc: Services, actor: Actor, organization_key: str, *, language: str = "") -> list[MemberView]:
    """An organization's people: primary contact first, then the manager, then by name."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        org = find_customer(s, organization_key)
        if org.customer_type != CustomerType.ORGANIZATION:
            raise ValidationFailed(FieldError("organization", Msg("{name} ({reference}) is not an organization",
                                                                 name=org.display_name, reference=org.reference_display)))
        links = [m for m in store.of_organization(s, org.id) if m.active]
        people = rows.read_many(s, [m.person_id for m in links])
        labels = _labels(s, language)
    out = [MemberView(p.id, p.reference, p.display_name, m.role, labels.get(m.role, m.role), m.is_primary,
                      m.is_manager, p.primary_email, _primary_e164(p))
           for m in links if (p := people.get(m.person_id)) is not None and p.anonymized_at is None]
    return sorted(out, key=lambda v: (not v.primary, not v.manager, v.name.casefold(), v.reference))


def _primary_e164(record) -> str:
    """The primary phone as stored (E.164): the screens show it as the store dials it."""
    return next((x.e164 for x in record.phones if x.primary), "")


def organizations_of(svc: Services, actor: Actor, person_key: str, *,
                     language: str = "") -> list[OrganizationLink]:
    """The organizations a person belongs to, each with its manager and the manager's phone."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        person = find_customer(s, person_key)
        links = [m for m in store.of_person(s, person.id) if m.active]
        managers = {m.organization_id: m.person_id for org in {x.organization_id for x in links}
                    for m in store.of_organization(s, org) if m.is_manager}
        records = rows.read_many(s, [m.organization_id for m in links] + list(managers.values()))
        labels = _labels(s, language)
    out = []
    for m in links:
        org = records.get(m.organization_id)
        if org is None or org.anonymized_at is not None:
            continue
        boss = records.get(managers.get(org.id, ""))
        address = next((a for a in org.addresses if a.default_billing), org.addresses[0] if org.addresses else None)
        out.append(OrganizationLink(
            org.id, org.reference, org.display_name,
            ", ".join(x for x in address.formatted.splitlines() if x) if address else "",
            boss.display_name if boss else "", _primary_e164(boss) if boss else "",
            m.role, labels.get(m.role, m.role), m.is_primary, m.is_manager))
    return sorted(out, key=lambda o: (o.name.casefold(), o.reference))


def candidates(svc: Services, actor: Actor, organization_id: str, text: str, *, limit: int = 20) -> list[Any]:
    """People the search box finds for ``text`` who are not members of the organization yet (the
    People tab's picker): search result rows."""
    from sqlmodel import select

    from ..storage.tables import Customer
    from .search import search_customers

    if not text.strip():
        return []
    found = search_customers(svc, actor, text, limit=limit * 2).rows
    with svc.db.read() as s:
        ids = [r.customer_id for r in found]
        people = set(s.exec(select(Customer.id).where(Customer.id.in_(ids), Customer.customer_type == "person",
                                                      Customer.anonymized_at.is_(None))))
        members_now = {m.person_id for m in store.of_organization(s, organization_id) if m.active}
    return [r for r in found if r.customer_id in people and r.customer_id not in members_now][:limit]


# -- changing --------------------------------------------------------------------------------------

def link(svc: Services, actor: Actor, person_key: str, organization_key: str, *, role: str | None = None,
         primary: bool | None = None, manager: bool | None = None) -> MembershipRecord:
    """Make a person a member of an organization (or change the role and marks of one who is).
    ``role`` None: the member keeps theirs; a new member gets the first role of the reference data."""
    with svc.change(actor, Permission.EDIT) as tx:
        person, org = _pair(tx.session, person_key, organization_key)
        current = store.get(tx.session, org.id, person.id)
        member = current is not None and current.active
        wanted: dict[str, Any] = {"role": _role(tx.session, role) if role is not None or not member
                                  else current.role, "active": True}
        if primary is not None or not member:
            wanted["primary"] = bool(primary)
        if manager is not None or not member:
            wanted["manager"] = bool(manager)
        _take_back(tx, org, person, [m for m in ("primary", "manager") if wanted.get(m)])
        return _write(tx, person, org, current, wanted, "link" if not member else "update")


def unlink(svc: Services, actor: Actor, person_key: str, organization_key: str) -> MembershipRecord:
    """Remove a person from an organization (their primary-contact and manager marks go with it)."""
    with svc.change(actor, Permission.EDIT) as tx:
        person, org = _pair(tx.session, person_key, organization_key, removing=True)
        current = _member(tx.session, person, org)
        return _write(tx, person, org, current, deactivation(), "unlink")


def set_role(svc: Services, actor: Actor, person_key: str, organization_key: str, role: str) -> MembershipRecord:
    with svc.change(actor, Permission.EDIT) as tx:
        person, org = _pair(tx.session, person_key, organization_key)
        current = _member(tx.session, person, org)
        return _write(tx, person, org, current, {"role": _role(tx.session, role)}, "update")


def set_mark(svc: Services, actor: Actor, person_key: str, organization_key: str, mark: str,
             value: bool) -> MembershipRecord:
    """``mark`` "primary" (the organization's primary contact) or "manager": given to this member
    (the one who had it loses it), or taken away."""
    if mark not in ("primary", "manager"):
        raise ValueError(mark)
    with svc.change(actor, Permission.EDIT) as tx:
        person, org = _pair(tx.session, person_key, organization_key)
        current = _member(tx.session, person, org)
        if value:
            _take_back(tx, org, person, [mark])
        return _write(tx, person, org, current, {mark: bool(value)}, "update")


def _pair(s: Session, person_key: str, organization_key: str, *,
          removing: bool = False) -> tuple[CustomerRecord, CustomerRecord]:
    person, org = find_customer(s, person_key), find_customer(s, organization_key)
    if org.customer_type != CustomerType.ORGANIZATION:
        raise ValidationFailed(FieldError("organization", Msg("{name} ({reference}) is not an organization",
                                                             name=org.display_name, reference=org.reference_display)))
    if person.customer_type != CustomerType.PERSON:
        raise ValidationFailed(FieldError("person", Msg(
            "{name} ({reference}) is an organization: only a person can be a member",
            name=person.display_name, reference=person.reference_display)))
    if not removing:
        for c in (person, org):
            if c.anonymized_at is not None:
                raise ValidationFailed(FieldError("customer", Msg("{reference} is anonymized", reference=c.reference_display)))
    return person, org


def _member(s: Session, person: CustomerRecord, org: CustomerRecord) -> MembershipRecord:
    current = store.get(s, org.id, person.id)
    if current is None or not current.active:
        raise ValidationFailed(FieldError("person", Msg(
            "{name} ({reference}) is not a member of {organization}", name=person.display_name,
            reference=person.reference_display, organization=org.display_name)))
    return current


def _role(s: Session, role: str | None) -> str:
    known = [r.code for r in store.roles(s)]
    if role is None:
        if not known:
            raise ValidationFailed(FieldError("role", Msg("No member roles are set up")))
        return known[0]
    code = role.strip().lower()
    if code not in known:
        raise ValidationFailed(FieldError("role", Msg("Unknown role '{role}': one of {roles}", role=role,
                                                             roles=", ".join(known))))
    return code


def _take_back(tx: Change, org: CustomerRecord, person: CustomerRecord, marks: list[str]) -> None:
    """A mark given to ``person`` is taken back from every other member claiming it (an event each):
    moving it is explicit, whatever the order the events reach other tills in."""
    if not marks:
        return
    others = [m for m in store.of_organization(tx.session, org.id)
              if m.person_id != person.id and m.active and any(getattr(m.record, k) for k in marks)]
    if not others:
        return
    people = rows.read_many(tx.session, [m.person_id for m in others])
    for m in others:
        _write(tx, people[m.person_id], org, m.record, {k: False for k in marks if getattr(m.record, k)}, "update")


def _write(tx: Change, person: CustomerRecord, org: CustomerRecord, current: MembershipRecord | None,
           wanted: dict[str, Any], action: str) -> MembershipRecord:
    """Only the fields that change are written, audited and sent; nothing changed: nothing written."""
    before = current.fields() if current is not None else {}
    changed = {k: v for k, v in wanted.items() if before.get(k) != v or current is None}
    if not changed:
        return current
    stamp = tx.clock.now()
    _, after = store.apply(tx.session, org.id, person.id, changed, dict.fromkeys(changed, stamp))
    # references only: no name stays in the audit trail once a customer is anonymized
    audit = {"organization": (None, org.reference_display), "person": (None, person.reference_display)}
    audit |= {k: (before.get(k), v) for k, v in changed.items() if k in MEMBERSHIP_FIELDS}
    tx.audit(ENTITY, after.id, action, audit)
    tx.outbox(EventKind.MEMBERSHIP_CHANGED, ENTITY, after.id,
              {"id": after.id, "organization_id": org.id, "person_id": person.id, "fields": changed}, hlc=stamp)
    return after


__all__ = ["RoleChoice", "MemberView", "OrganizationLink", "membership_roles", "members", "organizations_of",
           "link", "unlink", "set_role", "set_mark"]
