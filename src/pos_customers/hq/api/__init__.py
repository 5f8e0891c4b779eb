"""Headquarters over HTTP (FastAPI). Every route but enrolment, health and the password pages needs a
terminal credential (``Authorization: Bearer ...``).

Routes live in :mod:`.routes` (one module per resource), what they depend on in :mod:`.deps`, the
work in headquarters' use-case modules. Refusals are 4xx with a one-line ``detail`` (in English;
with ``code`` and ``params`` besides where headquarters' message has them, for a terminal to show
it in its associate's language); a body or query
that does not fit its model is FastAPI's 422 naming the field (for a push: ``["body", "events", i,
"payload", ...]``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ...domain.protocol import EventKind
from ..db import close
from ...domain.errors import raised_message
from ..errors import MAX_BODY, Forbidden, HqError, TooLarge, coded
from ..service import Headquarters
from ..admission import DEFAULT_MAX_IN_FLIGHT, EXEMPT, Gate, busy_message, refuse
from .fast import FastPaths
from .routes import accounts, credit, customer_data, customers, enrolment, health, online, stores, sync

_KINDS = {k.value for k in EventKind}
DATABASE_RETRY_AFTER = 2  # seconds: a request that met a dropped database connection is sent again


def _text(value: object) -> object:
    """Text that can be encoded as UTF-8 whatever was sent (a lone surrogate becomes '?')."""
    return value.encode("utf-8", "replace").decode() if isinstance(value, str) else value


def _text_params(wire: dict) -> dict:
    """A message's code and params (:func:`..errors.coded`), their text encodable whatever it holds."""
    if wire:
        wire = {"code": _text(wire["code"]), "params": {k: _text(v) for k, v in wire["params"].items()}}
    return wire


def _loc(loc: tuple) -> list:
    """FastAPI's location of a value, without the event kind pydantic puts after an event's index:
    ``["body", "events", 3, "payload", "fields", "emails"]``."""
    out = list(loc)
    if len(out) > 3 and out[:2] == ["body", "events"] and isinstance(out[2], int) and out[3] in _KINDS:
        del out[3]
    return [_text(p) for p in out]


def _json(content: dict) -> bytes:
    """As JSONResponse renders it."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _refusal(exc: Exception) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """Status, JSON body and extra headers of the answer to a use case's refusal (:class:`HqError`)
    or to a database that is away (503 + ``Retry-After``): the app's handlers' and the fast paths'."""
    if isinstance(exc, HqError):
        return exc.status, _json({"detail": _text(str(exc)), **_text_params(coded(exc.message))}), []
    # the database connection broke (a restart of PostgreSQL: the pool replaces its connections)
    # or the database is not reachable now: the same request, sent again shortly, is served
    message = busy_message(DATABASE_RETRY_AFTER)
    body = _json({"detail": str(message), **coded(message), "retry_after": DATABASE_RETRY_AFTER})
    return 503, body, [(b"retry-after", str(DATABASE_RETRY_AFTER).encode())]


async def _answer_refusal(send: Any, exc: HqError) -> None:
    status, body, headers = _refusal(exc)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


def _bounded(receive: Any) -> Any:
    """``receive`` that stops a body at :data:`MAX_BODY` bytes (:class:`TooLarge`, a 413) however it
    is sent: a terminal's body is read into memory whole, so its size is bounded first."""
    seen = 0

    async def bounded() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise TooLarge()
        return message
    return bounded


class HeadquartersApp(FastAPI):
    """FastAPI with admission (:mod:`..admission`) in front of everything, and the fast paths of push
    and pull (:mod:`.fast`) before FastAPI's routing: a refusal costs no routing, no middleware stack."""

    gate: Gate
    fast: FastPaths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await super().__call__(scope, receive, send)
            return
        gate = self.gate
        if gate.in_flight >= gate.limit:
            gate.refused += 1
            await refuse(gate, send)
            return
        gate.in_flight += 1
        started = time.monotonic()
        try:
            length = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
            if length.isdigit() and int(length) > MAX_BODY:  # (the server refuses a malformed one)
                await _answer_refusal(send, TooLarge())
                return
            route = self.fast.routes.get((scope["method"], scope["path"]))
            try:
                if route is None:
                    await super().__call__(scope, _bounded(receive), send)
                else:
                    await route(scope, _bounded(receive), send)
            except TooLarge as exc:  # a body without a length, longer than it may be: before any answer
                await _answer_refusal(send, exc)
        finally:
            gate.in_flight -= 1
            gate.average += (time.monotonic() - started - gate.average) * 0.1


def create_app(engine: Engine, hq: Headquarters | None = None, *,
               max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> FastAPI:
    """``max_in_flight``: requests this process serves at once; the next one is answered 429 with
    ``Retry-After`` (:mod:`.admission`)."""
    hq = hq or Headquarters(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        close(engine)  # on shutdown: checkpoint the SQLite log, close the connections

    app = HeadquartersApp(title="pos-customers headquarters", version="1", lifespan=lifespan,
                          description="Enrolment, push, pull and cross-store lookup for store terminals.")
    app.state.hq = hq
    app.state.admission = app.gate = Gate(max_in_flight)
    app.fast = FastPaths(hq, super(HeadquartersApp, app).__call__, _refusal)

    def answer(exc: Exception) -> Response:
        status, body, headers = _refusal(exc)
        return Response(body, status_code=status, media_type="application/json",
                        headers={k.decode(): v.decode() for k, v in headers})

    @app.exception_handler(HqError)
    async def _hq_error(_request: Request, exc: HqError) -> Response:
        return answer(exc)

    @app.exception_handler(OperationalError)
    async def _database_away(_request: Request, exc: OperationalError) -> Response:
        return answer(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": _loc(e["loc"]), "msg": _text(e["msg"]), "type": e["type"], **_text_params(coded(raised_message(e)))}
                  for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)

    for module in (health, enrolment, sync, customers, customer_data, credit, accounts, online, stores):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory pos_customers.hq.api:app_from_env` (reads $POS_CUSTOMERS_HQ_DB)."""
    from ..db import make_engine, upgrade

    engine = make_engine()
    upgrade(engine)
    return create_app(engine)


__all__ = ["create_app", "app_from_env", "Forbidden"]
