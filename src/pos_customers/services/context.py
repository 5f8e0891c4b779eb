"""Who is acting, what they may do, and the one-transaction rule for every change.

Every service that changes data runs inside :meth:`Services.change`: the entity rows, one
audit row per change and the outbox rows that sync will send commit together or not at all.
Permissions are checked here, in the services, whatever the screen shows or hides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable

from ..domain.enums import EventKind
from ..domain.i18n import Msg
from ..storage.conn import connection
from ..storage.engine import Database
from ..sync.clock import HybridClock
from .auth import (Actor, NotFound, NotInitialized, Permission,  # noqa: F401  (re-exported)
                   PermissionDenied)

if TYPE_CHECKING:
    from sqlmodel import Session


def _json_safe(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def audit_changes(changes: dict[str, tuple[Any, Any]] | None) -> dict[str, dict[str, Any]]:
    """``{field: (old, new)}`` as an audit row keeps it: ``{field: {"old": .., "new": ..}}``."""
    return {k: {"old": _json_safe(o), "new": _json_safe(n)} for k, (o, n) in (changes or {}).items()}


SECRET_SETTINGS = frozenset({"hq_credential"})


class Secret(str):
    """A credential: usable as the str it is, shown as ``'***'`` by repr() (tracebacks, logs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@dataclass
class Change:
    """The open transaction of one use case: an ORM session, or (a use case written in plain SQL,
    such as saving a new customer) the sqlite3 connection itself. Audit and outbox rows are written
    with plain SQL on the transaction's connection either way."""

    session: Session | sqlite3.Connection
    actor: Actor
    store_code: str
    clock: HybridClock
    now: datetime

    @property
    def connection(self) -> sqlite3.Connection:
        """The transaction's sqlite3 connection (an ORM session's pending rows written to it first)."""
        return connection(self.session)

    def audit(self, entity: str, entity_id: str, action: str,
              changes: dict[str, tuple[Any, Any]] | None = None) -> None:
        """One audit row, sealed into the chain (writes are serialised: nobody appends in between)."""
        from ..storage.audit_chain import append_raw

        append_raw(self.connection, at=self.now, associate=self.actor.associate_number or self.actor.name,
                   terminal=self.actor.terminal_id, store=self.store_code, entity=entity, entity_id=entity_id,
                   action=action, changes=audit_changes(changes))

    def outbox(self, event_type: EventKind, entity: str, entity_id: str, payload: dict[str, Any], *,
               hlc: str | None = None) -> str:
        """Queue an event for headquarters. Its payload is checked against the wire protocol first
        (domain.protocol): a terminal never queues what headquarters would refuse for its shape."""
        from ..domain.protocol_values import validate_payload  # pydantic: not on the sign-in path
        from ..storage import outbox

        kind = EventKind(event_type)
        body = _json_safe(payload)
        validate_payload(kind, body)
        stamp = hlc or self.clock.now()
        outbox.append(self.connection, created_at=self.now, hlc=stamp, event_type=kind.value, entity=entity,
                      entity_id=entity_id, payload=body)
        return stamp

    def outbox_row(self, event_type: EventKind, entity: str, key: str, row: Any, **extra: Any) -> str:
        """Send a whole reference-data row (after the change): every store gets the same row."""
        return self.outbox(event_type, entity, key, {**row.model_dump(), **extra})


class Services:
    """The entry point the UI and the CLI hold: one database, one terminal, one clock."""

    def __init__(self, db: Database, *, now: Callable[[], datetime] | None = None):
        self.db = db
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._settings: dict[str, str] | None = None
        self._clock: HybridClock | None = None

    # -- settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        """The terminal's settings. Headquarters' credential comes as a :class:`Secret`: a str
        whose repr is masked, so a traceback that shows local variables never prints it."""
        if self._settings is None:
            with self.db.snapshot() as conn:
                self._settings = {k: Secret(v) if k in SECRET_SETTINGS and v else v
                                  for k, v in conn.execute("SELECT key, value FROM setting")}
        return self._settings

    def forget_settings(self) -> None:
        self._settings = None

    @property
    def store_code(self) -> str:
        code = self.settings().get("store_code")
        if not code:
            raise NotInitialized(
                Msg("no store is set up in this database: run `pos-customers init` or `pos-customers demo`"))
        return code

    @property
    def terminal_id(self) -> str:
        return self.settings().get("terminal_id", "")

    def now(self) -> datetime:
        return self._now()

    def today(self) -> date:
        return self._now().date()

    @property
    def clock(self) -> HybridClock:
        if self._clock is None:
            with self.db.snapshot() as conn:
                newest = conn.execute("SELECT hlc FROM outbox_event ORDER BY seq DESC LIMIT 1").fetchone()
                seen = conn.execute("SELECT value FROM setting WHERE key = 'sync_hlc_seen'").fetchone()
            last = max(newest[0] if newest else "", seen[0] if seen else "")
            self._clock = HybridClock(self.terminal_id or "local", last=last or None,
                                      wall=lambda: int(self._now().timestamp() * 1000))
        return self._clock

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def change(self, actor: Actor, permission: Permission | None = None,
               store_code: str | None = None, *, plain: bool = False) -> Iterator[Change]:
        """One use case's transaction. ``plain``: its ``session`` is the sqlite3 connection (a use
        case written in plain SQL loads no ORM)."""
        if permission is not None:
            actor.require(permission)
        actor = actor if actor.terminal_id else Actor(
            actor.associate_number, actor.name, actor.role, self.terminal_id, actor.store_code)
        with (self.db.raw_write() if plain else self.db.write()) as session:
            yield Change(session=session, actor=actor,
                         store_code=store_code or self.settings().get("store_code", ""),
                         clock=self.clock, now=self.now())
