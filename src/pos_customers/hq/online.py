"""Customers online and shopper assistance at headquarters (seed 002 "Now online", "Customer Session
Lifetime", "Providing Shopper Assistance"; wire models in domain/assistance.py).

- The online sign-in (accounts.sign_in) opens a session here: a random token, of which only the
  SHA-256 is kept, open for the customer session lifetime (``hq.session_lifetime``) after its last
  use; signing out ends it. A customer is online now while one of their sessions is open.
- A till asks for an assistance link for a customer in its store's scope whose consent headquarters
  holds (the customer's ``assist_consent`` field, synced from the till): a random token, only its
  SHA-256 kept, that works once until it expires. Using it opens a session marked with who it
  assists. Both the issue and the use are on headquarters' own audit trail, on the customer.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.assistance import (LINK_ISSUED, LINK_USED, MAX_HISTORY, SIGNED_OUT, AssistLink, AssistRequest,
                                 AssistUse, OnlineCustomer, OnlineSession, OnlineState)
from ..domain.text import fields_display_name
from . import audit
from . import tables as t
from .common import Identity, aware, digest, load_customers, lock_seq
from .directory import _require_scope
from ..domain.i18n import Msg
from .errors import Conflict, Forbidden, HqError, Unauthorized

if TYPE_CHECKING:
    from .service import Headquarters

NO_CONSENT = Msg("the customer has not agreed to shopper assistance: ask them, and record it on their card first")
LINK_GONE = Msg("this assistance link is unknown, used or expired: ask for a new one at the store")
SESSION_GONE = Msg("this session has ended or expired: sign in again")
GUEST = Msg("a guest has no online account to assist with: the customer needs a registered account")


def _open(now: datetime):
    s = t.online_session.c
    return and_(s.ended_at.is_(None), s.expires_at > now)


def open_session(hq: Headquarters, conn: Connection, customer_id: str, reference: str, *,
                 assisted_by: str = "") -> OnlineSession:
    """A new online session for the customer, in the caller's transaction."""
    now = hq.now()
    token = secrets.token_urlsafe(32)
    expires = now + hq.session_lifetime
    conn.execute(insert(t.online_session).values(token_hash=digest(token), customer_id=customer_id, created_at=now,
                                                 last_seen_at=now, expires_at=expires, assisted_by=assisted_by))
    return OnlineSession(customer_id=customer_id, reference=reference, session=token, expires_at=expires,
                         assisted_by=assisted_by)


def touch(hq: Headquarters, token: str) -> OnlineSession:
    """The web shop uses a session: it stays open for another session lifetime (else 401)."""
    now = hq.now()
    s = t.online_session.c
    with hq.engine.begin() as conn:
        row = conn.execute(select(t.online_session).where(s.token_hash == digest(token or ""), _open(now))).first()
        if row is None:
            raise Unauthorized(SESSION_GONE)
        expires = now + hq.session_lifetime
        conn.execute(update(t.online_session).where(s.token_hash == row.token_hash)
                     .values(last_seen_at=now, expires_at=expires))
        reference = conn.execute(select(t.customer.c.reference).where(t.customer.c.id == row.customer_id)).scalar_one()
    return OnlineSession(customer_id=row.customer_id, reference=reference, session=token, expires_at=expires,
                         assisted_by=row.assisted_by)


def sign_out(hq: Headquarters, token: str) -> None:
    """End a session (signing out twice, or with a session that expired, changes nothing)."""
    now = hq.now()
    s = t.online_session.c
    with hq.engine.begin() as conn:
        row = conn.execute(select(s.customer_id, s.assisted_by).where(
            s.token_hash == digest(token or ""), _open(now))).first()
        if row is None:
            return
        conn.execute(update(t.online_session).where(s.token_hash == digest(token)).values(ended_at=now, last_seen_at=now))
        if row.assisted_by:  # an assisted session's end is on the trail with its start
            lock_seq(conn)
            audit.record(hq, conn, by=row.assisted_by, entity="customer", entity_id=row.customer_id,
                         action=SIGNED_OUT, changes={"assisted_session": ("open", "ended")})


def request_link(hq: Headquarters, who: Identity, customer_id: str, req: AssistRequest) -> AssistLink:
    """An assistance link for a customer in the store's scope who agreed to it (403 otherwise);
    audited on headquarters' trail. The token is in the answer only."""
    now = hq.now()
    by = f"{who.store_code} {req.associate} ({req.role.value})"[:64]
    with hq.engine.begin() as conn:
        lock_seq(conn)  # audit rows in seq order
        _require_scope(conn, who, customer_id)
        customer = load_customers(conn, {customer_id})[customer_id]
        _assistable(customer)
        # 128 random bits: a single-use link that expires in minutes; short enough that the link
        # fits the till's dialog on one line at 80 columns
        token, link_id = secrets.token_urlsafe(16), str(uuid.uuid4())
        expires = now + hq.assist_ttl
        conn.execute(insert(t.assist_link).values(id=link_id, token_hash=digest(token), customer_id=customer_id,
                                                  store_code=who.store_code, requested_by=by, created_at=now,
                                                  expires_at=expires))
        audit.record(hq, conn, by=by, entity="customer", entity_id=customer_id, action=LINK_ISSUED,
                     changes={"assist_link": (None, f"{link_id}, works once until {expires:%Y-%m-%d %H:%M} UTC")})
    return AssistLink(id=link_id, url=f"{hq.assist_url}?token={token}", expires_at=expires)


def _assistable(customer: dict) -> None:
    f = customer["fields"]
    if customer["anonymized_at"] is not None:
        raise Conflict(Msg("this customer was anonymized: there is no account to assist with"))
    if f.get("account_type") != "registered":
        raise Conflict(GUEST)
    if not f.get("assist_consent"):
        raise Forbidden(NO_CONSENT)


def consume_link(hq: Headquarters, token: str) -> OnlineSession:
    """Use an assistance link: once, before it expires, while the customer's consent stands. It
    opens a session marked with who it assists; the use is audited."""
    now = hq.now()
    a = t.assist_link.c
    with hq.engine.begin() as conn:
        lock_seq(conn)  # one use at a time, and audit rows in seq order
        row = conn.execute(select(t.assist_link).where(a.token_hash == digest(token or ""))).first()
        if row is None or row.used_at is not None or aware(row.expires_at) <= now:
            raise HqError(LINK_GONE)
        customer = load_customers(conn, {row.customer_id}).get(row.customer_id)
        if customer is None:
            raise HqError(LINK_GONE)
        _assistable(customer)  # consent withdrawn since the link was issued: refused
        marked = conn.execute(update(t.assist_link).where(a.id == row.id, a.used_at.is_(None)).values(used_at=now))
        if marked.rowcount != 1:
            raise HqError(LINK_GONE)
        session = open_session(hq, conn, row.customer_id, customer["reference"], assisted_by=row.requested_by)
        audit.record(hq, conn, by=row.requested_by, entity="customer", entity_id=row.customer_id, action=LINK_USED,
                     changes={"assist_link": (row.id, "used: the customer's online account opened")})
    return session


def online_state(hq: Headquarters, who: Identity | None, customer_id: str) -> OnlineState:
    """Whether the customer is online now, when last seen, and their recent assistance links."""
    now = hq.now()
    s, a = t.online_session.c, t.assist_link.c
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        open_rows = conn.execute(select(s.assisted_by).where(s.customer_id == customer_id, _open(now))).all()
        last = conn.execute(select(func.max(s.last_seen_at)).where(s.customer_id == customer_id)).scalar()
        links = conn.execute(select(t.assist_link).where(a.customer_id == customer_id)
                             .order_by(a.created_at.desc()).limit(MAX_HISTORY)).all()
    if last is None:  # signed in before sessions were kept: the sign-in time the record carries
        with hq.engine.connect() as conn:
            fields = load_customers(conn, {customer_id}).get(customer_id, {}).get("fields", {})
        last = fields.get("last_sign_in_at")
        last = datetime.fromisoformat(last) if last else None
    return OnlineState(
        customer_id=customer_id, online=bool(open_rows), last_seen_at=aware(last) if last else None,
        sessions=len(open_rows), assisted_by=next((r.assisted_by for r in open_rows if r.assisted_by), ""),
        links=[AssistUse(id=r.id, store_code=r.store_code, requested_by=r.requested_by,
                         created_at=aware(r.created_at), expires_at=aware(r.expires_at),
                         used_at=aware(r.used_at) if r.used_at else None) for r in links])


def online_now(hq: Headquarters, *, limit: int = 500) -> list[OnlineCustomer]:
    """Every customer signed in now (one line each: their newest open session), latest activity first."""
    now = hq.now()
    s, c = t.online_session.c, t.customer.c
    with hq.engine.connect() as conn:
        rows = conn.execute(select(s.customer_id, s.created_at, s.last_seen_at, s.expires_at, s.assisted_by,
                                   c.reference, c.home_store, c.fields)
                            .join(t.customer, c.id == s.customer_id)
                            .where(_open(now), c.anonymized_at.is_(None))
                            .order_by(s.last_seen_at.desc())).all()
    out: dict[str, OnlineCustomer] = {}
    for r in rows:
        if r.customer_id in out:
            continue
        f = json.loads(r.fields)
        name = fields_display_name(f)
        out[r.customer_id] = OnlineCustomer(
            customer_id=r.customer_id, reference=r.reference, name=name[:250], home_store=r.home_store,
            signed_in_at=aware(r.created_at), last_seen_at=aware(r.last_seen_at), expires_at=aware(r.expires_at),
            assisted_by=r.assisted_by)
        if len(out) >= limit:
            break
    return list(out.values())


__all__ = ["open_session", "touch", "sign_out", "request_link", "consume_link", "online_state", "online_now",
           "NO_CONSENT", "LINK_GONE", "SESSION_GONE"]
