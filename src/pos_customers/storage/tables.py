"""The terminal's tables. One SQLModel class per table; Alembic migrations create them.

Ids are UUID strings so rows made offline on any terminal never collide at headquarters.
Timestamps are timezone-aware UTC. JSON columns hold small lists and maps.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from ..domain import clocks as clock_codec
from ..domain.enums import SyncState
from .ids import new_id



def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _json(default=dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class ClockMap(TypeDecorator):
    """A customer's field clocks, stored compact (:mod:`pos_customers.domain.clocks`), read whole."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else clock_codec.pack(value)

    def process_result_value(self, value, dialect):
        return clock_codec.unpack(value)


class Setting(SQLModel, table=True):
    """Terminal-local key/value settings: which store this terminal is, its terminal id, ..."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", sa_column=Column(Text, nullable=False))


class Store(SQLModel, table=True):
    __tablename__ = "store"
    code: str = Field(primary_key=True, max_length=32)
    number: int = Field(unique=True)  # 1..8191, part of every customer reference it issues
    name: str = Field(max_length=120)
    country: str = Field(max_length=2)
    currency: str = Field(max_length=3)
    language: str = Field(max_length=16)
    region: str = Field(default="", max_length=64)
    next_sequence: int = Field(default=0)  # the local sequence behind customer references
    created_at: datetime = Field(default_factory=utcnow)


class StoreTemplate(SQLModel, table=True):
    """The store's default customer: what every new customer of the store starts with."""

    __tablename__ = "store_template"
    store_code: str = Field(primary_key=True, foreign_key="store.code", max_length=32)
    customer_type: str = Field(default="person", max_length=16)
    group_code: str | None = Field(default=None, foreign_key="customer_group.code", max_length=32)
    receipt_option: str = Field(default="print", max_length=8)
    receipt_email: str = Field(default="", max_length=254)
    currency: str = Field(default="", max_length=3)
    language: str = Field(default="", max_length=16)
    affiliations: list[str] = _json(list)
    address_country: str = Field(default="", max_length=2)
    # field name -> hidden / required (domain.account_options); absent: optional, as always
    account_options: dict[str, str] = _json(dict)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerGroup(SQLModel, table=True):
    __tablename__ = "customer_group"
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=120)
    financial_dimensions: dict[str, str] = _json(dict)
    active: bool = True
    labels: dict[str, str] = _json(dict)  # language -> name shown in it (as AddressPurpose.labels)


class Affiliation(SQLModel, table=True):
    __tablename__ = "affiliation"
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    active: bool = True
    labels: dict[str, str] = _json(dict)  # language -> name shown in it


class AddressPurpose(SQLModel, table=True):
    __tablename__ = "address_purpose"
    code: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=80)
    labels: dict[str, str] = _json(dict)  # language -> label
    active: bool = True
    sort_order: int = 0
    default_person: bool = False
    default_organization: bool = False


class AttributeDefinition(SQLModel, table=True):
    __tablename__ = "attribute_definition"
    code: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=80)
    type: str = Field(max_length=16)
    required: bool = False
    choices: list[str] = _json(list)
    show_on_create: bool = True
    sort_order: int = 0
    active: bool = True
    labels: dict[str, str] = _json(dict)  # language -> label
    choice_labels: dict[str, dict[str, str]] = _json(dict)  # choice (as stored) -> language -> label


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_store_updated", "store_code", "updated_at"),
        Index("ix_customer_name_key_birth", "name_key", "birth_date"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    reference: str = Field(unique=True, max_length=9)
    customer_type: str = Field(max_length=16)
    salutation: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    title: str = Field(default="", max_length=30)
    first_name: str = Field(default="", max_length=80)
    middle_name: str = Field(default="", max_length=80)
    last_name: str = Field(default="", max_length=80)
    suffix: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    organization_name: str = Field(default="", max_length=160)
    company: str = Field(default="", max_length=160)
    birth_date: date | None = None
    gender: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    language: str = Field(default="", max_length=16)
    currency: str = Field(default="", max_length=3)
    group_code: str | None = Field(default=None, foreign_key="customer_group.code", max_length=32)
    financial_dimensions: dict[str, str] = _json(dict)
    receipt_option: str = Field(default="print", max_length=8)
    receipt_email: str = Field(default="", max_length=254)
    status: str = Field(default="active", max_length=16)
    status_reason: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    account_type: str = Field(default="guest", max_length=16)
    vat_number: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    tax_exempt: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # whole minor units of the customer's currency: never a float
    credit_limit: int | None = Field(default=None, sa_type=BigInteger)
    password_hash: str | None = Field(default=None, max_length=255)
    password_changed_at: datetime | None = None
    must_change_password: bool = False
    assist_consent: bool = False  # shopper assistance: who and when below (services/assistance.py)
    assist_consent_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    assist_consent_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    preferred_store: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    store_code: str = Field(foreign_key="store.code", max_length=32)  # the registering store
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime | None = None
    anonymized_at: datetime | None = None
    sync_state: str = Field(default=SyncState.PENDING.value, max_length=16)  # a SyncState
    version: int = 1  # bumped on every change: an edit made on stale data is detected
    name_key: str = Field(default="", max_length=16)  # phonetic key of the last/organization name
    # field -> HLC stamp of the edit that set it (sync merge), stored compact
    field_clocks: dict[str, str] = Field(default_factory=dict, sa_column=Column(ClockMap, nullable=False))


class CustomerAffiliation(SQLModel, table=True):
    __tablename__ = "customer_affiliation"
    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=36)
    affiliation_code: str = Field(foreign_key="affiliation.code", primary_key=True, max_length=32)


class CustomerEmail(SQLModel, table=True):
    __tablename__ = "customer_email"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    address: str = Field(max_length=254)
    address_key: str = Field(index=True, max_length=254)
    purpose: str = Field(default="personal", max_length=16)
    is_primary: bool = False
    marketing_consent: bool = False
    consent_changed_at: datetime | None = None


class CustomerPhone(SQLModel, table=True):
    __tablename__ = "customer_phone"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    e164: str = Field(index=True, max_length=20)
    national: str = Field(max_length=40)
    purpose: str = Field(default="mobile", max_length=16)
    is_primary: bool = False
    marketing_consent: bool = False
    consent_changed_at: datetime | None = None


class ConsentEvent(SQLModel, table=True):
    """Marketing consent given or withdrawn: when, where, by whom. Never updated, only added."""

    __tablename__ = "consent_event"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    contact_kind: str = Field(max_length=8)  # email | phone
    contact_value: str = Field(max_length=254)
    granted: bool
    at: datetime = Field(default_factory=utcnow)
    store_code: str = Field(max_length=32)
    associate_number: str = Field(default="", max_length=16)
    source: str = Field(default="pos", max_length=16)


class CustomerAddress(SQLModel, table=True):
    __tablename__ = "customer_address"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    purpose_code: str = Field(foreign_key="address_purpose.code", max_length=32)
    line1: str = Field(default="", max_length=120)
    line2: str = Field(default="", max_length=120)
    city: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    region: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(max_length=2)
    default_billing: bool = False
    default_shipping: bool = False


class CustomerCard(SQLModel, table=True):
    """Loyalty or customer card numbers, found by search."""

    __tablename__ = "customer_card"
    number: str = Field(primary_key=True, max_length=24)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    issued_at: datetime = Field(default_factory=utcnow)


class CustomerAttribute(SQLModel, table=True):
    __tablename__ = "customer_attribute"
    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=36)
    code: str = Field(foreign_key="attribute_definition.code", primary_key=True, max_length=32)
    value: str = Field(default="", sa_column=Column(Text, nullable=False))


class CustomerNote(SQLModel, table=True):
    __tablename__ = "customer_note"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    author_number: str = Field(max_length=16)
    author_name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    text: str = Field(sa_column=Column(Text, nullable=False))


class Associate(SQLModel, table=True):
    __tablename__ = "associate"
    number: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    pin_hash: str = Field(max_length=255)
    store_code: str | None = Field(default=None, foreign_key="store.code", max_length=32)
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # a support account of the chain (S-number, no store): headquarters manages it, it arrives by
    # pull, and nothing at the store changes it; failed_attempts and locked_until stay this till's
    support_account: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class AssociatePreference(SQLModel, table=True):
    """What an associate chose for themselves on this till (their language): never synced."""

    __tablename__ = "associate_preference"
    associate_number: str = Field(primary_key=True, max_length=16)
    language: str = Field(max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who changed what, when and where: one row per change, with old and new values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    associate_number: str = Field(default="", max_length=16)
    terminal_id: str = Field(default="", max_length=64)
    store_code: str = Field(default="", max_length=32)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=32)
    changes: dict[str, Any] = _json(dict)  # field -> {"old": ..., "new": ...}
    prev_hash: str = Field(default="", max_length=64)  # the hash of the row before (a chain)
    hash: str = Field(default="", max_length=64)
    changes_hash: str = Field(default="", max_length=64)  # digest of ``changes``, part of ``hash``
    redacted_at: datetime | None = None  # the values were erased (the customer was anonymized)


class OutboxEvent(SQLModel, table=True):
    """What sync will send to headquarters, in order of ``seq``."""

    __tablename__ = "outbox_event"
    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(default_factory=new_id, unique=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    hlc: str = Field(default="", max_length=40)
    event_type: str = Field(max_length=48)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    payload: dict[str, Any] = _json(dict)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    # refused by headquarters: kept here, not sent again until someone retries (or discards) it
    parked_at: datetime | None = None
    parked_reason: str = Field(default="", max_length=500)  # one line, headquarters' words
    parked_status: int | None = None  # the HTTP status of the refusal (403, 404, 409, 422)
    parked_field: str = Field(default="", max_length=200)  # e.g. payload.fields.emails
    # the customer id that holds the value at fault (an email another registered account holds)
    parked_holder: str = Field(default="", max_length=36, sa_column_kwargs={"server_default": ""})


class CustomerSearch(SQLModel, table=True):
    """One row per customer: what the result list shows and what the FTS5 indexes read.

    ``name_text`` feeds the word index (unicode61, diacritics removed, prefix indexes);
    ``contact_text`` feeds the trigram index (email and phone fragments). Both FTS5 tables are
    external-content tables over this one, kept in step by triggers (see the migrations).
    """

    __tablename__ = "customer_search"
    __table_args__ = (UniqueConstraint("customer_id"),)
    rowid: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=36)
    display_name: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=9)
    primary_email: str = Field(default="", max_length=254)
    primary_phone: str = Field(default="", max_length=40)
    city: str = Field(default="", max_length=120)
    name_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    contact_text: str = Field(default="", sa_column=Column(Text, nullable=False))


class CustomerNameKey(SQLModel, table=True):
    """Sound-alike and one-typo keys of the name words in the search index (``domain.fuzzy``):
    one row per (key, word), a few per distinct word, so "shmidt" finds "schmidt" by a lookup.
    Maintained with the search projection (see storage/name_keys.py)."""

    __tablename__ = "customer_name_key"
    __table_args__ = {"sqlite_with_rowid": False}
    key: str = Field(primary_key=True, max_length=40)
    word: str = Field(primary_key=True, max_length=32)


class CustomerMatchKey(SQLModel, table=True):
    """Phonetic surname key x postal code, one row per customer address: the duplicate finder's
    "similar name at the same postal code" is one index seek, however big the store is.
    Maintained with the search projection (see search_index.reindex_customer)."""

    __tablename__ = "customer_match_key"
    name_key: str = Field(primary_key=True, max_length=16)
    country: str = Field(primary_key=True, max_length=2)
    postal_code: str = Field(primary_key=True, max_length=20)
    customer_id: str = Field(primary_key=True, foreign_key="customer.id", index=True, max_length=36)


class CustomerRedirect(SQLModel, table=True):
    """A customer merged into another at headquarters (issue 17): gone from this till, its id and
    reference open the survivor."""

    __tablename__ = "customer_redirect"
    id: str = Field(primary_key=True, max_length=36)
    reference: str = Field(max_length=9, index=True)
    into_id: str = Field(max_length=36)
    into_reference: str = Field(max_length=9)
    merged_at: datetime
    # a merge this till asked for, until headquarters applied it: what puts the customer back (JSON,
    # storage/customers.py's undo_redirect); None for a redirect headquarters sent
    undo: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OrderSummary(SQLModel, table=True):
    """A customer's order as headquarters knows it, cached for offline viewing."""

    __tablename__ = "order_summary"
    __table_args__ = (Index("ix_order_summary_customer", "customer_id", "ordered_at"),)
    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=36)
    number: str = Field(max_length=32)
    ordered_at: datetime
    store_code: str = Field(max_length=32)
    status: str = Field(max_length=24)
    total: str = Field(max_length=24)  # decimal as text: never a float
    currency: str = Field(max_length=3)
    shipments: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CustomerDataCache(SQLModel, table=True):
    """What headquarters answered about a customer (carts, saved payments, an order's lines and
    shipments) and its store directory, kept for offline viewing: one validated document per row
    (domain/customer_data.py). A saved payment is its token reference and last four digits only."""

    __tablename__ = "customer_data_cache"
    __table_args__ = (Index("ix_customer_data_cache_customer", "customer_id", "kind"),)
    kind: str = Field(primary_key=True, max_length=16)  # cart | payment | order_detail | store
    key: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(default="", max_length=36)  # "" for a store of the directory
    doc: dict[str, Any] = _json(dict)
    fetched_at: datetime = Field(default_factory=utcnow)


class SyncConflict(SQLModel, table=True):
    """Two concurrent edits of one field, as headquarters resolved them; or an event it refused."""

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_customer", "customer_id"),)
    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(default="", max_length=36)
    field: str = Field(max_length=48)
    kept: Any = Field(default=None, sa_column=Column(JSON))
    lost: Any = Field(default=None, sa_column=Column(JSON))
    kept_stamp: str = Field(default="", max_length=40)
    lost_stamp: str = Field(default="", max_length=40)
    origin_store: str = Field(default="", max_length=32)
    at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None  # someone kept the winner or took the other value
    resolved_by: str = Field(default="", max_length=64)  # associate number, or "store X" when pulled
    resolution: str = Field(default="", max_length=8)  # a ConflictResolution


class MembershipRole(SQLModel, table=True):
    """What a person does for an organization they belong to (buyer, contact, ...): reference data
    shipped in data/membership_roles.csv, labels per language."""

    __tablename__ = "membership_role"
    code: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=80)
    labels: dict[str, str] = _json(dict)  # language -> label
    sort_order: int = 0
    active: bool = True


class CustomerMembership(SQLModel, table=True):
    """A person's membership of an organization (domain/membership.py): one row per pair, kept when
    the person is removed (``active`` false). No foreign keys: a pulled membership may arrive before
    one of its customers. ``primary`` and ``manager`` are the member's claims (what syncs);
    ``is_primary`` and ``is_manager`` the marks derived from them (domain.membership.holders): at
    most one of each per organization."""

    __tablename__ = "customer_membership"
    __table_args__ = (
        UniqueConstraint("organization_id", "person_id"),
        Index("ix_customer_membership_person", "person_id"),
        Index("ux_customer_membership_primary", "organization_id", unique=True,
              sqlite_where=text("is_primary")),
        Index("ux_customer_membership_manager", "organization_id", unique=True,
              sqlite_where=text("is_manager")),
    )
    id: str = Field(primary_key=True, max_length=36)  # membership_id(organization, person)
    organization_id: str = Field(max_length=36)
    person_id: str = Field(max_length=36)
    role: str = Field(default="", max_length=32)
    active: bool = True
    primary: bool = False
    manager: bool = False
    is_primary: bool = False
    is_manager: bool = False
    clocks: dict[str, str] = _json(dict)  # field -> HLC stamp of the change that set it
    updated_at: datetime = Field(default_factory=utcnow)


class Segment(SQLModel, table=True):
    """A customer segment defined at headquarters (domain/segment.py), as the tills receive it:
    code and name (the rule stays at headquarters). ``seg:CODE`` in the search box names it."""

    __tablename__ = "segment"
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=80)


class CustomerSegment(SQLModel, table=True):
    """A customer's membership of a segment, as headquarters last evaluated it (pulled). No foreign
    key: the membership may arrive before its customer or its segment."""

    __tablename__ = "customer_segment"
    __table_args__ = (Index("ix_customer_segment_code", "code", "customer_id"),)
    customer_id: str = Field(primary_key=True, max_length=36)
    code: str = Field(primary_key=True, max_length=32)
