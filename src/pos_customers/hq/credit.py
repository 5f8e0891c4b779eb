"""Store credit at headquarters: the ledger of movements (domain/credit.py), one row each in
``hq_credit_movement``, a customer's balance in a currency being the sum of its rows.

Movements come two ways. A till's ``credit.moved`` event (:func:`credit_moved`, push.py's handler)
adds or corrects credit: refused per event unless the customer is in the store's scope, the role it
carries may move store credit (and, where headquarters knows the associate, is that associate's
role), and the balance stays at zero or above; recorded once (by the movement's id, in the push's
transaction, like every event). The order system (here :func:`move`, used by `hq demo` and tests)
records refunds, sales and expiry. Each movement is a row of headquarters' own audit trail too.

A customer's rows are appended while the customer's row is locked (pushes lock the customers
their events name), so two stores spending the same credit at the same moment apply one after
the other, and the second sees the first's balance.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.i18n import Msg
from ..domain.credit import (CREDIT_ROLES, MAX_MOVEMENTS, MAX_REASON, CreditAccount, CreditBalance, CreditKind, CreditMovement,
                             movement_by,
                             refusal, signed)
from . import audit
from . import tables as t
from .common import aware, load_customers, lock_seq
from .customer_data import _associate_role
from .directory import _require_scope
from .errors import Conflict, NotFound, Refused

if TYPE_CHECKING:
    from .common import Identity
    from .push import Batch
    from .service import Headquarters

ENTITY = "store_credit"


class _Refusal(Exception):
    def __init__(self, field: str, reason: Msg):
        super().__init__(reason)
        self.field, self.reason = field, reason


def balance(conn: Connection, customer_id: str, currency: str) -> int:
    m = t.credit_movement.c
    return int(conn.execute(select(func.coalesce(func.sum(m.amount_minor), 0)).where(
        m.customer_id == customer_id, m.currency == currency)).scalar_one())


def _append(conn: Connection, *, id: str, customer_id: str, currency: str, kind: CreditKind, amount_minor: int,
            reason: str, by: str, store_code: str, terminal_id: str, at: datetime) -> CreditMovement | None:
    """One movement appended to the ledger (the customer's row is locked by the caller); None when
    a movement with this id is recorded already (sent again: applied once). :class:`_Refusal` when
    the ledger's rule refuses it."""
    m = t.credit_movement.c
    if conn.execute(select(m.id).where(m.id == id)).first() is not None:
        return None
    before = balance(conn, customer_id, currency)
    problem = refusal(kind, amount_minor, before, currency)
    if problem:
        raise _Refusal(*problem)
    row = CreditMovement(id=id, customer_id=customer_id, currency=currency, kind=kind, amount_minor=amount_minor,
                         balance_minor=before + amount_minor, reason=reason, by=by[:100], store_code=store_code,
                         at=aware(at))
    n = conn.execute(select(func.coalesce(func.max(m.n), 0)).where(m.customer_id == customer_id)).scalar_one()
    conn.execute(insert(t.credit_movement).values(
        id=row.id, customer_id=customer_id, n=int(n) + 1, currency=currency, kind=kind.value, amount_minor=amount_minor,
        balance_minor=row.balance_minor, reason=reason, by=row.by, store_code=store_code,
        terminal_id=terminal_id[:64], at=row.at))
    return row


def _audit_entry(row: CreditMovement) -> dict[str, Any]:
    return dict(by=row.by or "headquarters", entity=ENTITY, entity_id=row.id, action=f"credit_{row.kind.value}",
                changes={"customer_id": (None, row.customer_id),
                         "amount": (None, signed(row.amount_minor, row.currency, stored=True)),
                         "balance": (None, signed(row.balance_minor, row.currency, stored=True)),
                         "reason": (None, row.reason)})


# -- reading ------------------------------------------------------------------------------------------

def account(hq: Headquarters, who: Identity | None, customer_id: str) -> CreditAccount:
    """The customer's balance in each currency that has a movement, and the newest movements."""
    m = t.credit_movement.c
    with hq.engine.connect() as conn:
        _require_scope(conn, who, customer_id)
        sums = conn.execute(select(m.currency, func.sum(m.amount_minor)).where(m.customer_id == customer_id)
                            .group_by(m.currency).order_by(m.currency)).all()
        rows = conn.execute(select(t.credit_movement).where(m.customer_id == customer_id)
                            .order_by(m.n.desc()).limit(MAX_MOVEMENTS)).all()
    return CreditAccount(
        customer_id=customer_id, as_of=hq.now(),
        balances=[CreditBalance(currency=c, balance_minor=int(s)) for c, s in sums],
        movements=[CreditMovement(id=r.id, customer_id=r.customer_id, currency=r.currency, kind=CreditKind(r.kind),
                                  amount_minor=int(r.amount_minor), balance_minor=int(r.balance_minor),
                                  reason=r.reason, by=r.by, store_code=r.store_code, at=aware(r.at))
                   for r in rows])


# -- a terminal's event (push.py) -----------------------------------------------------------------------

def credit_moved(b: Batch, e) -> None:
    """``credit.moved``: applied in the push's transaction, or refused for this event only."""
    p, who = e.payload, b.who
    c = b.customer(p.customer_id, "payload.customer_id")
    if c["anonymized_at"] is not None:
        raise Refused(409, Msg("customer {customer} is anonymized: their store credit does not move",
                               customer=p.customer_id), "payload.customer_id")
    if p.role not in CREDIT_ROLES:
        raise Refused(403, Msg("a {role} may not add or correct store credit (roles that may: {roles})",
                               role=p.role.value, roles=", ".join(sorted(r.value for r in CREDIT_ROLES))),
                      "payload.role")
    known = _associate_role(b, who.store_code, p.associate)
    if known is not None and known not in CREDIT_ROLES:
        raise Refused(403, Msg("associate {associate} of store {store} is a {role} at headquarters and may not "
                               "add or correct store credit", associate=p.associate, store=who.store_code,
                               role=known.value), "payload.associate")
    try:
        row = _append(b.conn, id=p.id, customer_id=p.customer_id, currency=p.currency, kind=p.kind,
                      amount_minor=p.amount_minor, reason=p.reason, by=movement_by(who.store_code, p.associate),
                      store_code=who.store_code, terminal_id=who.terminal_id, at=b.now)
    except _Refusal as no:
        raise Refused(409, no.reason, f"payload.{no.field}") from None
    if row is not None:
        b.audit_rows.append(_audit_entry(row))


def erase_reasons(conn: Connection, customer_id: str) -> None:
    """An anonymized customer's ledger keeps its amounts (the money is accounted for) but not the
    reasons people typed, which may name them."""
    conn.execute(update(t.credit_movement).where(t.credit_movement.c.customer_id == customer_id).values(reason=""))


# -- the order system's movements (refunds, sales, expiry) and the demo -----------------------------------

def move(hq: Headquarters, customer_id: str, *, currency: str, kind: CreditKind | str, amount_minor: int,
         reason: str = "", by: str = "headquarters", movement_id: str | None = None) -> CreditMovement | None:
    """Record one movement at headquarters (the sign of ``amount_minor`` fits ``kind``); one with
    ``movement_id`` recorded already is not recorded again (None)."""
    return moves(hq, [dict(customer_id=customer_id, currency=currency, kind=kind, amount_minor=amount_minor,
                           reason=reason, by=by, id=movement_id)])[0]


def moves(hq: Headquarters, items: Iterable[dict[str, Any]]) -> list[CreditMovement | None]:
    """Several movements in one transaction (all or none): dicts of :func:`move`'s arguments."""
    items = [dict(i) for i in items]
    for i in items:
        CreditMovement(id=i.get("id") or "x", customer_id=i["customer_id"], currency=i["currency"],
                       kind=CreditKind(i["kind"]), amount_minor=i["amount_minor"], balance_minor=0,
                       reason=i.get("reason") or "", at=hq.now())  # the shape's checks, before anything is written
    out = []
    with hq.engine.begin() as conn:
        held = load_customers(conn, {i["customer_id"] for i in items})
        lock_seq(conn)
        for i in items:
            if i["customer_id"] not in held:
                raise NotFound(Msg("no customer {customer} at headquarters", customer=i["customer_id"]))
            try:
                row = _append(conn, id=i.get("id") or str(uuid.uuid4()), customer_id=i["customer_id"],
                              currency=i["currency"], kind=CreditKind(i["kind"]), amount_minor=i["amount_minor"],
                              reason=i.get("reason") or "", by=i.get("by") or "headquarters", store_code="",
                              terminal_id="", at=i.get("at") or hq.now())
            except _Refusal as no:
                raise Conflict(Msg("{customer}: {reason}", customer=i["customer_id"], reason=no.reason)) from None
            if row is not None:
                audit.record(hq, conn, at=row.at, **_audit_entry(row))
            out.append(row)
    return out


def correct(hq: Headquarters, customer: str, *, kind: CreditKind | str, amount_minor: int, reason: str,
            currency: str = "", by: str = "headquarters") -> CreditMovement:
    """Credit a manager at headquarters adds or corrects (``hq credit add|correct``): the customer by
    id or reference (a merged-away one: the customer it joined), with a reason; the currency the
    customer's own unless given. Audited; refused (Conflict) when the balance would go below zero."""
    from .errors import Invalid
    from .merge import customer_id_of, survivor

    kind = CreditKind(kind)
    if kind not in (CreditKind.ADDED, CreditKind.CORRECTED):
        raise Invalid(Msg("kind: headquarters adds or corrects store credit here, it does not record '{kind}'",
                          kind=kind.value))
    if not reason.strip():
        raise Invalid(Msg("reason: say why (it is kept with the movement)"))
    with hq.engine.connect() as conn:
        cid = survivor(conn, customer_id_of(conn, customer))
        fields = load_customers(conn, {cid})[cid]["fields"] if not currency else {}
    code = (currency or fields.get("currency") or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise Invalid(Msg("currency: give one like EUR (--currency); the customer has none"))
    row = move(hq, cid, currency=code, kind=kind, amount_minor=amount_minor, reason=reason.strip()[:MAX_REASON],
               by=by)
    assert row is not None  # a new movement id each time
    return row


DEMO_SHARE = 0.03  # of the demo customers hold store credit


def demo_movements(customer_id: str, currency: str, *, today: datetime) -> list[dict[str, Any]]:
    """A few movements for some demo customers (deterministic per customer): a refund, a manager's
    goodwill credit, part of it used in a sale, now and then some expired."""
    rng = random.Random(f"credit:{customer_id}")
    if rng.random() >= DEMO_SHARE:
        return []
    at = today - timedelta(days=rng.randrange(60, 400))
    refund = rng.randrange(10, 90) * 100 + rng.choice((0, 50, 90))
    out = [dict(kind=CreditKind.REFUNDED, amount_minor=refund, reason=f"Return of order S-{rng.randrange(100000, 999999)}",
                at=at)]
    if rng.random() < 0.5:
        out.append(dict(kind=CreditKind.ADDED, amount_minor=1000, reason="Goodwill: late delivery",
                        at=at + timedelta(days=rng.randrange(1, 20)), by="BER01:1001"))
    if rng.random() < 0.6:
        out.append(dict(kind=CreditKind.USED, amount_minor=-(refund // 2), reason=f"Sale S-{rng.randrange(100000, 999999)}",
                        at=at + timedelta(days=rng.randrange(25, 50))))
    if rng.random() < 0.2:
        out.append(dict(kind=CreditKind.EXPIRED, amount_minor=-(refund - refund // 2), reason="Expired after one year",
                        at=at + timedelta(days=365)))
    return [dict(m, customer_id=customer_id, currency=currency, id=f"demo:{customer_id}:{k}",
                 by=m.get("by") or "headquarters:orders") for k, m in enumerate(out)]


def seed_demo(hq: Headquarters, docs: list[dict[str, Any]], *, today: datetime,
              always: Iterable[str] = ()) -> int:
    """Store credit for a few demo customers (and every customer id in ``always``)."""
    wanted = set(always)
    items = []
    for d in docs:
        currency = d["fields"].get("currency") or "EUR"
        got = demo_movements(d["id"], currency, today=today)
        if not got and d["id"] in wanted:
            got = [dict(customer_id=d["id"], currency=currency, id=f"demo:{d['id']}:0", kind=CreditKind.REFUNDED,
                        amount_minor=4550, reason="Return of order S-482913", at=today - timedelta(days=30),
                        by="headquarters:orders")]
        items += got
    for k in range(0, len(items), 500):
        moves(hq, items[k:k + 500])
    return len({i["customer_id"] for i in items})


__all__ = ["account", "correct", "credit_moved", "move", "moves", "balance", "erase_reasons", "seed_demo", "demo_movements", "ENTITY"]
