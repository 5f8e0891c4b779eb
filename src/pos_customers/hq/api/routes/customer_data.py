"""A customer's active carts, saved payments and order details; the chain's store directory.

Each customer route is checked for the credential's store as the orders are: 404 for a customer
headquarters does not hold, 403 for one outside the store's scope. Answers are bounded (at most
100 carts or payments, 200 lines and 50 shipments an order) and money is in minor units.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ....domain.customer_data import Cart, OrderDetail, SavedPayment, StoreInfo
from .customers import CustomerIdPath
from ..deps import HQ, Terminal, problems

router = APIRouter()

OrderIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:._-]+$",
                                  description="the order's id, as the order list gives it")]


@router.get("/v1/customers/{customer_id}/carts", response_model=list[Cart], tags=["customers"],
            responses=problems(401, 403, 404),
            summary="The customer's active carts with their lines, newest first (money in minor units)")
def carts(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> list[Cart]:
    return hq.carts(who, customer_id)


@router.get("/v1/customers/{customer_id}/saved-payments", response_model=list[SavedPayment], tags=["customers"],
            responses=problems(401, 403, 404),
            summary="The customer's saved payments: token reference, brand, last four digits, expiry, holder",
            description="Never a card number: headquarters stores and answers a payment provider's token and "
                        "the last four digits only. A till deletes one with a `payment.deleted` event (push).")
def saved_payments(customer_id: CustomerIdPath, who: Terminal, hq: HQ) -> list[SavedPayment]:
    return hq.saved_payments(who, customer_id)


@router.get("/v1/customers/{customer_id}/orders/{order_id}", response_model=OrderDetail, tags=["customers"],
            responses=problems(401, 403, 404, e404="no such customer, or no such order of this customer"),
            summary="One order's lines and shipments")
def order_detail(customer_id: CustomerIdPath, order_id: OrderIdPath, who: Terminal, hq: HQ) -> OrderDetail:
    return hq.order_detail(who, customer_id, order_id)


@router.get("/v1/stores", response_model=list[StoreInfo], tags=["stores"], responses=problems(401),
            summary="The chain's store directory: every store's name, address, phone and status")
def store_directory(who: Terminal, hq: HQ) -> list[StoreInfo]:
    return hq.store_directory()
