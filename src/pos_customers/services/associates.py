"""Store staff: numbers, roles, argon2id-hashed PINs, lockout after repeated wrong PINs.

The chain's support accounts (S-numbers) are listed with them but are headquarters': nothing here
creates, changes, resets, unlocks or removes one (`pos-customers hq support ...` does). A store's
associate never gets an S-number, and the support role is given by an administrator only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select

from ..domain.enums import EventKind
from ..domain.enums import Role
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.security import clean_pin, hash_secret, is_support_number, staff_number
from ..domain.validation import clean_text
from ..domain.i18n import Msg
from ..storage.tables import Associate
from .auth import role_name, who
from .context import Actor, Change, Permission, PermissionDenied, Services

__all__ = ["clean_pin", "clean_number", "AssociateView", "add_associate", "list_associates", "change_role",
           "reset_pin", "unlock", "set_active"]


def _roles() -> Msg:
    return Msg("Role must be one of {roles}", roles=", ".join(r.value for r in Role))


def clean_number(number: str) -> str:
    number = (number or "").strip()
    if not (number.isascii() and number.isalnum() and 1 <= len(number) <= 16):
        raise FieldProblem(Msg("Associate number must be 1 to 16 letters or digits"))
    if is_support_number(number):
        raise FieldProblem(Msg("Numbers of S and digits (S100) are the chain's support accounts, given by "
                               "headquarters: choose another number"))
    return number


@dataclass(frozen=True)
class AssociateView:
    number: str
    name: str
    role: str
    store_code: str | None
    active: bool
    locked_until: datetime | None
    support_account: bool = False  # the chain's, managed at headquarters: read-only here


def _check_role_given(actor: Actor, role: Role) -> None:
    """Nobody gives a role above their own; support reads every store, so only an administrator
    gives it at a store (the chain's support accounts come from headquarters)."""
    if role.rank > actor.role.rank or (role is Role.SUPPORT and actor.role is not Role.ADMIN):
        raise PermissionDenied(Msg("{who} may not give the role {role}", who=who(actor), role=role_name(role)))


def _send(tx: Change, row: Associate) -> None:
    """The associate as headquarters keeps it for the store (the till's own flag stays here)."""
    tx.outbox(EventKind.ASSOCIATE_CHANGED, "associate", row.number, row.model_dump(exclude={"support_account"}))


def add_associate(svc: Services, actor: Actor, *, number: str, name: str, role: Role | str,
                  pin: str) -> AssociateView:
    errors = []
    try:
        number = clean_number(number)
    except FieldProblem as exc:
        errors.append(FieldError("number", exc.args[0]))
    try:
        name = clean_text(name, max_len=120, required=True, what=Msg("Name"))
    except FieldProblem as exc:
        errors.append(FieldError("name", exc.args[0]))
    try:
        pin = clean_pin(pin)
    except FieldProblem as exc:
        errors.append(FieldError("pin", exc.args[0]))
    try:
        role = Role(role)
    except ValueError:
        errors.append(FieldError("role", _roles()))
    if errors:
        raise ValidationFailed(errors)
    actor.require(Permission.MANAGE_ASSOCIATES)
    _check_role_given(actor, role)
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        held = tx.session.get(Associate, number)
        if held is not None:
            raise ValidationFailed(FieldError("number", Msg("Number {number} is a support account of the chain",
                                                            number=number)
                                              if held.support_account else Msg("Associate {number} already exists",
                                                                               number=number)))
        row = Associate(number=number, name=name, role=role.value, pin_hash=hash_secret(pin),
                        store_code=tx.store_code or None, created_at=tx.now)
        tx.session.add(row)
        tx.audit("associate", number, "create", {"name": (None, name), "role": (None, role.value)})
        _send(tx, row)
    return AssociateView(number, name, role.value, row.store_code, True, None)


def list_associates(svc: Services, actor: Actor) -> list[AssociateView]:
    actor.require(Permission.MANAGE_ASSOCIATES)
    with svc.db.read() as s:
        rows = s.exec(select(Associate).order_by(Associate.number)).all()
        return [AssociateView(r.number, r.name, r.role, r.store_code, r.active, r.locked_until, r.support_account)
                for r in rows if actor.store_code in (None, r.store_code) or r.support_account
                or actor.role in (Role.SUPPORT, Role.ADMIN)]


def _managed(tx, actor: Actor, number: str) -> Associate:
    row = tx.session.get(Associate, staff_number(number))
    if row is None:
        raise ValidationFailed(FieldError("number", Msg("Associate {number} does not exist", number=number)))
    if row.support_account:
        raise PermissionDenied(Msg("{number} is a support account of the chain: only headquarters "
                                   "changes it (pos-customers hq support ...)", number=row.number))
    if row.store_code:
        actor.require_store(row.store_code)
    if Role(row.role).rank > actor.role.rank:
        raise PermissionDenied(Msg("{who} may not change a {role}", who=who(actor), role=role_name(row.role)))
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
        raise ValidationFailed(FieldError("role", _roles())) from None
    actor.require(Permission.MANAGE_ASSOCIATES)
    _check_role_given(actor, role)
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        if row.role == role.value:
            return
        if _last_manager(tx, row):
            raise ValidationFailed(FieldError("role", Msg("{name} is the store's last manager: "
                                                          "make someone else manager first", name=row.name)))
        tx.audit("associate", row.number, "role", {"role": (row.role, role.value)})
        row.role = role.value
        tx.session.add(row)
        _send(tx, row)


def reset_pin(svc: Services, actor: Actor, number: str, pin: str) -> None:
    try:
        pin = clean_pin(pin)
    except FieldProblem as exc:
        raise ValidationFailed(FieldError("pin", exc.args[0])) from None
    with svc.change(actor, Permission.MANAGE_ASSOCIATES) as tx:
        row = _managed(tx, actor, number)
        row.pin_hash = hash_secret(pin)
        row.failed_attempts, row.locked_until = 0, None
        tx.session.add(row)
        tx.audit("associate", row.number, "pin_reset", {"pin": ("(hidden)", "(new)")})
        _send(tx, row)


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
            raise ValidationFailed(FieldError("number", Msg("{name} is the store's last manager: "
                                                            "they cannot be deactivated", name=row.name)))
        row.active = active
        tx.session.add(row)
        tx.audit("associate", row.number, "activate" if active else "deactivate", {"active": (not active, active)})
        _send(tx, row)
