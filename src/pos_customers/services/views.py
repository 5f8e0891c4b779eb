"""What the services hand to screens and the CLI: plain, read-only values."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.record import AddressRecord, CustomerRecord, EmailRecord, PhoneRecord, utc

__all__ = ["AddressView", "CustomerView", "DuplicateHit", "EmailView", "PhoneView", "utc"]


# A customer on screen, in the CLI and in exports is the domain's customer record itself.
CustomerView = CustomerRecord
EmailView = EmailRecord
PhoneView = PhoneRecord
AddressView = AddressRecord


@dataclass(frozen=True)
class DuplicateHit:
    customer_id: str
    reference: str
    display_name: str
    reasons: tuple[str, ...]
