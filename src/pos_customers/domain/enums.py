"""The closed vocabularies of the customer domain."""

from __future__ import annotations

from enum import StrEnum


class CustomerType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class ReceiptOption(StrEnum):
    PRINT = "print"
    EMAIL = "email"
    BOTH = "both"
    NONE = "none"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class AccountType(StrEnum):
    REGISTERED = "registered"
    GUEST = "guest"


class SyncState(StrEnum):
    PENDING = "pending"  # changed here, not yet accepted by headquarters
    SYNCED = "synced"
    CONFLICT = "conflict"  # headquarters kept another value for a field
    LOCAL = "local"  # a change headquarters refused was discarded: it holds this customer only here


class ConflictResolution(StrEnum):
    """What a person chose for a sync conflict."""

    KEPT = "kept"  # the value headquarters kept stays
    TAKEN = "taken"  # the value that lost is set again, as a new edit


class Role(StrEnum):
    ASSOCIATE = "associate"
    MANAGER = "manager"
    SUPPORT = "support"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.ASSOCIATE: 1, Role.MANAGER: 2, Role.SUPPORT: 2, Role.ADMIN: 3}


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class EmailPurpose(StrEnum):
    PERSONAL = "personal"
    WORK = "work"
    OTHER = "other"


class PhonePurpose(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    FAX = "fax"
    OTHER = "other"


class AttributeType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"


class EventKind(StrEnum):
    """What a terminal's outbox event says happened (the wire protocol: domain/protocol.py)."""

    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_ANONYMIZED = "customer.anonymized"
    NOTE_CREATED = "note.created"
    TEMPLATE_UPDATED = "template.updated"
    ASSOCIATE_CHANGED = "associate.changed"
    GROUP_CHANGED = "group.changed"
    AFFILIATION_CHANGED = "affiliation.changed"
    ATTRIBUTE_CHANGED = "attribute.changed"
    PURPOSE_CHANGED = "purpose.changed"
    PURPOSE_DELETED = "purpose.deleted"
    STORE_CREATED = "store.created"
    CONFLICT_RESOLVED = "conflict.resolved"
    PAYMENT_DELETED = "payment.deleted"  # a customer's saved payment removed at a till
    MEMBERSHIP_CHANGED = "membership.changed"  # a person linked to an organization (domain/membership.py)
    CREDIT_MOVED = "credit.moved"  # store credit added or corrected at a till (domain/credit.py)
    CUSTOMER_MERGED = "customer.merged"  # two customers headquarters holds become one (services/account_scope.py)


class PullItemKind(StrEnum):
    """What one item of a pull page carries (the wire protocol: domain/protocol.py)."""

    CUSTOMER = "customer"
    GROUP = "group"
    AFFILIATION = "affiliation"
    ATTRIBUTE = "attribute"
    PURPOSE = "purpose"
    TEMPLATE = "template"
    ASSOCIATE = "associate"
    NOTE = "note"
    ORDER = "order"
    CONFLICT = "conflict"
    SUPPORT = "support"  # a support account of the chain (every store receives them)
    MEMBERSHIP = "membership"  # a person's membership of an organization (both in the store's scope)
    SETTING = "setting"  # a chain setting (account sharing scope: domain/account_scope.py)
    SEGMENT = "segment"  # a customer segment's code and name (every store receives them)
    CUSTOMER_SEGMENTS = "customer_segments"  # the segments one customer belongs to (follows the customer)
    REDIRECT = "redirect"  # a customer merged into another: the till shows that one (follows the customer)
    SEGMENT_MEMBERS = "segment_members"  # a segment's members who came and went (a batch, by home store)


class CreditKind(StrEnum):
    """What moved a customer's store credit (one row of the ledger at headquarters: domain/credit.py)."""

    ADDED = "added"          # given by a manager, with a reason
    REFUNDED = "refunded"    # a return refunded to store credit
    USED = "used"            # spent in a sale
    EXPIRED = "expired"      # lapsed
    CORRECTED = "corrected"  # a manager's correction, either way, with a reason

    @property
    def sign(self) -> int:
        """+1: the amount adds to the balance; -1: it takes from it; 0: either (a correction)."""
        return _CREDIT_SIGN[self]

    @property
    def at_till(self) -> bool:
        """A manager records it at a till (the others come from the order system at headquarters)."""
        return self in (CreditKind.ADDED, CreditKind.CORRECTED)


_CREDIT_SIGN = {CreditKind.ADDED: 1, CreditKind.REFUNDED: 1, CreditKind.USED: -1, CreditKind.EXPIRED: -1,
                CreditKind.CORRECTED: 0}


# what a person reads for these codes (marked English; shown with ``tr``): the command line and the
# screens say the same words
from .i18n import N_  # noqa: E402

PURPOSE_WORDS = {"personal": N_("personal"), "work": N_("work"), "other": N_("other"), "mobile": N_("mobile"),
                 "home": N_("home"), "fax": N_("fax")}
RECEIPT_WORDS = {ReceiptOption.PRINT: N_("print"), ReceiptOption.EMAIL: N_("email"),
                 ReceiptOption.BOTH: N_("print and email"), ReceiptOption.NONE: N_("no receipt")}
#: the order statuses headquarters' order system sends (another one is shown as sent)
ORDER_STATUS_WORDS = {"open": N_("open"), "delivered": N_("delivered"), "collected": N_("collected"),
                      "returned": N_("returned"), "cancelled": N_("cancelled")}
