"""Shopper assistance and "now online" (seed 002 "Providing Shopper Assistance", "Now online",
"Customer Session Lifetime"), as the wire carries them between a till and headquarters.

- **Consent**: a customer's ``assist_consent`` (with who recorded it and when) is a field of the
  customer record; the till sets it with its own use case, headquarters checks it again before it
  issues a link.
- **Assistance link**: headquarters issues a random token (only its SHA-256 is kept) that works
  once, for :data:`ASSIST_LINK_TTL`; using it opens the customer's online account for the staff
  member who asked (an online session marked as assisted).
- **Online sessions**: headquarters' online sign-in opens a session that lasts the customer
  session lifetime (a headquarters setting, :data:`SESSION_LIFETIME` by default) from the last
  activity; signing out ends it. A customer is online now while one of their sessions is open.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .enums import Role
from .protocol import CustomerId, Line, Moment, StoreCode

#: how long an assistance link works once headquarters issued it
ASSIST_LINK_TTL = timedelta(minutes=15)
#: the customer session lifetime by default (Adobe Commerce's default cookie lifetime: 3600 s)
SESSION_LIFETIME = timedelta(minutes=60)
#: the assistance history headquarters sends with a customer's online state (newest first)
MAX_HISTORY = 20

#: the audit actions, on the till's trail and on headquarters' own
CONSENT_GIVEN, CONSENT_WITHDRAWN = "assist_consent", "assist_consent_withdrawn"
LINK_ISSUED, LINK_USED = "assist_link", "assist_link_used"
SIGNED_IN, SIGNED_OUT = "online_sign_in", "online_sign_out"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssistRequest(_Doc):
    """A till asks for an assistance link: who asks (their number and role, as the till knows them)."""

    associate: Line(64, min_length=1)
    role: Role


class AssistLink(_Doc):
    """Headquarters' answer: the link (it holds the token: shown once, kept nowhere) and its expiry."""

    id: Line(36, min_length=1)
    url: Line(2000, min_length=1)
    expires_at: Moment


class AssistUse(_Doc):
    """One assistance link of a customer as headquarters recorded it (no token, no digest)."""

    id: Line(36, min_length=1)
    store_code: Line(32)
    requested_by: Line(64)
    created_at: Moment
    expires_at: Moment
    used_at: Moment | None = None


class OnlineState(_Doc):
    """Whether a customer is signed in online now, when they were last seen, and their assistance links."""

    customer_id: CustomerId
    online: bool
    last_seen_at: Moment | None = None
    sessions: Annotated[int, Field(ge=0, le=10_000)] = 0
    assisted_by: Line(64) = ""  # an open session opened by an assistance link: who it assists
    links: Annotated[list[AssistUse], Field(max_length=MAX_HISTORY)] = []


class OnlineCustomer(_Doc):
    """A line of `hq online`: a customer signed in now."""

    customer_id: CustomerId
    reference: Line(9)
    name: Line(250)
    home_store: StoreCode
    signed_in_at: Moment
    last_seen_at: Moment
    expires_at: Moment
    assisted_by: Line(64) = ""


class AssistConsume(_Doc):
    token: Line(200, min_length=10)


class OnlineSession(_Doc):
    """What the online sign-in and an assistance link answer: the session's token (the web shop keeps
    it in its cookie; headquarters keeps only its digest) and when it ends unless used again."""

    customer_id: CustomerId
    reference: Line(9)
    session: Line(200, min_length=10)
    expires_at: Moment
    assisted_by: Line(64) = ""


class SessionToken(_Doc):
    session: Line(200, min_length=10)


__all__ = ["ASSIST_LINK_TTL", "SESSION_LIFETIME", "AssistRequest", "AssistLink", "AssistUse", "OnlineState",
           "OnlineCustomer", "AssistConsume", "OnlineSession", "SessionToken"]
