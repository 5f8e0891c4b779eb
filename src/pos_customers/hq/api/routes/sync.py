from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ....domain.protocol import MAX_PULL_LIMIT, MAX_SEQ, PullPage, PushRequest, PushResponse
from ...common import Identity
from ...service import Headquarters
from ..deps import HQ, Terminal, problems

router = APIRouter(tags=["sync"])


@router.post("/v1/push", response_model=PushResponse, responses=problems(400, 401, 409),
             summary="Apply outbox events in order; each event id is applied once",
             description="Each event is checked for the credential's store: an event the store may not send "
                         "(another store's data, a customer outside its scope, an unknown customer) is listed "
                         "in `refused` and not applied; the others are. A body that does not have the protocol's "
                         "shape is refused as a whole with 422, naming the event index and field.")
def push(body: PushRequest, who: Terminal, hq: HQ) -> Response:
    return Response(push_answer(hq, who, body), media_type="application/json")


def push_answer(hq: Headquarters, who: Identity, body: PushRequest) -> str:
    """A push applied and its answer (JSON), as this route and the fast path (..fast) send it."""
    result = hq.push(who, body.events)
    kept, found = hq.receive_audit(who, body.audit) if body.audit else (0, [])
    # the answer made and checked once, here (PushResponse), and sent as it is: not validated again
    answer = PushResponse(applied=result.applied, duplicates=result.duplicates, refused=result.refused,
                          conflicts=result.conflicts, cursor=result.last_seq, audit_kept=kept,
                          audit_problems=found)
    return answer.model_dump_json()


@router.get("/v1/pull", response_model=PullPage, responses=problems(401),
            summary="Everything in this store's scope changed after the cursor, in order")
def pull(who: Terminal, hq: HQ, cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
         limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500) -> Response:
    return Response(hq.pull(who, cursor, limit), media_type="application/json")
