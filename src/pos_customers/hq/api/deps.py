"""What routes depend on: headquarters itself (engine and use cases), and the terminal behind the
request's Bearer credential."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from ..common import Identity
from ..service import Headquarters

bearer = HTTPBearer(auto_error=False, scheme_name="terminal",
                    description="The terminal credential that `POST /v1/enrol` answered with.")


async def get_hq(request: Request) -> Headquarters:  # async: no thread for an attribute
    return request.app.state.hq


async def get_engine(request: Request) -> Engine:
    return request.app.state.hq.engine


def terminal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
             hq: Annotated[Headquarters, Depends(get_hq)]) -> Identity:
    """The enrolled terminal sending the request (401 without a valid, unrevoked credential)."""
    return hq.authenticate(credentials.credentials if credentials else None)


HQ = Annotated[Headquarters, Depends(get_hq)]
DbEngine = Annotated[Engine, Depends(get_engine)]
Terminal = Annotated[Identity, Depends(terminal)]


class Problem(BaseModel):
    """Why a request was refused, in one line (English), and the message's code and parameters
    where it has them: a terminal shows them in its associate's language."""

    detail: str
    code: str | None = Field(default=None, description="the message's English template, the key of its translations")
    params: dict[str, Any] | None = Field(default=None, description="the template's named parameters")


_WHY = {400: "the body is not JSON, or the request cannot be carried out (the detail says why)",
        401: "no terminal credential, or an unknown or revoked one",
        403: "another store's data, or a customer outside this store's scope",
        404: "no such customer or record at headquarters",
        409: "the request clashes with what headquarters holds: send it again",
        422: "a value is missing, of the wrong type or out of range (the detail names it)"}


def problems(*codes: int, **why: str) -> dict[int | str, dict]:
    """OpenAPI entries for the error answers a route can give (422 is documented by FastAPI)."""
    return {code: {"model": Problem, "description": why.get(f"e{code}", _WHY[code])} for code in codes}
