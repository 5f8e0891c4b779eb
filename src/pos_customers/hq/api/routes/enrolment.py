from __future__ import annotations

from fastapi import APIRouter

from ....domain.protocol import EnrolRequest, EnrolResponse
from ..deps import HQ, problems

router = APIRouter(tags=["terminals"])


@router.post("/v1/enrol", response_model=EnrolResponse,
             responses=problems(400, 401, 409, e401="unknown, used or expired token",
                                e409="the store has every terminal number in use"),
             summary="Trade a one-time enrolment token for a terminal credential and a terminal number")
def enrol(body: EnrolRequest, hq: HQ) -> EnrolResponse:
    terminal_id, credential, store, number = hq.enrol(body.token, body.terminal_name)
    return EnrolResponse(terminal_id=terminal_id, credential=credential, store=store, terminal_number=number)
