"""The audit trail's hash chain: each row carries the hash of the row before it.

Changing a row changes its hash; removing or inserting one breaks the link of the row after it.
The hash covers every column a person reads (who, when, where, what) and the row's position (its
id). The old and new values enter through their own digest (``changes_hash``): when a customer is
anonymized, the values are erased from the rows about them and the digest stays, so the chain
still verifies and the erasure itself is visible (the row says it was redacted).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

GENESIS = "0" * 64


def at_text(moment: datetime) -> str:
    """One text for one instant, whichever way the database hands the timestamp back."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def changes_hash(changes: dict[str, Any]) -> str:
    body = json.dumps(changes, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def audit_hash(prev: str, *, id: int, at: datetime, associate: str, terminal: str, store: str,  # noqa: A002
               entity: str, entity_id: str, action: str, changes_digest: str) -> str:
    body = json.dumps([id, at_text(at), associate, terminal, store, entity, entity_id, action, changes_digest],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    id: int
    at: datetime
    associate: str
    terminal: str
    store: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str
    changes_hash: str = ""
    redacted: bool = False


@dataclass(frozen=True)
class ChainProblem:
    row_id: int
    what: str  # changed | removed | inserted | unhashed

    def __str__(self) -> str:
        return {
            "changed": f"audit row {self.row_id} was changed after it was written",
            "removed": f"audit row(s) before row {self.row_id} were removed",
            "inserted": f"audit row {self.row_id} was inserted into the chain (or the row before it replaced)",
            "unhashed": f"audit row {self.row_id} carries no hash",
        }[self.what]


def verify_chain(rows: Iterable[ChainRow]) -> tuple[int, str, list[ChainProblem]]:
    """Walk the rows in id order. Returns (rows seen, head hash, problems)."""
    problems: list[ChainProblem] = []
    prev_hash, prev_id, count = GENESIS, None, 0
    for r in rows:
        count += 1
        if not r.hash:
            problems.append(ChainProblem(r.id, "unhashed"))
            prev_hash, prev_id = r.hash, r.id
            continue
        digest = r.changes_hash if r.redacted else changes_hash(r.changes)
        expected = audit_hash(r.prev_hash, id=r.id, at=r.at, associate=r.associate, terminal=r.terminal,
                              store=r.store, entity=r.entity, entity_id=r.entity_id, action=r.action,
                              changes_digest=digest)
        if expected != r.hash or (not r.redacted and r.changes_hash and r.changes_hash != digest):
            problems.append(ChainProblem(r.id, "changed"))
        elif r.prev_hash != prev_hash:
            gap = prev_id is not None and r.id != prev_id + 1 or prev_id is None and r.id != 1
            problems.append(ChainProblem(r.id, "removed" if gap else "inserted"))
        prev_hash, prev_id = r.hash, r.id
    return count, prev_hash, problems
