"""What headquarters holds about a customer besides the record, at the till: the stores they use
(and their preferred one), active carts, saved payments, an order's lines and shipments.

Each read asks headquarters when the till is connected and keeps the answer (validated by the
models of domain/customer_data.py) in ``customer_data_cache`` for offline viewing; when
headquarters does not answer, the kept copy is shown. Each returns ``(what, source)`` with source
"headquarters", "cache" or "not connected", as :func:`.sync.orders` does.

Two changes: the preferred store (a field of the customer: audited, synced as ``customer.updated``)
and deleting a saved payment (managers and administrators: audited, synced as ``payment.deleted``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, delete, func, select

from ..domain.customer_data import ONLINE_SHOP, ONLINE_SHOP_INFO, Cart, OrderDetail, SavedPayment, StoreInfo
from ..domain.enums import EventKind
from ..domain.errors import FieldError, ValidationFailed
from ..domain.i18n import Msg
from ..storage import customers as rows
from ..storage.conflicts import edited_state
from ..storage.tables import AuditEvent, CustomerDataCache, OrderSummary, OutboxEvent, Store
from ..sync.client import HqClient, HqRefused, HqUnavailable
from . import sync
from .context import Actor, NotFound, Permission, Services
from .customers import get_customer, view_in
from .views import CustomerView

M = TypeVar("M", bound=BaseModel)

CART, PAYMENT, ORDER_DETAIL, STORE = "cart", "payment", "order_detail", "store"
HEADQUARTERS, CACHE, NOT_CONNECTED = "headquarters", "cache", "not connected"
PAYMENT_ENTITY = "saved_payment"


# -- fetch from headquarters, else the kept copy ------------------------------------------------------

def _ask(svc: Services, call: Callable[[HqClient], Any], transport=None) -> tuple[Any, str]:
    """(headquarters' answer or None, source)."""
    if not sync.is_enrolled(svc):
        return None, NOT_CONNECTED
    client = sync._client(svc, timeout=3.0, transport=transport)
    try:
        return call(client), HEADQUARTERS
    except (HqUnavailable, HqRefused):
        return None, CACHE
    finally:
        client.close()


def _valid(model: type[M], docs: Any) -> list[M]:
    """Headquarters' answer as models; one that does not fit is left out (never cached)."""
    out = []
    for d in docs if isinstance(docs, list) else []:
        try:
            out.append(model.model_validate(d))
        except ValidationError:
            continue
    return out


def _keep(svc: Services, kind: str, customer_id: str, items: list[BaseModel], *, key: str | None = None) -> None:
    """Replace what is kept of this kind for the customer (or, with ``key``, that one row)."""
    keys = [getattr(item, "id", None) or getattr(item, "code") for item in items]
    with svc.db.write() as s:
        gone = (CustomerDataCache.customer_id == customer_id) if key is None else (CustomerDataCache.key == key)
        s.exec(delete(CustomerDataCache).where(CustomerDataCache.kind == kind, gone | CustomerDataCache.key.in_(keys)))
        for k, item in zip(keys, items):
            s.add(CustomerDataCache(kind=kind, key=k, customer_id=customer_id, doc=item.model_dump(mode="json"), fetched_at=svc.now()))


def _kept(s: Session, model: type[M], kind: str, customer_id: str, key: str | None = None) -> list[M]:
    q = select(CustomerDataCache.doc).where(CustomerDataCache.kind == kind, CustomerDataCache.customer_id == customer_id)
    if key is not None:
        q = q.where(CustomerDataCache.key == key)
    return _valid(model, list(s.exec(q.order_by(CustomerDataCache.key))))


def _read(svc: Services, actor: Actor, model: type[M], kind: str, customer_id: str,
          call: Callable[[HqClient], Any], transport=None, *, leave_out: frozenset[str] = frozenset()
          ) -> tuple[list[M], str]:
    """Headquarters' answer kept (less the ids in ``leave_out``), then what is kept."""
    actor.require(Permission.SEARCH)
    answer, source = _ask(svc, call, transport)
    if answer is not None:
        _keep(svc, kind, customer_id, [x for x in _valid(model, answer) if getattr(x, "id", None) not in leave_out])
    with svc.db.read() as s:
        return _kept(s, model, kind, customer_id), source


# -- active carts, saved payments, order details --------------------------------------------------------

def carts(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> tuple[list[Cart], str]:
    """The customer's active carts, newest first."""
    got, source = _read(svc, actor, Cart, CART, customer_id, lambda c: c.carts(customer_id), transport)
    return sorted(got, key=lambda c: c.created_at, reverse=True), source


def saved_payments(svc: Services, actor: Actor, customer_id: str, *,
                   transport=None) -> tuple[list[SavedPayment], str]:
    """The customer's saved payments, newest first; one deleted here and not yet sent stays away."""
    with svc.db.read() as s:
        pending = frozenset(s.exec(select(OutboxEvent.entity_id).where(
            OutboxEvent.event_type == EventKind.PAYMENT_DELETED.value, OutboxEvent.entity == PAYMENT_ENTITY)))
    got, source = _read(svc, actor, SavedPayment, PAYMENT, customer_id,
                        lambda c: c.saved_payments(customer_id), transport, leave_out=pending)
    return sorted(got, key=lambda p: p.added_at, reverse=True), source


def order_detail(svc: Services, actor: Actor, customer_id: str, order_id: str, *,
                 transport=None) -> tuple[OrderDetail | None, str]:
    """One order's lines and shipments (None: headquarters was not asked or not reachable, and
    this till kept no copy)."""
    actor.require(Permission.SEARCH)
    answer, source = _ask(svc, lambda c: c.order_detail(customer_id, order_id), transport)
    if answer is not None:
        _keep(svc, ORDER_DETAIL, customer_id, _valid(OrderDetail, [answer]), key=order_id)
    with svc.db.read() as s:
        got = _kept(s, OrderDetail, ORDER_DETAIL, customer_id, order_id)
    return (got[0] if got else None), source


# -- the stores a customer uses --------------------------------------------------------------------------

@dataclass(frozen=True)
class StoreUse:
    """A store the customer was registered at, bought at or was served at, as the directory has it."""

    code: str
    name: str
    address: str
    phone: str
    status: str
    registered: bool
    orders: int
    served: int
    preferred: bool

    @property
    def how(self) -> str:
        parts = (["registered"] if self.registered else []) + (
            [f"{self.orders} order{'s' if self.orders != 1 else ''}"] if self.orders else []) + (
            [f"served {self.served}×"] if self.served else [])
        return ", ".join(parts) or "preferred"


def store_directory(svc: Services, actor: Actor, *, transport=None) -> tuple[list[StoreInfo], str]:
    """Every store of the chain (from headquarters, kept for offline); a till that is not connected
    knows its own stores only (name, no address)."""
    answer, source = _ask(svc, lambda c: c.store_directory(), transport)
    if answer is not None:
        _keep(svc, STORE, "", _valid(StoreInfo, answer))
    with svc.db.read() as s:
        kept = _kept(s, StoreInfo, STORE, "")
        if not kept:
            # names only: whether a store is open is headquarters' word, not known here
            kept = [StoreInfo(code=st.code, name=st.name, status="") for st in s.exec(select(Store).order_by(Store.code))]
    return kept, source


def customer_stores(svc: Services, actor: Actor, customer_id: str, *, refresh_orders: bool = True,
                    transport=None) -> tuple[list[StoreUse], str]:
    """The stores the customer uses: where they were registered, the stores of their orders, the
    stores whose associates served them (this till's audit trail), and the preferred one. Most used
    first, the preferred one at the top. ``refresh_orders`` False: the order history as this till
    kept it (the card asked headquarters for it just before, for its Orders tab)."""
    actor.require(Permission.SEARCH)
    view = get_customer(svc, actor, customer_id)
    if refresh_orders:
        sync.orders(svc, actor, customer_id, transport=transport)  # the order history, fresh where it can be
    directory, source = store_directory(svc, actor, transport=transport)
    with svc.db.read() as s:
        bought = Counter(dict(s.exec(select(OrderSummary.store_code, func.count()).where(
            OrderSummary.customer_id == customer_id).group_by(OrderSummary.store_code)).all()))
        served = Counter(dict(s.exec(select(AuditEvent.store_code, func.count()).where(
            AuditEvent.entity == "customer", AuditEvent.entity_id == customer_id,
            AuditEvent.action.not_in(SYNC_ACTIONS), AuditEvent.store_code != "")
            .group_by(AuditEvent.store_code)).all()))
    known = {ONLINE_SHOP: ONLINE_SHOP_INFO} | {st.code: st for st in directory}
    codes = dict.fromkeys([view.store_code, *bought, *served] + ([view.preferred_store] if view.preferred_store else []))
    uses = []
    for code in codes:
        st = known.get(code) or StoreInfo(code=code, name="", status="")
        uses.append(StoreUse(code, st.name, st.address, st.phone, st.status, code == view.store_code,
                             bought[code], served[code], code == view.preferred_store))
    uses.sort(key=lambda u: (not u.preferred, -(u.orders + u.served + u.registered), u.code))
    return uses, source


#: audit actions that are not a store serving the customer (they arrived by sync)
SYNC_ACTIONS = ("received",)


def set_preferred_store(svc: Services, actor: Actor, customer_id: str, store_code: str) -> CustomerView:
    """Make ``store_code`` the customer's preferred store ("" clears it). The store must be in the
    chain's directory (or known to this till). Audited; synced as a ``customer.updated`` of the one
    field."""
    code = store_code.strip().upper()
    with svc.change(actor, Permission.EDIT) as tx:
        s = tx.session
        current = view_in(tx, customer_id)
        if current.anonymized_at is not None:
            raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: there is nothing to edit")))
        if (code and code != ONLINE_SHOP and s.get(Store, code) is None
                and s.get(CustomerDataCache, (STORE, code)) is None):
            raise ValidationFailed(FieldError("preferred_store", Msg("No store {store} in the store directory", store=code)))
        if code == current.preferred_store:
            return current
        stamp = tx.clock.now()
        clocks = dict(current.field_clocks)
        new = replace(current, preferred_store=code, version=current.version + 1, updated_at=tx.now,
                      last_activity_at=tx.now, sync_state=edited_state(s, current.id),
                      field_clocks={**clocks, "preferred_store": stamp})
        rows.replace(s, new, current)
        tx.audit("customer", new.id, "update", {"preferred_store": (current.preferred_store or None, code or None)})
        tx.outbox(EventKind.CUSTOMER_UPDATED, "customer", new.id,
                  {"id": new.id, "reference": new.reference, "store_code": new.store_code,
                   "fields": {"preferred_store": code}, "base": {"preferred_store": clocks.get("preferred_store", "")}},
                  hlc=stamp)
        return new


# -- deleting a saved payment ----------------------------------------------------------------------------

def payment_label(p: SavedPayment) -> Msg:
    """"Visa •••• 4242 (expires 12/28)", for people; the audit row keeps it in English."""
    return Msg("{brand} •••• {last4} (expires {expiry})", brand=p.brand, last4=p.last4, expiry=p.expiry)


def delete_saved_payment(svc: Services, actor: Actor, customer_id: str, payment_id: str) -> SavedPayment:
    """Delete one of the customer's saved payments: managers and administrators only (the
    permission is checked here, whatever the screen offers). The kept copy goes at once; an audit
    row on the customer and a ``payment.deleted`` event for headquarters, in one transaction."""
    with svc.change(actor, Permission.DELETE_PAYMENT) as tx:
        s = tx.session
        row = s.get(CustomerDataCache, (PAYMENT, payment_id))
        if row is None or row.customer_id != customer_id:
            raise NotFound(Msg("no saved payment {payment} of this customer on this till: reload the tab",
                               payment=payment_id))
        payment = SavedPayment.model_validate(row.doc)
        s.delete(row)
        tx.audit("customer", customer_id, "payment_delete", {"saved_payment": (str(payment_label(payment)), None)})
        tx.outbox(EventKind.PAYMENT_DELETED, PAYMENT_ENTITY, payment.id,
                  {"id": payment.id, "customer_id": customer_id,
                   "associate": tx.actor.associate_number or tx.actor.name, "role": tx.actor.role.value})
        return payment


__all__ = ["carts", "saved_payments", "order_detail", "customer_stores", "store_directory", "set_preferred_store",
           "delete_saved_payment", "StoreUse", "payment_label", "HEADQUARTERS", "CACHE", "NOT_CONNECTED"]
