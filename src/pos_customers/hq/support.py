"""The chain's support accounts: people of the chain, not of one store, managed here only.

An account has an S-number (domain.security: S and 1-15 digits), a name and a PIN kept as an
argon2id hash. Every change is one transaction: the account row, a record every store pulls (kind
``support``: the hash travels, never the PIN) with the next seq, and a row of headquarters' own
audit trail. A removed account stays (its number is never given again: audit rows name it); the
stores receive it deleted and deactivate it.

Numbers never collide with a store's associates: support numbers lie in their own range, which
stores do not give; and headquarters checks both ways (a support account is not made with a number
a store's associate holds, and a store's associate with a support account's number is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.i18n import Msg
from ..domain.errors import FieldProblem
from ..domain.security import clean_pin, clean_support_number, hash_secret, staff_number
from ..domain.text import hostile_problem
from . import audit
from . import tables as t
from .common import aware, iso, lock_seq, put_records, store_seq
from .errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from .service import Headquarters

KIND = "support"  # the pull record's kind (PullItemKind.SUPPORT)


@dataclass(frozen=True)
class SupportAccountView:
    number: str
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None


def _number(number: str) -> str:
    try:
        return clean_support_number(number)
    except FieldProblem as exc:
        raise Invalid(Msg("number: {reason}", reason=exc.message)) from None


def _pin(pin: str) -> str:
    try:
        return clean_pin(pin)
    except FieldProblem as exc:
        raise Invalid(Msg("pin: {reason}", reason=exc.message)) from None


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise Invalid(Msg("name: 1 to 120 characters on one line"))
    problem = hostile_problem(name)
    if problem:
        raise Invalid(Msg("name: {reason}", reason=problem))
    return name


def _publish(hq: Headquarters, conn: Connection, row: dict, seq: int) -> int:
    """The account as every store pulls it; a removed one as deleted, without its hash."""
    doc = {"number": row["number"], "name": row["name"], "pin_hash": row["pin_hash"] if row["active"] else "",
           "active": bool(row["active"]), "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"])}
    return put_records(conn, [(KIND, row["number"], {"doc": doc, "deleted": not row["active"]})], seq)


def _load(conn: Connection, number: str) -> dict | None:
    row = conn.execute(select(t.support).where(t.support.c.number == number)).first()
    return dict(row._mapping) if row else None


def held_by_a_store(conn: Connection, number: str) -> list[str]:
    """The stores with an associate of this number (as headquarters holds their associates)."""
    keys = conn.execute(select(t.record.c.key).where(and_(t.record.c.kind == "associate",
                                                          t.record.c.key.like(f"%:{number}")))).scalars()
    return sorted(k.rsplit(":", 1)[0] for k in keys if k.rsplit(":", 1)[1] == number)


def is_support_account(conn: Connection, number: str) -> bool:
    """Whether a support account (even a removed one) holds this number."""
    return conn.execute(select(t.support.c.number).where(t.support.c.number == staff_number(number))).first() \
        is not None


def add(hq: Headquarters, number: str, name: str, pin: str, *, by: str) -> SupportAccountView:
    number, name, pin = _number(number), _name(name), _pin(pin)
    pin_hash = hash_secret(pin)  # before the transaction: argon2 takes a moment
    now = hq.now()
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        old = _load(conn, number)
        if old is not None:
            raise Conflict(Msg("{number} is a support account already ({name})", number=number, name=old["name"])
                           if old["active"] else
                           Msg("{number} was the support account of {name}, removed: a number is not given again "
                               "(audit rows name it); choose another", number=number, name=old["name"]))
        stores = held_by_a_store(conn, number)
        if stores:
            raise Conflict(Msg("{number} is an associate's number in store {stores}: choose another", number=number,
                               stores=", ".join(stores)))
        row = {"number": number, "name": name, "pin_hash": pin_hash, "active": True, "created_at": now,
               "updated_at": now, "removed_at": None}
        conn.execute(insert(t.support).values(**row))
        store_seq(conn, _publish(hq, conn, row, seq))
        audit.record(hq, conn, by=by, entity="support_account", entity_id=number, action="create",
                     changes={"name": (None, name), "role": (None, "support")})
    return _view(row)


def accounts(hq: Headquarters, *, removed: bool = True) -> list[SupportAccountView]:
    query = select(t.support).order_by(t.support.c.number)
    if not removed:
        query = query.where(t.support.c.active)
    with hq.engine.connect() as conn:
        return [_view(dict(r._mapping)) for r in conn.execute(query)]


def _change(hq: Headquarters, number: str, *, by: str, action: str, pin_hash: str | None = None) -> SupportAccountView:
    number = _number(number)
    now = hq.now()
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)
        row = _load(conn, number)
        if row is None or not row["active"]:
            raise NotFound(Msg("no support account {number}", number=number) if row is None else
                           Msg("{number} ({name}) was removed", number=number, name=row["name"]))
        if action == "remove":
            values = {"active": False, "pin_hash": "", "removed_at": now, "updated_at": now}
            changes = {"active": (True, False)}
        else:
            values = {"pin_hash": pin_hash, "updated_at": now}
            changes = {"pin": ("(hidden)", "(new)"), "locked_until": ("(on each till)", None)}
        conn.execute(update(t.support).where(t.support.c.number == number).values(**values))
        row.update(values)
        store_seq(conn, _publish(hq, conn, row, seq))
        audit.record(hq, conn, by=by, entity="support_account", entity_id=number,
                     action="remove" if action == "remove" else "pin_reset", changes=changes)
    return _view(row)


def remove(hq: Headquarters, number: str, *, by: str) -> SupportAccountView:
    return _change(hq, number, by=by, action="remove")


def reset(hq: Headquarters, number: str, pin: str, *, by: str) -> SupportAccountView:
    """A new PIN; every till clears its lockout of the account when it pulls the new hash."""
    pin_hash = hash_secret(_pin(pin))
    return _change(hq, number, by=by, action="reset", pin_hash=pin_hash)


def _view(row: dict) -> SupportAccountView:
    return SupportAccountView(row["number"], row["name"], bool(row["active"]), aware(row["created_at"]),
                              aware(row["updated_at"]), aware(row["removed_at"]) if row["removed_at"] else None)
