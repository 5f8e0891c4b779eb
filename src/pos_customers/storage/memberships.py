"""Memberships of people in organizations (domain/membership.py) in the terminal's file: one module
reads and writes them, made from and into :class:`MembershipRecord`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, select

from ..domain.membership import MembershipRecord, deactivation, holders, merge, moved_links
from .tables import CustomerMembership, MembershipRole


def _record(row: CustomerMembership) -> MembershipRecord:
    return MembershipRecord(row.organization_id, row.person_id, row.role, row.active, row.primary,
                            row.manager, dict(row.clocks or {}))


@dataclass(frozen=True)
class Member:
    """A stored membership with the marks it holds (derived from every member's claims)."""

    record: MembershipRecord
    is_primary: bool
    is_manager: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)


def _rows(s: Session, **where: str) -> list[CustomerMembership]:
    q = select(CustomerMembership)
    for name, value in where.items():
        q = q.where(getattr(CustomerMembership, name) == value)
    return list(s.exec(q))


def of_organization(s: Session, organization_id: str) -> list[Member]:
    """Every membership of an organization, removed ones too."""
    return [Member(_record(r), r.is_primary, r.is_manager) for r in _rows(s, organization_id=organization_id)]


def of_person(s: Session, person_id: str) -> list[Member]:
    return [Member(_record(r), r.is_primary, r.is_manager) for r in _rows(s, person_id=person_id)]


def get(s: Session, organization_id: str, person_id: str) -> MembershipRecord | None:
    found = _rows(s, organization_id=organization_id, person_id=person_id)
    return _record(found[0]) if found else None


def apply(s: Session, organization_id: str, person_id: str, fields: dict[str, Any],
          clocks: dict[str, str]) -> tuple[MembershipRecord | None, MembershipRecord]:
    """Merge field values (each with its stamp) into the pair's membership, then derive the
    organization's primary contact and manager again. Returns (before, after) of that membership."""
    stored = {r.person_id: r for r in _rows(s, organization_id=organization_id)}
    row = stored.get(person_id)
    before = _record(row) if row is not None else None
    after = merge(before, organization_id, person_id, fields, clocks)
    if row is None:
        row = stored[person_id] = CustomerMembership(id=after.id, organization_id=organization_id,
                                                     person_id=person_id)
    row.role, row.active, row.primary, row.manager = after.role, after.active, after.primary, after.manager
    row.clocks, row.updated_at = dict(after.clocks), datetime.now(timezone.utc)
    s.add(row)
    marks = holders([_record(r) for r in stored.values()])
    want = {pid: (pid == marks["primary"], pid == marks["manager"]) for pid in stored}
    changing = [r for pid, r in stored.items() if want[pid] != (r.is_primary, r.is_manager)]
    # marks are taken away before they are given: the unique indexes hold at every statement
    for clear in (True, False):
        for r in changing:
            r.is_primary, r.is_manager = (False, False) if clear else want[r.person_id]
            s.add(r)
        s.flush()
    return before, after


def apply_document(s: Session, doc: dict[str, Any]) -> None:
    """A membership as headquarters holds it (pulled)."""
    apply(s, doc["organization_id"], doc["person_id"], doc.get("fields") or {}, doc.get("clocks") or {})


def deactivate_all(s: Session, customer_id: str, stamp: str) -> int:
    """An anonymized customer belongs to no organization and has no members any more."""
    pairs = [(r.organization_id, r.person_id) for r in s.exec(select(CustomerMembership).where(
        (CustomerMembership.person_id == customer_id) | (CustomerMembership.organization_id == customer_id),
        CustomerMembership.active))]
    for org, person in pairs:
        apply(s, org, person, deactivation(), dict.fromkeys(deactivation(), stamp))
    return len(pairs)


def all_documents(s: Session) -> list[dict[str, Any]]:
    return [_record(r).to_document() for r in s.exec(select(CustomerMembership).order_by(CustomerMembership.id))]


def roles(s: Session, *, active_only: bool = True) -> list[MembershipRole]:
    q = select(MembershipRole).order_by(MembershipRole.sort_order, MembershipRole.code)
    if active_only:
        q = q.where(MembershipRole.active)
    return list(s.exec(q))


def rederive_marks(session_or_conn: Any, organization_ids: list[str]) -> None:
    """Derive again who holds each organization's marks from its members' claims (rows put back
    as they were, storage/customers.py's undo_redirect)."""
    from .conn import connection

    conn = connection(session_or_conn)
    for org in organization_ids:
        found = conn.execute("SELECT person_id, role, active, \"primary\", manager, clocks FROM customer_membership"
                             " WHERE organization_id = ?", (org,)).fetchall()
        marks = holders([MembershipRecord(org, p, role or "", bool(a), bool(pr), bool(m), json.loads(c or "{}"))
                         for p, role, a, pr, m, c in found])
        conn.execute("UPDATE customer_membership SET is_primary = 0, is_manager = 0 WHERE organization_id = ?", (org,))
        for flag, column in (("primary", "is_primary"), ("manager", "is_manager")):
            if marks[flag] is not None:
                conn.execute(f"UPDATE customer_membership SET {column} = 1 WHERE organization_id = ? AND person_id = ?",
                             (org, marks[flag]))


def move_links(s: Session, gone_id: str, keep_id: str) -> tuple[list[tuple[MembershipRecord | None, MembershipRecord]],
                                                                 list[dict[str, Any]]]:
    """At the till, customer ``gone_id`` merged into ``keep_id``: its links move to the survivor by the
    rule headquarters applies (domain/membership.py's :func:`moved_links`). Stamped just after the
    links' own stamps, not with the till's clock: headquarters' result of the same merge is later,
    and replaces this one when it is pulled. Returns the changes and, for putting them back, each
    changed link of the survivor's side as it was (``row`` None: it did not exist)."""
    from .conn import connection
    from .customers import table_rows

    pair = (gone_id, keep_id)
    found = {r.id: r for r in s.exec(select(CustomerMembership).where(
        CustomerMembership.person_id.in_(pair) | CustomerMembership.organization_id.in_(pair)))}
    orgs = {r.organization_id for r in found.values() if r.person_id == gone_id and r.active}
    if orgs:
        found |= {r.id: r for r in s.exec(select(CustomerMembership).where(
            CustomerMembership.organization_id.in_(sorted(orgs))))}
    members = [_record(r) for r in found.values()]
    if not any(m.active and gone_id in (m.organization_id, m.person_id) for m in members):
        return [], []
    top = max((v for m in members for v in m.clocks.values()), default="")
    changed = moved_links(gone_id, keep_id, members, top + "~")
    conn = connection(s)
    before = [{"id": after.id, "organization_id": after.organization_id,
               "row": next(iter(table_rows(conn, "customer_membership", "id = ?", (after.id,))), None)}
              for _, after in changed if gone_id not in (after.organization_id, after.person_id)]
    for _, after in changed:
        apply(s, after.organization_id, after.person_id, after.fields(), after.clocks)
    return changed, before
