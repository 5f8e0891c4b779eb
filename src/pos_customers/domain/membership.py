"""A person's membership of an organization: the role they have there, and whether they are the
organization's primary contact or its manager.

Why a membership is its own entity (its own event kind, ``membership.changed``), and not a child
field of the person or of the organization:

- A child field (a list on the person, or on the organization) merges as one value: two tills
  linking two different people to one organization at the same time would conflict, and one link
  would be lost (kept only as a conflict for a person to look at). A membership is one small
  document per (organization, person) pair, with its own fields and a clock stamp per field, so
  concurrent links of different pairs never meet, and concurrent edits of one pair merge field by
  field (a role changed at one till and the primary-contact mark set at another both survive).
- Headquarters authorizes each event on its own: a membership event names both customers, and the
  store must see both (its own, its region's or brought in). A child field of one customer would
  let a store change its relation to a customer it may not see.
- Its id is derived from the pair (:func:`membership_id`), so the same link made at two tills
  offline is one membership, not two.

One primary contact and one manager per organization: each membership's ``primary`` and ``manager``
fields are the member's *claim* to the mark, merged like any other field. The holder is derived
from the claims (:func:`holders`): of the active members claiming the mark, the one whose claim
was written last. Claims merge in any order to the same values, so every till and headquarters
derive the same holder. Giving the mark to a member also takes back the claims of the others (one
event each), so moving it is explicit; two tills giving it to two people at the same time end
with the later one, and the other claim stays behind it.

Removing a person from an organization keeps the row as inactive (``active`` false, both flags
cleared): a later concurrent edit of its role cannot bring it back, only a new link can.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

#: the fields of a membership, each merged on its own (last writer wins, by clock stamp)
MEMBERSHIP_FIELDS: tuple[str, ...] = ("role", "active", "primary", "manager")
#: the flags an organization gives to one member at most
FLAGS: tuple[str, ...] = ("primary", "manager")

_NAMESPACE = uuid.UUID("6f1d4c8e-5b0a-4e57-9a53-2f3d2b7c9e10")


def membership_id(organization_id: str, person_id: str) -> str:
    """The same pair gives the same id on every till (a link made twice offline is one link)."""
    return str(uuid.uuid5(_NAMESPACE, f"{organization_id}:{person_id}"))


@dataclass(frozen=True)
class MembershipRecord:
    organization_id: str
    person_id: str
    role: str = ""
    active: bool = True
    primary: bool = False
    manager: bool = False
    clocks: dict[str, str] = field(default_factory=dict, compare=False)  # field -> HLC stamp

    @property
    def id(self) -> str:
        return membership_id(self.organization_id, self.person_id)

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in MEMBERSHIP_FIELDS}

    def to_document(self) -> dict[str, Any]:
        """What headquarters keeps and every till pulls."""
        return {"id": self.id, "organization_id": self.organization_id, "person_id": self.person_id,
                "fields": self.fields(), "clocks": dict(self.clocks)}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> MembershipRecord:
        f = doc.get("fields") or {}
        return cls(doc["organization_id"], doc["person_id"], str(f.get("role") or ""), bool(f.get("active", True)),
                   bool(f.get("primary")), bool(f.get("manager")), dict(doc.get("clocks") or {}))


def merge(current: MembershipRecord | None, organization_id: str, person_id: str,
          incoming: dict[str, Any], clocks: dict[str, str]) -> MembershipRecord:
    """Fold incoming field values (each with its stamp in ``clocks``) into a membership: a field
    takes the incoming value when its stamp is newer. Commutative and idempotent."""
    m = current or MembershipRecord(organization_id, person_id, active=False)
    values, stamps = m.fields(), dict(m.clocks)
    for name, value in incoming.items():
        stamp = clocks.get(name, "")
        if name in MEMBERSHIP_FIELDS and stamp and stamp > stamps.get(name, ""):
            values[name] = value
            stamps[name] = stamp
    return replace(m, **values, clocks=stamps)


def merge_event(current: MembershipRecord | None, organization_id: str, person_id: str,
                incoming: dict[str, Any], stamp: str) -> MembershipRecord:
    """One event's fields, all stamped with the event's stamp."""
    return merge(current, organization_id, person_id, incoming, dict.fromkeys(incoming, stamp))


def holders(members: list[MembershipRecord]) -> dict[str, str | None]:
    """Who holds each mark of one organization (person id, or None): the active member whose
    claim to it was written last (see the module's docstring)."""
    out: dict[str, str | None] = {}
    for flag in FLAGS:
        claims = [m for m in members if m.active and getattr(m, flag)]
        out[flag] = max(claims, key=lambda m: (m.clocks.get(flag, ""), m.person_id)).person_id if claims else None
    return out


def deactivation() -> dict[str, Any]:
    """The fields a removal (or an anonymization of either side) writes."""
    return {"active": False, "primary": False, "manager": False}


def moved_links(gone_id: str, keep_id: str, members: list[MembershipRecord],
                stamp: str) -> list[tuple[MembershipRecord | None, MembershipRecord]]:
    """When customer ``gone_id`` is merged into ``keep_id`` (two people, or two organizations):
    each active link of the merged-away customer moves to the survivor. Returns (before, after) of
    every membership that changes, each field written with ``stamp`` (newer than the links' own).

    ``members``: every membership of both customers (either side) and every membership of the
    organizations the merged-away person belongs to (who holds their marks is derived from them).

    - the merged-away customer's link is removed (inactive, its claims cleared);
    - the survivor's link to the same organization (or person) is made active, or kept: one link
      per pair, never two. A role the survivor has there stays; the other's fills in where the
      survivor had none;
    - a primary-contact or manager mark the merged-away side *held* moves with the link, unless the
      organization it lands in has another holder of it already (the survivor organization's own
      primary contact stays its primary contact)."""
    pairs = {(m.organization_id, m.person_id): m for m in members}
    out: dict[tuple[str, str], tuple[MembershipRecord | None, MembershipRecord]] = {}

    def now(pair: tuple[str, str]) -> MembershipRecord | None:
        return out[pair][1] if pair in out else pairs.get(pair)

    def change(pair: tuple[str, str], fields: dict[str, Any]) -> None:
        current = now(pair)
        before = out[pair][0] if pair in out else current
        fields = {k: v for k, v in fields.items() if current is None or getattr(current, k) != v}
        if fields:
            out[pair] = (before, merge_event(current, pair[0], pair[1], fields, stamp))

    leaving = sorted((m for m in members if m.active and gone_id in (m.organization_id, m.person_id)),
                     key=lambda m: (m.organization_id, m.person_id))
    held = {(m.organization_id, m.person_id): holders([x for x in members if x.organization_id == m.organization_id])
            for m in leaving}
    for m in leaving:
        source = (m.organization_id, m.person_id)
        target = (keep_id, m.person_id) if m.organization_id == gone_id else (m.organization_id, keep_id)
        change(source, deactivation())
        if target[0] == target[1]:
            continue
        current = now(target)
        want: dict[str, Any] = {"active": True}
        if current is None or not current.active or not current.role:
            want["role"] = m.role
        landing = holders([x for k in {*pairs, *out} if k[0] == target[0] and gone_id not in k
                           if (x := now(k)) is not None])
        for flag in FLAGS:  # the mark the link held moves with it, unless the organization has its own holder
            if held[source][flag] == m.person_id and landing[flag] in (None, target[1]):
                want[flag] = True
        if current is None or not current.active:
            for flag in FLAGS:
                want.setdefault(flag, False)
        change(target, want)
    return list(out.values())
