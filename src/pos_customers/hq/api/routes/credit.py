"""A customer's store credit: the balance in each currency and the newest movements of the ledger.

Checked for the credential's store as the orders are: 404 for a customer headquarters does not
hold, 403 for one outside the store's scope. Money in minor units. A till adds or corrects credit
with a ``credit.moved`` event (push), never here.
"""
from __future__ import annotations

from fastapi import APIRouter

from ....domain.credit import CreditAccount
from ..deps import HQ, Terminal, problems
from .customers import CustomerIdPath

router = APIRouter()


@router.get("/v1/customers/{customer_id}/credit", response_model=CreditAccount, tags=["customers"],
            responses=problems(401, 403, 404),
            summary="The customer's store credit: balance per currency and the newest movements (minor units)")
def credit(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> CreditAccount:
    return hq.credit_account(who, customer_id)
