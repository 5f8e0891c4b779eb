"""Stores and terminals: register a store, issue one-time enrolment tokens, trade a token for a
terminal credential, and recognise a terminal by its credential."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.i18n import Msg
from . import tables as t
from .common import SCOPES, Identity, aware, digest
from ..domain.reference import MAX_TERMINAL
from .errors import Conflict, HqError, NotFound, Unauthorized

if TYPE_CHECKING:
    from .service import Headquarters

ENROLMENT_TTL = timedelta(hours=24)
AUTH_CACHE_SECONDS = 30.0  # a revoked credential stops working within this time


def add_store(hq: Headquarters, code: str, name: str, *, number: int | None = None, country: str = "",
              currency: str = "", language: str = "", region: str = "", scope: str = "own") -> str:
    """Register a store and return a one-time enrolment token for its first terminal."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise HqError(Msg("a store code is 1-32 letters, digits, - or _"))
    if scope not in SCOPES:
        raise HqError(Msg("scope must be one of {choices}", choices=", ".join(SCOPES)))
    with hq.engine.begin() as conn:
        if conn.execute(select(t.store.c.code).where(t.store.c.code == code)).first():
            raise HqError(Msg("store {store} already exists", store=code))
        if number is None:
            number = (conn.execute(select(func.max(t.store.c.number))).scalar() or 0) + 1
        elif conn.execute(select(t.store.c.code).where(t.store.c.number == number)).first():
            raise HqError(Msg("store number {number} is taken", number=number))
        if not 1 <= number <= 8191:
            raise HqError(Msg("a store number is 1..8191 (it is part of every customer reference)"))
        conn.execute(insert(t.store).values(
            code=code, number=number, name=name.strip() or code, country=country.upper(),
            currency=currency.upper(), language=language, region=region, scope=scope,
            created_at=hq.now()))
        from .account_scope import store_added  # the chain's account scope names each store's region
        from .common import lock_seq, store_seq
        seq = lock_seq(conn)
        if (after := store_added(conn, seq)) != seq:
            store_seq(conn, after)
        return _issue_token(hq, conn, code)


def issue_token(hq: Headquarters, code: str) -> str:
    with hq.engine.begin() as conn:
        if not conn.execute(select(t.store.c.code).where(t.store.c.code == code.upper())).first():
            raise NotFound(Msg("no store {store}", store=code))
        return _issue_token(hq, conn, code.upper())


def _issue_token(hq: Headquarters, conn: Connection, code: str) -> str:
    token = secrets.token_urlsafe(32)
    now = hq.now()
    conn.execute(insert(t.enrolment).values(token_hash=digest(token), store_code=code,
                                            created_at=now, expires_at=now + ENROLMENT_TTL))
    return token


def set_scope(hq: Headquarters, code: str, scope: str) -> None:
    if scope not in SCOPES:
        raise HqError(Msg("scope must be one of {choices}", choices=", ".join(SCOPES)))
    with hq.engine.begin() as conn:
        if not conn.execute(update(t.store).where(t.store.c.code == code.upper())
                            .values(scope=scope)).rowcount:
            raise NotFound(Msg("no store {store}", store=code))
    hq._auth_cache.clear()


def stores(hq: Headquarters) -> list[dict[str, Any]]:
    with hq.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t.store).order_by(t.store.c.code))]


def enrol(hq: Headquarters, token: str, terminal_name: str = "") -> tuple[str, str, dict[str, Any], int]:
    """Trade a one-time token for a terminal credential and the till's number in its store.

    Returns (terminal id, credential, store, terminal number). The number is the smallest one
    no terminal of the store ever had (revoked ones included: the references a till made carry
    its number). A store with all of them given out is refused with 409; the token stays unused."""
    now = hq.now()
    with hq.engine.begin() as conn:
        row = conn.execute(select(t.enrolment).where(t.enrolment.c.token_hash == digest(token))
                           .with_for_update()).first()
        if row is None or row.used_at is not None or aware(row.expires_at) < now:
            raise Unauthorized(Msg("the enrolment token is unknown, used or expired"))
        # one enrolment of a store at a time picks a number (the store row is the lock)
        store = dict(conn.execute(select(t.store).where(t.store.c.code == row.store_code)
                                  .with_for_update()).one()._mapping)
        taken = set(conn.execute(select(t.terminal.c.number).where(
            t.terminal.c.store_code == row.store_code, t.terminal.c.number.is_not(None))).scalars())
        number = next((n for n in range(1, MAX_TERMINAL + 1) if n not in taken), None)
        if number is None:
            raise Conflict(Msg("store {store} has all {count} terminal numbers in use (they are never given "
                               "twice): no further till can be enrolled for it", store=row.store_code,
                               count=MAX_TERMINAL))
        conn.execute(update(t.enrolment).where(t.enrolment.c.token_hash == row.token_hash)
                     .values(used_at=now))
        credential = secrets.token_urlsafe(32)
        terminal_id = str(uuid.uuid4())
        conn.execute(insert(t.terminal).values(
            id=terminal_id, store_code=row.store_code, name=terminal_name[:120],
            credential_hash=digest(credential), created_at=now, number=number))
    store["created_at"] = store["created_at"].isoformat() if store["created_at"] else None
    return terminal_id, credential, store, number


def authenticate(hq: Headquarters, credential: str | None) -> Identity:
    if not credential:
        raise Unauthorized(Msg("a terminal credential is required (Authorization: Bearer ...)"))
    key = digest(credential)
    hit = hq._auth_cache.get(key)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    with hq.engine.connect() as conn:
        row = conn.execute(
            select(t.terminal.c.id, t.terminal.c.store_code, t.terminal.c.revoked, t.store.c.scope,
                   t.store.c.region, t.store.c.number)
            .join(t.store, t.store.c.code == t.terminal.c.store_code)
            .where(t.terminal.c.credential_hash == key)).first()
    if row is None or row.revoked:
        raise Unauthorized(Msg("unknown or revoked terminal credential"))
    who = Identity(row.id, row.store_code, row.scope, row.region, row.number)
    if len(hq._auth_cache) > 10_000:
        hq._auth_cache.clear()
    hq._auth_cache[key] = (who, time.monotonic() + AUTH_CACHE_SECONDS)
    return who
