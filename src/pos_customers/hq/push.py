"""A terminal's push: outbox events applied in order, each exactly once (by its id), each checked
for the credential's store first.

One handler per :class:`EventKind` (:data:`HANDLERS`). A handler first decides whether the store may
do what the event says, raising :class:`Refused` (nothing of the event is applied, and it is not
recorded as applied, so the terminal can send it again once fixed); then it applies the event to the
batch's state. The batch is written in one transaction: customers and records each get the next seq.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..domain.membership import MembershipRecord, deactivation, merge_event
from ..domain.merge import merge_fields
from . import account_scope
from ..domain.account_scope import claimed_emails
from ..domain.protocol import CUSTOMER_EVENTS, Event, EventKind, fields_json
from ..domain.errors import message_of, raised_message
from ..domain.i18n import N_, Msg
from ..domain.reference import InvalidReference, decode_reference
from . import cards as chain_cards
from . import memberships
from .facts import customer_facts  # what segment rules read, in step with the fields
from . import search as customer_search  # issue 11: the till's search at headquarters
from . import tables as t
from .common import (Identity, among, bulk_insert, dumps, load_customers, lock_seq, parse_time, pulled_in, put_records,
                     sees, store_seq)
from .errors import Conflict, Refused, coded

if TYPE_CHECKING:
    from .service import Headquarters

_EVENT = TypeAdapter(Event)
# the statements of every push, built once (common.among)
_APPLIED = select(t.applied_event.c.id).where(among(t.applied_event.c.id))
_REFERENCES = select(t.customer.c.reference, t.customer.c.id).where(among(t.customer.c.reference))
_LAST_SEEN = update(t.terminal).where(t.terminal.c.id == bindparam("terminal")).values(last_seen_at=bindparam("now"))
LAST_SEEN_EVERY = 60.0  # seconds: how often a push writes its terminal's last_seen_at (per process)


@dataclass
class PushResult:
    applied: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0


@dataclass
class Batch:
    """One push's view of headquarters while its events are applied."""

    who: Identity
    conn: Connection
    now: datetime
    result: PushResult
    customers: dict[str, dict[str, Any]]
    interest: set[str]                   # customers this store pulled in
    references: dict[str, str]           # reference -> customer id, for references this batch names
    notes: dict[str, str | None]         # note id -> its store, for notes this batch names
    conflicts: dict[str, dict[str, Any]]  # conflict id -> record, for conflicts this batch resolves
    fresh: set[str] = field(default_factory=set)
    touched: dict[str, None] = field(default_factory=dict)  # in event order
    erase: list[str] = field(default_factory=list)            # anonymized: their notes etc. go
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)  # card number -> holder, for the cards events name
    memberships: dict[str, MembershipRecord] = field(default_factory=dict)  # loaded: memberships.load
    stored_memberships: set[str] = field(default_factory=set)
    touched_memberships: dict[str, None] = field(default_factory=dict)
    event_id: str = ""
    accounts: account_scope.Claims | None = None  # one registered account per email and scope
    audit_rows: list[dict[str, Any]] = field(default_factory=list)  # headquarters' own audit rows to write
    store_codes: set[str] | None = None  # the directory's codes, read when an event names a preferred store
    redirects: dict[str, dict[str, Any]] = field(default_factory=dict)  # merged-away customers the batch names
    stored: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # as loaded: fields text, home, anonymized

    def customer(self, customer_id: str, where: str) -> dict[str, Any]:
        """A customer this store may change: it exists here, was not merged into another and is in
        the store's scope."""
        if customer_id in self.redirects:
            from .merge import merged_refusal
            raise merged_refusal(self.redirects[customer_id], where)
        c = self.customers.get(customer_id)
        if c is None:
            raise Refused(404, Msg("customer {customer} is unknown at headquarters", customer=customer_id), where)
        if not sees(self.who, c, self.interest):
            raise Refused(403, Msg("customer {customer} is not in store {store}'s scope", customer=customer_id,
                                   store=self.who.store_code), where)
        return c

    def merge(self, c: dict[str, Any], incoming: dict[str, Any], stamp: str, base: dict[str, str]) -> None:
        merged = merge_fields(c["fields"], c["clocks"], incoming, stamp, base,
                              anonymized=c["anonymized_at"] is not None)
        c["fields"], c["clocks"] = merged.fields, merged.clocks
        for x in merged.conflicts:
            doc = {"id": f"{self.event_id}:{x.field}", "customer_id": c["id"], "field": x.field,
                   "kept": x.kept, "kept_stamp": x.kept_stamp, "lost": x.lost, "lost_stamp": x.lost_stamp,
                   "origin_store": self.who.store_code, "at": self.now.isoformat()}
            self.records[("conflict", doc["id"])] = {"doc": doc, "customer_id": c["id"]}
            self.result.conflicts.append(doc)


# -- one handler per event kind -------------------------------------------------------------------------

def _check_cards(b: Batch, p) -> None:
    """A card another customer of the chain holds is refused: the event is not applied."""
    sent = fields_json(p.fields).get("cards")
    other = chain_cards.taken(sent or (), p.id, b.cards)
    if other is not None:
        raise Refused(409, Msg("card {card} belongs to another customer of the chain: take it off this "
                               "customer (or off the other one first)", card=other), "payload.fields.cards")


def _check_preferred_store(b: Batch, p) -> None:
    """A preferred store must be a store of the chain's directory (or the online shop)."""
    code = fields_json(p.fields).get("preferred_store")
    if not code:
        return
    if b.store_codes is None:
        from .customer_data import directory_codes

        b.store_codes = directory_codes(b.conn)
    if code not in b.store_codes:
        raise Refused(422, Msg("preferred store {store} is not a store of the chain's directory: choose one of "
                               "the Stores tab's stores", store=code), "payload.fields.preferred_store")


def _hold_cards(b: Batch, c: dict[str, Any]) -> None:
    """The batch's view of who holds which card, after the customer's fields changed."""
    mine = set(c["fields"].get("cards") or ()) if c["anonymized_at"] is None else set()
    for number in [n for n, holder in b.cards.items() if holder == c["id"] and n not in mine]:
        del b.cards[number]
    for number in mine:
        b.cards.setdefault(number, c["id"])


def _check_account(b: Batch, c: dict[str, Any] | None, p, incoming: dict[str, Any], stamp: str,
                   base: dict[str, str]) -> None:
    """An event that would give a registered account an address another registered account holds
    in the chain's account scope is refused: the event is not applied (domain/account_scope.py)."""
    state = b.accounts
    if state is None or state.setting.value == "shared" or not ({"emails", "account_type"} & set(incoming)):
        return
    home = c["home_store"] if c is not None else b.who.store_code
    if c is None:
        after, anonymized = incoming, False
    else:
        anonymized = c["anonymized_at"] is not None
        after = merge_fields(c["fields"], c["clocks"], incoming, stamp, base, anonymized=anonymized).fields
    found = account_scope.clash(state, p.id, home, after, anonymized)
    if found is not None:
        raise Refused(409, account_scope.refusal_reason(b.conn, found), "payload.fields.emails", found.holder_id)
    state.checked.add(p.id)


def _hold_account(b: Batch, c: dict[str, Any]) -> None:
    if b.accounts is not None:
        account_scope.hold(b.accounts, c["id"], c["home_store"], c["fields"], c["anonymized_at"] is not None)


def _customer_created(b: Batch, e) -> None:
    p = e.payload
    _check_cards(b, p)
    _check_preferred_store(b, p)
    incoming = fields_json(p.fields)
    _check_account(b, b.customers.get(p.id), p, incoming, e.hlc, {})
    c = _register(b, p)
    b.merge(c, incoming, e.hlc, {})
    _hold_cards(b, c)
    _hold_account(b, c)
    b.touched[p.id] = None


def _register(b: Batch, p) -> dict[str, Any]:
    """A new customer of the pushing store (or the same one sent again after a crash)."""
    who = b.who
    if p.store_code is not None and p.store_code != who.store_code:
        raise Refused(403, Msg("store {store} may not register customers for store {other}", store=who.store_code,
                               other=p.store_code), "payload.store_code")
    try:
        origin = decode_reference(p.reference)
    except InvalidReference as exc:
        raise Refused(422, Msg("{reference}: {reason}", reference=p.reference, reason=message_of(exc)),
                      "payload.reference") from None
    if origin.store_number != who.store_number:
        raise Refused(403, Msg("reference {reference} was issued by store number {number}, not by store {store} "
                               "(number {store_number})", reference=p.reference, number=origin.store_number,
                               store=who.store_code, store_number=who.store_number), "payload.reference")
    c = b.customers.get(p.id)
    if c is not None:
        if c["reference"] != p.reference:
            raise Refused(409, Msg("customer {customer} exists with another reference", customer=p.id),
                          "payload.reference")
        b.customer(p.id, "payload.id")  # a resend after a crash: only within the store's scope
    else:
        holder = b.references.get(p.reference)
        if holder is not None and holder != p.id:
            raise Refused(409, Msg("reference {reference} belongs to another customer", reference=p.reference),
                          "payload.reference")
        c = b.customers[p.id] = {
            "id": p.id, "reference": p.reference, "home_store": who.store_code, "region": who.region,
            "created_at": getattr(p, "created_at", None), "anonymized_at": None, "fields": {}, "clocks": {}}
        b.references[p.reference] = p.id
        b.fresh.add(p.id)
    return c


def _check_reference(c: dict[str, Any], p) -> None:
    if p.reference is not None and p.reference != c["reference"]:
        raise Refused(409, Msg("customer {customer} has reference {reference}, not {sent}", customer=p.id,
                               reference=c["reference"], sent=p.reference), "payload.reference")


def _customer_updated(b: Batch, e) -> None:
    p = e.payload
    c = b.customer(p.id, "payload.id")
    _check_reference(c, p)
    _check_cards(b, p)
    _check_preferred_store(b, p)
    incoming = fields_json(p.fields)
    _check_account(b, c, p, incoming, e.hlc, dict(p.base))
    b.merge(c, incoming, e.hlc, dict(p.base))
    _hold_cards(b, c)
    _hold_account(b, c)
    b.touched[p.id] = None


def _customer_anonymized(b: Batch, e) -> None:
    p = e.payload
    if p.id not in b.customers and p.reference is not None:
        # made and anonymized before its first sync: the till dropped the unsent creation (it held
        # the personal data); the anonymized customer is registered with the creation's checks
        _register(b, p)
    c = b.customer(p.id, "payload.id")
    _check_reference(c, p)
    incoming = fields_json(p.fields)
    c["fields"] = {**c["fields"], **incoming}
    c["clocks"] = {**c["clocks"], **{k: e.hlc for k in incoming}}
    c["anonymized_at"] = c["anonymized_at"] or b.now
    _hold_cards(b, c)
    _hold_account(b, c)
    b.erase.append(p.id)
    b.touched[p.id] = None
    for mid, ms in list(b.memberships.items()):  # an anonymized customer has no organization, no people
        if p.id in (ms.person_id, ms.organization_id) and ms.active:
            b.memberships[mid] = merge_event(ms, ms.organization_id, ms.person_id, deactivation(), e.hlc)
            b.touched_memberships[mid] = None


def _note_created(b: Batch, e) -> None:
    p, who = e.payload, b.who
    b.customer(p.customer_id, "payload.customer_id")
    owner = b.notes.get(p.id, who.store_code)
    if owner != who.store_code:
        raise Refused(403, Msg("store {store} may not change store {other}'s notes", store=who.store_code,
                               other=owner), "payload.id")
    doc = {**p.model_dump(mode="json", exclude_unset=True), "store_code": who.store_code}
    b.records[("note", p.id)] = {"doc": doc, "store_code": who.store_code, "customer_id": p.customer_id}
    b.notes[p.id] = who.store_code


def _template_updated(b: Batch, e) -> None:
    p, who = e.payload, b.who
    if p.store_code.upper() != who.store_code:
        raise Refused(403, Msg("store {store} may not change store {other}'s template", store=who.store_code,
                               other=p.store_code), "payload.store_code")
    b.records[("template", who.store_code)] = {"doc": p.model_dump(mode="json", exclude_unset=True),
                                               "store_code": who.store_code}


def _associate_changed(b: Batch, e) -> None:
    p, who = e.payload, b.who
    if p.store_code not in (None, "", who.store_code):
        raise Refused(403, Msg("store {store} may not change store {other}'s associates", store=who.store_code,
                               other=p.store_code), "payload.store_code")
    from .support import is_support_account
    if is_support_account(b.conn, p.number):
        raise Refused(409, Msg("{number} is a support account of the chain (headquarters manages it), "
                               "not an associate of a store", number=p.number), "payload.number")
    b.records[("associate", f"{who.store_code}:{p.number}")] = {
        "doc": {**p.model_dump(mode="json", exclude_unset=True), "store_code": who.store_code},
        "store_code": who.store_code}


def _reference_data(kind: str, *, deleted: bool = False) -> Callable[[Batch, Any], None]:
    """Chain-wide reference data (groups, affiliations, attributes, address purposes): one row per code."""
    def handle(b: Batch, e) -> None:
        doc = e.payload.model_dump(mode="json", exclude_unset=True)
        b.records[(kind, e.payload.code)] = {"doc": doc, "deleted": True} if deleted else {"doc": doc}
    return handle


def _store_created(b: Batch, e) -> None:
    """Stores are registered at headquarters (hq add-store), not by terminals: nothing to do."""


def _conflict_resolved(b: Batch, e) -> None:
    p = e.payload
    b.customer(p.customer_id, "payload.customer_id")
    record = b.records.get(("conflict", p.id)) or b.conflicts.get(p.id)
    if record is None or record.get("customer_id") != p.customer_id:
        raise Refused(404, Msg("no conflict {conflict} for customer {customer}", conflict=p.id,
                               customer=p.customer_id), "payload.id")
    doc = {**record["doc"], "resolution": p.resolution, "resolved_by": b.who.store_code}
    # deleted, with a new seq: every store's next pull drops it
    b.records[("conflict", p.id)] = {"doc": doc, "customer_id": p.customer_id, "deleted": True}


def _payment_deleted(b: Batch, e) -> None:
    from .customer_data import payment_deleted  # saved payments (hq/customer_data.py)
    payment_deleted(b, e)


def _credit_moved(b: Batch, e) -> None:
    from .credit import credit_moved  # store credit (hq/credit.py)
    credit_moved(b, e)


def _customer_merged(b: Batch, e) -> None:
    from .merge import customer_merged  # two customers become one (hq/merge.py)
    customer_merged(b, e)


def _membership_changed(b: Batch, e) -> None:
    """A person linked to an organization, or the link changed: the store must see both customers."""
    p = e.payload
    org = b.customer(p.organization_id, "payload.organization_id")
    person = b.customer(p.person_id, "payload.person_id")
    for c, where, kind in ((org, "payload.organization_id", "organization"), (person, "payload.person_id", "person")):
        if c["anonymized_at"] is not None:
            raise Refused(409, Msg("customer {customer} is anonymized", customer=c["id"]), where)
        if (c["fields"].get("customer_type") or "person") != kind:
            raise Refused(422, Msg(_NOT_A[kind], customer=c["id"]), where)
    b.memberships[p.id] = merge_event(b.memberships.get(p.id), p.organization_id, p.person_id,
                                      p.fields.model_dump(mode="json", exclude_unset=True), e.hlc)
    b.touched_memberships[p.id] = None


_NOT_A = {"organization": N_("customer {customer} is not an organization"),
          "person": N_("customer {customer} is not a person")}


HANDLERS: dict[EventKind, Callable[[Batch, Any], None]] = {
    EventKind.CUSTOMER_CREATED: _customer_created,
    EventKind.CUSTOMER_UPDATED: _customer_updated,
    EventKind.CUSTOMER_ANONYMIZED: _customer_anonymized,
    EventKind.NOTE_CREATED: _note_created,
    EventKind.TEMPLATE_UPDATED: _template_updated,
    EventKind.ASSOCIATE_CHANGED: _associate_changed,
    EventKind.GROUP_CHANGED: _reference_data("group"),
    EventKind.AFFILIATION_CHANGED: _reference_data("affiliation"),
    EventKind.ATTRIBUTE_CHANGED: _reference_data("attribute"),
    EventKind.PURPOSE_CHANGED: _reference_data("purpose"),
    EventKind.PURPOSE_DELETED: _reference_data("purpose", deleted=True),
    EventKind.STORE_CREATED: _store_created,
    EventKind.CONFLICT_RESOLVED: _conflict_resolved,
    EventKind.PAYMENT_DELETED: _payment_deleted,
    EventKind.MEMBERSHIP_CHANGED: _membership_changed,
    EventKind.CREDIT_MOVED: _credit_moved,
    EventKind.CUSTOMER_MERGED: _customer_merged,
}
assert set(HANDLERS) == set(EventKind)


# -- the batch ------------------------------------------------------------------------------------------

def _typed(events: Sequence[Any], result: PushResult) -> list[Any]:
    """Events as protocol models. A plain dict (a direct caller) that is not a valid event is refused."""
    out = []
    for e in events:
        if not isinstance(e, dict):
            out.append(e)
            continue
        try:
            out.append(_EVENT.validate_python(e))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [p for p in first["loc"] if p != e.get("type")]
            result.refused.append({"id": str(e.get("id")), "status": 422, "reason": first["msg"],
                                   "field": ".".join(str(p) for p in loc) or None, **coded(raised_message(first))})
    return out


def push(hq: Headquarters, who: Identity, events: Sequence[Any]) -> PushResult:
    """Apply a batch of outbox events, in order, each exactly once (by its id)."""
    result = PushResult()
    events = _typed(events, result)
    now = hq.now()
    seen = hq._last_seen.get(who.terminal_id, -LAST_SEEN_EVERY)
    due = time.monotonic() - seen >= LAST_SEEN_EVERY
    try:
        with hq.engine.begin() as conn:
            if due:  # the terminal's last contact, kept to the minute: not one more UPDATE per push
                conn.execute(_LAST_SEEN, {"terminal": who.terminal_id, "now": now})
            todo = _new_events(conn, events, result)
            b = _prepare(conn, who, now, result, todo)
            for e in todo:
                b.event_id = e.id
                try:
                    HANDLERS[EventKind(e.type)](b, e)
                except Refused as no:
                    result.refused.append(no.result(e.id))
                    continue
                result.applied.append(e.id)
            _write(conn, b, [e for e in todo if e.id in set(result.applied)])
    except IntegrityError:
        raise Conflict(Msg("another push changed the same customers at the same moment: send the batch again")) from None
    if due:
        if len(hq._last_seen) > 100_000:
            hq._last_seen.clear()
        hq._last_seen[who.terminal_id] = time.monotonic()
    if b.erase:
        from .db import scrub
        scrub(hq.engine)
    return result


def _new_events(conn: Connection, events: list[Any], result: PushResult) -> list[Any]:
    ids = [e.id for e in events]
    done = set(conn.execute(_APPLIED, {"wanted": ids}).scalars()) if ids else set()
    todo, seen = [], set()
    for e in events:
        if e.id in done or e.id in seen:
            result.duplicates.append(e.id)
        else:
            seen.add(e.id)
            todo.append(e)
    return todo


def _prepare(conn: Connection, who: Identity, now: datetime, result: PushResult, todo: list[Any]) -> Batch:
    """Load (and lock, in id order: no deadlock) what the events name; a concurrent resend of the same
    batch waits here and then finds its events applied."""
    named: set[str] = set()
    refs, notes, conflicts, links, anonymized, numbers = set(), set(), set(), set(), set(), set()
    for e in todo:
        p = e.payload
        if e.type in CUSTOMER_EVENTS:
            named.add(p.id)
            numbers.update(fields_json(p.fields).get("cards") or ())
            if e.type == EventKind.CUSTOMER_CREATED:
                refs.add(p.reference)
        elif e.type == EventKind.NOTE_CREATED:
            named.add(p.customer_id)
            notes.add(p.id)
        elif e.type == EventKind.CONFLICT_RESOLVED:
            named.add(p.customer_id)
            conflicts.add(p.id)
        elif e.type in (EventKind.PAYMENT_DELETED, EventKind.CREDIT_MOVED):
            named.add(p.customer_id)  # locked: two stores moving the same credit apply one after the other
        elif e.type == EventKind.MEMBERSHIP_CHANGED:
            named |= {p.organization_id, p.person_id}
            links.add(p.id)
        elif e.type == EventKind.CUSTOMER_MERGED:
            named |= {p.id, p.into}
        if e.type == EventKind.CUSTOMER_ANONYMIZED:
            anonymized.add(p.id)
    stored: dict[str, tuple[str, str, bool]] = {}
    customers = load_customers(conn, named, stored)
    held = memberships.load(conn, links, anonymized)
    from .merge import redirects
    merged = redirects(conn, named)
    addresses = {e for c in customers.values() for e in claimed_emails({**c["fields"], "account_type": "registered"})}
    addresses |= {a for e in todo if e.type in CUSTOMER_EVENTS for a in claimed_emails(
        {"account_type": "registered", **fields_json(e.payload.fields)})}
    r = t.record.c
    if any(e.type == EventKind.CUSTOMER_MERGED for e in todo):  # the survivor holds both customers' cards
        numbers |= {n for c in customers.values() for n in c["fields"].get("cards") or ()}
    return Batch(
        memberships=held, stored_memberships=set(held), redirects=merged,
        accounts=account_scope.load(conn, addresses),
        who=who, conn=conn, now=now, result=result, customers=customers, stored=stored,
        interest=pulled_in(conn, who, named),
        cards=chain_cards.holders(conn, numbers) if numbers else {},
        references=dict(conn.execute(_REFERENCES, {"wanted": sorted(refs)}).all()) if refs else {},
        notes=dict(conn.execute(select(r.key, r.store_code).where(
            r.kind == "note", r.key.in_(sorted(notes)))).all()) if notes else {},
        conflicts={row.key: {"doc": json.loads(row.doc), "customer_id": row.customer_id}
                   for row in conn.execute(select(r.key, r.doc, r.customer_id).where(
                       r.kind == "conflict", r.key.in_(sorted(conflicts))))} if conflicts else {})


def _write(conn: Connection, b: Batch, applied: list[Any]) -> None:
    who, now = b.who, b.now
    # the seq counter is locked last and only for the writes: pushes queue here briefly,
    # and their rows become visible in seq order
    seq = start = lock_seq(conn)
    if b.audit_rows:
        from .audit import record
        for row in b.audit_rows:
            record(None, conn, at=now, **row)
    inserts, updates = [], []
    for cid in b.touched:
        seq += 1
        c = b.customers[cid]
        values = dict(
            home_store=c["home_store"], region=c["region"], created_at=c["created_at"],
            updated_at=now, anonymized_at=c["anonymized_at"], seq=seq,
            fields=dumps(c["fields"]), clocks=dumps(c["clocks"]),
            search_text=_search_text(c["fields"], c["reference"]), **customer_facts(c["fields"]))
        if cid in b.fresh:
            inserts.append({"id": cid, "reference": c["reference"], **values})
        else:
            updates.append({"b_id": cid, **values})
    if inserts:
        bulk_insert(conn, t.customer, inserts)
    if updates:
        conn.execute(update(t.customer).where(t.customer.c.id == bindparam("b_id")), updates)
    index, holders, claims = _derived_changes(b)
    # search index (hq/search.py), in step with hq_customer: new customers' rows written at once
    customer_search.index_customers(conn, ((cid, b.customers[cid]["fields"], False) for cid in b.touched
                                           if cid in b.fresh and b.customers[cid]["anonymized_at"] is None), new=True)
    customer_search.index_customers(conn, ((cid, b.customers[cid]["fields"], b.customers[cid]["anonymized_at"] is not None)
                                           for cid in index if cid not in b.fresh))
    chain_cards.write_holders(conn, ((cid, b.customers[cid]["fields"], b.customers[cid]["anonymized_at"] is not None)
                                     for cid in holders))
    if b.accounts is not None:
        account_scope.write(conn, b.accounts, ((cid, b.customers[cid]["home_store"], b.customers[cid]["fields"],
                                                b.customers[cid]["anonymized_at"] is not None) for cid in claims))
    if b.touched_memberships:
        seq = memberships.write(conn, [b.memberships[mid] for mid in b.touched_memberships],
                                b.stored_memberships, seq, now)
    if b.records:
        seq = put_records(conn, [(k, key, r) for (k, key), r in b.records.items()], seq)
    for cid in b.erase:
        erase_personal_records(conn, cid)
    if applied:
        bulk_insert(conn, t.applied_event, [
            {"id": e.id, "store_code": who.store_code, "terminal_id": who.terminal_id, "applied_at": now}
            for e in applied])
    if seq != start:
        store_seq(conn, seq)
    b.result.last_seq = seq


def _derived_changes(b: Batch) -> tuple[list[str], list[str], list[str]]:
    """Of the touched customers, those whose search index, cards held or account claims are to be
    written again: a new customer's all of them; the index where the texts and keys it is made of
    changed (an address or a consent leaves it as it is); cards and claims unless there are none."""
    index, holders, claims = [], [], []
    for cid in b.touched:
        c, before = b.customers[cid], b.stored.get(cid)
        anonymized = c["anonymized_at"] is not None
        if cid in b.fresh or before is None:
            index.append(cid)
            holders.append(cid)
            claims.append(cid)
            continue
        text, home, was_anonymized = before
        old = json.loads(text)
        if anonymized != was_anonymized or (not anonymized and customer_search.index_entry(old)
                                            != customer_search.index_entry(c["fields"])):
            index.append(cid)
        # cards and claims: written again unless the customer holds none before and after (one
        # that names a card or an address another customer holds may take it over at any write)
        if old.get("cards") or (c["fields"].get("cards") and not anonymized):
            holders.append(cid)
        if home != c["home_store"] or claimed_emails(old, anonymized=was_anonymized) or claimed_emails(
                c["fields"], anonymized=anonymized):
            claims.append(cid)
    return index, holders, claims


def _search_text(fields: dict[str, Any], reference: str) -> str:
    from .directory import search_text
    return search_text(fields, reference)


def erase_personal_records(conn: Connection, customer_id: str) -> None:
    """Anonymized: notes, conflicts, carts and saved payments of the customer go (stores drop theirs
    when they receive the anonymization); the terminals' audit rows about them keep only their digests."""
    notes = [json.loads(d)["id"] for d in conn.execute(select(t.record.c.doc).where(and_(
        t.record.c.kind == "note", t.record.c.customer_id == customer_id))).scalars()]
    conn.execute(t.record.delete().where(and_(t.record.c.customer_id == customer_id,
                                              t.record.c.kind.in_(("note", "conflict", "customer_segments")))))
    from .customer_data import erase_customer_data  # carts and saved payments (the holder's name)
    erase_customer_data(conn, customer_id)
    from .credit import erase_reasons  # store credit: the amounts stay, the reasons go
    erase_reasons(conn, customer_id)
    from .segments import forget_customer  # an anonymized customer belongs to no segment
    forget_customer(conn, customer_id)
    for row in conn.execute(select(t.audit.c.terminal_id, t.audit.c.local_id, t.audit.c.row)).all():
        r = json.loads(row.row)
        about = (r.get("entity") == "customer" and r.get("entity_id") == customer_id) or (
            r.get("entity") == "customer_note" and r.get("entity_id") in notes)
        if about and r.get("changes"):
            r["changes"], r["redacted"] = {}, True
            conn.execute(update(t.audit).where(and_(t.audit.c.terminal_id == row.terminal_id,
                                                    t.audit.c.local_id == row.local_id)).values(row=dumps(r)))


__all__ = ["push", "PushResult", "HANDLERS", "Batch", "erase_personal_records", "parse_time"]
