"""The wire protocol between a terminal and headquarters: every event, push, pull page and audit
row that crosses between them, as pydantic models.

Both sides use these models: a terminal validates an event's payload before it queues it (so it can
never queue what headquarters refuses for its shape), headquarters validates every request with them.
Everything is bounded (string lengths, list sizes, integer ranges); customer ids are UUIDs, references
pass their check symbol, dates are dates. Adding an event kind is one member of :class:`EventKind` (domain/enums.py), one
payload model in :data:`EVENT_PAYLOADS` (with the entity it is about), and one handler on each side.

The JSON shape of every payload is the one terminals have always sent: models describe it, they do not
change it (``model_dump(mode="json", exclude_unset=True)`` gives back what was sent).
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      StrictBool, StrictInt, ValidationError, create_model, model_validator)

from .account_options import CONFIGURABLE, FieldOption
from .errors import FieldError, ValidationFailed, message_of, raised_message
from .i18n import Msg
from .enums import EventKind, PullItemKind  # noqa: F401  (part of the protocol; plain enums, no pydantic)
from .enums import AccountType, AttributeType, CreditKind, CustomerStatus, CustomerType, ReceiptOption, Role
from .membership import MEMBERSHIP_FIELDS, membership_id
from .merge import DOCUMENT_FIELDS
from .reference import MAX_TERMINAL, InvalidReference, parse_reference
from .text import hostile_problem

MAX_SEQ = 2**62          # cursors, outbox and audit sequence numbers: well inside a 64-bit integer
MAX_EVENTS = 2000        # events in one push
MAX_AUDIT_ROWS = 5000    # audit rows in one push
MAX_PULL_LIMIT = 5000






class ProtocolError(ValidationFailed):
    """A payload a terminal was about to queue does not have the shape headquarters accepts
    (nothing is written: the change it belongs to is rolled back)."""

    def __init__(self, field: str, message: Msg | str):
        super().__init__(FieldError(field, message))


# -- value types ------------------------------------------------------------------------------------

def storable(text: str) -> str:
    """Text a database can hold as it is: no NUL character, no lone surrogate."""
    if "\x00" in text:
        raise ValueError(Msg("must not contain a NUL character"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(Msg("must be valid Unicode text (a lone surrogate was sent)")) from None
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL


def _single_line(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError(Msg("must not contain control characters"))
    return text


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 - a type factory
    """A bounded string that a database can store."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(storable)]


def Line(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802
    """A bounded single-line string (codes, numbers, names of things)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(storable),
                     AfterValidator(_single_line)]


def _shown_text(text: str) -> str:
    """The forms' rule for what a person reads (domain.text.hostile_character): no control, bidi,
    zero-width or other invisible character."""
    problem = hostile_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def Shown(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802
    """A single line a person reads (names, contacts, addresses): checked by the same rule as the
    forms, so headquarters refuses what no form would have let through."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(storable),
                     AfterValidator(_shown_text)]  # controls (line breaks too) are among what it refuses


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _canonical_uuid(text: str) -> str:
    if str(uuid.UUID(text)) != text:
        raise ValueError(Msg("must be a UUID in its canonical lower-case form"))
    return text


Uuid = Annotated[str, Field(min_length=36, max_length=36, pattern=UUID_PATTERN,
                            description="a UUID, lower case with hyphens"), AfterValidator(_canonical_uuid)]
CustomerId = Uuid


def _check_reference(text: str) -> str:
    try:
        canonical = parse_reference(text)
    except InvalidReference as exc:
        raise ValueError(Msg("not a customer reference: {reason}", reason=message_of(exc))) from None
    if canonical != text:
        raise ValueError(Msg("a customer reference is sent in its compact upper-case form"))
    return text


Reference = Annotated[str, Field(min_length=9, max_length=9, pattern=r"^[0-9A-HJKMNP-TV-Y]{9}$",
                                 description="a customer reference, compact (9 symbols, the last a check symbol)"),
                      AfterValidator(_check_reference)]

HLC_PATTERN = r"^[0-9]{13}-[0-9]{5}-[A-Za-z0-9._:-]{1,64}$"
Hlc = Annotated[str, Field(min_length=21, max_length=84, pattern=HLC_PATTERN,
                           description="hybrid logical clock stamp: <13-digit ms>-<5-digit counter>-<node>")]
BaseStamp = Annotated[str, Field(max_length=84, pattern=r"^([0-9]{13}-[0-9]{5}-[A-Za-z0-9._:-]{1,64})?$",
                                 description="the stamp the editor saw, empty for a field never set")]
Code = Line(32, min_length=1)
StoreCode = Line(32, min_length=1)
Seq = Annotated[int, Field(strict=True, ge=0, le=MAX_SEQ)]


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(Msg("must be a date, YYYY-MM-DD")) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError(Msg("must be a date, YYYY-MM-DD"))


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(Msg("must be a date and time in ISO 8601")) from None
    if not isinstance(value, datetime):
        raise ValueError(Msg("must be a date and time in ISO 8601"))
    if not 1900 <= value.year <= 9000:
        raise ValueError(Msg("must be a date and time between the years 1900 and 9000"))  # UTC is then in range too
    return value


IsoDate = Annotated[date, BeforeValidator(_date), PlainSerializer(lambda d: d.isoformat(), when_used="json"),
                    Field(json_schema_extra={"format": "date"})]
Moment = Annotated[datetime, BeforeValidator(_moment),
                   PlainSerializer(lambda d: d.isoformat(), when_used="json")]

DocumentField = Literal[DOCUMENT_FIELDS]  # type: ignore[valid-type]


def _plain_json(value: Any, depth: int = 0) -> Any:
    """Free-form JSON (audit changes, conflict values): storable strings, 64-bit integers, bounded depth."""
    if depth > 8:
        raise ValueError(Msg("is nested too deeply"))
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError(Msg("holds an integer outside the 64-bit range"))
        return value
    if isinstance(value, list):
        for v in value:
            _plain_json(v, depth + 1)
        return value
    if isinstance(value, dict):
        for k, v in value.items():
            storable(str(k))
            _plain_json(v, depth + 1)
        return value
    raise ValueError(Msg("is not plain JSON"))


PlainJson = Annotated[Any, AfterValidator(_plain_json)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class NoteCreated(_Model):
    id: Uuid
    customer_id: CustomerId
    author_number: Line(16) = ""
    author_name: Shown(120) = ""
    created_at: Moment | None = None
    text: Shown(2000, min_length=1)


class TemplateUpdated(_Model):
    store_code: StoreCode
    customer_type: CustomerType = CustomerType.PERSON
    group_code: Code | None = None
    receipt_option: ReceiptOption = ReceiptOption.PRINT
    receipt_email: Line(254) = ""
    currency: Line(3) = ""
    language: Line(16) = ""
    affiliations: Annotated[list[Code], Field(max_length=50)] = []
    address_country: Line(2) = ""
    account_options: Annotated[dict[Literal[CONFIGURABLE], FieldOption],  # type: ignore[valid-type]
                               Field(max_length=len(CONFIGURABLE))] = {}
    updated_at: Moment | None = None


class AssociateChanged(_Model):
    number: Line(16, min_length=1)
    name: Shown(120)
    role: Role
    pin_hash: Line(255)
    store_code: StoreCode | None = None
    active: StrictBool = True
    failed_attempts: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = 0
    locked_until: Moment | None = None
    created_at: Moment | None = None


def _support_number(text: str) -> str:
    from .security import is_support_number

    if not is_support_number(text) or text != text.upper():
        raise ValueError(Msg("must be a support number: S and 1 to 15 digits, e.g. S100"))
    return text


SupportNumber = Annotated[str, Field(min_length=2, max_length=16, description="S and 1 to 15 digits"),
                          AfterValidator(_support_number)]


class SupportAccount(_Model):
    """A support account of the chain, as every store pulls it (:attr:`PullItemKind.SUPPORT`). The
    PIN's argon2id hash travels, never the PIN; a removed account comes as ``active`` false with no
    hash (the item is marked deleted) and is deactivated on every till."""

    number: SupportNumber
    name: Shown(120, min_length=1)
    pin_hash: Line(255)
    active: StrictBool = True
    created_at: Moment | None = None
    updated_at: Moment | None = None


class GroupChanged(_Model):
    code: Code
    name: Line(120)
    financial_dimensions: Annotated[dict[Line(32, min_length=1), Line(120)], Field(max_length=20)] = {}
    active: StrictBool = True
    labels: Annotated[dict[Line(16, min_length=1), Line(120)], Field(max_length=50)] = {}


class AffiliationChanged(_Model):
    code: Code
    name: Line(120)
    description: Text(500) = ""
    active: StrictBool = True
    labels: Annotated[dict[Line(16, min_length=1), Line(120)], Field(max_length=50)] = {}


class AttributeChanged(_Model):
    code: Code
    label: Line(80)
    type: AttributeType
    required: StrictBool = False
    choices: Annotated[list[Line(80)], Field(max_length=200)] = []
    show_on_create: StrictBool = True
    sort_order: Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)] = 0
    active: StrictBool = True
    labels: Annotated[dict[Line(16, min_length=1), Line(80)], Field(max_length=50)] = {}
    choice_labels: Annotated[dict[Line(80, min_length=1), Annotated[dict[Line(16, min_length=1), Line(80)],
                             Field(max_length=50)]], Field(max_length=200)] = {}


class PurposeChanged(_Model):
    code: Code
    label: Line(80)
    labels: Annotated[dict[Line(16, min_length=1), Line(80)], Field(max_length=50)] = {}
    active: StrictBool = True
    sort_order: Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)] = 0
    default_person: StrictBool = False
    default_organization: StrictBool = False


class PurposeDeleted(_Model):
    code: Code


class StoreCreated(_Model):
    code: StoreCode
    number: Annotated[StrictInt, Field(ge=1, le=8191)]
    name: Line(120)
    country: Line(2) = ""
    currency: Line(3) = ""
    language: Line(16) = ""
    region: Line(64) = ""


class ConflictResolved(_Model):
    id: Line(120, min_length=1)
    customer_id: CustomerId
    resolution: Literal["kept", "taken"]


def _not_a_card_number(text: str) -> str:
    from .customer_data import is_pan

    if is_pan(text):
        raise ValueError(Msg("looks like a card number: a saved payment is named by its id"))
    return text


class PaymentDeleted(_Model):
    """A customer's saved payment deleted at a till (its token and last four digits only ever
    travel from headquarters; the event names the payment by its id). ``role`` is the deleting
    associate's: headquarters refuses the event unless that role may delete saved payments."""

    id: Annotated[Line(64, min_length=1), AfterValidator(_not_a_card_number)]
    customer_id: CustomerId
    associate: Line(64) = ""
    role: Role


class MembershipFields(_Model):
    """The fields of a membership an event sets (only those sent are set: see domain/membership.py)."""

    role: Code = "contact"
    active: StrictBool = True
    primary: StrictBool = False
    manager: StrictBool = False


class MembershipChanged(_Model):
    """A person's membership of an organization changed (linked, role, primary contact, manager,
    removed). Its id is derived from the pair; the event's stamp stamps every field it sends."""

    id: Uuid
    organization_id: CustomerId
    person_id: CustomerId
    fields: MembershipFields

    @model_validator(mode="after")
    def _pair(self):
        if self.organization_id == self.person_id:
            raise ValueError(Msg("an organization cannot be a member of itself"))
        if self.id != membership_id(self.organization_id, self.person_id):
            raise ValueError(Msg("id must be the membership id of the organization and the person"))
        if not self.fields.model_fields_set:
            raise ValueError(Msg("fields: at least one field is sent"))
        return self


class MembershipDocument(_Model):
    """A membership as headquarters holds it and every store in whose scope both customers are pulls
    (:attr:`PullItemKind.MEMBERSHIP`): every field, each with its clock stamp."""

    id: Uuid
    organization_id: CustomerId
    person_id: CustomerId
    fields: MembershipFields
    clocks: Annotated[dict[Literal[MEMBERSHIP_FIELDS], Hlc],  # type: ignore[valid-type]
                      Field(max_length=len(MEMBERSHIP_FIELDS))] = {}


assert set(MembershipFields.model_fields) == set(MEMBERSHIP_FIELDS)


class CreditMoved(_Model):
    """Store credit added or corrected at a till by a manager, with a reason (domain/credit.py).
    ``id`` is the movement's: one row of headquarters' ledger. ``role`` is the associate's:
    headquarters refuses the event unless that role may move store credit, and refuses one that
    would take the balance below zero (the till parks it, visibly)."""

    id: Uuid
    customer_id: CustomerId
    currency: Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
    kind: CreditKind
    amount_minor: Annotated[StrictInt, Field(ge=-10**13, le=10**13, description="minor units (cents), signed")]
    reason: Shown(200, min_length=1)
    associate: Line(64) = ""
    role: Role

    @model_validator(mode="after")
    def _till_kind(self):
        if not self.kind.at_till:
            raise ValueError(Msg("kind: a till adds or corrects store credit, it does not record '{kind}'",
                                 kind=self.kind.value))
        if self.amount_minor == 0 or self.kind.sign * self.amount_minor < 0:
            raise ValueError(Msg("amount_minor: does not fit a movement of kind '{kind}'", kind=self.kind.value))
        return self


class CustomerMerged(_Model):
    """Two customers headquarters holds become one (an account's email they share in the chain's
    account scope, issue 17): ``id`` joins ``into`` and becomes a redirect to it. ``role`` is the
    associate's: headquarters refuses the event unless that role may merge customers."""

    id: CustomerId
    into: CustomerId
    associate: Line(64) = ""
    role: Role

    @model_validator(mode="after")
    def _two(self):
        if self.id == self.into:
            raise ValueError(Msg("a customer cannot be merged into itself"))
        return self


# kind -> (the payload's model, the entity the event is about; None: any entity name)
EVENT_PAYLOADS: dict[EventKind, tuple[type[_Model], str | None]] = {
    EventKind.CUSTOMER_CREATED: (CustomerCreated, "customer"),
    EventKind.CUSTOMER_UPDATED: (CustomerUpdated, "customer"),
    EventKind.CUSTOMER_ANONYMIZED: (CustomerAnonymized, "customer"),
    EventKind.NOTE_CREATED: (NoteCreated, "customer_note"),
    EventKind.TEMPLATE_UPDATED: (TemplateUpdated, "store_template"),
    EventKind.ASSOCIATE_CHANGED: (AssociateChanged, "associate"),
    EventKind.GROUP_CHANGED: (GroupChanged, "customer_group"),
    EventKind.AFFILIATION_CHANGED: (AffiliationChanged, "affiliation"),
    EventKind.ATTRIBUTE_CHANGED: (AttributeChanged, "attribute_definition"),
    EventKind.PURPOSE_CHANGED: (PurposeChanged, "address_purpose"),
    EventKind.PURPOSE_DELETED: (PurposeDeleted, "address_purpose"),
    EventKind.STORE_CREATED: (StoreCreated, "store"),
    EventKind.CONFLICT_RESOLVED: (ConflictResolved, None),
    EventKind.PAYMENT_DELETED: (PaymentDeleted, "saved_payment"),
    EventKind.MEMBERSHIP_CHANGED: (MembershipChanged, "membership"),
    EventKind.CREDIT_MOVED: (CreditMoved, "store_credit"),
    EventKind.CUSTOMER_MERGED: (CustomerMerged, "customer"),
}
CUSTOMER_EVENTS = frozenset({EventKind.CUSTOMER_CREATED, EventKind.CUSTOMER_UPDATED,
                             EventKind.CUSTOMER_ANONYMIZED})


def validate_payload(kind: EventKind | str, payload: dict[str, Any]) -> _Model:
    """The payload as its kind's model; :class:`ProtocolError` naming the field when it is not one."""
    try:
        model, _entity = EVENT_PAYLOADS[EventKind(kind)]
    except ValueError:
        raise ProtocolError("type", Msg("unknown event kind '{kind}'", kind=str(kind))) from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in ("payload", *first["loc"]))
        raise ProtocolError(where, Msg("{kind} event: {reason}", kind=str(kind), reason=raised_message(first))) from None


# -- the event envelope -------------------------------------------------------------------------------

class EventBase(_Model):
    id: Annotated[Uuid, Field(description="the outbox event id: applied once")]
    seq: Annotated[Seq, Field(description="the terminal's outbox order")]
    hlc: Hlc
    entity_id: Line(120, min_length=1)

    @model_validator(mode="after")
    def _customer_id_matches(self):
        payload = getattr(self, "payload", None)
        if getattr(self, "type", None) in CUSTOMER_EVENTS and payload is not None and payload.id != self.entity_id:
            raise ValueError(Msg("entity_id must be the customer id in the payload"))
        if getattr(self, "type", None) == EventKind.MEMBERSHIP_CHANGED and payload.id != self.entity_id:
            raise ValueError(Msg("entity_id must be the membership id in the payload"))
        if getattr(self, "type", None) == EventKind.CREDIT_MOVED and payload.id != self.entity_id:
            raise ValueError(Msg("entity_id must be the movement id in the payload"))
        if getattr(self, "type", None) == EventKind.CUSTOMER_MERGED and payload.id != self.entity_id:
            raise ValueError(Msg("entity_id must be the customer id in the payload"))
        return self


def _event_model(kind: EventKind, model: type[_Model], entity: str | None) -> type[EventBase]:
    name = "".join(w.capitalize() for w in kind.value.replace(".", "_").split("_")) + "Event"
    return create_model(  # type: ignore[call-overload]
        name, __base__=EventBase, __module__=__name__,
        type=(Literal[kind.value], ...),
        entity=(Literal[entity] if entity else Line(32, min_length=1), ...),
        payload=(model, ...))


EVENT_MODELS: dict[EventKind, type[EventBase]] = {
    kind: _event_model(kind, model, entity) for kind, (model, entity) in EVENT_PAYLOADS.items()}
Event = Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="type")]  # type: ignore[valid-type]


class AuditRow(_Model):
    id: Annotated[StrictInt, Field(ge=1, le=MAX_SEQ)]
    at: Moment
    associate: Line(64)
    terminal: Line(64)
    store: Line(32)
    entity: Line(32)
    entity_id: Line(120)
    action: Line(32)
    changes: Annotated[dict[Line(64), PlainJson], Field(max_length=100)]
    prev_hash: Line(64)
    hash: Line(64)
    changes_hash: Line(64) = ""
    redacted: StrictBool = False


class PushRequest(_Model):
    events: Annotated[list[Event], Field(max_length=MAX_EVENTS)]  # type: ignore[valid-type]
    audit: Annotated[list[AuditRow], Field(max_length=MAX_AUDIT_ROWS, default_factory=list,
                                           description="the terminal's audit rows after the last ones sent, "
                                                       "hash-chained")]


class Refusal(BaseModel):
    id: str = Field(description="the refused event's id")
    status: Literal[403, 404, 409, 422]
    reason: str = Field(description="one line: what is wrong")
    field: str | None = Field(default=None, description="payload path of the value at fault, if one is")
    holder: str | None = Field(default=None, description="the customer id that holds the value at fault "
                                                         "(an email another registered account holds)")
    code: str | None = Field(default=None, description="the reason's English template (its str.format fields "
                                                       "named), the key of its translations; absent from older "
                                                       "headquarters")
    params: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="the template's parameters (at most 20): a terminal shows the reason in its "
                                  "associate's language from code and params, else `reason`")


class ConflictRecord(BaseModel):
    id: str
    customer_id: str
    field: str
    kept: Any = None
    kept_stamp: str = ""
    lost: Any = None
    lost_stamp: str = ""
    origin_store: str = ""
    at: str = ""


class PushResponse(BaseModel):
    audit_kept: int = 0
    audit_problems: list[str] = Field(default_factory=list)
    applied: list[str]
    duplicates: list[str]
    refused: list[Refusal] = Field(default_factory=list,
                                   description="events not applied (and not recorded): fix and send again")
    conflicts: list[ConflictRecord]
    cursor: int = Field(description="headquarters' seq after this push")


class PullItem(BaseModel):
    t: PullItemKind
    seq: int
    key: str | None = None
    deleted: bool | None = None
    doc: dict[str, Any]


class PullPage(BaseModel):
    items: list[PullItem]
    cursor: int
    more: bool


class EnrolRequest(_Model):
    token: Annotated[Line(200, min_length=10), Field(description="the one-time token from `hq add-store`")]
    terminal_name: Line(120) = ""


class CustomerHit(BaseModel):
    """One customer found at headquarters (F5, all stores): what the till shows before bringing it in."""

    id: str = Field(max_length=36)
    reference: str = Field(max_length=9)
    store_code: str = Field(max_length=32)
    display_name: str = Field(max_length=1000)
    email: str = Field(max_length=320)
    phone: str = Field(max_length=32)
    city: str = Field(max_length=200)
    via: str = Field("", max_length=1000, description="a person found through an organization's name: "
                                                        "that organization's name")


class EnrolResponse(BaseModel):
    terminal_id: str
    credential: str = Field(description="keep it secret: it is the terminal's identity from now on")
    store: dict[str, Any]
    terminal_number: int = Field(ge=1, le=MAX_TERMINAL, description="the till's number in its store, part of "
                                 "every customer reference it issues; never given to another till of the store")


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


__all__ = ["EventKind", "PullItemKind", "Event", "EVENT_MODELS", "EVENT_PAYLOADS", "PushRequest", "PushResponse",
           "Refusal", "PullPage", "PullItem", "AuditRow", "EnrolRequest", "EnrolResponse", "CustomerFields",
           "ProtocolError", "validate_payload", "MAX_SEQ", "SupportAccount", "MembershipChanged",
           "MembershipDocument", "CreditMoved"]
