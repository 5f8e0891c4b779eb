"""Every terminal's audit trail, as it was sent: its hash chain continues at headquarters, so a
terminal that rewrites or drops rows it already sent is caught. Headquarters' own changes (support
accounts) are a trail of the same shape, hash-chained, under the name :data:`HQ_TRAIL`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from ..domain.audit import GENESIS, ChainRow, audit_hash, changes_hash
from ..domain.protocol import AuditRow
from . import tables as t
from .common import Identity, bulk_insert, dumps
from .errors import Invalid

if TYPE_CHECKING:
    from .service import Headquarters

_ROWS = TypeAdapter(list[AuditRow])
HQ_TRAIL = "headquarters"  # the terminal_id of headquarters' own trail in hq_audit


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def receive_audit(hq: Headquarters, who: Identity, rows: list[AuditRow] | list[dict[str, Any]]) -> tuple[int, list[str]]:
    """A terminal's audit rows, in order. Each is checked (its hash, and its link to the last row
    received from that terminal) and kept. Returns (rows kept, problems found)."""
    if rows and isinstance(rows[0], dict):
        try:
            rows = _ROWS.validate_python(rows)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise Invalid(f"audit.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    problems: list[str] = []
    kept = 0
    with hq.engine.begin() as conn:
        last = conn.execute(select(t.audit.c.local_id, t.audit.c.hash).where(t.audit.c.terminal_id == who.terminal_id)
                            .order_by(t.audit.c.local_id.desc()).limit(1).with_for_update()).first()
        prev_id, prev_hash = (last.local_id, last.hash) if last else (0, None)
        out = []
        for r in sorted(rows, key=lambda r: r.id):
            if r.id <= prev_id:
                continue  # sent before: kept already
            at = _naive_utc(r.at)
            digest = r.changes_hash if r.redacted else changes_hash(r.changes)
            ok = audit_hash(r.prev_hash, id=r.id, at=at, associate=r.associate, terminal=r.terminal,
                            store=r.store, entity=r.entity, entity_id=r.entity_id, action=r.action,
                            changes_digest=digest) == r.hash
            linked = r.prev_hash == (prev_hash if prev_hash is not None else r.prev_hash)
            if prev_hash is None and r.prev_hash != GENESIS and prev_id == 0 and r.id == 1:
                linked = False
            if not ok:
                problems.append(f"terminal {who.terminal_id}: audit row {r.id} does not match its hash")
            elif not linked:
                problems.append(f"terminal {who.terminal_id}: audit row {r.id} does not follow row {prev_id}")
            out.append({"terminal_id": who.terminal_id, "local_id": r.id, "store_code": who.store_code,
                        "at": at, "prev_hash": r.prev_hash, "hash": r.hash, "chain_ok": ok and linked,
                        "row": dumps({k: getattr(r, k) for k in ("associate", "terminal", "store", "entity",
                                                                  "entity_id", "action", "changes", "changes_hash",
                                                                  "redacted")})})
            prev_id, prev_hash = r.id, r.hash
        if out:
            bulk_insert(conn, t.audit, out)
            kept = len(out)
    return kept, problems


def audit_rows(hq: Headquarters, store_code: str) -> list[dict[str, Any]]:
    with hq.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(t.audit).where(t.audit.c.store_code == store_code).order_by(t.audit.c.terminal_id,
                                                                              t.audit.c.local_id))]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def record(hq: Headquarters | None, conn: Connection, *, by: str, entity: str, entity_id: str, action: str,
           changes: dict[str, tuple[Any, Any]] | None = None, at: datetime | None = None) -> None:
    """One change headquarters made itself, in the caller's transaction, chained to the row before.
    Callers hold the seq counter (lock_seq) first, so two changes never take the same place.
    ``at`` (a push's moment) or headquarters' clock."""
    at = _naive_utc(at or hq.now())
    body = {k: {"old": _plain(o), "new": _plain(n)} for k, (o, n) in (changes or {}).items()}
    last = conn.execute(select(t.audit.c.local_id, t.audit.c.hash).where(t.audit.c.terminal_id == HQ_TRAIL)
                        .order_by(t.audit.c.local_id.desc()).limit(1)).first()
    local_id, prev = (last.local_id + 1, last.hash) if last else (1, GENESIS)
    digest = changes_hash(body)
    by = by[:64]
    row_hash = audit_hash(prev, id=local_id, at=at, associate=by, terminal=HQ_TRAIL, store="", entity=entity,
                          entity_id=entity_id, action=action, changes_digest=digest)
    conn.execute(insert(t.audit).values(
        terminal_id=HQ_TRAIL, local_id=local_id, store_code="", at=at, prev_hash=prev, hash=row_hash,
        chain_ok=True, row=dumps({"associate": by, "terminal": HQ_TRAIL, "store": "", "entity": entity,
                                  "entity_id": entity_id, "action": action, "changes": body,
                                  "changes_hash": digest, "redacted": False})))


def own_trail(hq: Headquarters) -> list[ChainRow]:
    """Headquarters' own audit rows, oldest first (domain.audit.verify_chain checks them)."""
    import json

    with hq.engine.connect() as conn:
        rows = conn.execute(select(t.audit).where(t.audit.c.terminal_id == HQ_TRAIL)
                            .order_by(t.audit.c.local_id)).all()
    out = []
    for r in rows:
        d = json.loads(r.row)
        out.append(ChainRow(id=r.local_id, at=r.at, associate=d["associate"], terminal=d["terminal"],
                            store=d["store"], entity=d["entity"], entity_id=d["entity_id"], action=d["action"],
                            changes=d["changes"], prev_hash=r.prev_hash, hash=r.hash,
                            changes_hash=d.get("changes_hash", ""), redacted=bool(d.get("redacted"))))
    return out
