"""Store staff: numbers, roles, argon2id-hashed PINs, lockout after repeated wrong PINs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select

from ..domain.enums import EventKind
from ..domain.enums import Role
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.validation import clean_text
from ..storage.tables import Associate
from .access import hash_secret
from .context import Actor, Permission, PermissionDenied, Services


def clean_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise FieldProblem("PIN must be 4 to 12 digits")
    return pin


def clean_number(number: str) -> str:
    number = (number or "").strip()
    if not (number.isalnum() and 1 <= len(number) <= 16):
        raise FieldProblem("Associate number must be 1 to 16 letters or digits")
    return number


@dataclass(frozen=True)
class AssociateView:
    number: str
    name: str
    role: str
    store_code: str | None
    active: bool
    locked_until: datetime | None


def add_associate(svc: Services, actor: Actor, *, number: str, name: str, role: Role | str,
                  pin: str) -> AssociateView:
    errors = []
    try:
        number = clean_number(number)
    except FieldProblem as exc:
        errors.append(FieldError("number", str(exc)))
    try:
        name = clean_text(name, max_len=120, required=True, what="Name")
    except FieldProblem as exc:
        errors.append(FieldError("name", str(exc)))
    try:
        pin = clean_pin(pin)
    except FieldProblem as exc:
        errors.append(FieldError("pin", str(exc)))
    try:
        role = Role(role)
    except ValueError:
        errors.append(FieldError("role", f"Role must be one of {', '.join(r.value for r in Role)}"))
    if errors:
        raise ValidationFailed(errors)
    if role.rank > actor.role.rank:
        raise PermissionDenied(f"{actor.name} ({actor.role.value}) may not give the role {role.value}")
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        if tx.session.get(Associate, number) is not None:
            raise ValidationFailed(FieldError("number", f"Associate {number} already exists"))
        row = Associate(number=number, name=name, role=role.value, pin_hash=hash_secret(pin),
                        store_code=tx.store_code or None, created_at=tx.now)
        tx.session.add(row)
        tx.audit("associate", number, "create", {"name": (None, name), "role": (None, role.value)})
        tx.outbox_row(EventKind.ASSOCIATE_CHANGED, "associate", number, row)
    return AssociateView(number, name, role.value, row.store_code, True, None)


def list_associates(svc: Services, actor: Actor) -> list[AssociateView]:
    actor.require(Permission.MANAGE_ASSOCIATES)
    with svc.db.read() as s:
        rows = s.exec(select(Associate).order_by(Associate.number)).all()
        return [AssociateView(r.number, r.name, r.role, r.store_code, r.active, r.locked_until) for r in rows
                if actor.store_code in (None, r.store_code) or actor.role in (Role.SUPPORT, Role.ADMIN)]


def _managed(tx, actor: Actor, number: str) -> Associate:
    row = tx.session.get(Associate, (number or "").strip())
    if row is None:
        raise ValidationFailed(FieldError("number", f"Associate {number} does not exist"))
    if row.store_code:
        actor.require_store(row.store_code)
    if Role(row.role).rank > actor.role.rank:
        raise PermissionDenied(f"{actor.name} ({actor.role.value}) may not change a {row.role}")
    return row


def _last_manager(tx, row: Associate) -> bool:
    """Would this associate's change leave their store without an active manager?"""
    if row.role != Role.MANAGER or not row.active:
        return False
    others = tx.session.exec(select(func.count()).where(
        Associate.role == Role.MANAGER.value, Associate.active, Associate.store_code == row.store_code,
        Associate.number != row.number)).one()
    return others == 0


def change_role(svc: Services, actor: Actor, number: str, role: Role | str) -> None:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(FieldError("role", f"Role must be one of {', '.join(r.value for r in Role)}")) from None
    if role.rank > actor.role.rank:
        raise PermissionDenied(f"{actor.name} ({actor.role.value}) may not give the role {role.value}")
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        if row.role == role.value:
            return
        if _last_manager(tx, row):
            raise ValidationFailed(FieldError("role", f"{row.name} is the store's last manager: "
                                                      "make someone else manager first"))
        tx.audit("associate", row.number, "role", {"role": (row.role, role.value)})
        row.role = role.value
        tx.session.add(row)
        tx.outbox_row(EventKind.ASSOCIATE_CHANGED, "associate", row.number, row)


def reset_pin(svc: Services, actor: Actor, number: str, pin: str) -> None:
    try:
        pin = clean_pin(pin)
    except FieldProblem as exc:
        raise ValidationFailed(FieldError("pin", str(exc))) from None
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        row.pin_hash = hash_secret(pin)
        row.failed_attempts, row.locked_until = 0, None
        tx.session.add(row)
        tx.audit("associate", row.number, "pin_reset", {"pin": ("(hidden)", "(new)")})
        tx.outbox_row(EventKind.ASSOCIATE_CHANGED, "associate", row.number, row)


def unlock(svc: Services, actor: Actor, number: str) -> None:
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        tx.audit("associate", row.number, "unlock", {"locked_until": (row.locked_until, None)})
        row.failed_attempts, row.locked_until = 0, None
        tx.session.add(row)


def set_active(svc: Services, actor: Actor, number: str, active: bool) -> None:
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        if row.active == active:
            return
        if not active and _last_manager(tx, row):
            raise ValidationFailed(FieldError("number", f"{row.name} is the store's last manager: "
                                                        "they cannot be deactivated"))
        row.active = active
        tx.session.add(row)
        tx.audit("associate", row.number, "activate" if active else "deactivate", {"active": (not active, active)})
        tx.outbox_row(EventKind.ASSOCIATE_CHANGED, "associate", row.number, row)
