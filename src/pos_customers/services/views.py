"""What the services hand to screens and the CLI: plain, read-only values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from ..domain.enums import SyncState
from ..domain.reference import format_reference


def utc(moment: datetime | None) -> datetime | None:
    """Stored timestamps are UTC; SQLite hands them back without a zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class EmailView:
    id: str
    address: str
    purpose: str
    primary: bool
    marketing_consent: bool


@dataclass(frozen=True)
class PhoneView:
    id: str
    e164: str
    national: str
    purpose: str
    primary: bool
    marketing_consent: bool


@dataclass(frozen=True)
class AddressView:
    id: str
    purpose: str
    line1: str
    line2: str
    city: str
    district: str
    region: str
    postal_code: str
    country: str
    default_billing: bool
    default_shipping: bool
    formatted: str


@dataclass(frozen=True)
class CustomerView:
    id: str
    reference: str
    customer_type: str
    title: str
    first_name: str
    middle_name: str
    last_name: str
    organization_name: str
    company: str
    display_name: str
    birth_date: date | None
    language: str
    currency: str
    group_code: str | None
    financial_dimensions: dict[str, str]
    affiliations: tuple[str, ...]
    receipt_option: str
    receipt_email: str
    status: str
    account_type: str
    store_code: str
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None
    password_changed_at: datetime | None
    last_sign_in_at: datetime | None
    sync_state: SyncState
    version: int
    emails: tuple[EmailView, ...]
    phones: tuple[PhoneView, ...]
    addresses: tuple[AddressView, ...]
    cards: tuple[str, ...]
    attributes: dict[str, str]
    anonymized_at: datetime | None = None

    @property
    def reference_display(self) -> str:
        return format_reference(self.reference)

    @property
    def primary_email(self) -> str:
        return next((e.address for e in self.emails if e.primary), "")

    @property
    def primary_phone(self) -> str:
        return next((p.national for p in self.phones if p.primary), "")

    def to_json(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class DuplicateHit:
    customer_id: str
    reference: str
    display_name: str
    reasons: tuple[str, ...]
