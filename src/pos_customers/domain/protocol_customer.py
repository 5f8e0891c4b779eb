"""The customer document on the wire (domain/protocol.py): its entries, its fields and the three
events about a customer (created, updated, anonymized). A module of its own so that a till saving a
customer checks the event against these models without defining every other model of the protocol;
:data:`~.protocol.EVENT_PAYLOADS` holds them as it holds every kind's. (No postponed annotations
here: the field types are built as the classes are, not compiled from strings when pydantic reads
them.)
"""

import functools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from .enums import AccountType, CustomerStatus, CustomerType, EventKind, ReceiptOption
from .i18n import Msg
from .merge import DOCUMENT_FIELDS
from .protocol_values import (Code, CustomerId, Hlc, BaseStamp, IsoDate, Line, Moment, Reference, Shown,
                              StoreCode, _Model)

DocumentField = Literal[DOCUMENT_FIELDS]  # type: ignore[valid-type]


# -- the customer document ----------------------------------------------------------------------------

def _e164(text: str) -> str:
    if not _is_e164(text):
        raise ValueError(Msg("must be a phone number in E.164 form, e.g. +4915123456789"))
    return text


@functools.lru_cache(maxsize=8192)
def _is_e164(text: str) -> bool:
    """``phonenumbers`` reads the text as a number whose E.164 form is the text itself (only that
    form is made: a third of ``phone_from_e164``'s work). Remembered: a store sends the same numbers
    again with every change of the customer."""
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(text, None), phonenumbers.PhoneNumberFormat.E164) == text
    except Exception:  # noqa: BLE001 - phonenumbers raises its own exception types
        return False


class EmailEntry(_Model):
    address: Shown(254, min_length=3)
    purpose: Line(16, min_length=1)
    primary: StrictBool
    marketing_consent: StrictBool


class PhoneEntry(_Model):
    e164: Annotated[str, Field(min_length=3, max_length=20, pattern=r"^\+[1-9][0-9]{2,15}$"),
                    AfterValidator(_e164)]
    purpose: Line(16, min_length=1)
    primary: StrictBool
    marketing_consent: StrictBool


class AddressEntry(_Model):
    purpose: Code
    line1: Shown(120)
    line2: Shown(120)
    city: Shown(120)
    district: Shown(120)
    region: Shown(120)
    postal_code: Shown(20)
    country: Shown(2)
    default_billing: StrictBool
    default_shipping: StrictBool


class CustomerFields(_Model):
    """The mergeable fields of a customer (:data:`DOCUMENT_FIELDS`). An update sends only those that
    changed, so each is optional; one that is sent has its type."""

    customer_type: CustomerType = CustomerType.PERSON
    salutation: Line(16) = ""
    title: Shown(30) = ""
    first_name: Shown(80) = ""
    middle_name: Shown(80) = ""
    last_name: Shown(80) = ""
    suffix: Shown(20) = ""
    organization_name: Shown(160) = ""
    company: Shown(160) = ""
    birth_date: IsoDate | None = None
    gender: Line(16) = ""
    language: Line(16) = ""
    currency: Line(3) = ""
    group_code: Code | None = None
    financial_dimensions: Annotated[dict[Line(32, min_length=1), Line(120)], Field(max_length=20)] = {}
    receipt_option: ReceiptOption = ReceiptOption.PRINT
    receipt_email: Shown(254) = ""
    status: CustomerStatus = CustomerStatus.ACTIVE
    status_reason: Shown(200) = ""
    account_type: AccountType = AccountType.GUEST
    vat_number: Annotated[str, Field(max_length=32, pattern=r"^[A-Z0-9]*$")] = ""
    tax_exempt: StrictBool = False
    credit_limit: Annotated[StrictInt, Field(ge=0, le=10**13)] | None = None
    password_hash: Line(255) | None = None
    password_changed_at: Moment | None = None
    must_change_password: StrictBool = False
    last_sign_in_at: Moment | None = None
    preferred_store: Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    assist_consent: StrictBool = False
    assist_consent_by: Line(64) = ""
    assist_consent_at: Moment | None = None
    emails: Annotated[list[EmailEntry], Field(max_length=20)] = []
    phones: Annotated[list[PhoneEntry], Field(max_length=20)] = []
    addresses: Annotated[list[AddressEntry], Field(max_length=20)] = []
    affiliations: Annotated[list[Code], Field(max_length=50)] = []
    cards: Annotated[list[Shown(24, min_length=1)], Field(max_length=20)] = []
    attributes: Annotated[dict[Code, Shown(2000)], Field(max_length=100)] = {}


assert set(CustomerFields.model_fields) == set(DOCUMENT_FIELDS)


def fields_json(fields: CustomerFields) -> dict[str, Any]:
    """The fields as they were sent (only those sent), as JSON values."""
    return fields.model_dump(mode="json", exclude_unset=True)


# -- event payloads -----------------------------------------------------------------------------------

class CustomerCreated(_Model):
    id: CustomerId
    reference: Reference
    store_code: StoreCode | None = None
    created_at: Moment | None = None
    anonymized_at: Moment | None = None
    fields: CustomerFields
    clocks: Annotated[dict[DocumentField, Hlc], Field(max_length=len(DOCUMENT_FIELDS))] = {}


class CustomerUpdated(_Model):
    id: CustomerId
    reference: Reference | None = None
    store_code: StoreCode | None = None
    fields: CustomerFields
    base: Annotated[dict[DocumentField, BaseStamp], Field(max_length=len(DOCUMENT_FIELDS))] = {}


class CustomerAnonymized(_Model):
    id: CustomerId
    reference: Reference | None = None
    store_code: StoreCode | None = None
    fields: CustomerFields


# kind -> (the payload's model, the entity the event is about): the customer events of EVENT_PAYLOADS
CUSTOMER_PAYLOADS: dict[EventKind, tuple[type[_Model], str | None]] = {
    EventKind.CUSTOMER_CREATED: (CustomerCreated, "customer"),
    EventKind.CUSTOMER_UPDATED: (CustomerUpdated, "customer"),
    EventKind.CUSTOMER_ANONYMIZED: (CustomerAnonymized, "customer"),
}
CUSTOMER_EVENTS = frozenset(CUSTOMER_PAYLOADS)
