"""A store's account options: which fields of the new-customer form it hides, leaves optional or
requires (Adobe Commerce's "New account options" and "Name and address options").

The fields come from the customer record (:func:`.record.option` and :func:`.record.needed` in
its metadata), never from a list written here. A store that never touched them asks what every
store always asked: every field optional, none hidden.

How they apply (the services check them, the form only shows them):

- a required field left empty is refused, on a new customer and when an edit empties it (a
  customer saved before without it is not blocked by an edit of something else, as with a
  required custom attribute);
- a hidden field is not shown on the form, and a value for it is refused (command line, import,
  JSON): a new customer gets none, an edit keeps the value a customer already has, unchanged;
- fields asked of persons only (title, middle name, date of birth, gender) do not apply to
  organizations;
- the names the record needs (first and last name of a person, an organization's name) are always
  asked and required: their option cannot be changed;
- a line of an address with an option of its own (the second street line, ``address_line2``)
  applies to each address the customer is given or changes; an address the customer has, and a
  second line it already had, are kept as they are. The other lines follow the country's format
  only (required where it requires them, not asked where it does not use them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any, Mapping

from .enums import CustomerType
from .errors import FieldError, ValidationFailed
from .i18n import Msg
from .record import ADDRESS_LINES, AddressRecord, CustomerRecord, EmailRecord, PhoneRecord

_ADDRESS_LIST = "addresses"  # the record's list of AddressRecord (its parts' options follow it)


class FieldOption(StrEnum):
    HIDDEN = "hidden"
    OPTIONAL = "optional"
    REQUIRED = "required"


#: what a store that never chose gets: today's form
DEFAULT_OPTION = FieldOption.OPTIONAL


@dataclass(frozen=True)
class OptionField:
    name: str  # the record's field
    label: str  # English, marked for translation (record.py): shown with tr(label)
    person_only: bool = False
    needed: bool = False  # the record needs it: always required, its option cannot change
    part: str = ""  # a line of each address (AddressRecord's field): its option is "address_<part>"


def _option_fields():
    for f in fields(CustomerRecord):
        if "option" in f.metadata or "needed" in f.metadata:
            yield OptionField(f.name, f.metadata.get("option") or f.metadata["needed"],
                              bool(f.metadata.get("person")), "needed" in f.metadata)
        if f.name == _ADDRESS_LIST:  # the address's own lines with an option, right after it
            yield from (OptionField(f"address_{a.name}", a.metadata["option"], part=a.name)
                        for a in fields(AddressRecord) if "option" in a.metadata)


#: the new-customer form's fields that have an option, in the record's (and the form's) order
OPTION_FIELDS: tuple[OptionField, ...] = tuple(_option_fields())
#: the fields a store chooses for
CONFIGURABLE: tuple[str, ...] = tuple(f.name for f in OPTION_FIELDS if not f.needed)
_BY_NAME = {f.name: f for f in OPTION_FIELDS}
# where the form shows a problem of a list field (its first entry's box)
_ERROR_AT = {"emails": "emails.0.address", "phones": "phones.0.number"}


@dataclass(frozen=True)
class AccountOptions:
    """A store's choices; only those that differ from :data:`DEFAULT_OPTION` are kept."""

    chosen: Mapping[str, FieldOption] = field(default_factory=dict)

    def level(self, name: str) -> FieldOption:
        if name in _BY_NAME and _BY_NAME[name].needed:
            return FieldOption.REQUIRED
        return self.chosen.get(name, DEFAULT_OPTION)

    def hidden(self, name: str) -> bool:
        return self.level(name) == FieldOption.HIDDEN

    def required(self, name: str) -> bool:
        return self.level(name) == FieldOption.REQUIRED

    def stored(self) -> dict[str, str]:
        """The JSON a store's template keeps (and headquarters syncs)."""
        return {k: v.value for k, v in sorted(self.chosen.items())}

    @classmethod
    def from_stored(cls, values: Mapping[str, Any] | None) -> AccountOptions:
        """What a template row holds; a name or level this version does not know is left out
        (a newer till's choice is not guessed at)."""
        out: dict[str, FieldOption] = {}
        for name, value in (values or {}).items():
            if name in CONFIGURABLE and value in FieldOption.__members__.values() and value != DEFAULT_OPTION:
                out[name] = FieldOption(value)
        return cls(out)


def label_of(name: str) -> str:
    return _BY_NAME[name].label


def check_choices(current: AccountOptions, changes: Mapping[str, Any]) -> AccountOptions:
    """``current`` with ``changes`` (field name -> hidden, optional or required), or
    ValidationFailed naming each field that cannot take its value."""
    errors: list[FieldError] = []
    chosen = dict(current.chosen)
    for name, value in changes.items():
        f = _BY_NAME.get(name)
        if f is None:
            errors.append(FieldError(name, Msg("'{name}' is not a field of the new-customer form that has an option"
                                               " (one of: {choices})", name=name, choices=", ".join(CONFIGURABLE))))
            continue
        try:
            level = FieldOption(str(value).strip().lower())
        except ValueError:
            errors.append(FieldError(name, Msg("{field}: '{value}' is not an option (hidden, optional or required)",
                                               field=Msg(f.label), value=value)))
            continue
        if f.needed:
            if level != FieldOption.REQUIRED:
                errors.append(FieldError(name, Msg("{field} cannot be {level}: every customer record "
                                                   "needs it, so it is always asked and required",
                                                   field=Msg(f.label), level=level.value)))
            continue
        if level == DEFAULT_OPTION:
            chosen.pop(name, None)
        else:
            chosen[name] = level
    if errors:
        raise ValidationFailed(errors)
    return AccountOptions(chosen)


def _key(value: Any) -> Any:
    """A value as compared for "given" and "changed": empty is (), lists compare by what they hold."""
    if value is None or value == "" or value == ():
        return ()
    if isinstance(value, str):
        return value.strip() or ()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return tuple(sorted(_item(v) for v in value)) or ()
    return value


def _item(value: Any) -> Any:
    if isinstance(value, EmailRecord):
        return value.address.casefold()
    if isinstance(value, PhoneRecord):
        return value.e164
    if isinstance(value, AddressRecord):
        return tuple(getattr(value, n) for n in ADDRESS_LINES)
    return str(value)


def option_problems(options: AccountOptions, customer_type: CustomerType | str, values: Mapping[str, Any],
                    before: CustomerRecord | None, failed: set[str] = frozenset()) -> list[FieldError]:
    """What ``options`` refuse in a checked customer's ``values`` (record fields, as
    :func:`.record.fields_from_clean` gives them). ``before``: the stored customer an edit
    changes (None: a new customer); ``failed``: error fields already found (not named twice)."""
    person = CustomerType(customer_type or CustomerType.PERSON) != CustomerType.ORGANIZATION
    out: list[FieldError] = []
    for name in CONFIGURABLE:
        f, level = _BY_NAME[name], options.level(name)
        if f.part:
            if level != FieldOption.OPTIONAL and not options.hidden(_ADDRESS_LIST) and _ADDRESS_LIST in values \
                    and not any(e.startswith(_ADDRESS_LIST) for e in failed):
                out.extend(_part_problems(f, level, values[_ADDRESS_LIST], before))
            continue
        if level == FieldOption.OPTIONAL or (f.person_only and not person) or name not in values:
            continue
        at = _ERROR_AT.get(name, name)
        if any(e == name or e.startswith(name + ".") for e in failed):
            continue
        new = _key(values[name])
        old = _key(getattr(before, name)) if before is not None else ()
        if level == FieldOption.HIDDEN and new != () and new != old:
            out.append(FieldError(at, _not_asked(f)))
        elif level == FieldOption.REQUIRED and new == () and (before is None or old != ()):
            out.append(FieldError(at, _required(f)))
    return out


def _part_problems(f: OptionField, level: FieldOption, addresses: tuple[AddressRecord, ...],
                   before: CustomerRecord | None) -> list[FieldError]:
    """What a hidden or required address line refuses in each address given or changed."""
    kept = {_item(a) for a in before.addresses} if before is not None else set()
    had = {getattr(a, f.part).strip() for a in before.addresses} if before is not None else set()
    out: list[FieldError] = []
    for i, a in enumerate(addresses):
        value = getattr(a, f.part).strip()
        if level == FieldOption.HIDDEN and value and value not in had:
            out.append(FieldError(f"{_ADDRESS_LIST}.{i}.{f.part}", _not_asked(f)))
        elif level == FieldOption.REQUIRED and not value and _item(a) not in kept:
            out.append(FieldError(f"{_ADDRESS_LIST}.{i}.{f.part}", _required(f)))
    return out


def _not_asked(f: OptionField) -> Msg:
    return Msg("{field} is not asked in this store: leave it empty", field=Msg(f.label))


def _required(f: OptionField) -> Msg:
    return Msg("{field} is required in this store", field=Msg(f.label))
