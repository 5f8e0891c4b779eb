"""Two customers headquarters holds become one (issue 17: account sharing scope).

A ``customer.merged`` event from a till (a manager's choice on a clash parked for an account's
email) or :func:`merge_customers` at headquarters folds one customer into another, in one
transaction:

- the survivor gains what the other adds, by the rule the till's merge of a refused creation
  applies (domain/merge.py's :func:`absorbed`), stamped by headquarters;
- the other's notes and orders follow the survivor (each with the next seq, so every till pulls
  them again), its carts and saved payments too; its store credit moves over as a pair of
  corrections (the ledger keeps every movement it had); its open conflicts and segments go;
- its links to organizations (a person's) or to people (an organization's) move to the survivor:
  one link per pair, the survivor's role and marks kept, a mark the other held moving with its link
  where the organization has no other holder (domain/membership.py's :func:`moved_links`);
- its cards, its claims on account emails and its search rows go (the survivor holds them now);
- it becomes a redirect, a record of kind ``redirect`` that follows the merged-away customer
  to every till that holds it: the till drops it and shows the survivor in its place;
- the stores that held the merged-away customer pull the survivor from then on;
- both sides are in headquarters' audit trail.

A later event naming the merged-away customer is refused for that event with the survivor's
reference (the till parks it and says where to make the change). A merge sent again is applied
once (by the event's id); the same merge sent by a second till is taken as done.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Connection

from ..domain.account_scope import MERGE_ROLES
from ..domain.enums import CreditKind
from ..domain.i18n import Msg
from ..domain.merge import absorbed
from ..domain.reference import format_reference
from . import tables as t
from .common import Identity, among, next_stamp
from .errors import NotFound, Refused

if TYPE_CHECKING:
    from .push import Batch
    from .service import Headquarters

KIND = "redirect"  # the pull record's kind (PullItemKind.REDIRECT)
HQ = Identity(terminal_id="", store_code="", scope="all", region="")  # headquarters itself


_REDIRECTS = select(t.record.c.key, t.record.c.doc).where(t.record.c.kind == KIND, among(t.record.c.key))


def redirects(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
    """merged-away customer id -> its redirect (id, reference, into, into_reference, at, by)."""
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(ids)
    for k in range(0, len(wanted), 500):
        for key, doc in conn.execute(_REDIRECTS, {"wanted": wanted[k:k + 500]}):
            out[key] = json.loads(doc)
    return out


def survivor(conn: Connection, customer_id: str) -> str:
    """The customer that holds ``customer_id`` now (itself unless it was merged, followed to the end)."""
    seen = {customer_id}
    while True:
        into = redirects(conn, {customer_id}).get(customer_id)
        if into is None or into["into"] in seen:
            return customer_id
        customer_id = into["into"]
        seen.add(customer_id)


def merged_refusal(redirect: dict[str, Any], where: str) -> Refused:
    return Refused(409, Msg("customer {customer} was merged into {account} at headquarters: this change was not "
                            "applied; make it on {account}", customer=format_reference(redirect["reference"]),
                            account=format_reference(redirect["into_reference"])), where)


# -- a till's event (push.py) -------------------------------------------------------------------------

def customer_merged(b: Batch, e) -> None:
    """``customer.merged``: applied in the push's transaction, or refused for this event only."""
    from .customer_data import _associate_role

    p, who = e.payload, b.who
    if p.role not in MERGE_ROLES:
        raise Refused(403, Msg("a {role} may not merge customers (roles that may: {roles})", role=p.role.value,
                               roles=", ".join(sorted(r.value for r in MERGE_ROLES))), "payload.role")
    known = _associate_role(b, who.store_code, p.associate)
    if known is not None and known not in MERGE_ROLES:
        raise Refused(403, Msg("associate {associate} of store {store} is a {role} at headquarters and may not "
                               "merge customers", associate=p.associate, store=who.store_code, role=known.value),
                      "payload.associate")
    done = b.redirects.get(p.id)
    if done is not None and done["into"] == p.into:
        return  # merged already (at headquarters, or sent by another till): nothing more to do
    merge_in_batch(b, p.id, p.into, by=f"{who.store_code}:{p.associate}")


def merge_in_batch(b: Batch, gone_id: str, keep_id: str, *, by: str) -> None:
    """Fold ``gone_id`` into ``keep_id`` within a push's batch (both loaded and locked by it)."""
    gone = b.customer(gone_id, "payload.id")
    keep = b.customer(keep_id, "payload.into")
    for c, where in ((gone, "payload.id"), (keep, "payload.into")):
        if c["anonymized_at"] is not None:
            raise Refused(409, Msg("customer {customer} is anonymized: it is not merged", customer=c["reference"]),
                          where)
    if (gone["fields"].get("customer_type") or "person") != (keep["fields"].get("customer_type") or "person"):
        raise Refused(422, Msg("a person and an organization are not merged"), "payload.into")
    conn, now = b.conn, b.now
    changes = absorbed(keep["fields"], gone["fields"])
    if changes:
        stamp = next_stamp({**keep["clocks"], **gone["clocks"]}, now)
        b.merge(keep, changes, stamp, {k: keep["clocks"].get(k, "") for k in changes})
    # what the merged-away customer held: the survivor's now
    for number in [n for n, holder in b.cards.items() if holder == gone_id]:
        del b.cards[number]
    conn.execute(delete(t.card).where(t.card.c.customer_id == gone_id))
    conn.execute(delete(t.account_email).where(t.account_email.c.customer_id == gone_id))
    if b.accounts is not None:
        from . import account_scope
        account_scope.hold(b.accounts, gone_id, gone["home_store"], {}, True)
        account_scope.hold(b.accounts, keep_id, keep["home_store"], keep["fields"], False)
    from .push import _hold_cards
    _hold_cards(b, keep)
    from . import search as customer_search
    customer_search.index_customers(conn, [(gone_id, None, True)])
    conn.execute(update(t.customer).where(t.customer.c.id == gone_id).values(search_text=""))
    from .segments import forget_customer
    forget_customer(conn, gone_id)
    moved = _move_records(b, gone_id, keep_id)
    conn.execute(update(t.cart).where(t.cart.c.customer_id == gone_id).values(customer_id=keep_id))
    conn.execute(update(t.saved_payment).where(t.saved_payment.c.customer_id == gone_id).values(customer_id=keep_id))
    credit = _move_credit(b, gone, keep, by)
    links = _move_memberships(b, gone, keep, by)
    _share_interest(conn, gone, keep)
    redirect = {"id": gone_id, "reference": gone["reference"], "into": keep_id, "into_reference": keep["reference"],
                "at": now.isoformat(), "by": by[:100]}
    b.records[(KIND, gone_id)] = {"doc": redirect, "customer_id": gone_id}
    b.redirects[gone_id] = redirect
    b.touched[keep_id] = None
    b.audit_rows.append(dict(by=by, entity="customer", entity_id=gone_id, action="merged_into", changes={
        "into": (None, format_reference(keep["reference"])), "records_moved": (None, moved),
        **({"store_credit": (None, credit)} if credit else {}), **({"links_moved": (None, links)} if links else {})}))
    b.audit_rows.append(dict(by=by, entity="customer", entity_id=keep_id, action="merge_account", changes={
        "merged": (None, format_reference(gone["reference"])), **{k: (None, "+") for k in sorted(changes)}}))


def _move_records(b: Batch, gone_id: str, keep_id: str) -> int:
    """Notes and orders follow the survivor; the merged-away customer's conflicts and segments go."""
    r = t.record.c
    n = 0
    for kind, key, store, doc in b.conn.execute(select(r.kind, r.key, r.store_code, r.doc).where(
            r.customer_id == gone_id, r.kind.in_(("note", "order", "conflict", "customer_segments")),
            r.deleted.is_(False))).all():
        staged = b.records.get((kind, key))
        body = staged["doc"] if staged else json.loads(doc)
        if kind in ("note", "order"):
            b.records[(kind, key)] = {"doc": {**body, "customer_id": keep_id}, "store_code": store,
                                      "customer_id": keep_id}
            n += 1
        else:
            b.records[(kind, key)] = {"doc": body, "store_code": store, "customer_id": gone_id, "deleted": True}
    return n


def _move_credit(b: Batch, gone: dict[str, Any], keep: dict[str, Any], by: str) -> str:
    """The merged-away customer's balance in each currency moves to the survivor: a correction out
    and one in, so each ledger keeps adding up and the money is accounted for."""
    from .credit import _append, _audit_entry, _Refusal

    m = t.credit_movement.c
    moved = []
    for currency, amount in b.conn.execute(select(m.currency, func.sum(m.amount_minor)).where(
            m.customer_id == gone["id"]).group_by(m.currency).order_by(m.currency)).all():
        amount = int(amount or 0)
        if amount == 0:
            continue
        for cid, signed_amount, reason in (
                (gone["id"], -amount, f"Merged into {format_reference(keep['reference'])}"),
                (keep["id"], amount, f"Merged from {format_reference(gone['reference'])}")):
            try:
                row = _append(b.conn, id=str(uuid.uuid4()), customer_id=cid, currency=currency,
                              kind=CreditKind.CORRECTED, amount_minor=signed_amount, reason=reason, by=by,
                              store_code=b.who.store_code, terminal_id=b.who.terminal_id, at=b.now)
            except _Refusal as no:  # cannot happen: the balance moved is the one held
                raise Refused(409, no.reason, "payload.id") from None
            if row is not None:
                b.audit_rows.append(_audit_entry(row))
        moved.append(f"{amount} {currency}")
    return ", ".join(moved)


def _move_memberships(b: Batch, gone: dict[str, Any], keep: dict[str, Any], by: str) -> int:
    """The merged-away customer's organizations (a person's) or people (an organization's) become the
    survivor's, by domain/membership.py's :func:`moved_links`: one link per pair, marks kept
    sensibly; each changed membership written with the next seq (every till that sees both sides
    pulls it) and audited. Returns how many links moved."""
    from ..domain.membership import MEMBERSHIP_FIELDS, moved_links
    from . import memberships

    def load(customers: set[str]) -> None:
        for mid, record in memberships.load(b.conn, set(), customers).items():
            if mid not in b.memberships:
                b.memberships[mid] = record
                b.stored_memberships.add(mid)

    gone_id, keep_id = gone["id"], keep["id"]
    load({gone_id, keep_id})
    orgs = {m.organization_id for m in b.memberships.values() if m.person_id == gone_id and m.active}
    if orgs:
        load(orgs)
    involved = {gone_id, keep_id} | orgs
    members = [m for m in b.memberships.values() if m.organization_id in involved or m.person_id in involved]
    if not any(m.active and gone_id in (m.organization_id, m.person_id) for m in members):
        return 0
    stamp = next_stamp({f"{m.id}.{k}": v for m in members for k, v in m.clocks.items()}, b.now)  # after every link's
    changed = moved_links(gone_id, keep_id, members, stamp)
    refs = dict(b.conn.execute(select(t.customer.c.id, t.customer.c.reference).where(t.customer.c.id.in_(
        sorted({x for _, after in changed for x in (after.organization_id, after.person_id)})))).all())
    def shown(cid: str) -> str:
        return format_reference(refs[cid]) if cid in refs else cid

    for before, after in changed:
        b.memberships[after.id] = after
        b.touched_memberships[after.id] = None
        old = before.fields() if before is not None else {}
        b.audit_rows.append(dict(by=by, entity="membership", entity_id=after.id, action="merge_moved", changes={
            "organization": (None, shown(after.organization_id)), "person": (None, shown(after.person_id)),
            **{k: (old.get(k), v) for k, v in after.fields().items() if k in MEMBERSHIP_FIELDS and old.get(k) != v}}))
    return sum(1 for before, after in changed if after.active and keep_id in (after.organization_id, after.person_id))


def _share_interest(conn: Connection, gone: dict[str, Any], keep: dict[str, Any]) -> None:
    """The stores that held the merged-away customer (its home, its region's stores that see their
    region, those that pulled it in) pull the survivor from now on."""
    stores = set(conn.execute(select(t.interest.c.store_code).where(t.interest.c.customer_id == gone["id"])).scalars())
    stores.add(gone["home_store"])
    if gone["region"]:
        stores |= set(conn.execute(select(t.store.c.code).where(and_(
            t.store.c.region == gone["region"], t.store.c.scope == "region"))).scalars())
    stores -= set(conn.execute(select(t.interest.c.store_code).where(t.interest.c.customer_id == keep["id"])).scalars())
    stores.discard(keep["home_store"])
    if stores:
        conn.execute(t.interest.insert(), [{"store_code": s, "customer_id": keep["id"]} for s in sorted(stores)])


# -- at headquarters ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MergeDone:
    kept: str       # the survivor's reference
    merged: str     # the merged-away customer's reference
    already: bool   # merged before: nothing changed


def customer_id_of(conn: Connection, text: str) -> str:
    """A customer id, or a reference as printed (dashes and case as a person types them)."""
    from ..domain.reference import InvalidReference, parse_reference
    text = text.strip()
    if conn.execute(select(t.customer.c.id).where(t.customer.c.id == text)).first():
        return text
    try:
        reference = parse_reference(text)
    except InvalidReference:
        reference = None
    row = conn.execute(select(t.customer.c.id).where(t.customer.c.reference == reference)).first() if reference \
        else None
    if row is None:
        raise NotFound(Msg("no customer {customer} at headquarters", customer=text))
    return row.id


def merge_customers(hq: Headquarters, merged: str, into: str, *, by: str = "headquarters") -> MergeDone:
    """Fold customer ``merged`` into ``into`` at headquarters (ids or references): one transaction,
    the same steps as a till's ``customer.merged`` event."""
    from .errors import Conflict, Invalid
    from .push import Batch, PushResult, _write
    from .common import load_customers, pulled_in
    from . import account_scope, cards as chain_cards

    with hq.engine.begin() as conn:
        gone_id, keep_id = customer_id_of(conn, merged), customer_id_of(conn, into)
        if gone_id == keep_id:
            raise Invalid(Msg("a customer cannot be merged into itself"))
        held = redirects(conn, {gone_id, keep_id})
        if gone_id in held:
            if held[gone_id]["into"] == keep_id:
                return MergeDone(held[gone_id]["into_reference"], held[gone_id]["reference"], True)
            raise Conflict(merged_refusal(held[gone_id], "").reason)
        if keep_id in held:
            raise Conflict(merged_refusal(held[keep_id], "").reason)
        customers = load_customers(conn, {gone_id, keep_id})
        emails = {e.get("address", "").strip().casefold() for c in customers.values()
                  for e in c["fields"].get("emails") or ()}
        cards = {n for c in customers.values() for n in c["fields"].get("cards") or ()}
        b = Batch(who=HQ, conn=conn, now=hq.now(), result=PushResult(), customers=customers,
                  interest=pulled_in(conn, HQ, {gone_id, keep_id}), references={}, notes={}, conflicts={},
                  accounts=account_scope.load(conn, emails), cards=chain_cards.holders(conn, cards),
                  redirects=held)
        try:
            merge_in_batch(b, gone_id, keep_id, by=by)
        except Refused as no:
            raise Conflict(no.reason) from None
        _write(conn, b, [])
        return MergeDone(customers[keep_id]["reference"], customers[gone_id]["reference"], False)


__all__ = ["KIND", "MergeDone", "customer_id_of", "customer_merged", "merge_customers", "merge_in_batch", "merged_refusal",
           "redirects", "survivor"]
