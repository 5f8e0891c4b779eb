"""Talking to headquarters over HTTP (httpx). Network trouble becomes one exception: HqUnavailable;
a headquarters too busy to serve now (429, or 503 with Retry-After) is its kind HqBusy, which
says how long to wait."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import orjson

from ..domain.i18n import Msg


def _loads(body: bytes) -> Any:
    """A pull page is thousands of small objects: the cyclic GC, run over and over while they are
    made, would cost more than the parsing itself (none of them can form a cycle)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(body)
    finally:
        if enabled:
            gc.enable()


decode_page = _loads  # a pull page's JSON as received (HqClient.pull_body)


class HqUnavailable(RuntimeError):
    """Headquarters could not be reached, or answered with a server error: try again later."""


def hq_message(answer: Any, text: str) -> Msg | str:
    """What headquarters said, as a message the edge shows in its reader's language: the answer's
    ``code`` and ``params`` (an English template and its parameters) where it has them, checked
    and bounded; else ``text``, its English words (an older headquarters)."""
    if not isinstance(answer, dict):
        return text
    code, params = answer.get("code"), answer.get("params")
    if not isinstance(code, str) or not code or len(code) > 500 or not isinstance(params, (dict, type(None))):
        return text
    kept = {}
    for k, v in list((params or {}).items())[:20]:
        if isinstance(k, str) and len(k) <= 64:
            kept[k] = v if v is None or isinstance(v, (bool, int, float)) else str(v)[:500]
    return Msg.from_dict({"code": code, "params": kept})


MAX_RETRY_AFTER = 300  # seconds: a longer Retry-After is taken as this
BUSY_DEFAULT_WAIT = 5  # seconds, for a 429 that does not say how long


class HqBusy(HqUnavailable):
    """Headquarters is saturated and said when to come back (429, or 503 with ``Retry-After``):
    not an error; the same request, sent again after ``retry_after`` seconds, is served."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(Msg("headquarters is busy: try again in {seconds} s", seconds=retry_after))


def retry_after(r: httpx.Response) -> int | None:
    """The seconds a 429 or 503 answer asks to wait (``Retry-After``: seconds or an HTTP date),
    1 to :data:`MAX_RETRY_AFTER`; None when the answer is not "come back later"."""
    if r.status_code not in (429, 503):
        return None
    value = r.headers.get("retry-after", "").strip()
    seconds: float | None = None
    if value.isdigit():
        seconds = int(value)
    elif value:
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = None
    if seconds is None:
        return BUSY_DEFAULT_WAIT if r.status_code == 429 else None
    return int(min(MAX_RETRY_AFTER, max(1, round(seconds))))


class HqRefused(RuntimeError):
    """Headquarters answered and said no (401, 403, 422...): retrying the same request will not help.
    Raised with a Msg: ``str()`` is English, ``tr(exc)`` the associate's language, headquarters'
    reason in it too when the answer carried its code and parameters."""

    def __init__(self, status: int, detail: str, body: Any = None, answer: Any = None):
        self.status = status
        self.body = body  # the answer's ``detail`` as sent (FastAPI's 422 is a list naming each field)
        super().__init__(Msg("headquarters refused ({status}): {detail}", status=status,
                             detail=hq_message(answer, detail)))


class HqClient:
    def __init__(self, url: str, credential: str = "", *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kw) -> Any:
        return _loads(self._body(method, path, **kw))

    def _body(self, method: str, path: str, **kw) -> bytes:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise HqUnavailable(Msg("{url} unreachable: {error}", url=self.url, error=error)) from exc
        wait = retry_after(r)
        if wait is not None:
            raise HqBusy(wait)
        if r.status_code >= 500:
            raise HqUnavailable(Msg("{url} answered {status}", url=self.url, status=r.status_code))
        if r.status_code >= 400:
            try:
                answer = r.json()
                detail = answer.get("detail", r.text) if isinstance(answer, dict) else answer
            except ValueError:
                answer = detail = r.text
            raise HqRefused(r.status_code, str(detail)[:300], detail, answer)
        return r.content

    def enrol(self, token: str, terminal_name: str) -> dict[str, Any]:
        return self._call("POST", "/v1/enrol", json={"token": token, "terminal_name": terminal_name})

    def push(self, events: list[dict[str, Any]], audit: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return self._call("POST", "/v1/push", content=orjson.dumps({"events": events, "audit": audit or []}),
                          headers={"Content-Type": "application/json"})

    def pull(self, cursor: int, limit: int) -> dict[str, Any]:
        return self._call("GET", "/v1/pull", params={"cursor": cursor, "limit": limit})

    def pull_body(self, cursor: int, limit: int) -> bytes:
        """The page of :meth:`pull` as its JSON, undecoded (the row maker decodes it too)."""
        return self._body("GET", "/v1/pull", params={"cursor": cursor, "limit": limit})

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/customers/search", params={"q": query, "limit": limit})

    def pull_in(self, customer_id: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/customers/{customer_id}/pull-in")

    def reset_link(self, email: str) -> dict[str, Any]:
        return self._call("POST", "/v1/accounts/reset-link", json={"email": email})

    def record(self, customer_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/customers/{customer_id}")

    def orders(self, customer_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/customers/{customer_id}/orders")

    def carts(self, customer_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/customers/{customer_id}/carts")

    def saved_payments(self, customer_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/customers/{customer_id}/saved-payments")

    def order_detail(self, customer_id: str, order_id: str) -> dict[str, Any]:
        from urllib.parse import quote

        return self._call("GET", f"/v1/customers/{customer_id}/orders/{quote(order_id, safe='')}")

    def online_state(self, customer_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/customers/{customer_id}/online")

    def assist_link(self, customer_id: str, associate: str, role: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/customers/{customer_id}/assist-link",
                          json={"associate": associate, "role": role})

    def credit(self, customer_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/customers/{customer_id}/credit")

    def store_directory(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/stores")

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/v1/health")
