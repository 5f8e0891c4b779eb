"""Store staff: numbers, roles, argon2id-hashed PINs, lockout after repeated wrong PINs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from sqlmodel import func, select
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.enums import Role
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.validation import clean_text
from ..storage.tables import Associate
from .context import Actor, Permission, PermissionDenied, Services

# argon2id with the OWASP-recommended memory/time cost (19 MiB, t=2, p=1)
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


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
        tx.outbox_row("associate.changed", "associate", number, row)
    return AssociateView(number, name, role.value, row.store_code, True, None)


class SignInFailed(PermissionError):
    pass


def sign_in(svc: Services, number: str, pin: str, *, max_attempts: int = MAX_ATTEMPTS,
            lockout: timedelta = LOCKOUT) -> Actor:
    """Check an associate's PIN. Too many wrong PINs lock the associate for a while."""
    system = Actor(associate_number=number, name=number, role=Role.ADMIN)
    with svc.change(system) as tx:
        s = tx.session
        row = s.get(Associate, (number or "").strip())
        now = tx.now
        if row is None or not row.active:
            verify_secret(_dummy_hash(), pin or "")  # same work whether or not the number exists
            tx.audit("associate", number or "", "sign_in_failed", {"reason": (None, "unknown number")})
            failure = SignInFailed("Unknown associate number or wrong PIN")
        else:
            locked = row.locked_until and row.locked_until.replace(tzinfo=timezone.utc) > now
            if locked:
                tx.audit("associate", row.number, "sign_in_refused", {"reason": (None, "locked")})
                until = row.locked_until.replace(tzinfo=timezone.utc).astimezone()
                failure = SignInFailed(f"Associate {row.number} is locked until {until:%H:%M}")
            elif verify_secret(row.pin_hash, pin or ""):
                row.failed_attempts = 0
                row.locked_until = None
                s.add(row)
                tx.audit("associate", row.number, "sign_in")
                return Actor(row.number, row.name, Role(row.role), svc.terminal_id, row.store_code)
            else:
                row.failed_attempts += 1
                changes = {"failed_attempts": (row.failed_attempts - 1, row.failed_attempts)}
                if row.failed_attempts >= max_attempts:
                    row.locked_until = now + lockout
                    row.failed_attempts = 0
                    changes["locked_until"] = (None, row.locked_until)
                    tx.audit("associate", row.number, "locked", changes)
                    failure = SignInFailed(
                        f"Too many wrong PINs: associate {row.number} is locked for "
                        f"{int(lockout.total_seconds() // 60)} minutes")
                else:
                    tx.audit("associate", row.number, "sign_in_failed", changes)
                    failure = SignInFailed("Unknown associate number or wrong PIN")
                s.add(row)
    raise failure


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-pin")


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
        tx.outbox_row("associate.changed", "associate", row.number, row)


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
        tx.outbox_row("associate.changed", "associate", row.number, row)


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
        tx.outbox_row("associate.changed", "associate", row.number, row)
