"""Headquarters over HTTP (FastAPI). Every route but enrolment and health needs a terminal credential."""

from __future__ import annotations

import html
import urllib.parse
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from ..domain.reference import MAX_TERMINAL
from .service import Forbidden, Headquarters, HqError, Identity


class EnrolRequest(BaseModel):
    token: str = Field(min_length=10, max_length=200, description="the one-time token from `hq add-store`")
    terminal_name: str = Field(default="", max_length=120)


class EnrolResponse(BaseModel):
    terminal_id: str
    credential: str = Field(description="keep it secret: it is the terminal's identity from now on")
    store: dict[str, Any]
    terminal_number: int = Field(ge=1, le=MAX_TERMINAL, description="the till's number in its store, part of every "
                                 "customer reference it issues; never given to another till of the store")


class Event(BaseModel):
    id: str = Field(min_length=1, max_length=36, description="the outbox event id: applied once")
    seq: int = Field(description="the terminal's outbox order")
    hlc: str = Field(min_length=1, max_length=64, description="hybrid logical clock stamp")
    type: str = Field(max_length=48)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    payload: dict[str, Any]


class AuditRow(BaseModel):
    id: int
    at: str
    associate: str
    terminal: str
    store: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    changes_hash: str = Field(default="", max_length=64)
    redacted: bool = False


class PushRequest(BaseModel):
    events: list[Event] = Field(max_length=2000)
    audit: list[AuditRow] = Field(default_factory=list, max_length=5000,
                                  description="the terminal's audit rows after the last ones sent, hash-chained")


class PushResponse(BaseModel):
    audit_kept: int = 0
    audit_problems: list[str] = Field(default_factory=list)
    applied: list[str]
    duplicates: list[str]
    conflicts: list[dict[str, Any]]
    cursor: int = Field(description="headquarters' seq after this push")


class PullPage(BaseModel):
    items: list[dict[str, Any]]
    cursor: int
    more: bool


class ResetLinkRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254)


class ResetRequest(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=1, max_length=256)


class SignInRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class CustomerHit(BaseModel):
    id: str
    reference: str
    store_code: str
    display_name: str
    email: str
    phone: str
    city: str


def create_app(engine: Engine, hq: Headquarters | None = None) -> FastAPI:
    hq = hq or Headquarters(engine)
    app = FastAPI(title="pos-customers headquarters", version="1",
                  description="Enrolment, push, pull and cross-store lookup for store terminals.")
    app.state.hq = hq

    @app.exception_handler(HqError)
    async def _hq_error(_request: Request, exc: HqError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    def terminal(authorization: str | None = Header(default=None)) -> Identity:
        token = authorization.split(" ", 1)[1] if authorization and authorization.startswith("Bearer ") else None
        return hq.authenticate(token)

    @app.get("/v1/health", tags=["status"], summary="Is headquarters up and its database reachable")
    def health() -> dict[str, str]:
        from .db import ping
        ping(engine)
        return {"status": "ok"}

    @app.post("/v1/enrol", response_model=EnrolResponse, tags=["terminals"],
              summary="Trade a one-time enrolment token for a terminal credential and a terminal number",
              responses={409: {"description": "the store has every terminal number in use"}})
    def enrol(body: EnrolRequest) -> EnrolResponse:
        terminal_id, credential, store, number = hq.enrol(body.token, body.terminal_name)
        return EnrolResponse(terminal_id=terminal_id, credential=credential, store=store, terminal_number=number)

    @app.post("/v1/push", response_model=PushResponse, tags=["sync"],
              summary="Apply outbox events in order; each event id is applied once",
              responses={403: {"description": "another store's store-scoped data"}})
    def push(body: PushRequest, who: Identity = Depends(terminal)) -> PushResponse:
        result = hq.push(who, [e.model_dump() for e in body.events])
        kept, problems = hq.receive_audit(who, [r.model_dump() for r in body.audit]) if body.audit else (0, [])
        return PushResponse(applied=result.applied, duplicates=result.duplicates,
                            conflicts=result.conflicts, cursor=result.last_seq, audit_kept=kept,
                            audit_problems=problems)

    @app.get("/v1/pull", response_model=PullPage, tags=["sync"],
             summary="Everything in this store's scope changed after the cursor, in order")
    def pull(cursor: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=5000),
             who: Identity = Depends(terminal)) -> Response:
        return Response(hq.pull(who, cursor, limit), media_type="application/json")

    @app.get("/v1/customers/search", response_model=list[CustomerHit], tags=["customers"],
             summary="Customers of every store, by name, email, phone, postal code or reference")
    def search(q: str = Query(..., min_length=1, max_length=200), limit: int = Query(20, ge=1, le=100),
               who: Identity = Depends(terminal)) -> list[dict[str, Any]]:
        return hq.search(who, q, limit=limit)

    @app.post("/v1/customers/{customer_id}/pull-in", tags=["customers"],
              summary="Bring another store's customer into this store's scope and return it")
    def pull_in(customer_id: str, who: Identity = Depends(terminal)) -> dict[str, Any]:
        return hq.pull_in(who, customer_id)

    @app.get("/v1/customers/{customer_id}", tags=["customers"],
             summary="Everything headquarters holds on one customer (for an access request)")
    def customer_record(customer_id: str, who: Identity = Depends(terminal)) -> dict[str, Any]:
        return hq.customer_record(who, customer_id)

    @app.get("/v1/customers/{customer_id}/orders", tags=["customers"],
             summary="The customer's order summaries, newest first")
    def orders(customer_id: str, who: Identity = Depends(terminal)) -> list[dict[str, Any]]:
        return hq.orders(who, customer_id)

    @app.post("/v1/accounts/reset-link", status_code=202, tags=["accounts"],
              summary="Mail a single-use link to set a password (same answer whether or not the address exists)")
    def reset_link(body: ResetLinkRequest, who: Identity = Depends(terminal)) -> dict[str, str]:
        return {"detail": hq.request_reset(who, body.email)}

    @app.post("/v1/accounts/reset", tags=["accounts"],
              summary="Consume a password link: set the new password (checked against the policy)",
              responses={400: {"description": "unknown, used or expired link, or a weak password"}})
    def reset(body: ResetRequest) -> dict[str, str]:
        hq.reset_password(body.token, body.password)
        return {"detail": "Your password is set."}

    @app.post("/v1/accounts/sign-in", tags=["accounts"],
              summary="An online sign-in (for the web shop): checks the password, records the time",
              responses={401: {"description": "unknown email or wrong password (indistinguishable)"}})
    def account_sign_in(body: SignInRequest) -> dict[str, Any]:
        return hq.sign_in(body.email, body.password)

    @app.get("/reset", tags=["accounts"], response_class=HTMLResponse,
             summary="The page a password link opens: a form for the new password")
    def reset_page(token: str = "") -> HTMLResponse:
        return HTMLResponse(_RESET_PAGE.format(token=html.escape(token, quote=True), message=""))

    @app.post("/reset", tags=["accounts"], response_class=HTMLResponse, summary="The form's answer")
    async def reset_form(request: Request) -> HTMLResponse:
        form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        try:
            await run_in_threadpool(hq.reset_password, token, (form.get("password") or [""])[0])
        except HqError as exc:
            return HTMLResponse(_RESET_PAGE.format(token=html.escape(token, quote=True),
                                                   message=f"<p class=err>{html.escape(str(exc))}</p>"), 400)
        return HTMLResponse("<!doctype html><meta charset=utf-8><title>Password set</title>"
                            "<p>Your password is set. You can sign in now.</p>")

    @app.get("/v1/stores/{code}/{kind}", tags=["stores"],
             summary="A store's own template, associates or notes (that store's terminals only)",
             responses={403: {"description": "another store's data"}})
    def store_data(code: str, kind: Literal["template", "associate", "note"],
                   who: Identity = Depends(terminal)) -> list[dict[str, Any]]:
        return hq.store_records(who, code, kind)

    return app


_RESET_PAGE = """<!doctype html><meta charset=utf-8><title>Set your password</title>
<h1>Set your password</h1>{message}
<form method=post action=/reset><input type=hidden name=token value="{token}">
<label>New password <input type=password name=password autocomplete=new-password required></label>
<p>At least 10 characters with upper and lower case, a digit and a special character.</p>
<button>Set password</button></form>"""


def app_from_env() -> FastAPI:
    """For `uvicorn --factory pos_customers.hq.api:app_from_env` (reads $POS_CUSTOMERS_HQ_DB)."""
    from .db import make_engine, upgrade

    engine = make_engine()
    upgrade(engine)
    return create_app(engine)


__all__ = ["create_app", "app_from_env", "Forbidden", "HTTPException"]
