"""A customer's store credit at the till (domain/credit.py): the balance and the history as
headquarters holds them, kept for offline viewing, and a manager's movements queued for it.

Reading asks headquarters when the till is connected and keeps the answer in
``customer_data_cache`` (kind ``credit``), as the carts and saved payments are; the view says as
of when headquarters gave it. Movements recorded here and not yet accepted by headquarters are
shown beside it: queued ones (counted in the balance to expect) and parked ones (refused by
headquarters, with its reason; not counted).

Adding or correcting credit (:func:`move_credit`) is for managers and administrators
(:attr:`Permission.MOVE_CREDIT`, checked here whatever the screen offers). It works offline: the
movement is checked against what this till knows (it never takes the balance below zero), audited,
and queued as a ``credit.moved`` event in one transaction; headquarters applies it once or refuses
it for this event (then it is parked, visibly, on the Sync screen and on the card).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlmodel import Session, delete, select

from ..domain.credit import (MAX_MOVEMENTS, MAX_REASON, CreditAccount, CreditKind, CreditMovement, movement_by,
                             refusal, signed)
from ..domain.enums import EventKind
from ..domain.errors import FieldError, ValidationFailed
from ..domain.text import hostile_problem
from ..domain.i18n import Msg
from ..storage.tables import CustomerDataCache, OutboxEvent, Store
from ..sync.engine import CREDIT_SENT, parked_message
from .context import Actor, Permission, Services
from .customer_data import _ask, _keep, _kept, _valid
from .customers import view_in

CREDIT = "credit"          # the kind of the kept copy in customer_data_cache
ENTITY = "store_credit"    # the entity of the outbox event and of headquarters' ledger


@dataclass(frozen=True)
class PendingMovement:
    """A movement recorded at this till that headquarters has not accepted yet."""

    id: str
    currency: str
    kind: CreditKind
    amount_minor: int
    reason: str
    associate: str
    queued_at: datetime
    parked_reason: str | Msg = ""  # headquarters refused it (parked on the Sync screen)
    sent: bool = False  # headquarters took it; the kept copy of the credit does not show it yet
    store_code: str = ""  # this till's store: with ``associate``, who made it (:attr:`by`)

    @property
    def by(self) -> str:
        """Who made it, in the shape of headquarters' ledger lines (``BER01:1001``)."""
        return movement_by(self.store_code, self.associate)

    @property
    def parked(self) -> bool:
        return bool(self.parked_reason)


@dataclass(frozen=True)
class CreditLine:
    """One currency: headquarters' balance (as of the view's time) and what this till queued."""

    currency: str
    balance_minor: int
    queued_minor: int = 0

    @property
    def expected_minor(self) -> int:
        """The balance once headquarters applies what is queued here."""
        return self.balance_minor + self.queued_minor


@dataclass(frozen=True)
class CreditView:
    customer_id: str
    as_of: datetime | None  # when headquarters gave the balance (None: this till never asked it)
    lines: list[CreditLine]
    movements: list[CreditMovement]  # headquarters' ledger, newest first
    pending: list[PendingMovement] = field(default_factory=list)  # newest first
    source: str = ""

    def line(self, currency: str) -> CreditLine:
        return next((x for x in self.lines if x.currency == currency), CreditLine(currency, 0))


def _pending(s: Session, customer_id: str, applied: set[str], store: str) -> list[PendingMovement]:
    rows = s.exec(select(OutboxEvent).where(OutboxEvent.event_type == EventKind.CREDIT_MOVED.value,
                                            OutboxEvent.entity == ENTITY).order_by(OutboxEvent.seq.desc()))
    out = []
    for r in rows:
        p = r.payload
        if p.get("customer_id") != customer_id or r.entity_id in applied:
            continue  # another customer's, or applied at headquarters before this till heard back
        out.append(PendingMovement(r.entity_id, p["currency"], CreditKind(p["kind"]), int(p["amount_minor"]),
                                   p.get("reason", ""), p.get("associate", ""), r.created_at,
                                   (parked_message(r) if r.parked_reason
                                    else Msg("refused by headquarters ({status})", status=r.parked_status))
                                   if r.parked_at is not None else "", store_code=store))
    return out


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sent(s: Session, customer_id: str, account: CreditAccount | None, store: str) -> list[PendingMovement]:
    """Movements this till sent and headquarters took that the kept copy does not hold yet (it
    was fetched before they arrived, or this till is offline): newest first."""
    held = {m.id for m in account.movements} if account else set()
    rows = s.exec(select(CustomerDataCache).where(CustomerDataCache.kind == CREDIT_SENT,
                                                  CustomerDataCache.customer_id == customer_id))
    out = []
    for r in rows:
        p = r.doc
        if r.key in held or (account is not None and len(held) >= MAX_MOVEMENTS and _utc(account.as_of) >= _utc(r.fetched_at)):
            continue  # in the kept copy's balance already (or too old to be among its newest movements)
        try:
            out.append(PendingMovement(r.key, str(p["currency"]), CreditKind(p["kind"]), int(p["amount_minor"]),
                                       str(p.get("reason", "")), str(p.get("associate", "")), r.fetched_at,
                                       sent=True, store_code=store))
        except (KeyError, ValueError, TypeError):
            continue
    return sorted(out, key=lambda x: x.queued_at, reverse=True)


def _view(s: Session, customer_id: str, store: str, source: str = "") -> CreditView:
    """The kept copy from headquarters plus this till's movements it does not hold yet (queued,
    or sent and taken but not in the copy), each counted once: what the card shows and what a
    new movement is checked against."""
    kept = _kept(s, CreditAccount, CREDIT, customer_id, customer_id)
    account = kept[0] if kept else None
    movements = list(account.movements) if account else []
    queued_here = _pending(s, customer_id, {m.id for m in movements}, store)
    pending = queued_here + [x for x in _sent(s, customer_id, account, store) if x.id not in {q.id for q in queued_here}]
    balances = {b.currency: b.balance_minor for b in account.balances} if account else {}
    queued: dict[str, int] = defaultdict(int)
    for p in pending:
        if not p.parked:
            queued[p.currency] += p.amount_minor
    lines = [CreditLine(c, balances.get(c, 0), queued.get(c, 0)) for c in sorted(set(balances) | set(queued))]
    return CreditView(customer_id, account.as_of if account else None, lines, movements, pending, source)


def balance_here(svc: Services, customer_id: str, currency: str) -> int:
    """The balance to expect in ``currency`` as far as this till knows (what a new movement is
    checked against): the kept copy plus this till's movements headquarters' copy lacks."""
    store = svc.store_code
    with svc.db.read() as s:
        return _view(s, customer_id, store).line(currency.upper()).expected_minor


def credit_account(svc: Services, actor: Actor, customer_id: str, *, transport=None) -> CreditView:
    """The customer's store credit: from headquarters when it answers (and kept), else the kept
    copy; with the movements queued here."""
    actor.require(Permission.SEARCH)
    answer, source = _ask(svc, lambda c: c.credit(customer_id), transport)
    if answer is not None:
        got = [a for a in _valid(CreditAccount, [answer]) if a.customer_id == customer_id]
        if got:
            _keep(svc, CREDIT, customer_id, got, key=customer_id)
            with svc.db.write() as s:  # the movements sent from here that this copy holds: counted there now
                s.exec(delete(CustomerDataCache).where(CustomerDataCache.kind == CREDIT_SENT,
                                                       CustomerDataCache.customer_id == customer_id,
                                                       CustomerDataCache.key.in_([m.id for m in got[0].movements])))
    store = svc.store_code
    with svc.db.read() as s:
        return _view(s, customer_id, store, source)


def default_currency(s: Session, store_code: str, customer_currency: str = "") -> str:
    """The customer's currency, else the store's."""
    if customer_currency:
        return customer_currency.upper()
    store = s.get(Store, store_code) if store_code else None
    return (store.currency if store and store.currency else "EUR").upper()


def currency_for(svc: Services, customer_currency: str = "") -> str:
    with svc.db.read() as s:
        return default_currency(s, svc.settings().get("store_code", ""), customer_currency)


def move_credit(svc: Services, actor: Actor, customer_id: str, *, kind: CreditKind | str, amount_minor: int,
                reason: str, currency: str = "") -> PendingMovement:
    """Add credit (``added``, a positive amount) or correct it (``corrected``, either sign), with a
    reason: managers and administrators only. Refused when, as far as this till knows, it would take
    the balance below zero. Audited on the customer and queued for headquarters in one transaction."""
    try:
        kind = CreditKind(kind)
    except ValueError:
        raise ValidationFailed(FieldError("kind", Msg("'{kind}' is not a kind of store credit movement", kind=str(kind)))) from None
    if not kind.at_till:
        raise ValidationFailed(FieldError("kind", Msg("store credit {kind} is recorded by the order system, "
                                                      "not at a till: add or correct it", kind=kind.value)))
    reason = " ".join((reason or "").split())
    problems = []
    if not reason:
        problems.append(FieldError("reason", Msg("Give a reason: it is kept with the movement")))
    elif len(reason) > MAX_REASON:
        problems.append(FieldError("reason", Msg("At most {limit} characters", limit=MAX_REASON)))
    elif hostile_problem(reason):
        problems.append(FieldError("reason", hostile_problem(reason) or ""))
    if problems:
        raise ValidationFailed(problems)
    with svc.change(actor, Permission.MOVE_CREDIT) as tx:
        s = tx.session
        view = view_in(tx, customer_id)
        if view.anonymized_at is not None:
            raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: their store credit "
                                                              "does not move")))
        code = (currency or "").strip().upper() or default_currency(s, tx.store_code, view.currency)
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            raise ValidationFailed(FieldError("currency", Msg("'{code}' is not a currency code like EUR", code=code)))
        known = _view(s, customer_id, tx.store_code).line(code).expected_minor
        problem = refusal(kind, amount_minor, known, code)
        if problem:
            raise ValidationFailed(FieldError("amount", problem[1]))  # a Msg, a sentence already
        movement_id = str(uuid.uuid4())
        associate = tx.actor.associate_number or tx.actor.name
        tx.audit("customer", customer_id, f"credit_{kind.value}",
                 {"store_credit": (signed(known, code, stored=True), signed(known + amount_minor, code, stored=True)),
                  "reason": (None, reason)})
        tx.outbox(EventKind.CREDIT_MOVED, ENTITY, movement_id,
                  {"id": movement_id, "customer_id": customer_id, "currency": code, "kind": kind.value,
                   "amount_minor": amount_minor, "reason": reason, "associate": associate[:64],
                   "role": tx.actor.role.value})
        return PendingMovement(movement_id, code, kind, amount_minor, reason, associate, tx.now,
                               store_code=tx.store_code)


__all__ = ["credit_account", "balance_here", "move_credit", "default_currency", "currency_for", "CreditView", "CreditLine", "PendingMovement",
           "CREDIT", "ENTITY"]
