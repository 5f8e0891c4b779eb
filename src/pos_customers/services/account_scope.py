"""Account sharing scope at the till (domain/account_scope.py says what the scopes are).

- :func:`check`: on save, offline, against the customers this till holds: a registered account may
  not take an address another registered account of the same scope holds. Headquarters checks the
  whole chain again on push.
- A push headquarters refused for that reason is parked (409, ``payload.fields.emails``, with the
  holder's customer id). Two ways out, each one transaction with its audit rows and outbox events:
  :func:`merge_into_account` folds a customer made here into the account that holds the address
  (the customer made here goes; its data and notes join the account), and
  :func:`change_account_email` gives the customer another address and sends the parked event again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from ..domain.account_scope import DEFAULT_SCOPE, SETTING_KEY, AccountScope, claimed_emails
from ..domain.customer import CleanCustomer, CustomerDraft
from ..domain.enums import EventKind
from ..domain.errors import FieldError, ValidationFailed
from ..domain.record import CustomerRecord
from ..domain.reference import format_reference
from ..domain.i18n import Msg
from ..domain.merge import absorbed
from ..storage import customers as rows
from ..storage.conn import connection
from .context import Actor, NotFound, Permission, Services

if TYPE_CHECKING:  # the ORM for the parked clashes only: the check on every save runs on plain SQL
    from sqlmodel import Session

    from ..domain.account_scope_setting import AccountScopeSetting

    from ..storage.tables import OutboxEvent

REFUSED_FIELD = "payload.fields.emails"


def _stored(s: Session | sqlite3.Connection) -> str:
    row = connection(s).execute("SELECT value FROM setting WHERE key = ?", (f"chain.{SETTING_KEY}",)).fetchone()
    return row[0] if row and row[0] else ""


def _shared(stored: str) -> bool:
    """Does the stored setting (as :func:`setting` reads it) share accounts? Decided without pydantic
    where it can be: nothing stored, not a JSON object, or a value of ``shared`` (or none) is shared
    whatever else the document holds (a document the model refuses counts as the default, shared)."""
    if not stored:
        return True
    try:
        doc = json.loads(stored)
    except ValueError:
        return True
    return not isinstance(doc, dict) or doc.get("value", DEFAULT_SCOPE) == AccountScope.SHARED


def setting(s: Session | sqlite3.Connection) -> AccountScopeSetting:
    """The chain's account scope as this till last pulled it (shared until then)."""
    from ..domain.account_scope_setting import AccountScopeSetting

    stored = _stored(s)
    if not stored:
        return AccountScopeSetting()
    try:
        return AccountScopeSetting.model_validate(json.loads(stored))
    except ValueError:
        return AccountScopeSetting()


def current_scope(svc: Services, actor: Actor) -> AccountScopeSetting:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return setting(s)


def check(s: Session | sqlite3.Connection, record: CustomerRecord, clean: CleanCustomer | None = None) -> None:
    """Refuse a registered account an address another registered account of its scope holds here."""
    check_fields(s, record.store_code, record.id, record.document_fields(), clean,
                 anonymized=record.anonymized_at is not None)


def check_fields(s: Session | sqlite3.Connection, store_code: str, customer_id: str | None, fields: dict,
                 clean: CleanCustomer | None = None, *, anonymized: bool = False) -> None:
    """:func:`check` on a customer's document fields: also before a save, so a form asks nothing
    (a possible duplicate: save anyway?) of a customer the save would refuse for the scope."""
    if _shared(_stored(s)):  # the default: no pydantic for a save (`customers add`)
        return
    scope = setting(s)
    if scope.value == AccountScope.SHARED:
        return
    mine = scope.key_of(store_code)
    wanted = claimed_emails(fields, anonymized=anonymized)
    if mine is None or not wanted:
        return
    marks = ",".join("?" * len(wanted))
    hits = connection(s).execute(
        f"SELECT e.address_key, c.reference, c.store_code FROM customer_email e JOIN customer c ON c.id = e.customer_id"
        f" WHERE e.address_key IN ({marks}) AND c.id != ? AND c.account_type = 'registered'"
        " AND c.anonymized_at IS NULL ORDER BY c.created_at", (*wanted, customer_id or "")).fetchall()
    order = [e.email.address.casefold() for e in clean.emails] if clean is not None else wanted
    errors = []
    for key, reference, store in hits:
        if scope.key_of(store) != mine or any(e.field.endswith(f"{order.index(key) if key in order else 0}.address")
                                              for e in errors):
            continue
        at = order.index(key) if key in order else 0
        errors.append(FieldError(
            f"emails.{at}.address",
            Msg("{email} is already the email of registered account {reference} (store {store}): one account per "
                "email in {scope}. Open that account instead, use another email, or save this customer as a guest",
                email=key, reference=format_reference(reference), store=store, scope=_words(scope, mine))))
    if errors:
        raise ValidationFailed(errors)


def _words(scope: AccountScopeSetting, key: str):
    from ..domain.account_scope import scope_words
    return scope_words(key)


# -- a parked clash ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParkedClash:
    event_id: str
    kind: str
    customer_id: str
    holder_id: str
    address: str  # the address headquarters named ("" if it named none this till knows)


def _clash(s: Session, event_id: str) -> tuple[OutboxEvent, ParkedClash]:
    from .sync import _find_parked

    row = _find_parked(s, event_id)
    if row.parked_field != REFUSED_FIELD or not row.parked_holder or row.entity != "customer":
        raise NotFound(Msg("event {event} was not refused for an account's email: retry or discard it",
                           event=row.id[:8]))
    record = rows.read(s, row.entity_id)
    if record is None:
        raise NotFound(Msg("customer {customer} is not on this terminal", customer=row.entity_id))
    reason = row.parked_reason.casefold()
    address = next((e.address for e in record.emails if reason.startswith(e.key + " ")), "")
    return row, ParkedClash(row.id, row.event_type, row.entity_id, row.parked_holder, address)


def parked_clash(svc: Services, actor: Actor, event_id: str) -> ParkedClash:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return _clash(s, event_id)[1]


def _unpark(tx, row: OutboxEvent, action: str, extra: dict[str, tuple[Any, Any]]) -> None:
    tx.audit(row.entity, row.entity_id, action, {
        "event": (f"{row.event_type} {row.id}", f"{row.event_type} {row.id}"),
        "parked": (f"{row.parked_status or ''} {row.parked_reason}".strip(), None), **extra})
    row.parked_at, row.parked_reason, row.parked_status, row.parked_field, row.parked_holder = None, "", None, "", ""
    tx.session.add(row)


def change_account_email(svc: Services, actor: Actor, event_id: str, new_address: str) -> CustomerRecord:
    """Give the customer of a parked clash another address (in place of the one headquarters named)
    and send the parked event again with it."""
    from .customers import draft_from_view, prepare, view_in, write_update

    with svc.change(actor, Permission.EDIT) as tx:
        s = tx.session
        row, clash = _clash(s, event_id)
        current = view_in(tx, clash.customer_id)
        old = clash.address or current.primary_email
        draft = draft_from_view(current)
        draft = replace(draft, emails=[replace(e, address=new_address.strip()) if e.address == old else e
                                       for e in draft.emails])
        if new_address.strip().casefold() == old.casefold():
            raise ValidationFailed(FieldError("emails.0.address", Msg("Type another email than the one refused")))
        prepared = prepare(svc, s, draft, new=False, existing_purposes=frozenset(a.purpose for a in current.addresses))
        before_clock = current.field_clocks.get("emails", "")
        new = write_update(tx, current, prepared.clean, action="change_account_email")
        payload = dict(row.payload)
        payload["fields"] = {**payload.get("fields", {}), "emails": new.document_fields()["emails"]}
        if "base" in payload and "emails" not in payload["base"]:
            payload["base"] = {**payload["base"], "emails": before_clock}
        row.payload = payload
        _unpark(tx, row, "sync_retry", {"email": (old, new_address.strip())})
        return new


def merged_draft(account: CustomerDraft, other: CustomerDraft) -> CustomerDraft:
    """The account, with what the other customer adds (domain/merge.py's :func:`absorbed`, the
    rule headquarters' merge applies to the documents as well)."""
    values = {f.name: getattr(account, f.name) for f in fields(CustomerDraft)}
    return replace(account, **absorbed(values, {f.name: getattr(other, f.name) for f in fields(CustomerDraft)}))


@dataclass(frozen=True)
class Merged:
    account: CustomerRecord
    removed_reference: str
    notes_moved: int


def merge_into_account(svc: Services, actor: Actor, event_id: str, *, transport=None) -> Merged:
    """Fold the customer of a parked clash into the registered account that holds its email: the
    account gains what the customer adds (merged_draft), the customer's notes move to it, and the
    customer leaves this till. One made here that headquarters never took is simply removed; one
    headquarters holds already (a refused ``customer.updated``) becomes a ``customer.merged``
    request to headquarters, queued like every change (a manager's choice: it merges two accounts
    every store sees), and a redirect here: its id and reference open the account."""
    from sqlmodel import delete, func, select

    from ..storage.tables import Customer, CustomerNote, OutboxEvent
    from .customers import draft_from_view, prepare, view_in, write_update
    from .sync import open_remote

    actor.require(Permission.EDIT)
    with svc.db.read() as s:
        _, clash = _clash(s, event_id)
        held = s.get(Customer, clash.holder_id) is not None
    at_hq = clash.kind != EventKind.CUSTOMER_CREATED
    if at_hq:
        actor.require(Permission.MERGE_CUSTOMERS)
    if not held:  # the account comes to this till, and into its store's scope at headquarters
        open_remote(svc, actor, clash.holder_id, transport=transport)  # HqUnavailable: the caller says so
    with svc.change(actor, Permission.MERGE_CUSTOMERS if at_hq else Permission.EDIT) as tx:
        s = tx.session
        row, clash = _clash(s, event_id)
        mine = view_in(tx, clash.customer_id)
        account = view_in(tx, clash.holder_id)
        if at_hq and mine.customer_type != account.customer_type:
            raise ValidationFailed(FieldError("customer", Msg("A person and an organization are not merged")))
        behind = s.exec(select(OutboxEvent).where(
            OutboxEvent.seq >= row.seq,
            (OutboxEvent.entity_id == mine.id) | (func.json_extract(OutboxEvent.payload, "$.customer_id") == mine.id)
        ).order_by(OutboxEvent.seq)).all()
        others = [r for r in behind if r.entity not in ("customer", "customer_note")]
        if others:
            raise ValidationFailed(FieldError("customer", Msg(
                "{reference} has other changes waiting ({event}): send or discard them first",
                reference=mine.reference_display, event=others[0].event_type)))
        notes = [r for r in behind if r.entity == "customer_note"]
        if at_hq:  # until headquarters applies the merge: what puts the customer back (rows.undo_redirect)
            undo: dict[str, Any] = {
                "rows": rows.snapshot(s, mine.id), "notes": [r.id for r in notes],
                "events": [e for r in behind if r.entity == "customer"
                           for e in rows.table_rows(s, "outbox_event", "id = ?", (r.id,))]}
        for r in notes:
            r.payload = {**r.payload, "customer_id": account.id}
            s.add(r)
        s.exec(delete(OutboxEvent).where(OutboxEvent.id.in_([r.id for r in behind if r.entity == "customer"])))
        moved = s.exec(select(CustomerNote).where(CustomerNote.customer_id == mine.id)).all()
        for n in moved:
            n.customer_id = account.id
            s.add(n)
        s.flush()
        draft = merged_draft(draft_from_view(account), draft_from_view(mine))
        tx.audit("customer", mine.id, "merged_into_account", {
            "into": (None, f"{account.reference_display} {account.display_name}"),
            "refused": (f"{row.parked_status or ''} {row.parked_reason}".strip(), None)})
        if at_hq:
            # headquarters merges first: the account's update below then holds the address there too
            tx.outbox(EventKind.CUSTOMER_MERGED, "customer", mine.id, {
                "id": mine.id, "into": account.id, "associate": (actor.associate_number or actor.name)[:64],
                "role": actor.role.value})
            from ..storage import memberships  # the ORM: not loaded by `customers add`, which checks the scope

            links, undo["links"] = memberships.move_links(s, mine.id, account.id)
            _audit_links(tx, links)
            rows.redirect(s, mine.id, mine.reference, account.id, account.reference, tx.now, undo=undo)
        else:
            rows.remove(s, mine.id)
        prepared = prepare(svc, s, draft, new=False, existing_purposes=frozenset(a.purpose for a in account.addresses))
        new = write_update(tx, account, prepared.clean, action="merge_account")
        if new is account:  # nothing to add: the account still says it took the customer in
            tx.audit("customer", account.id, "merge_account", {"merged": (None, mine.reference_display)})
        return Merged(new, mine.reference_display, len(moved))


def _audit_links(tx, links) -> None:
    """One audit row per link a merge moved (references only, as every membership row)."""
    from .memberships import ENTITY

    if not links:
        return
    ids = {x for _, after in links for x in (after.organization_id, after.person_id)}
    refs = {r.id: r.reference_display for r in rows.read_many(tx.session, sorted(ids)).values()}
    for before, after in links:
        old = before.fields() if before is not None else {}
        tx.audit(ENTITY, after.id, "merge_moved", {
            "organization": (None, refs.get(after.organization_id, after.organization_id)),
            "person": (None, refs.get(after.person_id, after.person_id)),
            **{k: (old.get(k), v) for k, v in after.fields().items() if old.get(k) != v}})


__all__ = ["Merged", "ParkedClash", "change_account_email", "check", "current_scope", "merge_into_account",
           "merged_draft", "parked_clash", "setting"]
