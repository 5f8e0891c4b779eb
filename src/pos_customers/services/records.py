"""Read-side lists the customer card and the forms show: activity, consent history, notes,
and the reference data choices (groups, affiliations, address purposes, attributes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import and_, or_, select

from ..domain.enums import EventKind
from ..domain.customer import AttributeDef
from ..domain.reference import format_reference
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.validation import clean_text
from ..domain.i18n import Msg
from ..storage.tables import (AddressPurpose, Affiliation, AttributeDefinition, AuditEvent,
                              ConsentEvent, Customer, CustomerGroup, CustomerMembership, CustomerNote)
from .context import Actor, NotFound, Permission, Services
from ..domain.labels import label_in
from .reference_data import choice_list
from .store import attribute_defs
from .views import utc

NOTE_MAX = 2000


@dataclass(frozen=True)
class ActivityEntry:
    at: datetime
    who: str
    terminal: str
    store_code: str
    action: str
    changes: dict[str, Any]


#: the audit entity of a person's membership of an organization (services/memberships.py); its rows
#: are on the Activity tab of both, their actions prefixed ("membership_link")
MEMBERSHIP = "membership"


def activity(svc: Services, actor: Actor, customer_id: str, *, limit: int = 200) -> list[ActivityEntry]:
    """This customer's audit trail, newest first: the changes of the customer and of its
    memberships (as the person or as the organization)."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        links = select(CustomerMembership.id).where(or_(CustomerMembership.person_id == customer_id,
                                                        CustomerMembership.organization_id == customer_id))
        rows = s.exec(select(AuditEvent).where(or_(
            and_(AuditEvent.entity == "customer", AuditEvent.entity_id == customer_id),
            and_(AuditEvent.entity == MEMBERSHIP, AuditEvent.entity_id.in_(links))))
                      .order_by(AuditEvent.id.desc()).limit(limit)).all()
        return [ActivityEntry(utc(r.at), r.associate_number, r.terminal_id, r.store_code,
                              f"{MEMBERSHIP}_{r.action}" if r.entity == MEMBERSHIP else r.action,
                              dict(r.changes)) for r in rows]


@dataclass(frozen=True)
class ConsentEntry:
    at: datetime
    kind: str
    contact: str
    granted: bool
    store_code: str
    associate: str


def consent_history(svc: Services, actor: Actor, customer_id: str) -> list[ConsentEntry]:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        rows = s.exec(select(ConsentEvent).where(ConsentEvent.customer_id == customer_id)
                      .order_by(ConsentEvent.at.desc())).all()
        return [ConsentEntry(utc(r.at), r.contact_kind, r.contact_value, r.granted, r.store_code,
                             r.associate_number) for r in rows]


@dataclass(frozen=True)
class NoteView:
    id: str
    at: datetime
    author_number: str
    author_name: str
    text: str


def notes(svc: Services, actor: Actor, customer_id: str) -> list[NoteView]:
    actor.require(Permission.NOTES)
    with svc.db.read() as s:
        rows = s.exec(select(CustomerNote).where(CustomerNote.customer_id == customer_id)
                      .order_by(CustomerNote.created_at.desc())).all()
        return [NoteView(r.id, utc(r.created_at), r.author_number, r.author_name, r.text) for r in rows]


def add_note(svc: Services, actor: Actor, customer_id: str, text: str) -> NoteView:
    try:
        body = clean_text(text.replace("\n", " "), max_len=NOTE_MAX, required=True, what=Msg("Note"))
    except FieldProblem as exc:
        raise ValidationFailed(FieldError("note", exc.args[0])) from None
    with svc.change(actor, Permission.NOTES) as tx:
        if tx.session.get(Customer, customer_id) is None:
            raise NotFound(Msg("customer {customer} not found", customer=customer_id))
        row = CustomerNote(customer_id=customer_id, author_number=actor.associate_number,
                           author_name=actor.name, created_at=tx.now, text=body)
        tx.session.add(row)
        tx.audit("customer_note", row.id, "create", {"customer_id": (None, customer_id),
                                                      "text": (None, body)})
        tx.outbox(EventKind.NOTE_CREATED, "customer_note", row.id,
                  {"id": row.id, "customer_id": customer_id, "author_number": actor.associate_number,
                   "author_name": actor.name, "created_at": tx.now, "text": body})
    return NoteView(row.id, tx.now, actor.associate_number, actor.name, body)


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class FormChoices:
    groups: tuple[Choice, ...]
    affiliations: tuple[Choice, ...]
    purposes: tuple[Choice, ...]  # active ones, in the store's order
    all_purposes: dict[str, str]  # every purpose, retired ones too, code -> label
    attributes: tuple[AttributeDef, ...]  # shown on the create form
    attributes_all: tuple[AttributeDef, ...]
    genders: tuple[Choice, ...] = ()  # in the store's language (reference data, data/genders.csv)
    salutations: tuple[Choice, ...] = ()  # in the store's language (data/salutations.csv)


def form_choices(svc: Services, actor: Actor, *, language: str = "") -> FormChoices:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        groups = s.exec(select(CustomerGroup).where(CustomerGroup.active).order_by(CustomerGroup.code)).all()
        affs = s.exec(select(Affiliation).where(Affiliation.active).order_by(Affiliation.code)).all()
        purposes = s.exec(select(AddressPurpose).order_by(AddressPurpose.sort_order)).all()
        defs = attribute_defs(s, language)
        shown = {r.code for r in s.exec(select(AttributeDefinition).where(AttributeDefinition.show_on_create))}

    def label(p: AddressPurpose) -> str:
        return label_in(p.labels, p.label, language)

    return FormChoices(
        groups=tuple(Choice(g.code, label_in(g.labels, g.name, language)) for g in groups),
        affiliations=tuple(Choice(a.code, label_in(a.labels, a.name, language)) for a in affs),
        purposes=tuple(Choice(p.code, label(p)) for p in purposes if p.active),
        all_purposes={p.code: label(p) for p in purposes},
        attributes=tuple(d for d in defs if d.active and (d.code in shown or d.required)),
        attributes_all=tuple(d for d in defs if d.active),
        genders=tuple(Choice(e.code, e.label_in(language)) for e in choice_list("gender")),
        salutations=tuple(Choice(e.code, e.label_in(language)) for e in choice_list("salutation")),
    )


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    terminal: str
    store_code: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    subject: str = ""   # what a person recognises: a customer's reference, else the entity's id


def store_audit(svc: Services, actor: Actor, *, store_code: str | None = None, associate: str | None = None,
                customer_id: str | None = None, entity: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    """Every change in the store, newest first, filtered by associate, customer, entity and time."""
    code = store_code or svc.store_code
    actor.require(Permission.CONFIGURE_STORE)
    actor.require_store(code)
    q = select(AuditEvent).where(AuditEvent.store_code == code)
    if associate:
        q = q.where(AuditEvent.associate_number == associate)
    if customer_id:
        q = q.where(AuditEvent.entity == "customer", AuditEvent.entity_id == customer_id)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if since:
        q = q.where(AuditEvent.at >= since)
    if until:
        q = q.where(AuditEvent.at < until)
    if before_id:
        q = q.where(AuditEvent.id < before_id)
    with svc.db.read() as s:
        rows = s.exec(q.order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))).all()
        ids = {r.entity_id for r in rows if r.entity == "customer"}
        refs = dict(s.exec(select(Customer.id, Customer.reference).where(Customer.id.in_(ids))).all()) if ids else {}
        return [AuditEntry(r.id, utc(r.at), r.associate_number, r.terminal_id, r.store_code, r.entity,
                           r.entity_id, r.action, dict(r.changes), format_reference(refs[r.entity_id]) if r.entity_id in refs else r.entity_id)
                for r in rows]


def reference_groups(svc: Services, actor: Actor) -> list[CustomerGroup]:
    """Every customer group, retired ones too (the back office lists them all)."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return list(s.exec(select(CustomerGroup).order_by(CustomerGroup.code)))


def reference_affiliations(svc: Services, actor: Actor) -> list[Affiliation]:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return list(s.exec(select(Affiliation).order_by(Affiliation.code)))


def reference_attributes(svc: Services, actor: Actor) -> list[AttributeDefinition]:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return list(s.exec(select(AttributeDefinition).order_by(AttributeDefinition.sort_order)))
