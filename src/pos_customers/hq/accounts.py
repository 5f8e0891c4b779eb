"""Customers' online accounts: single-use links to set a password, and the web shop's sign-in."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from . import search as customer_search  # issue 11: the till's search at headquarters
from . import tables as t
from .common import Identity, aware, digest, dumps, load_customers, lock_seq, next_stamp, store_seq
from .errors import HqError, Unauthorized

if TYPE_CHECKING:
    from .service import Headquarters

RESET_ANSWER = "If the address belongs to a registered account, a link to set a password is on its way."
SIGN_IN_REFUSED = "unknown email or wrong password"


def _hasher():
    from ..domain.security import HASHER  # the terminal's parameters: one hash for one kind of secret
    return HASHER


def request_reset(hq: Headquarters, who: Identity | None, email: str) -> str:
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
    from ..domain.password import PasswordPolicy, password_problems

    now = hq.now()
    with hq.engine.begin() as conn:
        row = conn.execute(select(t.reset_token).where(t.reset_token.c.token_hash == digest(token or ""))
                           .with_for_update()).first()
        if row is None or row.used_at is not None or aware(row.expires_at) < now:
            raise HqError("this link is unknown, used or expired: ask the store for a new one")
        customer = load_customers(conn, {row.customer_id}).get(row.customer_id)
        if customer is None or customer["anonymized_at"] is not None:
            raise HqError("this account no longer exists")
        f = customer["fields"]
        problems = password_problems(PasswordPolicy(), new_password,
                                     email=next((e["address"] for e in f.get("emails") or []), ""),
                                     names=(f.get("first_name") or "", f.get("last_name") or ""))
        if problems:
            raise HqError("the password needs " + ", ".join(problems))
        hashed = _hasher().hash(new_password)
        stamp = next_stamp(customer["clocks"], now)
        fields = {**f, "password_hash": hashed, "password_changed_at": now.isoformat()}
        clocks = {**customer["clocks"], "password_hash": stamp, "password_changed_at": stamp}
        conn.execute(update(t.reset_token).where(t.reset_token.c.customer_id == row.customer_id,
                                                 t.reset_token.c.used_at.is_(None)).values(used_at=now))
        seq = lock_seq(conn) + 1
        conn.execute(update(t.customer).where(t.customer.c.id == row.customer_id).values(
            fields=dumps(fields), clocks=dumps(clocks), updated_at=now, seq=seq))
        customer_search.index_customers(conn, [(row.customer_id, fields, False)])  # search index
        store_seq(conn, seq)


def sign_in(hq: Headquarters, email: str, password: str) -> dict[str, Any]:
    """An online sign-in (the web shop asks): checks the argon2id hash and records when, so every
    store's Account tab shows the last sign-in. A wrong email and a wrong password look alike."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    now = hq.now()
    with hq.engine.begin() as conn:
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
        stamp = next_stamp(customer["clocks"], now)
        fields = {**customer["fields"], "last_sign_in_at": now.isoformat()}
        clocks = {**customer["clocks"], "last_sign_in_at": stamp}
        seq = lock_seq(conn) + 1
        conn.execute(update(t.customer).where(t.customer.c.id == row.id).values(
            fields=dumps(fields), clocks=dumps(clocks), updated_at=now, seq=seq))
        customer_search.index_customers(conn, [(row.id, fields, False)])  # search index
        store_seq(conn, seq)
    return {"customer_id": row.id, "reference": customer["reference"]}
