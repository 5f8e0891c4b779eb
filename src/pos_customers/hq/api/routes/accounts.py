from __future__ import annotations

import html
import urllib.parse
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from ....domain.protocol import Line, Text
from ...errors import HqError, coded
from ..deps import HQ, Terminal, problems

router = APIRouter(tags=["accounts"])


class ResetLinkRequest(BaseModel):
    email: Line(254, min_length=3)


class ResetRequest(BaseModel):
    token: Line(200, min_length=10)
    password: Text(256, min_length=1)


class SignInRequest(BaseModel):
    email: Line(254, min_length=3)
    password: Text(256, min_length=1)


class ChangeRequest(BaseModel):
    email: Line(254, min_length=3)
    password: Text(256, min_length=1)
    new_password: Text(256, min_length=1)


class Detail(BaseModel):
    detail: str
    code: str | None = None  # the message's English template, for a terminal to show it translated
    params: dict[str, Any] | None = None


class SignedIn(BaseModel):
    customer_id: str
    reference: str
    session: str | None = None  # the sign-in's online session (hq/online.py); a password change opens none
    expires_at: str | None = None  # when it ends unless used again (POST /v1/accounts/session)


@router.post("/v1/accounts/reset-link", status_code=202, response_model=Detail, responses=problems(400, 401),
             summary="Mail a single-use link to set a password (same answer whether or not the address exists)")
def reset_link(body: ResetLinkRequest, who: Terminal, hq: HQ) -> Detail:
    answer = hq.request_reset(who, body.email)
    return Detail(detail=str(answer), **coded(answer))


@router.post("/v1/accounts/reset", response_model=Detail,
             summary="Consume a password link: set the new password (checked against the policy)",
             responses=problems(400, e400="the body is not JSON; an unknown, used or expired link, or a weak password"))
def reset(body: ResetRequest, hq: HQ) -> Detail:
    hq.reset_password(body.token, body.password)
    return Detail(detail="Your password is set.")


@router.post("/v1/accounts/sign-in", response_model=SignedIn,
             summary="An online sign-in (for the web shop): checks the password, records the time, opens a session",
             responses=problems(400, 401, 403, e401="unknown email or wrong password (indistinguishable)",
                                e403="the password is right but the account must change it first "
                                     "(set at a store or by a reset): POST /v1/accounts/change-password"))
def account_sign_in(body: SignInRequest, hq: HQ) -> dict[str, Any]:
    return hq.sign_in(body.email, body.password)


@router.post("/v1/accounts/change-password", response_model=SignedIn,
             summary="The customer sets a new password with their current one; clears \"must change password\"",
             responses=problems(400, 401, e400="the new password is too weak or the same as the current one",
                                e401="unknown email or wrong password (indistinguishable)"))
def change_password(body: ChangeRequest, hq: HQ) -> dict[str, Any]:
    return hq.change_password(body.email, body.password, body.new_password)


@router.get("/reset", response_class=HTMLResponse,
            summary="The page a password link opens: a form for the new password")
def reset_page(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return HTMLResponse(RESET_PAGE.format(token=html.escape(token, quote=True), message=""))


@router.post("/reset", response_class=HTMLResponse, summary="The form's answer",
             responses={400: {"description": "unknown, used or expired link, or a weak password (the page says which)",
                              "content": {"text/html": {}}}})
async def reset_form(request: Request, hq: HQ) -> HTMLResponse:
    form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    try:
        await run_in_threadpool(hq.reset_password, token, (form.get("password") or [""])[0])
    except HqError as exc:
        return HTMLResponse(RESET_PAGE.format(token=html.escape(token, quote=True),
                                              message=f"<p class=err>{html.escape(str(exc))}</p>"), 400)
    return HTMLResponse("<!doctype html><meta charset=utf-8><title>Password set</title>"
                        "<p>Your password is set. You can sign in now.</p>")


RESET_PAGE = """<!doctype html><meta charset=utf-8><title>Set your password</title>
<h1>Set your password</h1>{message}
<form method=post action=/reset><input type=hidden name=token value="{token}">
<label>New password <input type=password name=password autocomplete=new-password required></label>
<p>At least 10 characters with upper and lower case, a digit and a special character.</p>
<button>Set password</button></form>"""
