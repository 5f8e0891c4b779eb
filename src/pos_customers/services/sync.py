"""Sync with headquarters as use cases: enrol, sync now, status, other stores' customers, orders."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import func, select

from ..storage.documents import apply_document
from ..storage.tables import Customer, OrderSummary, OutboxEvent, Setting, SyncConflict
from ..sync.client import HqClient, HqRefused, HqUnavailable
from ..sync.engine import SyncEngine, SyncResult, apply_item
from .context import Actor, NotFound, Permission, Services
from .customers import get_customer
from .views import CustomerView, utc

__all__ = ["HqRefused", "HqUnavailable", "NotConnected", "SyncResult"]


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


@dataclass(frozen=True)
class RemoteCustomer:
    id: str
    reference: str
    store_code: str
    display_name: str
    email: str
    phone: str
    city: str


@dataclass(frozen=True)
class OrderView:
    number: str
    ordered_at: datetime
    store_code: str
    status: str
    total: str
    currency: str


@dataclass(frozen=True)
class ConflictView:
    field: str
    kept: Any
    lost: Any
    origin_store: str
    at: datetime


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

        raise ValidationFailed(FieldError("terminal", (
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
        raise NotConnected("this terminal is not connected to headquarters "
                           "(`pos-customers init --hq URL --token T`)")
    return HqClient(settings["hq_url"], settings.get("hq_credential", ""), timeout=timeout, transport=transport)


def engine(svc: Services, *, timeout: float = 10.0, transport=None) -> SyncEngine:
    return SyncEngine(svc.db, _client(svc, timeout=timeout, transport=transport), observe=svc.clock.observe)


def is_enrolled(svc: Services) -> bool:
    return bool(svc.settings().get("hq_url"))


def sync_now(svc: Services, actor: Actor, *, transport=None) -> SyncResult:
    actor.require(Permission.SEARCH)
    eng = engine(svc, transport=transport)
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
            "sync_cursor", "sync_audit_problem"))))}
        depth = s.exec(select(func.count()).select_from(OutboxEvent)).one()
        oldest = s.exec(select(func.min(OutboxEvent.created_at))).one()
        conflicts = s.exec(select(func.count()).select_from(SyncConflict)).one()
    return SyncStatus(bool(settings.get("hq_url")), settings.get("hq_url", ""), depth, utc(oldest),
                      settings.get("sync_last_push_at", ""), settings.get("sync_last_pull_at", ""),
                      settings.get("sync_last_error", ""), settings.get("sync_last_error_at", ""),
                      int(settings.get("sync_cursor") or 0), conflicts, settings.get("sync_audit_problem", ""))


def outbox_depth(svc: Services) -> int:
    with svc.db.read() as s:
        return s.exec(select(func.count()).select_from(OutboxEvent)).one()


def search_all_stores(svc: Services, actor: Actor, query: str, *, transport=None) -> list[RemoteCustomer]:
    """Customers at headquarters that this terminal does not hold yet."""
    actor.require(Permission.SEARCH)
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        hits = client.search(query.strip()[:200]) if query.strip() else []
    finally:
        client.close()
    with svc.db.read() as s:
        local = set(s.exec(select(Customer.id).where(Customer.id.in_([h["id"] for h in hits]))))
    return [RemoteCustomer(h["id"], h["reference"], h["store_code"], h["display_name"], h["email"],
                           h["phone"], h["city"]) for h in hits if h["id"] not in local]


def open_remote(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> CustomerView:
    """Pull another store's customer into this terminal (and into its future pulls)."""
    actor.require(Permission.SEARCH)
    client = _client(svc, timeout=5.0, transport=transport)
    try:
        got = client.pull_in(customer_id)
    finally:
        client.close()
    with svc.db.write() as s:
        settings_store = svc.settings().get("store_code", "")
        apply_document(s, got["customer"])
        for order in got.get("orders") or []:
            apply_item(s, {"t": "order", "doc": order}, settings_store, {})
        for conflict in got.get("conflicts") or []:
            apply_item(s, {"t": "conflict", "doc": conflict}, settings_store, {})
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
        return [OrderView(r.number, utc(r.ordered_at), r.store_code, r.status, r.total, r.currency)
                for r in rows], source


def send_password_link(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> str:
    """Headquarters mails the customer a single-use link to set a password (registered accounts)."""
    from ..domain.errors import FieldError, ValidationFailed

    actor.require(Permission.EDIT)
    view = get_customer(svc, actor, customer_id)
    if view.account_type != "registered":
        raise ValidationFailed(FieldError("account_type", "A guest has no online account: make it Registered first"))
    if not view.primary_email:
        raise ValidationFailed(FieldError("email", "The customer has no email address to send the link to"))
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
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        if s.get(Customer, customer_id) is None:
            raise NotFound(f"customer {customer_id} not found")
        rows = s.exec(select(SyncConflict).where(SyncConflict.customer_id == customer_id)
                      .order_by(SyncConflict.at.desc())).all()
        return [ConflictView(r.field, r.kept, r.lost, r.origin_store, utc(r.at)) for r in rows]


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
