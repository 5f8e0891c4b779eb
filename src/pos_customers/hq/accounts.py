"""Customers' online accounts: single-use links to set a password, and the web shop's sign-in."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.i18n import Msg
from ..domain.password import listed
from . import audit, online
from .facts import customer_facts  # what segment rules read, in step with the fields
from . import search as customer_search  # issue 11: the till's search at headquarters
from . import tables as t
from .common import Identity, aware, digest, dumps, load_customers, lock_seq, next_stamp, store_seq
from .errors import Forbidden, HqError, Unauthorized

if TYPE_CHECKING:
    from .service import Headquarters

RESET_ANSWER = Msg("If the address belongs to a registered account, a link to set a password is on its way.")
SIGN_IN_REFUSED = Msg("unknown email or wrong password")
CHANGE_REQUIRED = Msg("password change required: set a new password (POST /v1/accounts/change-password)")
ONLINE = "customer (online)"  # who made a change on headquarters' audit trail


class PasswordChangeRequired(Forbidden):
    """The password is right, but the account must set a new one before it signs in."""


def _hasher():
    from ..domain.security import HASHER  # the terminal's parameters: one hash for one kind of secret
    return HASHER


def request_reset(hq: Headquarters, who: Identity | None, email: str) -> Msg:
    """Mail a single-use link to set a new password. The answer is the same whether or not the
    address exists, is registered, or has asked too often (no account discovery)."""
    from email.message import EmailMessage

    address = (email or "").strip().casefold()
    now = hq.now()
    token = None
    with hq.engine.begin() as conn:
        row = customer_by_email(conn, address)
        if row is not None:
            recent = conn.execute(select(func.count()).select_from(t.reset_token).where(and_(
                t.reset_token.c.customer_id == row.id,
                t.reset_token.c.created_at > now - timedelta(hours=1)))).scalar_one()
            if recent < hq.reset_limit_per_hour:
                token = secrets.token_urlsafe(32)
                conn.execute(insert(t.reset_token).values(token_hash=digest(token), customer_id=row.id,
                                                          created_at=now, expires_at=now + hq.reset_ttl))
                _must_change(hq, conn, row.id, by=f"store {who.store_code}" if who else ONLINE)
    if token is not None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = hq.mail_from, email.strip(), "Set your password"
        hours = int(hq.reset_ttl.total_seconds() // 3600)
        msg.set_content(
            "Hello,\n\nsomeone (hopefully you, at one of our stores) asked for a link to set the password of "
            f"your customer account:\n\n    {hq.reset_url}?token={token}\n\nThe link works once, for "
            f"{hours} hour{'s' if hours != 1 else ''}. If you did not ask for it, ignore this mail.\n")
        hq.mailer.send(msg)
    return RESET_ANSWER


def _must_change(hq: Headquarters, conn: Connection, customer_id: str, *, by: str) -> None:
    """A reset: the password the account had no longer signs it in online, until the customer
    sets a new one (with the link, or by changing it). Every store hears of it with its next pull."""
    customer = load_customers(conn, {customer_id})[customer_id]
    if customer["fields"].get("must_change_password"):
        return
    _write_fields(hq, conn, customer_id, customer, {"must_change_password": True})
    audit.record(hq, conn, by=by, entity="customer", entity_id=customer_id, action="password_link",
                 changes={"must_change_password": (False, True)})


def customer_by_email(conn: Connection, address: str):
    if not address or "@" not in address:
        return None
    escaped = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    for row in conn.execute(select(t.customer.c.id, t.customer.c.fields).where(
            t.customer.c.anonymized_at.is_(None),
            t.customer.c.search_text.like(f"%{escaped}%", escape="\\"))):
        f = json.loads(row.fields)
        if f.get("account_type") == "registered" and any(
                e["address"].casefold() == address for e in f.get("emails") or []):
            return row
    return None


def reset_password(hq: Headquarters, token: str, new_password: str) -> None:
    """Consume a link: check the policy, store the argon2id hash, and let every store know."""
    now = hq.now()
    with hq.engine.begin() as conn:
        row = conn.execute(select(t.reset_token).where(t.reset_token.c.token_hash == digest(token or ""))
                           .with_for_update()).first()
        if row is None or row.used_at is not None or aware(row.expires_at) < now:
            raise HqError(Msg("this link is unknown, used or expired: ask the store for a new one"))
        customer = load_customers(conn, {row.customer_id}).get(row.customer_id)
        if customer is None or customer["anonymized_at"] is not None:
            raise HqError(Msg("this account no longer exists"))
        problems = _problems(customer, new_password)
        if problems:
            raise HqError(Msg("the password needs {needs}", needs=listed(problems)))
        conn.execute(update(t.reset_token).where(t.reset_token.c.customer_id == row.customer_id,
                                                 t.reset_token.c.used_at.is_(None)).values(used_at=now))
        _new_password(hq, conn, row.customer_id, customer, new_password, action="password_reset")


def _problems(customer: dict[str, Any], password: str) -> list[Msg]:
    """What the store's default policy says about a password the customer chose."""
    from ..domain.password import PasswordPolicy, password_problems

    f = customer["fields"]
    return password_problems(PasswordPolicy(), password,
                             email=next((e["address"] for e in f.get("emails") or []), ""),
                             names=(f.get("first_name") or "", f.get("last_name") or ""))


def _new_password(hq: Headquarters, conn: Connection, customer_id: str, customer: dict[str, Any],
                  new_password: str, *, action: str) -> None:
    """Store the argon2id hash of a password the customer chose (a link or a change at sign-in):
    it clears "must change password", is on headquarters' audit trail, and reaches every store."""
    cleared = bool(customer["fields"].get("must_change_password"))
    _write_fields(hq, conn, customer_id, customer, {
        "password_hash": _hasher().hash(new_password), "password_changed_at": hq.now().isoformat(),
        "must_change_password": False})
    audit.record(hq, conn, by=ONLINE, entity="customer", entity_id=customer_id, action=action,
                 changes={"password": ("…", "set by the customer")}
                 | ({"must_change_password": (True, False)} if cleared else {}))


def _write_fields(hq: Headquarters, conn: Connection, customer_id: str, customer: dict[str, Any],
                  changes: dict[str, Any]) -> None:
    """A change headquarters makes to a customer's fields itself, stamped after every stamp the
    customer carries: stores take it with their next pull. Takes the seq lock (audit rows after it)."""
    stamp = next_stamp(customer["clocks"], hq.now())
    fields = {**customer["fields"], **changes}
    clocks = {**customer["clocks"], **{k: stamp for k in changes}}
    seq = lock_seq(conn) + 1
    conn.execute(update(t.customer).where(t.customer.c.id == customer_id).values(
        fields=dumps(fields), clocks=dumps(clocks), updated_at=hq.now(), seq=seq, **customer_facts(fields)))
    customer_search.index_customers(conn, [(customer_id, fields, False)])  # search index
    store_seq(conn, seq)


def _checked(conn: Connection, email: str, password: str) -> tuple[str, dict[str, Any]]:
    """The account whose email and password these are (its id and document, locked), else
    Unauthorized. A wrong email and a wrong password look alike, and take the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    row = customer_by_email(conn, (email or "").strip().casefold())
    customer = load_customers(conn, {row.id}).get(row.id) if row is not None else None
    stored = (customer or {}).get("fields", {}).get("password_hash")
    try:
        ok = bool(stored) and hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if not stored:
            hasher.hash(password)  # the same time spent whether or not the account exists
        raise Unauthorized(SIGN_IN_REFUSED)
    return row.id, customer


def sign_in(hq: Headquarters, email: str, password: str) -> dict[str, Any]:
    """An online sign-in (the web shop asks): checks the argon2id hash and records when, so every
    store's Account tab shows the last sign-in, and opens an online session (hq/online.py: the
    customer is online now until it is signed out or expires). An account that must change its password (set at a
    store, or by a reset) is refused with PasswordChangeRequired until it does (:func:`change_password`)."""
    with hq.engine.begin() as conn:
        customer_id, customer = _checked(conn, email, password)
        if customer["fields"].get("must_change_password"):
            raise PasswordChangeRequired(CHANGE_REQUIRED)
        _write_fields(hq, conn, customer_id, customer, {"last_sign_in_at": hq.now().isoformat()})
        session = online.open_session(hq, conn, customer_id, customer["reference"])  # "now online"
    return {"customer_id": customer_id, "reference": customer["reference"], "session": session.session,
            "expires_at": session.expires_at.isoformat()}


def change_password(hq: Headquarters, email: str, password: str, new_password: str) -> dict[str, Any]:
    """The customer sets a new password with their current one (required when the account must
    change it): checked against the policy, it clears the flag and every store hears of it."""
    with hq.engine.begin() as conn:
        customer_id, customer = _checked(conn, email, password)
        problems = _problems(customer, new_password)
        if new_password == password:
            problems.append(Msg("to differ from the current one"))
        if problems:
            raise HqError(Msg("the new password needs {needs}", needs=listed(problems)))
        _new_password(hq, conn, customer_id, customer, new_password, action="password_change")
    return {"customer_id": customer_id, "reference": customer["reference"]}
