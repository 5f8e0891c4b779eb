"""Writing and checking the audit hash chain in the terminal's file."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterator

from ..domain.audit import GENESIS, ChainRow, audit_hash, changes_hash, verify_chain

if TYPE_CHECKING:
    from sqlmodel import Session

    from .tables import AuditEvent


def seal(session: Session, row: AuditEvent) -> None:
    """Give a freshly added audit row its place in the chain (inside the writing transaction:
    writes are serialised, so nobody appends in between)."""
    session.flush()  # assigns the id
    prev = session.connection().exec_driver_sql(
        "SELECT hash FROM audit_event WHERE id < ? ORDER BY id DESC LIMIT 1", (row.id,)).scalar()
    row.prev_hash = prev if prev is not None else GENESIS
    row.changes_hash = changes_hash(row.changes)
    row.hash = audit_hash(row.prev_hash, id=row.id, at=row.at, associate=row.associate_number,
                          terminal=row.terminal_id, store=row.store_code, entity=row.entity,
                          entity_id=row.entity_id, action=row.action, changes_digest=row.changes_hash)
    session.add(row)


def seal_raw(conn: sqlite3.Connection, row_id: int) -> None:
    """The same for a row written with raw SQL."""
    (r,) = list(_rows(conn, "WHERE id = ?", (row_id,)))
    prev = conn.execute("SELECT hash FROM audit_event WHERE id < ? ORDER BY id DESC LIMIT 1", (row_id,)).fetchone()
    prev_hash = prev[0] if prev else GENESIS
    ch = changes_hash(r.changes)
    digest = audit_hash(prev_hash, id=r.id, at=r.at, associate=r.associate, terminal=r.terminal, store=r.store,
                        entity=r.entity, entity_id=r.entity_id, action=r.action, changes_digest=ch)
    conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ?, changes_hash = ? WHERE id = ?",
                 (prev_hash, digest, ch, row_id))


def sqlite_timestamp(moment: datetime) -> str:
    """UTC, in the text form SQLAlchemy gives SQLite DATETIME columns (raw writes match ORM ones)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def append_raw(conn: sqlite3.Connection, *, at: datetime, associate: str, terminal: str, store: str,
               entity: str, entity_id: str, action: str, changes: dict[str, Any]) -> int:
    """Write and seal one audit row on a plain connection, inside the caller's write transaction."""
    cur = conn.execute(
        "INSERT INTO audit_event (at, associate_number, terminal_id, store_code, entity, entity_id,"
        " action, changes, prev_hash, hash, changes_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '')",
        (sqlite_timestamp(at), associate, terminal, store, entity, entity_id, action, json.dumps(changes)))
    seal_raw(conn, cur.lastrowid)
    return cur.lastrowid


def append_many_raw(conn: sqlite3.Connection, *, at: datetime, associate: str, terminal: str, store: str,
                    entity: str, entity_ids: list[str], action: str, changes: dict[str, Any]) -> None:
    """The same audit row for many entities at once (a pulled page's new customers), sealed in
    order inside the caller's write transaction: one insert a row, no lookups."""
    if not entity_ids:
        return
    last = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    row_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    body = json.dumps(changes)
    ch = changes_hash(json.loads(body))
    stamp = sqlite_timestamp(at)
    moment = datetime.fromisoformat(stamp)
    rows = []
    for entity_id in entity_ids:
        row_id += 1  # the id SQLite would give the row (the largest so far plus one): sealed before it is written
        digest = audit_hash(prev_hash, id=row_id, at=moment, associate=associate, terminal=terminal, store=store,
                            entity=entity, entity_id=entity_id, action=action, changes_digest=ch)
        rows.append((row_id, stamp, associate, terminal, store, entity, entity_id, action, body, prev_hash, digest, ch))
        prev_hash = digest
    conn.executemany(
        "INSERT INTO audit_event (id, at, associate_number, terminal_id, store_code, entity, entity_id,"
        " action, changes, prev_hash, hash, changes_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _rows(conn: sqlite3.Connection, where: str = "", args: tuple = ()) -> Iterator[ChainRow]:
    for row in conn.execute(
            "SELECT id, at, associate_number, terminal_id, store_code, entity, entity_id, action, changes,"
            f" prev_hash, hash, changes_hash, redacted_at FROM audit_event {where} ORDER BY id", args):
        yield ChainRow(row[0], datetime.fromisoformat(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
                       json.loads(row[8] or "{}"), row[9] or "", row[10] or "", row[11] or "", row[12] is not None)


def verify(conn: sqlite3.Connection):
    return verify_chain(_rows(conn))


def rows_after(conn: sqlite3.Connection, after_id: int, limit: int) -> list[ChainRow]:
    out: list[ChainRow] = []
    for r in _rows(conn, "WHERE id > ?", (after_id,)):
        out.append(r)
        if len(out) >= limit:
            break
    return out


def backfill(conn) -> None:
    """Seal every unsealed row, in order (migration 0004 on files written before the chain)."""
    prev = GENESIS
    for r in list(_rows(conn)):
        if r.hash:
            prev = r.hash
            continue
        ch = changes_hash(r.changes)
        digest = audit_hash(prev, id=r.id, at=r.at, associate=r.associate, terminal=r.terminal, store=r.store,
                            entity=r.entity, entity_id=r.entity_id, action=r.action, changes_digest=ch)
        conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ?, changes_hash = ? WHERE id = ?",
                     (prev, digest, ch, r.id))
        prev = digest


def redact(conn: sqlite3.Connection, where: str, args: tuple, at: str) -> int:
    """Erase the old and new values of the matching rows; their digests keep the chain whole."""
    return conn.execute(f"UPDATE audit_event SET changes = '{{}}', redacted_at = ? WHERE ({where})"
                        " AND redacted_at IS NULL", (at, *args)).rowcount
