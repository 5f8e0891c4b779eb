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

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, create_model, model_validator

from .account_options import CONFIGURABLE, FieldOption
from .i18n import Msg
from .enums import EventKind, PullItemKind  # noqa: F401  (part of the protocol; plain enums, no pydantic)
from .enums import AttributeType, CreditKind, CustomerType, ReceiptOption, Role
from .membership import MEMBERSHIP_FIELDS, membership_id
from .reference import MAX_TERMINAL
# the value types and the customer document: part of the protocol, in modules of their own
from .protocol_values import (MAX_SEQ, UUID_PATTERN, HLC_PATTERN, BaseStamp, Code, CustomerId, Hlc,  # noqa: F401
                              IsoDate, Line, Moment, PlainJson, ProtocolError, Reference, Seq, Shown, StoreCode,
                              Text, Uuid, _Model, payload_model, storable, validate_payload)
from .protocol_customer import (CUSTOMER_EVENTS, CUSTOMER_PAYLOADS, AddressEntry, CustomerAnonymized,  # noqa: F401
                                CustomerCreated, CustomerFields, CustomerUpdated, DocumentField, EmailEntry,
                                PhoneEntry, fields_json)

MAX_EVENTS = 2000        # events in one push
MAX_AUDIT_ROWS = 5000    # audit rows in one push
MAX_PULL_LIMIT = 5000


# -- event payloads (the customer's three: domain/protocol_customer.py) -----------------------------

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
    **CUSTOMER_PAYLOADS,
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
    matched_by: str = Field("", max_length=32, description="how it was found: reference (a typed reference, "
                                                            "a merged-away customer's leading to the one it "
                                                            "went into), email, phone, card, name, ...")


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


def build_all() -> None:
    """Build every protocol model now. They are built on first use (see protocol_values), which
    suits a till; headquarters builds them before its routes are defined, so FastAPI's body
    adapters wrap built models (a deferred one is rebuilt inside FastAPI's adapter, which warns
    about the body's alias at every first request) and no request pays for a build."""
    stack = list(_Model.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        # not deferred from now on: an adapter made of the model (FastAPI's) builds at once too
        cls.model_config = {**cls.model_config, "defer_build": False}
        cls.model_rebuild()
