"""Headquarters without HTTP, as one object: what the CLI, the API, the demo and the tests hold.

Each method is one use case and one transaction; the work is done in the use-case modules
(enrolment, push, pull, directory, accounts, audit). Pushes lock the ``seq`` counter before they
write, so they apply one after another and their rows become visible in ``seq`` order (the pull
cursor relies on it).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from sqlalchemy.engine import Engine

from ..domain.merge import DOCUMENT_FIELDS
from ..domain.assistance import ASSIST_LINK_TTL, SESSION_LIFETIME
from . import (accounts, audit, credit, customer_data, directory, enrolment, online, pull, push, segments,
               support)
from .common import GLOBAL_KINDS, SCOPES, STORE_KINDS, CUSTOMER_KINDS, Identity, digest
from .directory import search_text
from .enrolment import ENROLMENT_TTL
from .errors import Conflict, Forbidden, HqError, Invalid, NotFound, Refused, Unauthorized
from .push import PushResult


class Headquarters:
    AUTH_CACHE_SECONDS = enrolment.AUTH_CACHE_SECONDS
    RESET_ANSWER = accounts.RESET_ANSWER
    SIGN_IN_REFUSED = accounts.SIGN_IN_REFUSED

    def __init__(self, engine: Engine, *, now: Callable[[], datetime] | None = None, mailer=None,
                 reset_url: str = "http://127.0.0.1:8750/reset", mail_from: str = "no-reply@pos-customers.invalid",
                 reset_ttl: timedelta = timedelta(hours=2), reset_limit_per_hour: int = 3,
                 session_lifetime: timedelta = SESSION_LIFETIME, assist_ttl: timedelta = ASSIST_LINK_TTL,
                 assist_url: str | None = None):
        self.engine = engine
        self._now = now or (lambda: datetime.now(timezone.utc))
        if mailer is None:
            from .mailer import FileMailer, default_mail_folder
            mailer = FileMailer(default_mail_folder())
        self.mailer = mailer
        self.reset_url, self.mail_from = reset_url, mail_from
        self.reset_ttl, self.reset_limit_per_hour = reset_ttl, reset_limit_per_hour
        self._auth_cache: dict[str, tuple[Identity, float]] = {}
        self._last_seen: dict[str, float] = {}  # terminal id -> when this process last wrote its last_seen_at
        # seed 002 "Customer Session Lifetime": how long an online session lasts after its last use
        self.session_lifetime, self.assist_ttl, self._assist_url = session_lifetime, assist_ttl, assist_url

    @property
    def assist_url(self) -> str:
        """The page an assistance link opens (beside the password page unless set)."""
        return self._assist_url or self.reset_url.rsplit("/", 1)[0] + "/assist"

    def now(self) -> datetime:
        return self._now()

    # -- stores and terminals (enrolment.py) ------------------------------------------------------
    def add_store(self, code: str, name: str, **kw: Any) -> str:
        return enrolment.add_store(self, code, name, **kw)

    def issue_token(self, code: str) -> str:
        return enrolment.issue_token(self, code)

    def set_scope(self, code: str, scope: str) -> None:
        enrolment.set_scope(self, code, scope)

    def stores(self) -> list[dict[str, Any]]:
        return enrolment.stores(self)

    def enrol(self, token: str, terminal_name: str = "") -> tuple[str, str, dict[str, Any], int]:
        """(terminal id, credential, store, the till's terminal number in its store)."""
        return enrolment.enrol(self, token, terminal_name)

    def authenticate(self, credential: str | None) -> Identity:
        return enrolment.authenticate(self, credential)

    # -- sync (push.py, pull.py) ------------------------------------------------------------------
    def push(self, who: Identity, events: list[Any]) -> PushResult:
        return push.push(self, who, events)

    def pull(self, who: Identity, cursor: int, limit: int = 500) -> str:
        return pull.pull(self, who, cursor, limit)

    # -- customers across stores (directory.py) ---------------------------------------------------
    def search(self, who: Identity, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
        return directory.search(self, who, query, limit=limit)

    def pull_in(self, who: Identity, customer_id: str) -> dict[str, Any]:
        return directory.pull_in(self, who, customer_id)

    def customer_record(self, who: Identity, customer_id: str) -> dict[str, Any]:
        return directory.customer_record(self, who, customer_id)

    def merge_customers(self, merged: str, into: str, *, by: str = "headquarters") -> Any:
        """Fold one customer into another (ids or references): hq/merge.py."""
        from .merge import merge_customers
        return merge_customers(self, merged, into, by=by)

    def orders(self, who: Identity, customer_id: str) -> list[dict[str, Any]]:
        return directory.orders(self, who, customer_id)

    # -- carts, saved payments, order details, the store directory (customer_data.py) -------------
    def carts(self, who: Identity | None, customer_id: str) -> list[Any]:
        return customer_data.carts(self, who, customer_id)

    def saved_payments(self, who: Identity | None, customer_id: str) -> list[Any]:
        return customer_data.saved_payments(self, who, customer_id)

    def order_detail(self, who: Identity | None, customer_id: str, order_id: str) -> Any:
        return customer_data.order_detail(self, who, customer_id, order_id)

    def store_directory(self) -> list[Any]:
        return customer_data.store_directory(self)

    def set_store_contact(self, code: str, **values: str | None) -> None:
        customer_data.set_store_contact(self, code, **values)

    def put_carts(self, docs: Iterable[Any]) -> int:
        return customer_data.put_carts(self, docs)

    def put_payments(self, docs: Iterable[Any]) -> int:
        return customer_data.put_payments(self, docs)

    def put_order_details(self, docs: Iterable[Any]) -> int:
        return customer_data.put_order_details(self, docs)

    # -- store credit (credit.py) ---------------------------------------------------------------
    def credit_account(self, who: Identity | None, customer_id: str) -> Any:
        return credit.account(self, who, customer_id)

    def credit_move(self, customer_id: str, **movement: Any) -> Any:
        """A refund, sale, expiry (the order system) or a correction made at headquarters."""
        return credit.move(self, customer_id, **movement)

    def store_records(self, who: Identity, code: str, kind: str) -> list[dict[str, Any]]:
        return directory.store_records(self, who, code, kind)

    def import_customers(self, docs: Iterable[dict[str, Any]]) -> int:
        return directory.import_customers(self, docs)

    def import_memberships(self, docs: Iterable[dict[str, Any]]) -> None:
        directory.import_memberships(self, docs)

    def put_records(self, items: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        directory.put_records(self, items)

    def current_seq(self) -> int:
        return directory.current_seq(self)

    def customer_count(self) -> int:
        return directory.customer_count(self)

    # -- customer segments (segments.py) ---------------------------------------------------------
    def add_segment(self, code: str, name: str, rule: Any, *, replace: bool = False,
                    by: str = "headquarters") -> segments.SegmentView:
        return segments.add(self, code, name, rule, replace=replace, by=by)

    def segment(self, code: str) -> segments.SegmentView:
        return segments.get(self, code)

    def segments(self) -> list[segments.SegmentView]:
        return segments.segments(self)

    def remove_segment(self, code: str, *, by: str = "headquarters") -> segments.SegmentView:
        return segments.remove(self, code, by=by)

    def refresh_segments(self, codes: Iterable[str] | None = None, *, full: bool = False) -> dict[str, int]:
        return segments.refresh(self, codes, full=full)

    def segment_codes(self, customer_ids: list[str]) -> dict[str, list[str]]:
        """customer id -> the codes of their segments (as last evaluated)."""
        return segments.codes_for(self, customer_ids)

    def segment_report(self, code: str, *, members: bool = False) -> tuple[int, list[tuple[str, str, str]]]:
        return segments.report(self, code, members=members)

    # -- audit trails (audit.py) ------------------------------------------------------------------
    def receive_audit(self, who: Identity, rows: list[Any]) -> tuple[int, list[str]]:
        return audit.receive_audit(self, who, rows)

    def audit_rows(self, store_code: str) -> list[dict[str, Any]]:
        return audit.audit_rows(self, store_code)

    def own_audit(self) -> list[Any]:
        """Headquarters' own audit trail (support accounts), oldest first, as hash-chained rows."""
        return audit.own_trail(self)

    # -- the chain's support accounts (support.py) ------------------------------------------------
    def add_support(self, number: str, name: str, pin: str, *, by: str) -> support.SupportAccountView:
        return support.add(self, number, name, pin, by=by)

    def support_accounts(self, *, removed: bool = True) -> list[support.SupportAccountView]:
        return support.accounts(self, removed=removed)

    def remove_support(self, number: str, *, by: str) -> support.SupportAccountView:
        return support.remove(self, number, by=by)

    def reset_support(self, number: str, pin: str, *, by: str) -> support.SupportAccountView:
        return support.reset(self, number, pin, by=by)

    # -- online accounts (accounts.py) ------------------------------------------------------------
    def request_reset(self, who: Identity | None, email: str) -> str:
        return accounts.request_reset(self, who, email)

    def reset_password(self, token: str, new_password: str) -> None:
        accounts.reset_password(self, token, new_password)

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        return accounts.sign_in(self, email, password)

    def change_password(self, email: str, password: str, new_password: str) -> dict[str, Any]:
        return accounts.change_password(self, email, password, new_password)

    # -- customers online and shopper assistance (online.py) ----------------------------------------
    def touch_session(self, token: str) -> Any:
        return online.touch(self, token)

    def sign_out(self, token: str) -> None:
        online.sign_out(self, token)

    def assist_link(self, who: Identity, customer_id: str, request: Any) -> Any:
        return online.request_link(self, who, customer_id, request)

    def consume_assist_link(self, token: str) -> Any:
        return online.consume_link(self, token)

    def online_state(self, who: Identity | None, customer_id: str) -> Any:
        return online.online_state(self, who, customer_id)

    def online_now(self, *, limit: int = 500) -> list[Any]:
        return online.online_now(self, limit=limit)


__all__ = ["Headquarters", "Identity", "PushResult", "HqError", "Forbidden", "NotFound", "Unauthorized",
           "Conflict", "Invalid", "Refused", "DOCUMENT_FIELDS", "search_text", "digest", "ENROLMENT_TTL",
           "GLOBAL_KINDS", "STORE_KINDS", "CUSTOMER_KINDS", "SCOPES"]
