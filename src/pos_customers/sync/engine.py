"""Push the outbox to headquarters and pull what changed there, never losing or doubling anything.

Push: outbox events go in ``seq`` order, in batches. Headquarters applies each id once, so a batch
resent after a crash (sent, committed there, but the terminal died before deleting it) changes
nothing. An event leaves the outbox only after headquarters answered that it holds it.

Refused events are never dropped: an event headquarters refuses (listed in the answer's ``refused``,
or named by a 422's ``loc``) is parked with the reason, status and field; it is not sent again until
retried, and events queued after it for the same entity (a note for its customer too) wait behind
it. The rest of the outbox goes on. A refusal of the request as a whole (401, or a 403/404/409/422
that names no event) parks nothing: it is recorded as the last error, as a network failure is.

Busy: headquarters answering 429 (or 503) with ``Retry-After`` is not an error. The round waits
that long and sends the same request again (:data:`BUSY_WAITS` times at most, :data:`BUSY_MAX_WAIT`
seconds in all); meanwhile ``sync_busy_until`` says when, for the Sync state. Nothing is parked or
counted as an attempt: a push resent is applied once per event id, a pull is read-only.

Pull: a cursor (headquarters' ``seq``). Applying a page and advancing the cursor is one local
transaction: a crash mid-page re-pulls that page, and applying a page twice gives the same rows.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import httpx
from sqlmodel import Session, delete, select

from ..domain.audit import at_text
from ..domain.enums import EventKind, PullItemKind, Role, SyncState
from ..storage import audit_chain, customers, search_index
from ..storage import conflicts as conflict_store
from ..storage.documents import (apply_document, document_rows, erase_personal_records, holds,
                                 insert_rows, moment_now)
from ..storage.customers import merge_confirmed
from ..storage.engine import Database
from ..storage.tables import (AddressPurpose, Affiliation, Associate, AttributeDefinition, Customer,
                              CustomerAddress, CustomerDataCache, CustomerGroup, CustomerNote, OrderSummary, OutboxEvent,
                              Store, StoreTemplate)
from ..domain.i18n import Msg
from .client import HqBusy, HqClient, HqRefused, HqUnavailable, decode_page, hq_message

PUSH_BATCH = 500
PULL_PAGE = 5000  # items asked for at once (headquarters sends at most MAX_PULL_LIMIT)
AUDIT_BATCH = 2000
PULL_LOCK_SECONDS = 0.05  # how long one pull transaction may hold the write lock (a save waits for it)
# the pull copies the write-ahead log into the file after this many seconds of its transactions, between
# them, for every writer (Database.log_copier): a save's commit copies nothing meanwhile
PULL_CHECKPOINT_SECONDS = 0.25
PULL_PART_MIN, PULL_PART_MAX = 100, 5000  # items per pull transaction, whatever the pace
BUSY_WAITS = 5  # times one round waits for a busy headquarters (429 + Retry-After) before it stops
BUSY_MAX_WAIT = 120.0  # seconds one round waits for it in all; then the next round tries again
ROW_MAKER_FROM = 2000  # items of a page from which a pull's rows are made in another process
# of a page's items, the share whose rows the row maker makes; this process makes the rest's as it applies
# them (else it would wait for the row maker: making rows costs more than writing them). Adapted page by
# page: down when this process waited for the row maker, up when the rows were ready before they were needed
MAKER_SHARE, MAKER_SHARE_MIN, MAKER_SHARE_STEP = 0.8, 0.5, 0.05


def row_maker() -> ProcessPoolExecutor:
    """A process that makes pulled customers' rows while this one writes (the machine's second
    core): started once per big pull, from a clean server process (no copy of this one's
    threads or open files)."""
    import multiprocessing

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))


def page_rows(page: dict[str, Any] | list[dict[str, Any]] | bytes, now: datetime | None = None,
              share: float = 1.0) -> customers.Rows:
    """The rows of a pulled page's customers as new to this file (the first document of each;
    a later one in the page is a change, applied one by one). ``page``: the page, its items, or
    its JSON as received (in the row maker). ``share``: of the page's first items only (the
    row maker's part; the rest are made when they are applied, :func:`_insert_received`)."""
    if isinstance(page, bytes):
        page = decode_page(page)
    items = page["items"] if isinstance(page, dict) else page
    if share < 1.0:
        items = items[:int(len(items) * share)]
    now = now or moment_now()
    with _no_gc():
        docs = list({i["doc"]["id"]: i["doc"] for i in reversed(items) if i["t"] == PullItemKind.CUSTOMER}.values())
        docs.reverse()
        rows = document_rows(docs, now)
    rows.made_at = now
    return rows


@dataclass(frozen=True)
class SyncResult:
    pushed: int
    pulled: int
    conflicts: int
    parked: int = 0  # events headquarters refused in this round (kept, see the Sync screen)
    restored: int = 0  # customers back on this till: headquarters refused the merge asked for here


def _get(s: Session, key: str, default: str = "") -> str:
    row = search_index.raw_connection(s).execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def _put(s: Session, key: str, value: str) -> None:
    search_index.raw_connection(s).execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value))


def _seen(s: Session, stamp: str) -> None:
    """The newest clock stamp this terminal has seen: its clock never goes below it, even after
    a restart with an empty outbox."""
    if stamp > _get(s, "sync_hlc_seen"):
        _put(s, "sync_hlc_seen", stamp)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Applying pulled items makes hundreds of thousands of small objects and no cycles: the
    cyclic collector, run over and over meanwhile, would cost a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SyncEngine:
    def __init__(self, db: Database, client: HqClient, *, observe: Callable[[str], None] | None = None,
                 wait: Callable[[float], None] = time.sleep, busy: Callable[[int], None] | None = None):
        self.db = db
        self.client = client
        self.observe = observe or (lambda stamp: None)
        self.wait = wait  # how a round waits out a Retry-After (the tests record it instead)
        self.busy = busy or (lambda seconds: None)  # told before each such wait (the header says so)
        self.audit_sent = 0  # audit rows the last push_batch delivered
        self.parked = 0  # events the last push_batch parked
        self.restored = 0  # customers the last push_batch put back (a merge refused: see park)
        self._chunk = 200  # items per pull transaction, adapted to the lock budget
        self._written = 0.0  # seconds of pull transactions since the last checkpoint
        self._pool: ThreadPoolExecutor | None = None  # fetches the next pull page (run_once)
        self._ahead: tuple[tuple[int, int], Future] | None = None
        self._maker: ProcessPoolExecutor | None = None  # makes a big pull's rows (run_once)
        self._share = MAKER_SHARE  # of a page's items, the row maker's part

    # -- push ------------------------------------------------------------------------------------
    def push_batch(self, size: int | None = None) -> tuple[int, int]:
        """Send the oldest ``size`` events that may go. Returns (events that left the outbox, conflicts).

        Events headquarters refuses are parked (see :func:`park`); ``self.parked`` counts those parked
        by this call. A 422 that names an event (``loc`` ``["body", "events", N, ...]``) parks event N
        and sends the batch again without it and without what waits behind it.
        """
        with self.db.read() as s:
            rows = sendable(s, size or PUSH_BATCH)
            events = [{"id": r.id, "seq": r.seq, "hlc": r.hlc, "type": r.event_type, "entity": r.entity,
                       "entity_id": r.entity_id, "payload": r.payload} for r in rows]
            sent_audit = int(_get(s, "sync_audit_sent", "0") or 0)
            audit = [{"id": r.id, "at": at_text(r.at), "associate": r.associate, "terminal": r.terminal,
                      "store": r.store, "entity": r.entity, "entity_id": r.entity_id, "action": r.action,
                      "changes": r.changes, "prev_hash": r.prev_hash, "hash": r.hash,
                      "changes_hash": r.changes_hash, "redacted": r.redacted}
                     for r in audit_chain.rows_after(search_index.raw_connection(s), sent_audit, AUDIT_BATCH)]
        self.audit_sent = 0
        self.parked = self.restored = 0
        if not events and not audit:
            return 0, 0
        while True:
            try:
                answer = self.client.push(events, audit)
                break
            except HqRefused as exc:
                if exc.status == 413 and (len(events) > 1 or len(audit) > 1):
                    # larger than headquarters takes in one request: the older half goes first
                    events, audit = events[:max(1, len(events) // 2)], audit[:max(1, len(audit) // 2)]
                    continue
                pinned = pinned_refusals(exc, events)
                if not pinned:  # the request as a whole (a credential, a batch rule): not the events' fault
                    self._failed("push", str(exc), [e["id"] for e in events])
                    raise
                with self.db.write() as s:
                    self.restored += park(s, pinned)
                self.parked += len(pinned)
                events = _without(events, pinned)
                if not events and not audit:
                    return 0, 0
            except HqBusy as exc:
                self._busy_until(exc.retry_after)
                raise
            except HqUnavailable as exc:
                self._failed("push", str(exc), [e["id"] for e in events])
                raise
        refused = {r["id"]: Refusal(int(r.get("status") or 0), str(r.get("reason") or ""), r.get("field") or "",
                                    str(r.get("holder") or ""), hq_message(r, ""))
                   for r in answer.get("refused") or [] if isinstance(r, dict) and r.get("id")}
        held = (set(answer["applied"]) | set(answer["duplicates"])) - set(refused)
        # a refused event's later events about the same entity were refused because of it (an edit
        # of a customer headquarters never got): they wait behind it instead of being parked with a
        # reason of their own that stops being true once the first one is retried
        refused = first_refusals(events, refused)
        conflicts = answer.get("conflicts") or []
        with self.db.write() as s:
            self.restored += park(s, refused)
            for e in events:  # headquarters applied a merge asked for here: nothing to put back any more
                if e["type"] == EventKind.CUSTOMER_MERGED and e["id"] in held:
                    merge_confirmed(s, e["entity_id"])
            _remember_sent_credit(s, [e for e in events if e["id"] in held])
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
            _put(s, "sync_busy_until", "")
            if audit:
                _put(s, "sync_audit_sent", str(audit[-1]["id"]))
            if answer.get("audit_problems"):
                # kept until someone looks: headquarters found this terminal's audit trail rewritten
                _put(s, "sync_audit_problem", "; ".join(answer["audit_problems"])[:500])
            if events:
                _seen(s, max(e["hlc"] for e in events))
        self.parked += len(refused)
        for e in events:
            self.observe(e["hlc"])
        self.audit_sent = len(audit)
        return len(held), len(conflicts)

    # -- pull ------------------------------------------------------------------------------------
    def pull_page(self, limit: int | None = None) -> tuple[int, bool]:
        """Apply the next page. Returns (items applied, whether more are waiting).

        The page is applied in short transactions (see :data:`PULL_LOCK_SECONDS`), each moving
        the cursor past the items it applied: a save at the till waits for one of them at most,
        and a crash re-pulls only what was not committed yet. While ``run_once`` applies a page,
        the next one is on its way (:meth:`_fetch`)."""
        with self.db.read() as s:
            cursor = int(_get(s, "sync_cursor", "0") or 0)
        limit = limit or PULL_PAGE
        try:
            page, made = self._fetch(cursor, limit)
        except HqBusy as exc:
            self._busy_until(exc.retry_after)
            raise
        except (HqUnavailable, HqRefused) as exc:
            self._failed("pull", str(exc), [])
            raise
        items = page["items"]
        # the rows of the page's customers, made before the write lock is taken (by the row maker,
        # another process, while the page before was written; else here): a transaction only writes
        rows = None
        if made is not None:
            step = MAKER_SHARE_STEP if made.done() else -MAKER_SHARE_STEP
            self._share = min(1.0, max(MAKER_SHARE_MIN, self._share + step))
            try:
                rows = made.result()
            except Exception:  # the row maker is gone (killed, out of memory): the rows are made here
                self._maker = None
        if rows is None:
            rows = page_rows(items)
        newly_anonymized: list[str] = []
        at, size = 0, max(PULL_PART_MIN, min(PULL_PART_MAX, self._chunk))
        while True:
            part = items[at:at + size]
            last = at + size >= len(items)
            self.db.wait_for_writers()  # a save waiting for the write lock goes first
            started = time.perf_counter()
            with self.db.write(durable=False) as s, _no_gc():
                if int(_get(s, "sync_cursor", "0") or 0) != cursor:
                    self._ahead = None
                    return at, True  # another process applied this page meanwhile: ask again
                newly_anonymized += self._apply_part(s, part, rows)
                cursor = page["cursor"] if last else part[-1]["seq"]
                _put(s, "sync_cursor", str(cursor))
                _put(s, "sync_last_pull_at", _now())
                _put(s, "sync_last_error", "")
                _put(s, "sync_busy_until", "")
            at += len(part)
            self._written += time.perf_counter() - started
            if self._written >= PULL_CHECKPOINT_SECONDS:
                self._written = 0.0
                self.db.checkpoint()
            if len(part) == size:  # the next part as big as fits in the lock budget, judged by this one
                scale = min(2.0, max(0.5, PULL_LOCK_SECONDS / max(time.perf_counter() - started, 1e-6)))
                size = self._chunk = max(PULL_PART_MIN, min(PULL_PART_MAX, int(size * scale)))
            if last:
                break
        if newly_anonymized:
            scrub(self.db)
        for item in items:
            if item["t"] == PullItemKind.CUSTOMER:
                clocks = item["doc"].get("clocks") or {}
                if clocks:
                    self.observe(max(clocks.values()))
        return len(items), bool(page["more"])

    def _apply_part(self, s: Session, items: list[dict[str, Any]], rows: customers.Rows | None = None) -> list[str]:
        """Apply some consecutive items of a page in the caller's transaction. Returns the
        customers anonymized elsewhere that this terminal held with their data."""
        pending = _pending_fields(s, {i["doc"]["id"] for i in items if i["t"] == PullItemKind.CUSTOMER})
        local_store = _get(s, "store_code")
        newly_anonymized = _newly_anonymized(s, items)
        apply_items(s, items, local_store, pending, rows)
        for cid in newly_anonymized:
            erase_personal_records(s, cid, datetime.now(timezone.utc))
        _settle_pulled(s, items)
        stamps = [max(i["doc"]["clocks"].values()) for i in items
                  if i["t"] == PullItemKind.CUSTOMER and i["doc"].get("clocks")]
        if stamps:
            _seen(s, max(stamps))
        return newly_anonymized

    def _fetch(self, cursor: int, limit: int) -> tuple[dict[str, Any], Future | None]:
        """The page after ``cursor``, and its customers' rows on their way from the row maker
        (None: none asked for). Inside ``run_once`` the next page is asked for (and given to the
        row maker) while this one is applied."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (cursor, limit):
            page, made = ahead[1].result()
        else:
            page, made = self._get(cursor, limit)
        if page["more"] and self._pool is not None:
            if self._maker is None and len(page["items"]) >= ROW_MAKER_FROM:
                self._maker = row_maker()  # a big pull: rows made in another process from now on
            self._ahead = ((page["cursor"], limit), self._pool.submit(self._get, page["cursor"], limit))
        return page, made

    def _get(self, cursor: int, limit: int) -> tuple[dict[str, Any], Future | None]:
        if self._maker is None:
            return self.client.pull(cursor, limit), None
        maker = self._maker
        body = self.client.pull_body(cursor, limit)
        try:
            made = maker.submit(page_rows, body, moment_now(), self._share)
        except RuntimeError:  # it broke or was shut down: this page's rows are made when it is applied
            made = None
        return decode_page(body), made

    def run_once(self) -> SyncResult:
        """Push until the outbox is empty, then pull until headquarters has nothing newer."""
        pushed = conflicts = pulled = parked = restored = 0
        budget = [0, 0.0]  # waits for a busy headquarters in this round, and their seconds
        while True:
            n, c = self._patiently(self.push_batch, budget)
            pushed, conflicts, parked = pushed + n, conflicts + c, parked + self.parked
            restored += self.restored
            if n == 0 and not self.audit_sent and not self.parked:
                break
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull-ahead") as pool, self.db.log_copier():
            self._pool = pool
            try:
                while True:
                    n, more = self._patiently(self.pull_page, budget)
                    pulled += n
                    if not more:
                        break
            finally:
                if self._ahead is not None:
                    self._ahead[1].cancel()
                self._pool, self._ahead = None, None
                if self._maker is not None:
                    self._maker.shutdown(cancel_futures=True)
                self._maker = None
        return SyncResult(pushed, pulled, conflicts, parked, restored)

    def _patiently(self, step: Callable[[], Any], budget: list) -> Any:
        """``step()``; when headquarters answers that it is busy, wait the time it asked for and
        call it again, within the round's budget (:data:`BUSY_WAITS`, :data:`BUSY_MAX_WAIT`)."""
        while True:
            try:
                return step()
            except HqBusy as exc:
                if budget[0] >= BUSY_WAITS or budget[1] + exc.retry_after > BUSY_MAX_WAIT:
                    raise
                budget[0] += 1
                budget[1] += exc.retry_after
                self.busy(exc.retry_after)
                self.wait(exc.retry_after)

    def _busy_until(self, seconds: int) -> None:
        """Headquarters asked to come back in ``seconds``: when, for the Sync state (no error)."""
        with self.db.write() as s:
            until = datetime.now(timezone.utc).timestamp() + seconds
            _put(s, "sync_busy_until", datetime.fromtimestamp(until, timezone.utc).isoformat(timespec="seconds"))

    def _failed(self, what: str, message: str, event_ids: list[str]) -> None:
        with self.db.write() as s:
            _put(s, "sync_last_error", f"{what}: {message}"[:500])
            _put(s, "sync_last_error_at", _now())
            for row in s.exec(select(OutboxEvent).where(OutboxEvent.id.in_(event_ids))):
                row.attempts += 1
                row.last_error = message[:500]
                s.add(row)


#: the kind of the customer_data_cache rows that remember a store credit movement this till sent
#: and headquarters took, until the kept copy of the customer's credit (kind ``credit``) holds it
CREDIT_SENT = "credit_sent"


def _remember_sent_credit(s: Session, sent: list[dict[str, Any]]) -> None:
    """A store credit movement headquarters took leaves the outbox; until this till's kept copy of
    the credit includes it, the balance here must still count it (services/credit.py)."""
    now = datetime.now(timezone.utc)
    for e in sent:
        if e["type"] != EventKind.CREDIT_MOVED or not isinstance(e.get("payload"), dict):
            continue
        customer_id = str(e["payload"].get("customer_id") or "")
        if not s.get(CustomerDataCache, (CREDIT_SENT, e["entity_id"])):
            s.add(CustomerDataCache(kind=CREDIT_SENT, key=e["entity_id"], customer_id=customer_id,
                                    doc=dict(e["payload"]), fetched_at=now))


def _settle_pulled(s: Session, items: list[dict[str, Any]]) -> None:
    """A pulled customer document says nothing about conflicts: one with an open conflict keeps
    showing it; customers whose conflicts came or went in this page get their state again."""
    about = {str(i["doc"].get("customer_id") or "") for i in items if i["t"] == PullItemKind.CONFLICT}
    pulled = [i["doc"]["id"] for i in items if i["t"] == PullItemKind.CUSTOMER]
    conflict_store.settle(s, about | conflict_store.unresolved_customers(s, pulled))
@dataclass(frozen=True)
class Refusal:
    """Why headquarters would not take one event."""

    status: int
    reason: str  # headquarters' English words
    field: str = ""
    holder: str = ""  # the customer that holds the value at fault (an account's email)
    message: Msg | str = ""  # the reason as a Msg when headquarters sent its code and params


def one_line(text: str, limit: int = 500) -> str:
    return " ".join(str(text).split())[:limit]


def park(s: Session, refusals: dict[str, Refusal]) -> int:
    """Keep these events in the outbox, not to be sent again until retried; say why. A merge asked
    for here that headquarters refused puts the merged-away customer back on this till (audited):
    nothing of it is lost while the parked merge waits. Returns how many customers came back."""
    if not refusals:
        return 0
    now = datetime.now(timezone.utc)
    rows = list(s.exec(select(OutboxEvent).where(OutboxEvent.id.in_(list(refusals)))))
    for row in rows:
        r = refusals[row.id]
        reason = one_line(r.reason) or f"refused by headquarters ({r.status})"
        row.parked_at = now
        row.parked_reason = reason
        row.parked_status = r.status or None
        row.parked_field = one_line(r.field or "", 200)
        row.parked_holder = one_line(r.holder or "", 36)
        row.attempts += 1
        row.last_error = _coded(r.message) or reason
        s.add(row)
    back = 0
    for row in rows:
        if row.event_type == EventKind.CUSTOMER_MERGED:
            back += restore_merged(s, row.entity_id, f"{row.parked_status or ''} {row.parked_reason}".strip())
    return back


def restore_merged(s: Session, customer_id: str, why: str) -> int:
    """Put back a customer whose merge (asked for here) headquarters did not apply; one audit row."""
    from ..domain.reference import format_reference

    put_back = customers.undo_redirect(s, customer_id)
    if put_back is None:
        return 0
    audit_chain.append_many_raw(
        search_index.raw_connection(s), at=datetime.now(timezone.utc), associate="sync",
        terminal=_get(s, "terminal_id"), store=_get(s, "store_code"), entity="customer", entity_ids=[customer_id],
        action="merge_undone", changes={"into": {"old": format_reference(put_back[1]), "new": None},
                                        "why": {"old": None, "new": why[:200]}})
    return 1


# A parked event's reason is kept twice: ``parked_reason`` holds headquarters' English words (shown
# by older code, searched by the account-scope clash), ``last_error`` (which nothing else reads of a
# parked event) the same reason as headquarters' message code and parameters, as JSON.
_CODED = '{"code":'


def _coded(message: Msg | str) -> str:
    if not isinstance(message, Msg):
        return ""
    text = json.dumps(message.as_dict(), ensure_ascii=False, separators=(",", ":"))
    return text if text.startswith(_CODED) and len(text) <= 500 else ""


def parked_message(row: OutboxEvent) -> Msg | str:
    """Why headquarters refused a parked event, for the edge to show with ``tr()``: headquarters'
    message (in the reader's language) when it sent one, else its English words."""
    if row.last_error.startswith(_CODED):
        try:
            data = json.loads(row.last_error)
        except ValueError:
            data = None
        found = hq_message(data, "")
        if isinstance(found, Msg):
            return found
    return row.parked_reason


def first_refusals(events: list[dict[str, Any]], refused: dict[str, Refusal]) -> dict[str, Refusal]:
    """Of the refused events (in outbox order), those that do not come after another refused event
    about an entity they depend on: only these are parked; the others stay queued behind them."""
    blocked: set[tuple[str, str]] = set()
    first: dict[str, Refusal] = {}
    for e in events:
        if e["id"] not in refused:
            continue
        keys = depends_on(e["entity"], e["entity_id"], e["payload"])
        if not keys & blocked:
            first[e["id"]] = refused[e["id"]]
        blocked |= keys
    return first


def depends_on(entity: str, entity_id: str, payload: Any) -> set[tuple[str, str]]:
    """The entities an event needs headquarters to hold first: its own, a note's customer, a
    membership's organization and person."""
    keys = {(entity, entity_id)}
    if entity != "customer" and isinstance(payload, dict):
        keys |= {("customer", str(payload[k])) for k in ("customer_id", "organization_id", "person_id")
                 if payload.get(k)}
    return keys


def parked_keys(s: Session) -> dict[tuple[str, str], tuple[int, str]]:
    """(entity, entity_id) of every parked event -> (seq, id) of the oldest parked one."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for entity, entity_id, seq, event_id in s.exec(
            select(OutboxEvent.entity, OutboxEvent.entity_id, OutboxEvent.seq, OutboxEvent.id)
            .where(OutboxEvent.parked_at.is_not(None)).order_by(OutboxEvent.seq)):
        out.setdefault((entity, entity_id), (seq, event_id))
    return out


def waits_behind(row: OutboxEvent, blocked: dict[tuple[str, str], tuple[int, str]]) -> str | None:
    """The id of the parked event ``row`` was queued after and depends on, if any."""
    for key in depends_on(row.entity, row.entity_id, row.payload):
        hit = blocked.get(key)
        if hit is not None and hit[0] < row.seq:
            return hit[1]
    return None


def sendable(s: Session, size: int) -> list[OutboxEvent]:
    """The oldest ``size`` events that may go: not parked, not waiting behind a parked event."""
    query = select(OutboxEvent).where(OutboxEvent.parked_at.is_(None)).order_by(OutboxEvent.seq)
    blocked = parked_keys(s)
    if not blocked:
        return list(s.exec(query.limit(size)).all())
    out: list[OutboxEvent] = []
    after = 0
    while len(out) < size:
        page = s.exec(query.where(OutboxEvent.seq > after).limit(size)).all()
        if not page:
            break
        out += [r for r in page if waits_behind(r, blocked) is None]
        after = page[-1].seq
    return out[:size]


def pinned_refusals(exc: HqRefused, events: list[dict[str, Any]]) -> dict[str, Refusal]:
    """A 422 whose errors name events of the batch: {event id: why}. Empty when any error of the
    answer cannot be pinned on one event (the request as a whole is wrong)."""
    if exc.status != 422 or not isinstance(exc.body, list) or not exc.body:
        return {}
    out: dict[str, Refusal] = {}
    for d in exc.body:
        loc = d.get("loc") if isinstance(d, dict) else None
        if not (isinstance(loc, (list, tuple)) and len(loc) >= 3 and list(loc[:2]) == ["body", "events"]
                and isinstance(loc[2], int) and not isinstance(loc[2], bool) and 0 <= loc[2] < len(events)):
            return {}
        event = events[loc[2]]
        path = [str(p) for p in loc[3:]]
        if path and path[0] == event["type"]:  # a union tagged by the event kind names the tag first
            path = path[1:]
        if event["id"] not in out:
            out[event["id"]] = Refusal(422, str(d.get("msg") or "invalid"), ".".join(path), "", hq_message(d, ""))
    return out


def _without(events: list[dict[str, Any]], parked: dict[str, Refusal]) -> list[dict[str, Any]]:
    """The batch less the parked events and what depends on them (queued after them)."""
    blocked: dict[tuple[str, str], int] = {}
    for e in events:
        if e["id"] in parked:
            blocked.setdefault((e["entity"], e["entity_id"]), e["seq"])
    return [e for e in events if e["id"] not in parked and not any(
        blocked.get(k, e["seq"]) < e["seq"] for k in depends_on(e["entity"], e["entity_id"], e["payload"]))]


def _newly_anonymized(s: Session, items: list[dict[str, Any]]) -> list[str]:
    ids = [i["doc"]["id"] for i in items if i["t"] == PullItemKind.CUSTOMER and i["doc"].get("anonymized_at")]
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
                pending: dict[str, frozenset[str]], rows: customers.Rows | None = None) -> None:
    """One pulled page: customers new here go in through the fast path, the rest one by one.
    Each customer new to this till gets an audit row saying it came from headquarters (its
    Activity tab shows how it arrived)."""
    known = holds(s, [i["doc"]["id"] for i in items if i["t"] == PullItemKind.CUSTOMER])
    run: list[dict[str, Any]] = []  # consecutive new customers, inserted together (in page order)
    for item in items:
        if item["t"] == PullItemKind.CUSTOMER and item["doc"]["id"] not in known:
            run.append(item["doc"])
            known.add(item["doc"]["id"])
            continue
        if run:
            _insert_received(s, run, local_store, rows)
            run = []
        apply_item(s, item, local_store, pending)
    if run:
        _insert_received(s, run, local_store, rows)
    s.flush()


RECEIVED = "received"  # the audit action of a customer that arrived by pull


def _insert_received(s: Session, docs: list[dict[str, Any]], local_store: str,
                     rows: customers.Rows | None) -> None:
    """Customers new to this file, from the rows made for the page (``rows``), else made here
    (those of the page's later items when the row maker made its first ones: they come after)."""
    if rows is None:
        made = document_rows(docs)
    else:
        held = [d["id"] for d in docs if d["id"] in rows]
        made = rows.only(held)
        if len(held) < len(docs):
            if held != [d["id"] for d in docs[:len(held)]]:  # not a first part: all of them made here
                made = document_rows(docs, rows.made_at)
            else:
                made = made + document_rows(docs[len(held):], rows.made_at)
    insert_rows(s, docs, made)
    audit_chain.append_many_raw(
        search_index.raw_connection(s), at=datetime.now(timezone.utc), associate="sync",
        terminal=_get(s, "terminal_id"), store=local_store, entity="customer",
        entity_ids=[d["id"] for d in docs], action=RECEIVED, changes={"from": {"old": None, "new": "headquarters"}})


@dataclass(frozen=True)
class _Pulled:
    """One pulled item and what its handler needs to know about this terminal."""

    doc: dict[str, Any]
    deleted: bool
    local_store: str
    pending: dict[str, frozenset[str]]


def _pull_customer(s: Session, item: _Pulled) -> None:
    keep = item.pending.get(item.doc["id"], frozenset())
    apply_document(s, item.doc, keep=keep, sync_state=SyncState.PENDING if keep else SyncState.SYNCED)


def _reference_row(model: type, *, keep_in_use: bool = False) -> Callable[[Session, _Pulled], None]:
    """Reference data keyed by ``code``: upserted, or deleted (a purpose still in use stays)."""

    def handle(s: Session, item: _Pulled) -> None:
        code = item.doc["code"]
        if not item.deleted:
            _upsert(s, model, code, item.doc)
            return
        row = s.get(model, code)
        in_use = keep_in_use and s.exec(select(CustomerAddress.id).where(
            CustomerAddress.purpose_code == code).limit(1)).first()
        if row is not None and not in_use:
            s.delete(row)

    return handle


def _pull_template(s: Session, item: _Pulled) -> None:
    if item.doc.get("store_code") == item.local_store and s.get(Store, item.local_store) is not None:
        _upsert(s, StoreTemplate, item.local_store, item.doc)


def _pull_associate(s: Session, item: _Pulled) -> None:
    doc = item.doc
    if doc.get("store_code") == item.local_store:
        row = s.get(Associate, doc["number"])
        if row is not None and row.support_account:
            return  # the chain's support account keeps its number (headquarters refuses such an associate)
        local = {} if row is None else {"failed_attempts": row.failed_attempts, "locked_until": row.locked_until}
        _upsert(s, Associate, doc["number"], {**doc, **local})


def _pull_support(s: Session, item: _Pulled) -> None:
    """A support account of the chain: it signs in at every till as support. A new PIN (reset at
    headquarters) clears this till's lockout; a removed account is deactivated and its hash erased.
    A store associate holding the number is left alone (the numbers' ranges keep them apart)."""
    from ..domain.protocol import SupportAccount  # pydantic: not on the sign-in path

    account = SupportAccount.model_validate(item.doc)
    row = s.get(Associate, account.number)
    if row is not None and not row.support_account:
        return
    if item.deleted or not account.active:
        if row is not None:
            row.active, row.pin_hash, row.failed_attempts, row.locked_until = False, "", 0, None
            s.add(row)
        return
    if row is None:
        row = Associate(number=account.number, support_account=True,
                        created_at=account.created_at or datetime.now(timezone.utc))
    if row.pin_hash != account.pin_hash:
        row.failed_attempts, row.locked_until = 0, None
    row.name, row.role, row.pin_hash, row.store_code, row.active = (
        account.name, Role.SUPPORT.value, account.pin_hash, None, True)
    s.add(row)


def _pull_note(s: Session, item: _Pulled) -> None:
    if s.get(Customer, item.doc["customer_id"]) is not None:
        _upsert(s, CustomerNote, item.doc["id"], item.doc)


def _pull_order(s: Session, item: _Pulled) -> None:
    _upsert(s, OrderSummary, item.doc["id"], item.doc)


def _pull_membership(s: Session, item: _Pulled) -> None:
    """A person's membership of an organization, merged field by field with what this till holds."""
    from ..domain.protocol import MembershipDocument  # pydantic: not on the sign-in path
    from ..storage import memberships

    doc = MembershipDocument.model_validate(item.doc)
    memberships.apply(s, doc.organization_id, doc.person_id, doc.fields.model_dump(mode="json"), doc.clocks)


def _pull_setting(s: Session, item: _Pulled) -> None:
    """A chain setting (the account sharing scope): kept as the setting ``chain.<key>``."""
    key = str(item.doc.get("key") or "")[:40]
    if key:
        _put(s, f"chain.{key}", "" if item.deleted else json.dumps(item.doc, sort_keys=True))


def _pull_segment(s: Session, item: _Pulled) -> None:
    """A customer segment's code and name; deleted: removed at headquarters (its memberships go)."""
    from ..domain.segment import SegmentInfo  # pydantic: not on the sign-in path
    from ..storage import segments

    info = SegmentInfo.model_validate(item.doc)
    segments.put_definition(s, info.code, info.name, deleted=item.deleted)


def _pull_customer_segments(s: Session, item: _Pulled) -> None:
    """The segments one customer belongs to, as headquarters last evaluated them."""
    from ..domain.segment import CustomerSegments
    from ..storage import segments

    doc = CustomerSegments.model_validate(item.doc)
    segments.put_memberships(s, doc.customer_id, () if item.deleted else doc.codes)


def _pull_redirect(s: Session, item: _Pulled) -> None:
    """A customer merged into another at headquarters (issue 17): gone from this till, its id and
    reference open the survivor. An audit row says so; events still waiting for it are refused by
    headquarters with the survivor's reference (the Sync screen shows them)."""
    from ..domain.reference import format_reference
    from ..storage import customers as rows

    from ..storage import memberships

    doc = item.doc
    held = s.get(Customer, doc["id"]) is not None
    # its links move to the survivor as headquarters moved them (those it sent come first, by seq)
    memberships.move_links(s, doc["id"], doc["into"])
    rows.redirect(s, doc["id"], doc["reference"], doc["into"], doc["into_reference"],
                  datetime.fromisoformat(doc["at"]) if doc.get("at") else datetime.now(timezone.utc))
    rows.merge_confirmed(s, doc["id"])
    if held:
        audit_chain.append_many_raw(
            search_index.raw_connection(s), at=datetime.now(timezone.utc), associate="sync",
            terminal=_get(s, "terminal_id"), store=item.local_store, entity="customer", entity_ids=[doc["id"]],
            action="merged_into", changes={"into": {"old": None, "new": format_reference(doc["into_reference"])}})


def _pull_segment_members(s: Session, item: _Pulled) -> None:
    """A batch of a segment's membership changes (customers who came and went), or its clearing."""
    from ..domain.segment import SegmentMembers
    from ..storage import segments

    doc = SegmentMembers.model_validate(item.doc)
    segments.change_members(s, doc.code, add=doc.add, remove=doc.remove, clear=doc.clear)


def _pull_conflict(s: Session, item: _Pulled) -> None:
    _store_conflict(s, item.doc, deleted=item.deleted)  # deleted: resolved (here or in another store)


PULL_HANDLERS: dict[PullItemKind, Callable[[Session, _Pulled], None]] = {
    PullItemKind.CUSTOMER: _pull_customer,
    PullItemKind.GROUP: _reference_row(CustomerGroup),
    PullItemKind.AFFILIATION: _reference_row(Affiliation),
    PullItemKind.ATTRIBUTE: _reference_row(AttributeDefinition),
    PullItemKind.PURPOSE: _reference_row(AddressPurpose, keep_in_use=True),
    PullItemKind.TEMPLATE: _pull_template,
    PullItemKind.ASSOCIATE: _pull_associate,
    PullItemKind.NOTE: _pull_note,
    PullItemKind.ORDER: _pull_order,
    PullItemKind.CONFLICT: _pull_conflict,
    PullItemKind.SUPPORT: _pull_support,
    PullItemKind.MEMBERSHIP: _pull_membership,
    PullItemKind.SETTING: _pull_setting,
    PullItemKind.SEGMENT: _pull_segment,
    PullItemKind.CUSTOMER_SEGMENTS: _pull_customer_segments,
    PullItemKind.REDIRECT: _pull_redirect,
    PullItemKind.SEGMENT_MEMBERS: _pull_segment_members,
}
"""One handler per kind of pulled item; a new kind is one member above and one handler here."""


def apply_item(s: Session, item: dict[str, Any], local_store: str,
               pending: dict[str, frozenset[str]]) -> None:
    try:
        kind = PullItemKind(item["t"])
    except ValueError:
        return  # a kind newer than this terminal: skipped, so the cursor still moves on
    PULL_HANDLERS[kind](s, _Pulled(item["doc"], bool(item.get("deleted")), local_store, pending))
    s.flush()


def _store_conflict(s: Session, doc: dict[str, Any], *, deleted: bool = False) -> None:
    """A conflict headquarters recorded; deleted: it was resolved (here or in another store).
    Callers settle the customer's sync state afterwards."""
    conflict_store.store_conflict(s, doc, deleted=deleted, now=datetime.now(timezone.utc))


def decode(text: str) -> Any:
    return json.loads(text)


__all__ = ["SyncEngine", "SyncResult", "HqBusy", "HqClient", "HqRefused", "HqUnavailable", "PullItemKind", "Refusal", "parked_message",
           "httpx"]
