"""Customers online and shopper assistance (hq/online.py): a customer's online state and an
assistance link for a till; the link's page, and the web shop's session keep-alive and sign-out.

An assistance link is refused (403) for a customer whose consent headquarters does not hold, and
(409) for a guest or an anonymized customer; using it a second time, or after it expired, is a 400.
"""
from __future__ import annotations

import html
import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from ....domain.assistance import AssistConsume, AssistLink, AssistRequest, OnlineSession, OnlineState, SessionToken
from ....domain.reference import format_reference
from ...errors import HqError
from ..deps import HQ, Terminal, problems
from .accounts import Detail
from .customers import CustomerIdPath

router = APIRouter()


@router.get("/v1/customers/{customer_id}/online", response_model=OnlineState, tags=["customers"],
            responses=problems(401, 403, 404),
            summary="Whether the customer is signed in online now, when last seen, and their assistance links")
def online_state(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> OnlineState:
    return hq.online_state(who, customer_id)


@router.post("/v1/customers/{customer_id}/assist-link", status_code=201, response_model=AssistLink,
             tags=["customers"],
             responses=problems(400, 401, 403, 404, 409, e403="outside this store's scope, or the customer has not "
                                                        "agreed to shopper assistance",
                                e409="a guest (no online account) or an anonymized customer"),
             summary="A single-use, short-lived link into the customer's online account (shopper assistance)")
def assist_link(customer_id: CustomerIdPath, body: AssistRequest, who: Terminal, hq: HQ) -> AssistLink:
    return hq.assist_link(who, customer_id, body)


@router.post("/v1/accounts/assist", response_model=OnlineSession, tags=["accounts"],
             responses=problems(400, 403, e400="an unknown, used or expired assistance link",
                                e403="the customer withdrew their consent"),
             summary="Use an assistance link (once): opens the customer's online account as an assisted session")
def consume(body: AssistConsume, hq: HQ) -> OnlineSession:
    return hq.consume_assist_link(body.token)


@router.post("/v1/accounts/session", response_model=OnlineSession, tags=["accounts"],
             responses=problems(400, 401, e401="the session ended or expired: sign in again"),
             summary="The web shop uses a session: it stays open for another customer session lifetime")
def touch(body: SessionToken, hq: HQ) -> OnlineSession:
    return hq.touch_session(body.session)


@router.post("/v1/accounts/sign-out", response_model=Detail, tags=["accounts"], responses=problems(400),
             summary="End an online session (again, or with an expired one: nothing changes)")
def sign_out(body: SessionToken, hq: HQ) -> Detail:
    hq.sign_out(body.session)
    return Detail(detail="Signed out.")


@router.get("/assist", response_class=HTMLResponse, tags=["accounts"],
            summary="The page an assistance link opens: one button uses it (opening it does not)")
def assist_page(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return HTMLResponse(ASSIST_PAGE.format(token=html.escape(token, quote=True), message=""))


@router.post("/assist", response_class=HTMLResponse, tags=["accounts"], summary="The assistance page's answer",
             responses={400: {"description": "an unknown, used or expired link (the page says so)",
                              "content": {"text/html": {}}}})
async def assist_form(request: Request, hq: HQ) -> HTMLResponse:
    form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0][:200]
    try:
        session = await run_in_threadpool(hq.consume_assist_link, token)
    except HqError as exc:
        return HTMLResponse(ASSIST_PAGE.format(token="", message=f"<p class=err>{html.escape(str(exc))}</p>"),
                            exc.status if exc.status < 500 else 400)
    return HTMLResponse("<!doctype html><meta charset=utf-8><title>Customer account</title>"
                        f"<p>The account of customer {html.escape(format_reference(session.reference))} is open for you, "
                        f"{html.escape(session.assisted_by)}, until {session.expires_at:%H:%M} UTC.</p>")


ASSIST_PAGE = """<!doctype html><meta charset=utf-8><title>Shopper assistance</title>
<h1>Open the customer's account</h1>{message}
<form method=post action=/assist><input type=hidden name=token value="{token}">
<p>This link works once. The customer agreed that you act in their online account.</p>
<button>Open the account</button></form>"""
