"""Push the outbox to headquarters and pull what changed there, never losing or doubling anything.

Push: outbox events go in ``seq`` order, in batches. Headquarters applies each id once, so a batch
resent after a crash (sent, committed there, but the terminal died before deleting it) changes
nothing. An event leaves the outbox only after headquarters answered that it holds it.

Pull: a cursor (headquarters' ``seq``). Applying a page and advancing the cursor is one local
transaction: a crash mid-page re-pulls that page, and applying a page twice gives the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import httpx
from sqlmodel import Session, delete, select

from ..domain.audit import at_text
from ..domain.enums import SyncState
from ..storage import audit_chain, search_index
from ..storage import conflicts as conflict_store
from ..storage.documents import apply_document, erase_personal_records, holds, insert_new
from ..storage.engine import Database
from ..storage.tables import (AddressPurpose, Affiliation, Associate, AttributeDefinition, Customer,
                              CustomerAddress, CustomerGroup, CustomerNote, OrderSummary, OutboxEvent,
                              Setting, Store, StoreTemplate)
from .client import HqClient, HqRefused, HqUnavailable

PUSH_BATCH = 500
PULL_PAGE = 2000
AUDIT_BATCH = 2000


@dataclass(frozen=True)
class SyncResult:
    pushed: int
    pulled: int
    conflicts: int


def _get(s: Session, key: str, default: str = "") -> str:
    row = s.get(Setting, key)
    return row.value if row else default


def _put(s: Session, key: str, value: str) -> None:
    row = s.get(Setting, key) or Setting(key=key)
    row.value = value
    s.add(row)


def _seen(s: Session, stamp: str) -> None:
    """The newest clock stamp this terminal has seen: its clock never goes below it, even after
    a restart with an empty outbox."""
    if stamp > _get(s, "sync_hlc_seen"):
        _put(s, "sync_hlc_seen", stamp)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SyncEngine:
    def __init__(self, db: Database, client: HqClient, *, observe: Callable[[str], None] | None = None):
        self.db = db
        self.client = client
        self.observe = observe or (lambda stamp: None)

    # -- push ------------------------------------------------------------------------------------
    def push_batch(self, size: int | None = None) -> tuple[int, int]:
        """Send the oldest ``size`` events. Returns (events that left the outbox, conflicts)."""
        with self.db.read() as s:
            rows = s.exec(select(OutboxEvent).order_by(OutboxEvent.seq).limit(size or PUSH_BATCH)).all()
            events = [{"id": r.id, "seq": r.seq, "hlc": r.hlc, "type": r.event_type, "entity": r.entity,
                       "entity_id": r.entity_id, "payload": r.payload} for r in rows]
            sent_audit = int(_get(s, "sync_audit_sent", "0") or 0)
            audit = [{"id": r.id, "at": at_text(r.at), "associate": r.associate, "terminal": r.terminal,
                      "store": r.store, "entity": r.entity, "entity_id": r.entity_id, "action": r.action,
                      "changes": r.changes, "prev_hash": r.prev_hash, "hash": r.hash,
                      "changes_hash": r.changes_hash, "redacted": r.redacted}
                     for r in audit_chain.rows_after(search_index.raw_connection(s), sent_audit, AUDIT_BATCH)]
        self.audit_sent = 0
        if not events and not audit:
            return 0, 0
        try:
            answer = self.client.push(events, audit)
        except (HqUnavailable, HqRefused) as exc:
            self._failed("push", str(exc), [e["id"] for e in events])
            raise
        held = set(answer["applied"]) | set(answer["duplicates"])
        conflicts = answer.get("conflicts") or []
        with self.db.write() as s:
            s.exec(delete(OutboxEvent).where(OutboxEvent.id.in_(held)))
            s.flush()
            customers = {e["entity_id"] for e in events if e["entity"] == "customer" and e["id"] in held}
            customers |= {str((e["payload"] or {}).get("customer_id") or "") for e in events
                          if e["entity"] == conflict_store.CONFLICT_ENTITY and e["id"] in held}
            for c in conflicts:
                _store_conflict(s, c)
                customers.add(c.get("customer_id") or "")
            s.flush()
            # synced once headquarters holds every change; "!" while a conflict is open
            conflict_store.settle(s, customers)
            _put(s, "sync_last_push_at", _now())
            _put(s, "sync_last_error", "")
            if audit:
                _put(s, "sync_audit_sent", str(audit[-1]["id"]))
            if answer.get("audit_problems"):
                # kept until someone looks: headquarters found this terminal's audit trail rewritten
                _put(s, "sync_audit_problem", "; ".join(answer["audit_problems"])[:500])
            if events:
                _seen(s, max(e["hlc"] for e in events))
        for e in events:
            self.observe(e["hlc"])
        self.audit_sent = len(audit)
        return len(held), len(conflicts)

    # -- pull ------------------------------------------------------------------------------------
    def pull_page(self, limit: int | None = None) -> tuple[int, bool]:
        """Apply the next page. Returns (items applied, whether more are waiting)."""
        with self.db.read() as s:
            cursor = int(_get(s, "sync_cursor", "0") or 0)
        try:
            page = self.client.pull(cursor, limit or PULL_PAGE)
        except (HqUnavailable, HqRefused) as exc:
            self._failed("pull", str(exc), [])
            raise
        items = page["items"]
        with self.db.write() as s:
            if int(_get(s, "sync_cursor", "0") or 0) != cursor:
                return 0, True  # another process applied this page meanwhile: ask again
            pending = _pending_fields(s, {i["doc"]["id"] for i in items if i["t"] == "customer"})
            local_store = _get(s, "store_code")
            newly_anonymized = _newly_anonymized(s, items)
            apply_items(s, items, local_store, pending)
            for cid in newly_anonymized:
                erase_personal_records(s, cid, datetime.now(timezone.utc))
            _settle_pulled(s, items)
            stamps = [max(i["doc"]["clocks"].values()) for i in items
                      if i["t"] == "customer" and i["doc"].get("clocks")]
            if stamps:
                _seen(s, max(stamps))
            _put(s, "sync_cursor", str(page["cursor"]))
            _put(s, "sync_last_pull_at", _now())
            _put(s, "sync_last_error", "")
        if newly_anonymized:
            scrub(self.db)
        for item in items:
            if item["t"] == "customer":
                clocks = item["doc"].get("clocks") or {}
                if clocks:
                    self.observe(max(clocks.values()))
        return len(items), bool(page["more"])

    def run_once(self) -> SyncResult:
        """Push until the outbox is empty, then pull until headquarters has nothing newer."""
        pushed = conflicts = pulled = 0
        while True:
            n, c = self.push_batch()
            pushed, conflicts = pushed + n, conflicts + c
            if n == 0 and not self.audit_sent:
                break
        while True:
            n, more = self.pull_page()
            pulled += n
            if not more:
                break
        return SyncResult(pushed, pulled, conflicts)

    def _failed(self, what: str, message: str, event_ids: list[str]) -> None:
        with self.db.write() as s:
            _put(s, "sync_last_error", f"{what}: {message}"[:500])
            _put(s, "sync_last_error_at", _now())
            for row in s.exec(select(OutboxEvent).where(OutboxEvent.id.in_(event_ids))):
                row.attempts += 1
                row.last_error = message[:500]
                s.add(row)


def _settle_pulled(s: Session, items: list[dict[str, Any]]) -> None:
    """A pulled customer document says nothing about conflicts: one with an open conflict keeps
    showing it; customers whose conflicts came or went in this page get their state again."""
    about = {str(i["doc"].get("customer_id") or "") for i in items if i["t"] == "conflict"}
    pulled = [i["doc"]["id"] for i in items if i["t"] == "customer"]
    conflict_store.settle(s, about | conflict_store.unresolved_customers(s, pulled))


def _newly_anonymized(s: Session, items: list[dict[str, Any]]) -> list[str]:
    ids = [i["doc"]["id"] for i in items if i["t"] == "customer" and i["doc"].get("anonymized_at")]
    if not ids:
        return []
    held = {cid: at for cid, at in s.exec(select(Customer.id, Customer.anonymized_at).where(Customer.id.in_(ids)))}
    return [cid for cid in ids if cid in held and held[cid] is None]


def scrub(db: Database) -> None:
    """Erased data leaves the file: the search indexes are rewritten without the old words and the
    write-ahead log is emptied (deleted content itself is overwritten: secure_delete)."""
    conn = db.raw()
    try:
        conn.execute("BEGIN IMMEDIATE")
        for fts in ("customer_name_fts", "customer_contact_fts"):
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES('optimize')")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _pending_fields(s: Session, ids: set[str]) -> dict[str, frozenset[str]]:
    """Fields of these customers edited here and not yet held by headquarters."""
    out: dict[str, set[str]] = {}
    if not ids:
        return {}
    for event_type, entity_id, payload in s.exec(
            select(OutboxEvent.event_type, OutboxEvent.entity_id, OutboxEvent.payload).where(
                OutboxEvent.entity == "customer", OutboxEvent.entity_id.in_(ids))):
        fields = payload.get("fields") or {}
        out.setdefault(entity_id, set()).update(fields)
    return {k: frozenset(v) for k, v in out.items()}


def _columns(model, doc: dict[str, Any]) -> dict[str, Any]:
    names = set(model.model_fields)
    return {k: v for k, v in doc.items() if k in names}


def _upsert(s: Session, model, key, doc: dict[str, Any]) -> None:
    values = model.model_validate(_columns(model, doc))
    row = s.get(model, key)
    if row is None:
        s.add(values)
    else:
        for k in _columns(model, doc):
            setattr(row, k, getattr(values, k))
        s.add(row)


def apply_items(s: Session, items: list[dict[str, Any]], local_store: str,
                pending: dict[str, frozenset[str]]) -> None:
    """One pulled page: customers new here go in through the fast path, the rest one by one."""
    known = holds(s, [i["doc"]["id"] for i in items if i["t"] == "customer"])
    for item in items:
        if item["t"] == "customer" and item["doc"]["id"] not in known:
            insert_new(s, item["doc"])
            known.add(item["doc"]["id"])
        else:
            apply_item(s, item, local_store, pending)
    s.flush()


def apply_item(s: Session, item: dict[str, Any], local_store: str,
               pending: dict[str, frozenset[str]]) -> None:
    kind, doc = item["t"], item["doc"]
    if kind == "customer":
        keep = pending.get(doc["id"], frozenset())
        apply_document(s, doc, keep=keep, sync_state=SyncState.PENDING if keep else SyncState.SYNCED)
    elif kind in ("group", "affiliation", "attribute", "purpose"):
        model = {"group": CustomerGroup, "affiliation": Affiliation, "attribute": AttributeDefinition,
                 "purpose": AddressPurpose}[kind]
        if item.get("deleted"):
            row = s.get(model, doc["code"])
            in_use = kind == "purpose" and s.exec(select(CustomerAddress.id).where(
                CustomerAddress.purpose_code == doc["code"]).limit(1)).first()
            if row is not None and not in_use:
                s.delete(row)
        else:
            _upsert(s, model, doc["code"], doc)
    elif kind == "template":
        if doc.get("store_code") == local_store and s.get(Store, local_store) is not None:
            _upsert(s, StoreTemplate, local_store, doc)
    elif kind == "associate":
        if doc.get("store_code") == local_store:
            row = s.get(Associate, doc["number"])
            local = {} if row is None else {"failed_attempts": row.failed_attempts,
                                            "locked_until": row.locked_until}
            _upsert(s, Associate, doc["number"], {**doc, **local})
    elif kind == "note":
        if s.get(Customer, doc["customer_id"]) is not None:
            _upsert(s, CustomerNote, doc["id"], doc)
    elif kind == "order":
        _upsert(s, OrderSummary, doc["id"], doc)
    elif kind == "conflict":
        _store_conflict(s, doc, deleted=bool(item.get("deleted")))
    s.flush()


def _store_conflict(s: Session, doc: dict[str, Any], *, deleted: bool = False) -> None:
    """A conflict headquarters recorded; deleted: it was resolved (here or in another store).
    Callers settle the customer's sync state afterwards."""
    conflict_store.store_conflict(s, doc, deleted=deleted, now=datetime.now(timezone.utc))


def decode(text: str) -> Any:
    return json.loads(text)


__all__ = ["SyncEngine", "SyncResult", "HqClient", "HqRefused", "HqUnavailable", "httpx"]
