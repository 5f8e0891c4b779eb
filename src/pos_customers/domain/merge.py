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
