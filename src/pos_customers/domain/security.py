"""Secrets people type (associate and support PINs, customer passwords): argon2id hashes only, with
one set of parameters for the terminal and headquarters. And the rules for staff numbers and PINs.

Staff numbers: a store's associates have numbers of 1-16 letters or digits; the chain's support
accounts, managed at headquarters, have numbers of their own range, ``S`` and 1-15 digits (S100).
A store never gives an S-number to an associate, headquarters never makes a support account with
a number a store's associate holds, and neither side overwrites the other's.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import FieldProblem
from .i18n import Msg

# argon2id with the OWASP-recommended memory/time cost (19 MiB, t=2, p=1)
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

_SUPPORT_NUMBER = re.compile(r"[Ss][0-9]{1,15}")


def hash_secret(secret: str) -> str:
    return HASHER.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    try:
        return HASHER.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def clean_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 12):
        raise FieldProblem(Msg("PIN must be 4 to 12 digits"))
    return pin


def is_support_number(number: str) -> bool:
    """Whether a staff number lies in the support accounts' range (S and 1-15 digits)."""
    return bool(_SUPPORT_NUMBER.fullmatch((number or "").strip()))


def staff_number(typed: str) -> str:
    """A staff number as it is stored: a support number in upper case (s100 is S100)."""
    typed = (typed or "").strip()
    return typed.upper() if is_support_number(typed) else typed


def clean_support_number(number: str) -> str:
    number = staff_number(number)
    if not is_support_number(number):
        raise FieldProblem(Msg("A support number is S and 1 to 15 digits, e.g. S100"))
    return number
