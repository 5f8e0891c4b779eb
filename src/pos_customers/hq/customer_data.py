"""What headquarters holds about a customer besides the record: active carts, saved payments, an
order's lines and shipments; and the chain's store directory.

Terminals read them (each read checked for the customer's scope, as the orders are); the order
system and the payment provider write them (here: :meth:`put_*`, used by `hq demo` and tests).
A terminal deletes a saved payment with a ``payment.deleted`` event (:func:`payment_deleted`,
push.py's handler): refused unless the customer is in the store's scope, the payment is theirs,
and the role the event carries may delete saved payments (and, where headquarters knows the
associate, is that associate's role).

Every document goes in and out through the models of domain/customer_data.py, which refuse a
text that looks like a card number: headquarters never stores one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import ValidationError
from sqlalchemy import and_, delete, func, insert, select, update

from ..domain.customer_data import (MAX_ITEMS, MAX_STORES, ONLINE_SHOP, PAYMENT_DELETE_ROLES, Cart, OrderDetail,
                                    SavedPayment, StoreInfo, with_online_shop)
from ..domain.i18n import Msg
from ..domain.enums import Role
from . import tables as t
from .common import aware, dumps, iso
from .directory import _require_scope
from .errors import HqError, NotFound, Refused

if TYPE_CHECKING:
    from .common import Identity
    from .push import Batch
    from .service import Headquarters

STORE_STATUSES = ("open", "closed", "temporarily closed")


# -- reading ------------------------------------------------------------------------------------------

def carts(hq: Headquarters, who: Identity | None, customer_id: str) -> list[Cart]:
    """The customer's active carts, newest first (at most :data:`MAX_ITEMS`)."""
    c = t.cart.c
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        rows = conn.execute(select(t.cart).where(c.customer_id == customer_id)
                            .order_by(c.created_at.desc(), c.id).limit(MAX_ITEMS)).all()
    return [Cart(id=r.id, customer_id=r.customer_id, store_code=r.store_code, name=r.name, type=r.type,
                 created_at=aware(r.created_at), currency=r.currency, lines=json.loads(r.lines)) for r in rows]


def saved_payments(hq: Headquarters, who: Identity | None, customer_id: str) -> list[SavedPayment]:
    """The customer's saved payments not deleted, newest first."""
    p = t.saved_payment.c
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        rows = conn.execute(select(t.saved_payment).where(p.customer_id == customer_id, p.deleted_at.is_(None))
                            .order_by(p.added_at.desc(), p.id).limit(MAX_ITEMS)).all()
    return [_payment(r) for r in rows]


def _payment(r) -> SavedPayment:
    return SavedPayment(id=r.id, customer_id=r.customer_id, token_ref=r.token_ref, brand=r.brand, last4=r.last4,
                        expiry_month=r.expiry_month, expiry_year=r.expiry_year, holder=r.holder,
                        added_at=aware(r.added_at))


def order_detail(hq: Headquarters, who: Identity | None, customer_id: str, order_id: str) -> OrderDetail:
    """One order of the customer: its lines and shipments (404 for another customer's order)."""
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        doc = conn.execute(select(t.record.c.doc).where(
            t.record.c.kind == "order", t.record.c.key == order_id,
            t.record.c.customer_id == customer_id)).scalar()
        if doc is None:
            raise NotFound(Msg("no order {order} of customer {customer} at headquarters", order=order_id,
                               customer=customer_id))
        order = json.loads(doc)
        lines = conn.execute(select(t.order_line).where(t.order_line.c.order_id == order_id)
                             .order_by(t.order_line.c.line_no)).all()
        shipments = conn.execute(select(t.shipment).where(t.shipment.c.order_id == order_id)
                                 .order_by(t.shipment.c.shipped_at.is_(None), t.shipment.c.shipped_at,
                                           t.shipment.c.id)).all()
    return OrderDetail(
        id=order_id, customer_id=customer_id, number=order["number"], currency=order.get("currency") or "EUR",
        lines=[{"sku": r.sku, "name": r.name, "quantity": r.quantity, "unit_price_minor": r.unit_price_minor,
                "total_minor": r.total_minor} for r in lines],
        shipments=[{"id": r.id, "carrier": r.carrier, "tracking": r.tracking, "status": r.status,
                    "shipped_at": iso(r.shipped_at), "delivered_at": iso(r.delivered_at), "items": r.items}
                   for r in shipments])


def shipment_counts(conn, order_ids: list[str]) -> dict[str, int]:
    if not order_ids:
        return {}
    s = t.shipment.c
    return dict(conn.execute(select(s.order_id, func.count()).where(s.order_id.in_(order_ids))
                             .group_by(s.order_id)).all())


def store_directory(hq: Headquarters) -> list[StoreInfo]:
    """Every store of the chain: name, address, phone, status; and the online shop (``WEB``)."""
    s, c = t.store.c, t.store_contact.c
    with hq.engine.connect() as conn:
        rows = conn.execute(select(s.code, s.name, c.address, c.phone, c.status)
                            .join_from(t.store, t.store_contact, c.code == s.code, isouter=True)
                            .order_by(s.code).limit(MAX_STORES - 1)).all()
    return with_online_shop([StoreInfo(code=r.code, name=r.name, address=r.address or "", phone=r.phone or "",
                                       status=r.status or "open") for r in rows])


def directory_codes(conn) -> set[str]:
    """The codes a customer's preferred store may name: the chain's stores and the online shop."""
    return set(conn.execute(select(t.store.c.code)).scalars()) | {ONLINE_SHOP}


# -- writing (the order system, the payment provider, the directory's keeper) --------------------------

def set_store_contact(hq: Headquarters, code: str, *, address: str | None = None, phone: str | None = None,
                      status: str | None = None) -> None:
    if status is not None and status not in STORE_STATUSES:
        raise HqError(Msg("a store's status is one of: {choices}", choices=", ".join(STORE_STATUSES)))
    values = {k: v for k, v in (("address", address), ("phone", phone), ("status", status)) if v is not None}
    try:
        StoreInfo(code=code.upper(), name="-", **values)  # the same checks as the wire's
    except ValidationError as exc:
        first = exc.errors()[0]
        raise HqError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    code = code.upper()
    with hq.engine.begin() as conn:
        if conn.execute(select(t.store.c.code).where(t.store.c.code == code)).first() is None:
            raise NotFound(Msg("no store {store}", store=code))
        if not values:
            return
        if conn.execute(update(t.store_contact).where(t.store_contact.c.code == code).values(**values)).rowcount == 0:
            conn.execute(insert(t.store_contact).values(code=code, **values))


def put_carts(hq: Headquarters, docs: Iterable[dict[str, Any] | Cart]) -> int:
    """Insert or replace carts (checked by the model: no card number, money in minor units)."""
    rows = [dict(id=c.id, customer_id=c.customer_id, store_code=c.store_code, name=c.name, type=c.type,
                 created_at=c.created_at, currency=c.currency,
                 lines=dumps([line.model_dump(mode="json") for line in c.lines]))
            for c in (d if isinstance(d, Cart) else Cart.model_validate(d) for d in docs)]
    return _replace(hq, t.cart, rows)


def put_payments(hq: Headquarters, docs: Iterable[dict[str, Any] | SavedPayment]) -> int:
    """Insert or replace saved payments: a token reference and the last four digits, never a PAN."""
    rows = [dict(id=p.id, customer_id=p.customer_id, token_ref=p.token_ref, brand=p.brand, last4=p.last4,
                 expiry_month=p.expiry_month, expiry_year=p.expiry_year, holder=p.holder, added_at=p.added_at,
                 deleted_at=None, deleted_by="")
            for p in (d if isinstance(d, SavedPayment) else SavedPayment.model_validate(d) for d in docs)]
    return _replace(hq, t.saved_payment, rows)


def put_order_details(hq: Headquarters, docs: Iterable[dict[str, Any] | OrderDetail]) -> int:
    """An order's lines and shipments, replacing what was held for it."""
    details = [d if isinstance(d, OrderDetail) else OrderDetail.model_validate(d) for d in docs]
    with hq.engine.begin() as conn:
        ids = [d.id for d in details]
        for k in range(0, len(ids), 500):
            conn.execute(delete(t.order_line).where(t.order_line.c.order_id.in_(ids[k:k + 500])))
            conn.execute(delete(t.shipment).where(t.shipment.c.order_id.in_(ids[k:k + 500])))
        lines = [dict(order_id=d.id, line_no=i + 1, **line.model_dump()) for d in details
                 for i, line in enumerate(d.lines)]
        ships = [dict(order_id=d.id, **s.model_dump()) for d in details for s in d.shipments]
        if lines:
            conn.execute(insert(t.order_line), lines)
        if ships:
            conn.execute(insert(t.shipment), ships)
    return len(details)


def _replace(hq: Headquarters, table, rows: list[dict[str, Any]]) -> int:
    with hq.engine.begin() as conn:
        ids = [r["id"] for r in rows]
        for k in range(0, len(ids), 500):
            conn.execute(delete(table).where(table.c.id.in_(ids[k:k + 500])))
        if rows:
            conn.execute(insert(table), rows)
    return len(rows)


def erase_customer_data(conn, customer_id: str) -> None:
    """An anonymized customer's carts and saved payments go (orders, their lines and shipments stay:
    they hold no personal data of their own)."""
    conn.execute(delete(t.cart).where(t.cart.c.customer_id == customer_id))
    conn.execute(delete(t.saved_payment).where(t.saved_payment.c.customer_id == customer_id))


# -- a terminal's event (push.py) -----------------------------------------------------------------------

def payment_deleted(b: Batch, e) -> None:
    """``payment.deleted``: the store may see the customer, the payment is theirs and still there,
    and the deleting role may delete saved payments. Applied in the push's transaction."""
    p, who = e.payload, b.who
    b.customer(p.customer_id, "payload.customer_id")
    if p.role not in PAYMENT_DELETE_ROLES:
        raise Refused(403, Msg("a {role} may not delete a saved payment (roles that may: {roles})",
                               role=p.role.value, roles=", ".join(sorted(r.value for r in PAYMENT_DELETE_ROLES))),
                      "payload.role")
    known = _associate_role(b, who.store_code, p.associate)
    if known is not None and known not in PAYMENT_DELETE_ROLES:
        raise Refused(403, Msg("associate {associate} of store {store} is a {role} at headquarters and may not "
                               "delete a saved payment", associate=p.associate, store=who.store_code,
                               role=known.value), "payload.associate")
    sp = t.saved_payment.c
    row = b.conn.execute(select(sp.customer_id, sp.deleted_at).where(sp.id == p.id)).first()
    if row is None or row.customer_id != p.customer_id:
        raise Refused(404, Msg("no saved payment {payment} of customer {customer}", payment=p.id,
                               customer=p.customer_id), "payload.id")
    if row.deleted_at is None:  # deleted twice (two tills): the first one stays
        b.conn.execute(update(t.saved_payment).where(and_(sp.id == p.id, sp.deleted_at.is_(None))).values(
            deleted_at=b.now, deleted_by=f"{who.store_code}:{p.associate}"[:100]))


def _associate_role(b: Batch, store_code: str, number: str) -> Role | None:
    """The role headquarters holds for this store's associate, this batch's change of them
    included (None: it does not know them)."""
    if not number:
        return None
    key = f"{store_code}:{number}"
    staged = b.records.get(("associate", key))
    doc = staged["doc"] if staged else b.conn.execute(select(t.record.c.doc).where(
        t.record.c.kind == "associate", t.record.c.key == key)).scalar()
    if doc is None:
        return None
    try:
        return Role((json.loads(doc) if isinstance(doc, str) else doc).get("role"))
    except ValueError:
        return None


__all__ = ["carts", "saved_payments", "order_detail", "store_directory", "set_store_contact", "put_carts",
           "put_payments", "put_order_details", "payment_deleted", "erase_customer_data", "shipment_counts", "STORE_STATUSES"]
