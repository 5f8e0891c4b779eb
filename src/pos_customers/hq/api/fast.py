"""The two requests every till sends every 15 s, push and pull, answered at the ASGI level without
FastAPI's routing and dependency resolution (about half of an idle store's pull was that).

The same checks as the routes, no weaker: the credential is the ``Bearer`` one, the cursor and limit
are decimal integers within the protocol's bounds, a push body is JSON of ``application/json`` type
validated by the protocol's own model (:class:`PushRequest`). Anything else (no or another kind of
credential, a query that is not plain digits, a body that does not validate, another content type)
goes to the FastAPI route, which answers it exactly as before (401, 422 naming the field, ...). The
work and its answer are the route's own (:mod:`.routes.sync`), and refusals are the app's handlers'.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import orjson
from anyio import to_thread
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from ...domain.protocol import MAX_PULL_LIMIT, MAX_SEQ, PushRequest
from ..errors import HqError
from ..service import Headquarters

ASGI = Callable[[dict, Any, Any], Awaitable[None]]
_DIGITS = frozenset(b"0123456789")
_JSON = (b"content-type", b"application/json")


def _bearer(scope: dict) -> str | None:
    """The credential of the request's first ``Authorization: Bearer ...`` header (as FastAPI's
    HTTPBearer reads it), or None (the route then answers)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            return credential if scheme.lower() == "bearer" and credential else None
    return None


def _bounded(text: bytes, low: int, high: int) -> int | None:
    if not text or len(text) > 19 or not _DIGITS.issuperset(text):
        return None
    n = int(text)
    return n if low <= n <= high else None


def pull_query(query: bytes) -> tuple[int, int] | None:
    """``cursor`` and ``limit`` of a pull's query string when each is plain digits within its bounds
    and neither is repeated; None otherwise (the route decides)."""
    cursor, limit = 0, 500
    seen = set()
    for part in query.split(b"&") if query else ():
        name, eq, value = part.partition(b"=")
        if not eq or name in seen:
            return None
        seen.add(name)
        if name == b"cursor":
            cursor = _bounded(value, 0, MAX_SEQ)
        elif name == b"limit":
            limit = _bounded(value, 1, MAX_PULL_LIMIT)
        else:
            return None
        if cursor is None or limit is None:
            return None
    return cursor, limit


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), _JSON, *(headers or ())]})
    await send({"type": "http.response.body", "body": body})


class FastPaths:
    """``GET /v1/pull`` and ``POST /v1/push`` for ``app`` (the full FastAPI application, which
    answers whatever these do not)."""

    def __init__(self, hq: Headquarters, app: ASGI, refusal: Callable[[Exception], tuple[int, bytes, list]]):
        self.hq, self.app, self.refusal = hq, app, refusal
        self.routes = {("GET", "/v1/pull"): self.pull, ("POST", "/v1/push"): self.push}

    async def _run(self, send: Any, work: Callable[[], bytes]) -> None:
        try:
            body = await to_thread.run_sync(work)
        except (HqError, OperationalError) as exc:
            await _answer(send, *self.refusal(exc))
            return
        await _answer(send, 200, body)

    async def pull(self, scope: dict, receive: Any, send: Any) -> None:
        credential, query = _bearer(scope), pull_query(scope["query_string"])
        if credential is None or query is None:
            await self.app(scope, receive, send)
            return
        hq = self.hq

        def work() -> bytes:
            body = hq.pull(hq.authenticate(credential), *query)
            return body.encode() if isinstance(body, str) else body

        await self._run(send, work)

    async def push(self, scope: dict, receive: Any, send: Any) -> None:
        from .routes.sync import push_answer

        credential = _bearer(scope)
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
        chunks, more, message = [], True, {}
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        body = None
        if credential is not None and content_type == b"application/json":
            try:
                body = PushRequest.model_validate(orjson.loads(raw))
            except (orjson.JSONDecodeError, ValidationError):
                body = None
        if body is None:  # the route answers (a 422 naming the field, a 401, ...) from the same bytes
            replayed = False

            async def replay() -> dict:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}

            await self.app(scope, replay, send)
            return
        hq = self.hq

        def work() -> bytes:
            return push_answer(hq, hq.authenticate(credential), body).encode()

        await self._run(send, work)


__all__ = ["FastPaths", "pull_query"]
