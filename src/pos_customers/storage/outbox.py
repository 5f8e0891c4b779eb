"""Queueing an event for headquarters: one ``outbox_event`` row, with plain SQL inside the caller's
write transaction (every use case's events, whether it runs on an ORM session or a plain connection)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from .customers import stored_moment
from .ids import new_id


def append(conn: sqlite3.Connection, *, created_at: datetime, hlc: str, event_type: str, entity: str,
           entity_id: str, payload: dict[str, Any]) -> str:
    """Write one event (not yet sent, not parked); returns its id."""
    event_id = new_id()
    conn.execute(
        "INSERT INTO outbox_event (id, created_at, hlc, event_type, entity, entity_id, payload, attempts,"
        " last_error, parked_at, parked_reason, parked_status, parked_field, parked_holder)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', NULL, '', NULL, '', '')",
        (event_id, stored_moment(created_at), hlc, event_type, entity, entity_id, json.dumps(payload)))
    return event_id
