from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from ..deps import HQ, Terminal, problems

router = APIRouter(tags=["stores"])


@router.get("/v1/stores/{code}/{kind}", responses=problems(401, 403, 404, e403="another store's data"),
            summary="A store's own template, associates or notes (that store's terminals only)")
def store_data(code: Annotated[str, Path(min_length=1, max_length=32)],
               kind: Literal["template", "associate", "note"], who: Terminal, hq: HQ) -> list[dict[str, Any]]:
    return hq.store_records(who, code, kind)
