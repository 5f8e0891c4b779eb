"""Sync with headquarters as use cases: enrol, sync now, status, other stores' customers, orders."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import tuple_
from sqlmodel import Session, delete, func, select

from ..domain.enums import Role, SyncState
from ..domain.enums import EventKind
from ..domain.i18n import Msg
from ..storage import conflicts as conflict_store
from ..storage.documents import apply_document
from ..storage.tables import Customer, CustomerSearch, OrderSummary, OutboxEvent, Setting, SyncConflict
from ..sync.client import HqBusy, HqClient, HqRefused, HqUnavailable
from ..sync.engine import (SyncEngine, SyncResult, apply_item, depends_on, parked_keys, parked_message, restore_merged,
                           waits_behind)
from .auth import who
from .context import Actor, NotFound, Permission, PermissionDenied, Services
from .customers import get_customer
from .views import CustomerView, utc

if TYPE_CHECKING:
    from ..domain.protocol import CustomerHit

__all__ = ["HqBusy", "HqRefused", "HqUnavailable", "NotConnected", "NotFound", "PermissionDenied", "SyncResult"]


_PARKED = OutboxEvent.parked_at.is_not(None)


class NotConnected(RuntimeError):
    """This terminal is not enrolled with headquarters (or is offline)."""


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    hq_url: str
    outbox: int
    oldest_pending: datetime | None
    last_push_at: str
    last_pull_at: str
    last_error: str
    last_error_at: str
    cursor: int
    conflicts: int
    audit_problem: str = ""
    parked: int = 0  # events headquarters refused, kept until retried or discarded
    waiting: int = 0  # events queued after a parked event of the same customer (or entity)
    busy_until: datetime | None = None  # headquarters said it was busy: the next try is then


@dataclass(frozen=True)
class OrderView:
    number: str
    ordered_at: datetime
    store_code: str
    status: str
    total: str
    currency: str
    shipments: int = 0
    id: str = ""  # headquarters' order id: its lines and shipments (services.customer_data.order_detail)


@dataclass(frozen=True)
class ConflictView:
    field: str
    kept: Any
    lost: Any
    origin_store: str
    at: datetime
    id: str = ""
    resolved_at: datetime | None = None
    resolved_by: str = ""
    resolution: str = ""  # a ConflictResolution once resolved


def conflict_view(r: SyncConflict) -> ConflictView:
    return ConflictView(r.field, r.kept, r.lost, r.origin_store, utc(r.at), r.id, utc(r.resolved_at),
                        r.resolved_by, r.resolution)


def enrol_terminal(svc: Services, actor: Actor, url: str, token: str, *, terminal_name: str = "",
                   transport=None) -> dict[str, Any]:
    """`init --hq URL --token T`: trade the token for a credential and set the store up from HQ."""
    from .store import init_store

    actor.require(Permission.CONFIGURE_STORE)
    client = HqClient(url, transport=transport)
    try:
        answer = client.enrol(token, terminal_name or socket.gethostname())
    finally:
        client.close()
    st = answer["store"]
    number = answer.get("terminal_number")
    if not isinstance(number, int) or isinstance(number, bool):
        from ..domain.errors import FieldError, ValidationFailed

        raise ValidationFailed(FieldError("terminal", Msg(
            "headquarters assigned no terminal number (it is older than this till): "
            "upgrade headquarters, then enrol with a new token")))
    init_store(svc, actor, code=st["code"], number=st["number"], name=st["name"],
               country=st["country"] or "DE", currency=st["currency"] or "EUR",
               language=st["language"] or "en", region=st.get("region") or "", terminal=number)
    with svc.db.write() as s:
        for key, value in (("hq_url", url.rstrip("/")), ("hq_credential", answer["credential"]),
                           ("terminal_id", answer["terminal_id"])):
            row = s.get(Setting, key) or Setting(key=key)
            row.value = value
            s.add(row)
    svc.forget_settings()
    return st


def connect(svc: Services, actor: Actor, *, url: str, credential: str | None = None,
            terminal_id: str | None = None, cursor: int | None = None,
            terminal_number: int | None = None) -> None:
    """Point this terminal at headquarters (a new URL, or a credential obtained elsewhere)."""
    from .terminal import set_terminal_number

    actor.require(Permission.CONFIGURE_STORE)
    values = {"hq_url": url.rstrip("/"), "hq_credential": credential, "terminal_id": terminal_id,
              "sync_cursor": None if cursor is None else str(cursor)}
    with svc.db.write() as s:
        for key, value in values.items():
            if value is not None:
                row = s.get(Setting, key) or Setting(key=key)
                row.value = value
                s.add(row)
        if terminal_number is not None:
            set_terminal_number(s, terminal_number)
    svc.forget_settings()


def _client(svc: Services, *, timeout: float = 10.0, transport=None) -> HqClient:
    settings = svc.settings()
    if not settings.get("hq_url"):
        raise NotConnected(Msg("this terminal is not connected to headquarters "
                               "(`pos-customers init --hq URL --token T`)"))
    return HqClient(settings["hq_url"], settings.get("hq_credential", ""), timeout=timeout, transport=transport)


def engine(svc: Services, *, timeout: float = 10.0, transport=None, **waiting) -> SyncEngine:
    """``waiting``: the engine's ``wait`` and ``busy`` (how a round waits for a busy headquarters)."""
    return SyncEngine(svc.db, _client(svc, timeout=timeout, transport=transport), observe=svc.clock.observe,
                      **waiting)


def is_enrolled(svc: Services) -> bool:
    return bool(svc.settings().get("hq_url"))


def headquarters_answers(svc: Services, *, timeout: float = 2.0, transport=None) -> bool:
    """A quick health check (no push, no pull): does headquarters answer? False when it does not
    or this till is not connected."""
    if not is_enrolled(svc):
        return False
    client = _client(svc, timeout=timeout, transport=transport)
    try:
        client.health()
        return True
    except (HqUnavailable, HqRefused):
        return False
    finally:
        client.close()


def sync_now(svc: Services, actor: Actor, *, transport=None, **waiting) -> SyncResult:
    """One round: push, then pull. Headquarters answering that it is busy is waited out (``busy``
    is told the seconds first); HqBusy when it still is after the round's budget."""
    actor.require(Permission.SEARCH)
    eng = engine(svc, transport=transport, **waiting)
    try:
        return eng.run_once()
    finally:
        eng.client.close()
        svc.forget_settings()


def status(svc: Services, actor: Actor) -> SyncStatus:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        settings = {r.key: r.value for r in s.exec(select(Setting).where(Setting.key.in_((
            "hq_url", "sync_last_push_at", "sync_last_pull_at", "sync_last_error", "sync_last_error_at",
            "sync_cursor", "sync_audit_problem", "sync_busy_until"))))}
        depth = s.exec(select(func.count()).select_from(OutboxEvent)).one()
        oldest = s.exec(select(func.min(OutboxEvent.created_at))).one()
        conflicts = s.exec(select(func.count()).select_from(SyncConflict)
                           .where(SyncConflict.resolved_at.is_(None))).one()
        parked = s.exec(select(func.count()).select_from(OutboxEvent).where(_PARKED)).one()
        waiting = len(_waiting(s)) if parked else 0
    return SyncStatus(bool(settings.get("hq_url")), settings.get("hq_url", ""), depth, utc(oldest),
                      settings.get("sync_last_push_at", ""), settings.get("sync_last_pull_at", ""),
                      settings.get("sync_last_error", ""), settings.get("sync_last_error_at", ""),
                      int(settings.get("sync_cursor") or 0), conflicts, settings.get("sync_audit_problem", ""),
                      parked, waiting, _busy_until(settings.get("sync_busy_until", "")))


def _busy_until(value: str) -> datetime | None:
    """When headquarters asked to be tried again, if that is still to come."""
    try:
        at = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return at if at is not None and at > datetime.now(timezone.utc) else None


def outbox_depth(svc: Services) -> int:
    with svc.db.read() as s:
        return s.exec(select(func.count()).select_from(OutboxEvent)).one()


def parked_count(svc: Services) -> int:
    """Events headquarters refused, kept in the outbox until retried or discarded."""
    with svc.db.read() as s:
        return s.exec(select(func.count()).select_from(OutboxEvent).where(_PARKED)).one()


def search_all_stores(svc: Services, actor: Actor, query: str, *, transport=None) -> list[CustomerHit]:
    """Customers at headquarters that this terminal does not hold yet (the wire's hits, checked)."""
    from ..domain.protocol import CustomerHit  # pydantic: not on the sign-in path

    actor.require(Permission.SEARCH)
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        hits = client.search(query.strip()[:200]) if query.strip() else []
    finally:
        client.close()
    with svc.db.read() as s:
        local = set(s.exec(select(Customer.id).where(Customer.id.in_([h["id"] for h in hits]))))
    # a typed reference names one customer: it is listed even when held here (a merged-away
    # customer's reference finds the one it went into, which this till may hold already)
    return [CustomerHit.model_validate(h) for h in hits if h["id"] not in local or h.get("matched_by") == "reference"]


def held_here(svc: Services, ids: list[str]) -> set[str]:
    """Of these customer ids, the ones this terminal holds (a reference found at headquarters may
    name a customer already here: the one a merged-away customer went into)."""
    with svc.db.read() as s:
        return set(s.exec(select(Customer.id).where(Customer.id.in_(ids))))


BROUGHT_IN = "brought_in"  # the audit action of a customer brought here with F5 (all stores)


def open_remote(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> CustomerView:
    """Pull another store's customer into this terminal (and into its future pulls)."""
    actor.require(Permission.SEARCH)
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        got = client.pull_in(customer_id)
    finally:
        client.close()
    customer_id = got["customer"]["id"]  # a customer merged at headquarters comes as the one it joined
    with svc.change(actor) as tx:
        s = tx.session
        settings_store = svc.settings().get("store_code", "")
        held = s.get(Customer, customer_id) is not None
        apply_document(s, got["customer"])
        if not held:  # the Activity tab says how the customer came to this till, and who asked
            tx.audit("customer", customer_id, BROUGHT_IN, {"from": (None, "headquarters")})
        for order in got.get("orders") or []:
            apply_item(s, {"t": "order", "doc": order}, settings_store, {})
        for conflict in got.get("conflicts") or []:
            apply_item(s, {"t": "conflict", "doc": conflict}, settings_store, {})
        for segments in got.get("segments") or []:  # the customer's segments (headquarters' last evaluation)
            apply_item(s, {"t": "customer_segments", "doc": segments}, settings_store, {})
        for link in got.get("memberships") or []:  # with the organizations or people held here
            apply_item(s, {"t": "membership", "doc": link}, settings_store, {})
        s.flush()
        conflict_store.settle(s, [customer_id])  # an open conflict about them shows "!" here too
    return get_customer(svc, actor, customer_id)


def orders(svc: Services, actor: Actor, customer_id: str, *, refresh: bool = True,
           transport=None) -> tuple[list[OrderView], str]:
    """The customer's orders: fresh from headquarters when it answers, else the cached copy.

    Returns (orders, where they came from: "headquarters", "cache" or "not connected").
    """
    actor.require(Permission.SEARCH)
    source = "cache"
    if refresh and is_enrolled(svc):
        client = _client(svc, timeout=3.0, transport=transport)
        try:
            fresh = client.orders(customer_id)
        except (HqUnavailable, HqRefused):
            fresh = None
        finally:
            client.close()
        if fresh is not None:
            with svc.db.write() as s:
                for order in fresh:
                    apply_item(s, {"t": "order", "doc": order}, "", {})
            source = "headquarters"
    elif not is_enrolled(svc):
        source = "not connected"
    with svc.db.read() as s:
        rows = s.exec(select(OrderSummary).where(OrderSummary.customer_id == customer_id)
                      .order_by(OrderSummary.ordered_at.desc()).limit(50)).all()
        return [OrderView(r.number, utc(r.ordered_at), r.store_code, r.status, r.total, r.currency, r.shipments,
                          r.id) for r in rows], source


def send_password_link(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> str:
    """Headquarters mails the customer a single-use link to set a password (registered accounts)."""
    from ..domain.errors import FieldError, ValidationFailed

    actor.require(Permission.EDIT)
    view = get_customer(svc, actor, customer_id)
    if view.account_type != "registered":
        raise ValidationFailed(FieldError("account_type", Msg("A guest has no online account: make it Registered first")))
    if not view.primary_email:
        raise ValidationFailed(FieldError("email", Msg("The customer has no email address to send the link to")))
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        answer = client.reset_link(view.primary_email)
    finally:
        client.close()
    with svc.change(actor, Permission.EDIT) as tx:
        tx.audit("customer", customer_id, "password_link", {"sent_to": (None, "primary email")})
    return answer["detail"]


def remote_record(svc: Services, customer_id: str, *, transport=None) -> dict[str, Any]:
    """What headquarters holds on one customer (access requests); callers check permissions."""
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        return client.record(customer_id)
    finally:
        client.close()


def conflicts_for(svc: Services, actor: Actor, customer_id: str) -> list[ConflictView]:
    """The customer's sync conflicts: open ones first, then resolved ones; newest first in each."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        if s.get(Customer, customer_id) is None:
            raise NotFound(Msg("customer {customer} not found", customer=customer_id))
        rows = s.exec(select(SyncConflict).where(SyncConflict.customer_id == customer_id)
                      .order_by(SyncConflict.resolved_at.is_not(None), SyncConflict.at.desc(),
                                SyncConflict.id)).all()
        return [conflict_view(r) for r in rows]


@dataclass(frozen=True)
class StoreConflictView:
    customer: str
    field: str
    kept: Any
    lost: Any
    origin_store: str
    at: datetime


def recent_conflicts(svc: Services, actor: Actor, *, limit: int = 50) -> list[StoreConflictView]:
    """Conflicts on this terminal's customers, newest first, with each customer's reference."""
    from ..domain.reference import format_reference

    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        rows = s.exec(select(SyncConflict, Customer.reference)
                      .join(Customer, Customer.id == SyncConflict.customer_id, isouter=True)
                      .order_by(SyncConflict.at.desc()).limit(limit)).all()
        return [StoreConflictView(format_reference(ref) if ref else c.customer_id[:8], c.field, c.kept, c.lost,
                                  c.origin_store, utc(c.at)) for c, ref in rows]


# -- parked events -------------------------------------------------------------------------------
# An event headquarters refused stays in the outbox, parked (sync/engine.py). People see them here,
# retry them (after headquarters or the data was put right) or discard them (managers and above).
# Discarding is never silent: it writes an audit row naming the event, its kind, the fields it
# carried and why headquarters refused it. A customer whose change was discarded keeps the change
# on this terminal only: its sync state becomes ``local`` (× in the search list). Discarding a
# ``customer.created`` discards with it every event queued after it for that customer (notes
# too), since headquarters cannot apply them without the customer: the customer is then local-only.

@dataclass(frozen=True)
class ParkedEventView:
    id: str
    kind: str
    customer_id: str | None
    customer: str  # "K7Q-M2X-R4P Anna Müller" when the event is a customer's (or a note on one)
    reason: str | Msg  # headquarters' words, one line; for a waiting event: what it waits for (a Msg)
    status: int | None
    field: str
    at: datetime | None  # when it was parked; None for an event waiting behind a parked one
    attempts: int
    waiting_behind: str | None = None  # the parked event this one was queued after

    @property
    def parked(self) -> bool:
        return self.waiting_behind is None


def _waiting(s: Session) -> list[tuple[OutboxEvent, str]]:
    """Events not parked themselves but queued after a parked event they depend on."""
    blocked = parked_keys(s)
    if not blocked:
        return []
    customers = [entity_id for entity, entity_id in blocked if entity == "customer"]
    related = tuple_(OutboxEvent.entity, OutboxEvent.entity_id).in_(list(blocked))
    if customers:
        related = related | func.json_extract(OutboxEvent.payload, "$.customer_id").in_(customers)
    rows = s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_(None), related)
                  .order_by(OutboxEvent.seq)).all()
    return [(r, behind) for r in rows if (behind := waits_behind(r, blocked)) is not None]


def _customer_of(row: OutboxEvent) -> str | None:
    if row.entity == "customer":
        return row.entity_id
    payload = row.payload if isinstance(row.payload, dict) else {}
    return str(payload["customer_id"]) if payload.get("customer_id") else None


def _customer_labels(s: Session, ids: set[str]) -> dict[str, str]:
    from ..domain.reference import format_reference

    if not ids:
        return {}
    rows = s.exec(select(Customer.id, Customer.reference, CustomerSearch.display_name)
                  .join(CustomerSearch, CustomerSearch.customer_id == Customer.id, isouter=True)
                  .where(Customer.id.in_(list(ids)))).all()
    out = {cid: f"{format_reference(ref)} {name or ''}".strip() for cid, ref, name in rows}
    if len(out) < len(ids):  # merged into another at headquarters: "old → survivor"
        from ..storage.tables import CustomerRedirect
        for r in s.exec(select(CustomerRedirect).where(CustomerRedirect.id.in_(list(ids - set(out))))).all():
            out[r.id] = f"{format_reference(r.reference)} → {format_reference(r.into_reference)}"
    return out


def parked_events(svc: Services, actor: Actor, *, waiting: bool = True) -> list[ParkedEventView]:
    """Parked events (and, unless ``waiting=False``, the events waiting behind them), oldest first."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        parked = s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_not(None))
                        .order_by(OutboxEvent.seq)).all()
        held = _waiting(s) if waiting and parked else []
        rows = sorted([(r, None) for r in parked] + held, key=lambda pair: pair[0].seq)
        labels = _customer_labels(s, {c for r, _ in rows if (c := _customer_of(r))})
        out = []
        for r, behind in rows:
            cid = _customer_of(r)
            out.append(ParkedEventView(
                r.id, r.event_type, cid, labels.get(cid, cid[:8] if cid else "") if cid else "",
                parked_message(r) if behind is None else Msg("waiting behind a parked event ({event})",
                                                             event=behind[:8]),
                r.parked_status if behind is None else None, r.parked_field if behind is None else "",
                utc(r.parked_at) if behind is None else None, r.attempts, behind))
        return out


def _find_parked(s: Session, event_id: str) -> OutboxEvent:
    """A parked event by its id or a unique start of it (as `sync parked` shows it)."""
    key = event_id.strip().lower()
    if len(key) < 4:
        raise NotFound(Msg("no parked event '{event}': give at least 4 characters of its id (`sync parked`)",
                           event=event_id))
    rows = s.exec(select(OutboxEvent).where(OutboxEvent.id.startswith(key)).limit(2)).all()
    if len(rows) > 1:
        raise NotFound(Msg("more than one event starts with '{event}': give more of its id", event=event_id))
    if not rows:
        raise NotFound(Msg("no event '{event}' in the outbox (`sync parked` lists the parked ones)", event=event_id))
    row = rows[0]
    if row.parked_at is None:
        behind = waits_behind(row, parked_keys(s))
        raise NotFound(Msg("event {event} is not parked: it waits behind parked event {behind}; retry or discard "
                           "that one", event=row.id[:8], behind=behind[:8]) if behind
                       else Msg("event {event} is not parked: it goes with the next sync", event=row.id[:8]))
    return row


def find_parked(svc: Services, actor: Actor, event_id: str) -> ParkedEventView:
    """One parked event by its id or a unique start of it; NotFound says why not."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        row_id = _find_parked(s, event_id).id
    return next(p for p in parked_events(svc, actor, waiting=False) if p.id == row_id)


def _event_label(row: OutboxEvent) -> str:
    return f"{row.event_type} {row.id}"


def retry_parked(svc: Services, actor: Actor, event_id: str | None = None, *, all_parked: bool = False) -> int:
    """Un-park one event (or every one): the next sync sends it again, and what waited behind it.
    Returns how many were un-parked. Each one gets an audit row."""
    if (event_id is None) == (not all_parked):
        raise ValueError("give an event id or all_parked=True")
    with svc.change(actor, Permission.SEARCH) as tx:
        s = tx.session
        rows = (s.exec(select(OutboxEvent).where(OutboxEvent.parked_at.is_not(None))
                       .order_by(OutboxEvent.seq)).all() if all_parked else [_find_parked(s, event_id or "")])
        for row in rows:
            tx.audit(row.entity, row.entity_id, "sync_retry",
                     {"event": (_event_label(row), _event_label(row)),
                      "parked": (f"{row.parked_status or ''} {row.parked_reason}".strip(), None)})
            row.parked_at = None
            row.parked_reason = ""
            row.parked_status = None
            row.parked_field = ""
            row.parked_holder = ""
            s.add(row)
        return len(rows)


@dataclass(frozen=True)
class Discarded:
    event_id: str
    kind: str
    customer_id: str | None
    also: tuple[str, ...]  # events discarded with it (queued after a discarded customer.created)
    local_only: bool  # the customer now exists on this terminal only
    restored: str = ""  # a discarded merge: the merged-away customer's reference, back on this till


def check_discard(actor: Actor) -> None:
    """Discarding a refused change is for managers and above (the screen asks this before it asks
    for confirmation; :func:`discard_parked` asks it again)."""
    if actor.role.rank < Role.MANAGER.rank:
        raise PermissionDenied(Msg("{who} may not discard a change headquarters refused: a manager can",
                                   who=who(actor)))


def discard_parked(svc: Services, actor: Actor, event_id: str) -> Discarded:
    """Remove a parked event for good (managers and above). Audited; see the notes above."""
    check_discard(actor)
    with svc.change(actor) as tx:
        s = tx.session
        row = _find_parked(s, event_id)
        cid = _customer_of(row)
        also: list[OutboxEvent] = []
        if row.event_type == EventKind.CUSTOMER_CREATED:
            key = ("customer", row.entity_id)
            candidates = s.exec(select(OutboxEvent).where(
                OutboxEvent.seq > row.seq,
                (OutboxEvent.entity_id == row.entity_id)
                | (func.json_extract(OutboxEvent.payload, "$.customer_id") == row.entity_id))
                .order_by(OutboxEvent.seq)).all()
            also = [r for r in candidates if key in depends_on(r.entity, r.entity_id, r.payload)]
        payload = row.payload if isinstance(row.payload, dict) else {}
        fields = sorted((payload.get("fields") or {}) if isinstance(payload.get("fields"), dict) else payload)
        changes: dict[str, tuple[Any, Any]] = {
            "event": (_event_label(row), None),
            "refused": (f"{row.parked_status or ''} {row.parked_reason}".strip(), None),
            "fields": (fields, None)}
        if row.parked_field:
            changes["field"] = (row.parked_field, None)
        if also:
            changes["also_discarded"] = ([_event_label(r) for r in also], None)
        local_only = False
        customer = s.get(Customer, cid) if cid and row.entity == "customer" else None
        gone = {row.id, *(r.id for r in also)}
        if customer is not None:
            left = s.exec(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.entity == "customer", OutboxEvent.entity_id == customer.id,
                OutboxEvent.id.not_in(gone))).one()
            if (row.event_type == EventKind.CUSTOMER_CREATED or not left) and customer.sync_state != SyncState.CONFLICT:
                changes["sync_state"] = (customer.sync_state, SyncState.LOCAL.value)
                customer.sync_state = SyncState.LOCAL.value
                s.add(customer)
            local_only = row.event_type == EventKind.CUSTOMER_CREATED
        tx.audit(row.entity, row.entity_id, "sync_discard", changes)
        s.exec(delete(OutboxEvent).where(OutboxEvent.id.in_(gone)))
        restored = ""
        if row.event_type == EventKind.CUSTOMER_MERGED:
            from ..domain.reference import format_reference

            # put back when headquarters refused it, unless already; either way it is here again
            restore_merged(s, row.entity_id, changes["refused"][0])
            back = s.get(Customer, row.entity_id)
            restored = format_reference(back.reference) if back is not None else ""
        return Discarded(row.id, row.event_type, cid, tuple(r.id for r in also), local_only, restored)
