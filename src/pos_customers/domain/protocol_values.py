"""The wire protocol's building blocks (domain/protocol.py): its bounded value types, the base of
every model, the error a refused payload raises, and :func:`validate_payload`.

Every model of the protocol is built when it is first used (``defer_build``), not when its module
is imported: a till that saves a customer checks that one event's payload and pays for its models
only (the customer document, domain/protocol_customer.py), not for the push and pull envelopes and
every other event kind, which headquarters builds when it loads (a ``TypeAdapter`` of the union).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      ValidationError)

from .enums import EventKind
from .errors import FieldError, ValidationFailed, message_of, raised_message
from .i18n import Msg
from .reference import InvalidReference, parse_reference
from .text import hostile_problem

MAX_SEQ = 2**62          # cursors, outbox and audit sequence numbers: well inside a 64-bit integer


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
    # built on first use: importing the protocol builds no validator (see the module's docstring)
    model_config = ConfigDict(extra="forbid", defer_build=True)



def payload_model(kind: EventKind | str) -> tuple[type[_Model], str | None]:
    """An event kind's payload model and the entity the event is about (None: any entity name), as
    :data:`~.protocol.EVENT_PAYLOADS` holds them. A customer event's comes from the customer
    document's own module, so checking it defines no other model of the protocol."""
    try:
        kind = EventKind(kind)
    except ValueError:
        raise ProtocolError("type", Msg("unknown event kind '{kind}'", kind=str(kind))) from None
    from .protocol_customer import CUSTOMER_PAYLOADS

    found = CUSTOMER_PAYLOADS.get(kind)
    if found is None:
        from .protocol import EVENT_PAYLOADS

        found = EVENT_PAYLOADS[kind]
    return found


def validate_payload(kind: EventKind | str, payload: dict[str, Any]) -> _Model:
    """The payload as its kind's model; :class:`ProtocolError` naming the field when it is not one."""
    model, _entity = payload_model(kind)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in ("payload", *first["loc"]))
        raise ProtocolError(where, Msg("{kind} event: {reason}", kind=str(kind), reason=raised_message(first))) from None
