"""How a customer edited in several places at once becomes one customer again.

A customer travels between terminals and headquarters as a *document*: its identity (id,
reference, registering store, created) and its fields. Every field carries the hybrid-logical-
clock stamp of the edit that last set it. An edit says which stamp each field had when the
associate started (its *base*):

- the base is the stamp headquarters holds: a plain overwrite, nobody else touched the field;
- otherwise two edits of the same field happened concurrently: the later stamp wins, and the
  value that lost is kept as a conflict, for a person to look at.

Different fields never conflict with each other, so concurrent edits of different fields both
survive. Once a customer is anonymized, no later or concurrent edit can bring data back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The fields that travel and merge one by one come from the customer record (lists such as
# emails and phones merge as one value each).
from .record import DOCUMENT_FIELDS

IDENTITY_FIELDS: tuple[str, ...] = ("id", "reference", "store_code", "created_at")


@dataclass(frozen=True)
class Conflict:
    """Two concurrent edits of one field: which value was kept and which one lost."""

    field: str
    kept: Any
    kept_stamp: str
    lost: Any
    lost_stamp: str


@dataclass
class Merged:
    fields: dict[str, Any]
    clocks: dict[str, str]
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def merge_fields(fields: dict[str, Any], clocks: dict[str, str], incoming: dict[str, Any],
                 stamp: str, base: dict[str, str] | None = None, *,
                 anonymized: bool = False) -> Merged:
    """Fold one edit (``incoming`` values stamped ``stamp``) into a customer's current state.

    ``base`` maps a field to the stamp the editor saw; a field missing from it is treated as
    "saw nothing" (an edit made before any sync, which is a conflict only if someone else has
    set the field meanwhile). Returns the new state; the arguments are not modified.
    """
    out = Merged(dict(fields), dict(clocks))
    if anonymized:
        return out  # anonymization wins over every edit, earlier, concurrent or later
    base = base or {}
    for name, value in incoming.items():
        if name not in DOCUMENT_FIELDS:
            continue
        current_stamp = out.clocks.get(name, "")
        current = out.fields.get(name)
        seen = base.get(name, "")
        if current_stamp == seen or not current_stamp:
            # nobody else changed the field since the editor looked at it: a plain overwrite
            if stamp >= current_stamp:
                if current != value:
                    out.changed.append(name)
                out.fields[name] = value
                out.clocks[name] = stamp
            continue
        if current == value:
            out.clocks[name] = max(stamp, current_stamp)
            continue
        if stamp > current_stamp:
            out.conflicts.append(Conflict(name, value, stamp, current, current_stamp))
            out.fields[name] = value
            out.clocks[name] = stamp
            out.changed.append(name)
        else:
            out.conflicts.append(Conflict(name, current, current_stamp, value, stamp))
    return out


# -- two customers become one ----------------------------------------------------------------------

#: what an account keeps of its own when another customer joins it (never taken from the other)
KEPT_BY_ACCOUNT: frozenset[str] = frozenset({
    "password", "password_hash", "password_changed_at", "must_change_password", "last_sign_in_at",
    "account_type", "status", "status_reason", "customer_type",
    "assist_consent", "assist_consent_by", "assist_consent_at"})

_FLAGS = ("primary", "default_billing", "default_shipping")


def _get(item: Any, name: str, default: Any = None) -> Any:
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def item_key(item: Any) -> Any:
    """What makes two contacts, addresses or cards the same one: an email's folded address, a
    phone's digits, an address's lines; a card number or a code as it is."""
    if isinstance(item, (str, int)):
        return item
    number = _get(item, "number") or _get(item, "e164")
    if number:
        return "".join(ch for ch in str(number) if ch.isdigit())
    address = _get(item, "address")
    if isinstance(address, str):
        return address.strip().casefold()
    if address is not None:
        return address
    if isinstance(item, dict):  # a document's address: its lines
        return tuple(str(item.get(n) or "") for n in _ADDRESS_KEY)
    return item


_ADDRESS_KEY = ("line1", "line2", "city", "district", "region", "postal_code", "country")


def _secondary(item: Any) -> Any:
    if isinstance(item, dict):
        return {**item, **{f: False for f in _FLAGS if item.get(f)}}
    from dataclasses import replace
    flags = {f: False for f in _FLAGS if getattr(item, f, False)}
    return replace(item, **flags) if flags else item


def absorbed(account: dict[str, Any], other: dict[str, Any], *, kept: frozenset[str] = KEPT_BY_ACCOUNT) -> dict[str, Any]:
    """What the account gains when ``other`` joins it: each value the account lacks, and the
    contacts, addresses, cards, affiliations and attributes it lacks appended (never primary or
    default over the account's own). The changed values only; the account's own win.

    One rule for both shapes: document fields (headquarters' merge, lists of dicts) and a
    customer draft's values (the till's merge of a refused creation, lists of dataclasses)."""
    changes: dict[str, Any] = {}
    for name, mine in account.items():
        if name in kept or name not in other:
            continue
        theirs = other[name]
        if isinstance(mine, (list, tuple)):
            keys = {item_key(x) for x in mine}
            extra = [_secondary(x) if mine else x for x in theirs or () if item_key(x) not in keys]
            if extra:
                changes[name] = type(mine)([*mine, *extra])
        elif isinstance(mine, dict):
            if set(theirs or ()) - set(mine):
                changes[name] = {**(theirs or {}), **mine}
        elif mine in ("", None) and theirs not in ("", None):
            changes[name] = theirs
    return changes
