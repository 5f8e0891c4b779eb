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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ...domain.protocol import EventKind
from ..db import close
from ...domain.errors import raised_message
from ..errors import Forbidden, HqError, coded
from ..service import Headquarters
from ..admission import DEFAULT_MAX_IN_FLIGHT, Admission, Gate, busy_message
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


def create_app(engine: Engine, hq: Headquarters | None = None, *,
               max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> FastAPI:
    """``max_in_flight``: requests this process serves at once; the next one is answered 429 with
    ``Retry-After`` (:mod:`.admission`)."""
    hq = hq or Headquarters(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        close(engine)  # on shutdown: checkpoint the SQLite log, close the connections

    app = FastAPI(title="pos-customers headquarters", version="1", lifespan=lifespan,
                  description="Enrolment, push, pull and cross-store lookup for store terminals.")
    app.state.hq = hq
    app.state.admission = Gate(max_in_flight)
    app.add_middleware(Admission, gate=app.state.admission)

    @app.exception_handler(HqError)
    async def _hq_error(_request: Request, exc: HqError) -> JSONResponse:
        return JSONResponse({"detail": _text(str(exc)), **_text_params(coded(exc.message))}, status_code=exc.status)

    @app.exception_handler(OperationalError)
    async def _database_away(_request: Request, exc: OperationalError) -> JSONResponse:
        # the database connection broke (a restart of PostgreSQL: the pool replaces its connections)
        # or the database is not reachable now: the same request, sent again shortly, is served
        message = busy_message(DATABASE_RETRY_AFTER)
        return JSONResponse({"detail": str(message), **coded(message), "retry_after": DATABASE_RETRY_AFTER},
                            status_code=503, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})

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
