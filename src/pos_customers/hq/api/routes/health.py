from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ...db import ping
from ..deps import DbEngine

router = APIRouter(tags=["status"])


class Health(BaseModel):
    status: str


@router.get("/v1/health", response_model=Health, summary="Is headquarters up and its database reachable")
def health(engine: DbEngine) -> Health:
    ping(engine)
    return Health(status="ok")
