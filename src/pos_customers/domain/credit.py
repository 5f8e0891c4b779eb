"""Store credit: a balance per customer and currency, kept at headquarters as a ledger of movements.

A movement (:class:`CreditMovement`) is added by a manager with a reason, a return refunded to
credit, credit used in a sale, credit that expired, or a correction either way (:class:`CreditKind`).
Amounts are whole minor units (cents) with their currency, never a float; the balance of a currency
is the sum of its movements and is never below zero. :func:`refusal` is that rule, applied by a till
before it queues a movement (against what it knows) and by headquarters when it applies one
(against the ledger: the final word).

A till records ``added`` and ``corrected`` movements (managers and administrators:
:data:`CREDIT_ROLES`) as ``credit.moved`` events; the other kinds come from the order system at
headquarters. What headquarters answers about a customer's credit is a :class:`CreditAccount`;
the till keeps it for offline viewing and says as of when it is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from .customer_data import Currency
from .i18n import Msg
from .enums import CreditKind, Role
from .errors import FieldProblem
from .money import MAX_MINOR, AmountExample, Money, format_minor, minor_digits, parse_amount, plain_minor
from .protocol import CustomerId, Line, Moment, Shown

#: the roles that may add or correct store credit (the services grant the permission to these
#: roles; headquarters checks the role a ``credit.moved`` event carries against the same set)
CREDIT_ROLES: frozenset[Role] = frozenset({Role.MANAGER, Role.ADMIN})
MAX_MOVEMENTS = 200    # movements of one customer in one answer (newest first)
MAX_CURRENCIES = 50
MAX_REASON = 200

def movement_by(store_code: str, associate: str) -> str:
    """Who made a movement, as every ledger line says it: ``BER01:1001`` (the store, then the
    associate's number there). Headquarters records it so; a till shows its own queued movements
    the same way."""
    return f"{store_code}:{associate}" if store_code else associate


Amount = Annotated[StrictInt, Field(ge=-MAX_MINOR, le=MAX_MINOR, description="minor units (cents), signed")]
Balance = Annotated[StrictInt, Field(ge=0, le=MAX_MINOR, description="minor units (cents), never below zero")]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreditMovement(_Doc):
    """One row of the ledger, and the balance of its currency after it."""

    id: Line(64, min_length=1)
    customer_id: CustomerId
    currency: Currency
    kind: CreditKind
    amount_minor: Amount
    balance_minor: Balance
    reason: Shown(MAX_REASON) = ""
    by: Line(100) = Field("", description="store:associate at a till, or who at headquarters")
    store_code: Line(32) = ""
    at: Moment


class CreditBalance(_Doc):
    currency: Currency
    balance_minor: Balance


class CreditAccount(_Doc):
    """A customer's store credit as headquarters holds it at ``as_of``: the balance of each
    currency that has one, and the newest movements."""

    customer_id: CustomerId
    as_of: Moment
    balances: Annotated[list[CreditBalance], Field(max_length=MAX_CURRENCIES)] = []
    movements: Annotated[list[CreditMovement], Field(max_length=MAX_MOVEMENTS)] = []

    @property
    def id(self) -> str:  # what the till's kept copy is filed under
        return self.customer_id


def refusal(kind: CreditKind, amount_minor: int, balance_minor: int, currency: str) -> tuple[str, Msg] | None:
    """Why this movement may not be applied to a balance of ``balance_minor``, as (field, one line);
    None when it may. The amount's sign must fit the kind, and the balance stays within 0 and
    :data:`MAX_MINOR`."""
    if amount_minor == 0:
        return "amount_minor", Msg("A movement of store credit is never zero")
    if kind.sign * amount_minor < 0:
        if kind.sign > 0:
            return "amount_minor", Msg("Store credit {kind} is positive, not {amount}", kind=kind.value,
                                       amount=Money(amount_minor, currency))
        return "amount_minor", Msg("Store credit {kind} is negative, not {amount}", kind=kind.value,
                                   amount=Money(amount_minor, currency))
    after = balance_minor + amount_minor
    if after < 0:
        return "amount_minor", Msg("This would take the {currency} store credit below zero (it is {balance}, "
                                   "the movement {amount})", currency=currency,
                                   balance=Money(balance_minor, currency),
                                   amount=Money(amount_minor, currency))
    if after > MAX_MINOR:
        return "amount_minor", Msg("This would take the {currency} store credit above {limit}", currency=currency,
                                   limit=Money(MAX_MINOR, currency))
    return None


_SIGNS = ("+", "-", "−")


def parse_signed(text: str, currency: str, *, what: Msg | str = Msg("Amount")) -> int:
    """What a person types for a movement, ``25``, ``+25.00`` or ``-5,50``, as signed minor units
    (:class:`~.errors.FieldProblem` when it is not an amount)."""
    raw = (text or "").strip()
    sign = -1 if raw.startswith(("-", "−")) else 1
    rest = raw[1:] if raw.startswith(_SIGNS) else raw
    if any(c in _SIGNS for c in rest):  # one sign at most, in front: "---10" or "10-" is no amount
        raise FieldProblem(Msg("{field} must be a number like {example}", field=what,
                               example=AmountExample("-5.00", minor_digits(currency))))
    return sign * parse_amount(rest, currency, what=what)


def signed(minor: int, currency: str, *, stored: bool = False) -> str:
    """An amount with its sign, as the store reads money (``+25,00 €``); ``stored``: the same in
    every locale, for the audit trail (``+25.00 EUR``, ``-5.00 EUR``)."""
    return ("+" if minor > 0 else "") + (plain_minor if stored else format_minor)(minor, currency)


__all__ = ["CreditKind", "CreditMovement", "CreditBalance", "CreditAccount", "CREDIT_ROLES", "refusal", "signed", "parse_signed",
           "MAX_MOVEMENTS", "MAX_REASON"]
