"""Shopper assistance and "now online" at the till (seed 002 "Providing Shopper Assistance",
"Now online"; the wire in domain/assistance.py, headquarters' side in hq/online.py).

- :func:`set_consent`: the customer agrees (or no longer agrees) that staff open their online
  account for them. A field of the customer with who recorded it and when: audited, synced as a
  ``customer.updated`` like any edit (headquarters checks it again before it issues a link).
- :func:`request_link`: a single-use, short-lived assistance link from headquarters. Refused here
  without the customer's consent (and for a guest or an anonymized customer); audited on the
  customer. The link is shown once and kept nowhere on the till.
- :func:`online_state`: whether the customer is signed in online now, or when they were last seen,
  and their assistance links: from headquarters when it answers, else the copy kept on this till
  with the time it was fetched. A link used at headquarters gets its row on the customer's Activity
  tab here (once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import select

from ..domain.assistance import CONSENT_GIVEN, CONSENT_WITHDRAWN, LINK_ISSUED, LINK_USED, AssistLink, OnlineState
from ..domain.enums import AccountType
from ..domain.errors import FieldError, ValidationFailed
from ..domain.i18n import Msg
from ..domain.record import SERVICE_FIELDS
from ..storage.tables import AuditEvent, CustomerDataCache, OutboxEvent
from . import sync
from .context import Actor, Permission, Services
from .customer_data import CACHE, HEADQUARTERS, NOT_CONNECTED, _ask
from .customers import get_customer, view_in, write_record
from .views import CustomerView, utc

ONLINE = "online"  # the kind of the kept copy in customer_data_cache (key: the customer id)

NO_CONSENT = Msg("The customer has not agreed to shopper assistance: ask them, then record it "
                 "(g on the card, or `customers assist-consent REF --on`)")
GUEST = Msg("A guest has no online account to assist with: make the account Registered first")
ANONYMIZED = Msg("This customer was anonymized: there is no account to assist with")


def _who(actor: Actor) -> str:
    return actor.associate_number or actor.name


def set_consent(svc: Services, actor: Actor, customer_id: str, given: bool) -> CustomerView:
    """Record that the customer agrees (``given``) or no longer agrees to shopper assistance, with
    who recorded it and when. One transaction: the customer's row, the audit row, the outbox event."""
    with svc.change(actor, Permission.EDIT) as tx:
        current = view_in(tx, customer_id)
        if current.anonymized_at is not None:
            raise ValidationFailed(FieldError("assist_consent", ANONYMIZED))
        if given and current.account_type != AccountType.REGISTERED:
            raise ValidationFailed(FieldError("assist_consent", GUEST))
        if current.assist_consent == given:
            return current
        new = replace(current, assist_consent=given, assist_consent_by=_who(tx.actor)[:64], assist_consent_at=tx.now)
        shown = {k: (getattr(current, k), getattr(new, k)) for k in SERVICE_FIELDS
                 if k.startswith("assist_") and getattr(current, k) != getattr(new, k)}
        return write_record(tx, current, new, action=CONSENT_GIVEN if given else CONSENT_WITHDRAWN, extra=shown)


def check_assistable(view: CustomerView) -> None:
    """The till's refusal, before headquarters is asked: consent, a registered account, not anonymized."""
    if view.anonymized_at is not None:
        raise ValidationFailed(FieldError("assist_consent", ANONYMIZED))
    if view.account_type != AccountType.REGISTERED:
        raise ValidationFailed(FieldError("account_type", GUEST))
    if not view.assist_consent:
        raise ValidationFailed(FieldError("assist_consent", NO_CONSENT))


def request_link(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> AssistLink:
    """Ask headquarters for an assistance link into the customer's online account. Refused here
    without consent (ValidationFailed); sync.NotConnected / HqUnavailable / HqRefused otherwise.
    The consent is sent first when it still waits in the outbox (headquarters checks it too)."""
    actor.require(Permission.ASSIST)
    view = get_customer(svc, actor, customer_id)
    check_assistable(view)
    with svc.db.read() as s:
        waiting = s.exec(select(OutboxEvent.id).where(OutboxEvent.entity == "customer",
                                                      OutboxEvent.entity_id == customer_id)).first()
    if waiting is not None and sync.is_enrolled(svc):
        try:
            sync.sync_now(svc, actor, transport=transport)
        except (sync.HqUnavailable, sync.HqRefused):
            pass  # headquarters answers the request below, or says why not
    client = sync._client(svc, timeout=5.0, transport=transport)
    try:
        answer = client.assist_link(customer_id, _who(actor)[:64], actor.role.value)
    finally:
        client.close()
    try:
        link = AssistLink.model_validate(answer)
    except ValidationError:
        raise sync.HqUnavailable(Msg("headquarters answered something that is not an assistance link")) from None
    with svc.change(actor, Permission.ASSIST) as tx:
        tx.audit("customer", customer_id, LINK_ISSUED,
                 {"assist_link": (None, f"{link.id}, works once until {utc(link.expires_at):%Y-%m-%d %H:%M} UTC")})
    return link


@dataclass(frozen=True)
class OnlineView:
    """What the card and the CLI show: the state (None: never fetched), where it came from, and when
    it was fetched (the kept copy is shown "as of" then)."""

    state: OnlineState | None
    source: str  # headquarters | cache | not connected
    fetched_at: datetime | None
    recorded: int = 0  # uses of links this answer brought to the customer's Activity rows here


def online_state(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> OnlineView:
    """The customer's online state: from headquarters (kept for offline), else the kept copy."""
    actor.require(Permission.SEARCH)
    answer, source = _ask(svc, lambda c: c.online_state(customer_id), transport)
    state, recorded = None, 0
    if answer is not None:
        try:
            state = OnlineState.model_validate(answer)
        except ValidationError:
            source = CACHE  # not kept: what was kept before is shown
    if state is not None and state.customer_id == customer_id:
        # what headquarters reported: its rows on the Activity tab name headquarters, not the viewer
        with svc.change(Actor("", "headquarters", actor.role, actor.terminal_id, actor.store_code)) as tx:
            s = tx.session
            row = s.get(CustomerDataCache, (ONLINE, customer_id))
            if row is None:
                row = CustomerDataCache(kind=ONLINE, key=customer_id, customer_id=customer_id, doc={})
            row.doc, row.fetched_at = state.model_dump(mode="json"), tx.now
            s.add(row)
            recorded = _record_uses(tx, customer_id, state)
    with svc.db.read() as s:
        row = s.get(CustomerDataCache, (ONLINE, customer_id))
        if row is None:
            return OnlineView(None, source, None)
        try:
            kept = OnlineState.model_validate(row.doc)
        except ValidationError:
            return OnlineView(None, source, None)
        return OnlineView(kept, source if source != NOT_CONNECTED else CACHE, utc(row.fetched_at), recorded)


def _record_uses(tx, customer_id: str, state: OnlineState) -> int:
    """A link used at headquarters: one audit row on this till (the customer's Activity tab), once."""
    seen = set()
    for changes in tx.session.exec(select(AuditEvent.changes).where(
            AuditEvent.entity == "customer", AuditEvent.entity_id == customer_id, AuditEvent.action == LINK_USED)):
        seen.add(((changes or {}).get("assist_link") or {}).get("old"))
    recorded = 0
    for link in reversed(state.links):  # oldest first
        if link.used_at is not None and link.id not in seen:
            recorded += 1
            tx.audit("customer", customer_id, LINK_USED, {"assist_link": (
                link.id, f"used at headquarters {utc(link.used_at):%Y-%m-%d %H:%M} UTC by {link.requested_by}")})
    return recorded


__all__ = ["set_consent", "request_link", "online_state", "check_assistable", "OnlineView", "NO_CONSENT",
           "HEADQUARTERS", "CACHE", "NOT_CONNECTED"]
