"""What headquarters holds about a customer besides the customer record, as the wire carries it:
the store directory, active carts, saved payments, and an order's lines and shipments.

These are pydantic models used by both sides: headquarters answers with them (its OpenAPI
documents them), a terminal validates what it receives with them before it caches it. Money is an
integer count of minor units (cents) with its currency, never a float. A saved payment is a token
reference and the last four digits: its model refuses a text that looks like a card number
(a PAN) in any of its fields, so none can be stored on either side by way of it. (Tracking
numbers and phone numbers are digits too: the other models take them as they are.)
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from .i18n import Msg
from .enums import Role
from .protocol import CustomerId, Line, Moment, Shown, StoreCode

MAX_LINES = 200         # lines of one cart or order
MAX_SHIPMENTS = 50      # shipments of one order
MAX_ITEMS = 100         # carts or saved payments of one customer in one answer
MAX_STORES = 2000       # stores in the directory

#: the roles that may delete a customer's saved payment (the services grant the permission to
#: these roles; headquarters checks the role an event carries against the same set)
PAYMENT_DELETE_ROLES: frozenset[Role] = frozenset({Role.MANAGER, Role.ADMIN})

# 12 to 19 digits, possibly grouped by spaces, dots or dashes: the shape of a card number
_PAN = re.compile(r"(?<![0-9])(?:[0-9][ .\-]?){11,18}[0-9](?![0-9])")


def looks_like_pan(text: str) -> bool:
    """Whether a text holds something shaped like a payment card number (12-19 digits, grouped or
    not). Deliberately broad: no Luhn check, so a mistyped number is refused too."""
    return bool(_PAN.search(text))


def is_pan(text: str) -> bool:
    """Whether a whole value (an id) is a card number: 12-19 digits once spaces, dots and dashes
    are left out. Ids and dates hold digits among other characters: only this is refused in them."""
    digits = re.sub(r"[ .\-]", "", text)
    return digits.isdigit() and 12 <= len(digits) <= 19


def _pan_refused(where: str) -> Msg:
    return Msg("{field} looks like a card number: only a token reference and the last four digits are ever stored",
               field=where)


def _no_pan(value: Any, where: str) -> None:
    if isinstance(value, str):
        if looks_like_pan(value):
            raise ValueError(_pan_refused(where))
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_pan(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _no_pan(v, f"{where}[{i}]")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoPan(_Doc):
    """A model none of whose texts may hold something shaped like a card number (checked before the
    field types); its ids and moments (:attr:`WHOLE_ONLY`) may not be one."""

    WHOLE_ONLY: ClassVar[frozenset[str]] = frozenset({"id", "customer_id", "added_at"})

    @model_validator(mode="before")
    @classmethod
    def _refuse_card_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for k, v in data.items():
                if k not in cls.WHOLE_ONLY:
                    _no_pan(v, str(k))
                elif isinstance(v, str) and is_pan(v):
                    raise ValueError(_pan_refused(k))
        return data


Minor = Annotated[StrictInt, Field(ge=-10**12, le=10**12, description="money in minor units (cents)")]
Quantity = Annotated[StrictInt, Field(ge=0, le=100_000)]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
RecordId = Line(64, min_length=1)


class ItemLine(_Doc):
    """One line of a cart or an order."""

    sku: Line(40) = ""
    name: Shown(120, min_length=1)
    quantity: Quantity
    unit_price_minor: Minor
    total_minor: Minor


class Cart(_Doc):
    """A cart the customer filled and has not ordered yet (web shop or a store)."""

    id: RecordId
    customer_id: CustomerId
    store_code: StoreCode = Field(description="the scope: WEB or the store the cart is in")
    name: Shown(80, min_length=1)
    type: Line(24, min_length=1) = Field(description="e.g. shopping, wishlist, reserved")
    created_at: Moment
    currency: Currency
    lines: Annotated[list[ItemLine], Field(max_length=MAX_LINES)] = []

    @property
    def items(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)


class SavedPayment(NoPan):
    """A payment method the customer saved: the payment provider's token and the last four digits.
    Never a card number, never a security code."""

    id: RecordId
    customer_id: CustomerId
    token_ref: Annotated[str, Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$",
                                    description="the payment provider's token (not a card number)")]
    brand: Line(24, min_length=1)
    last4: Annotated[str, Field(min_length=4, max_length=4, pattern=r"^[0-9]{4}$")]
    expiry_month: Annotated[StrictInt, Field(ge=1, le=12)]
    expiry_year: Annotated[StrictInt, Field(ge=2000, le=2099)]
    holder: Shown(120) = ""
    added_at: Moment

    @property
    def expiry(self) -> str:
        return f"{self.expiry_month:02d}/{self.expiry_year % 100:02d}"


class OrderLine(ItemLine):
    pass


class Shipment(_Doc):
    id: RecordId
    carrier: Line(40) = ""
    tracking: Line(64) = ""
    status: Line(24, min_length=1)
    shipped_at: Moment | None = None
    delivered_at: Moment | None = None
    items: Quantity = 0


class OrderDetail(_Doc):
    """One order's lines and shipments (the list of orders carries the summaries)."""

    id: RecordId
    customer_id: CustomerId
    number: Line(32, min_length=1)
    currency: Currency
    lines: Annotated[list[OrderLine], Field(max_length=MAX_LINES)] = []
    shipments: Annotated[list[Shipment], Field(max_length=MAX_SHIPMENTS)] = []


class StoreInfo(_Doc):
    """One store of the chain's directory: where it is, how to call it, whether it is open."""

    code: StoreCode
    name: Line(120)
    address: Shown(200) = ""
    phone: Shown(40) = ""
    status: Line(24) = "open"


#: the online shop's store code: the scope of its orders and carts (``WEB``), in the store directory
#: as a store of its own, with no street address and no phone
ONLINE_SHOP = "WEB"
ONLINE_SHOP_INFO = StoreInfo(code=ONLINE_SHOP, name="Online shop", address="online: no street address",
                             status="open")


def with_online_shop(stores: list[StoreInfo]) -> list[StoreInfo]:
    """The directory with the online shop's entry (unless a store of that code is in it)."""
    return stores if any(s.code == ONLINE_SHOP for s in stores) else [*stores, ONLINE_SHOP_INFO]


__all__ = ["ONLINE_SHOP", "ONLINE_SHOP_INFO", "with_online_shop", "Cart", "SavedPayment", "OrderLine", "OrderDetail", "Shipment", "StoreInfo",
           "ItemLine", "looks_like_pan", "is_pan", "money", "PAYMENT_DELETE_ROLES", "NoPan"]
