from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator

from ....domain.protocol import UUID_PATTERN, CustomerHit, storable
from ..deps import HQ, Terminal, problems

router = APIRouter(tags=["customers"])

CustomerIdPath = Annotated[str, Path(pattern=UUID_PATTERN, min_length=36, max_length=36,
                                     description="the customer's id (a UUID)")]


@router.get("/v1/customers/search", response_model=list[CustomerHit], responses=problems(401),
            summary="Customers of every store, found as at the till: name words, email, phone, reference, card")
def search(who: Terminal, hq: HQ,
           q: Annotated[str, Query(min_length=1, max_length=200), AfterValidator(storable)],
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
    return hq.search(who, q, limit=limit)


@router.post("/v1/customers/{customer_id}/pull-in", responses=problems(401, 404),
             summary="Bring another store's customer into this store's scope and return it")
def pull_in(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> dict[str, Any]:
    return hq.pull_in(who, customer_id)


@router.get("/v1/customers/{customer_id}", responses=problems(401, 403, 404),
            summary="Everything headquarters holds on one customer (for an access request)")
def customer_record(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> dict[str, Any]:
    return hq.customer_record(who, customer_id)


@router.get("/v1/customers/{customer_id}/orders", responses=problems(401, 403, 404),
            summary="The customer's order summaries, newest first")
def orders(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> list[dict[str, Any]]:
    return hq.orders(who, customer_id)
