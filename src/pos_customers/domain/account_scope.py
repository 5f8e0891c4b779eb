"""Account sharing scope: how many registered accounts one email address may have in the chain.

A chain setting, kept at headquarters and pulled by every till (pull item kind ``setting``):

- ``shared`` (the default): any number of accounts per email, as the chain always worked;
- ``chain``: one registered account per email in the whole chain;
- ``region``: one per region. A store's region is its ``region`` in the store directory
  (``hq add-store --region``); a store without one counts as the region of its country;
- ``store``: one per store (the customer's home store, the store that registered it).

Only registered accounts claim their email addresses (every address of the account, case-folded):
guests may share one with anyone. An anonymized customer claims nothing.

A claim is a *scope key* and a folded address: ``chain``, ``region:<name>``, ``country:<CC>`` or
``store:<CODE>``. Headquarters keeps one row per claim under a unique key (hq_account_email), so
two pushes claiming one address at the same moment cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from .i18n import Msg
from .enums import AccountType, Role

#: who may merge two customers headquarters holds (the till's services check it, headquarters the
#: role a ``customer.merged`` event carries)
MERGE_ROLES: frozenset[Role] = frozenset({Role.MANAGER, Role.ADMIN})
SETTING_KEY = "account_scope"  # the pulled setting's key (and headquarters' record key)


class AccountScope(StrEnum):
    SHARED = "shared"
    CHAIN = "chain"
    REGION = "region"
    STORE = "store"


DEFAULT_SCOPE = AccountScope.SHARED  # what the chain did before the setting existed


def store_key(scope: AccountScope, store_code: str, region: str = "", country: str = "") -> str | None:
    """The scope key of a store's accounts; None when accounts are shared."""
    if scope == AccountScope.CHAIN:
        return "chain"
    if scope == AccountScope.REGION:
        return f"region:{region.strip().casefold()}" if region.strip() else f"country:{country.strip().upper()}"
    if scope == AccountScope.STORE:
        return f"store:{store_code.upper()}"
    return None


def scope_words(key: str) -> Msg:
    """A scope key as a person reads it: "the chain", "region north", "country DE", "store BER01"."""
    if key == "chain":
        return Msg("the chain")
    kind, _, name = key.partition(":")
    if kind == "region":
        return Msg("region {name}", name=name)
    if kind == "country":
        return Msg("country {name}", name=name)
    return Msg("store {name}", name=name)


def claimed_emails(fields: Mapping[str, Any], *, anonymized: bool = False) -> list[str]:
    """The folded addresses a customer's document fields claim: a registered account's emails."""
    if anonymized or (fields.get("account_type") or AccountType.GUEST) != AccountType.REGISTERED:
        return []
    out: list[str] = []
    for e in fields.get("emails") or ():
        address = (e.get("address") if isinstance(e, Mapping) else getattr(e, "address", "")) or ""
        key = address.strip().casefold()
        if key and key not in out:
            out.append(key)
    return out


def claims(key: str | None, emails: Iterable[str]) -> list[tuple[str, str]]:
    return [] if key is None else [(key, e) for e in emails]


def __getattr__(name: str) -> Any:
    """:class:`AccountScopeSetting` is a pydantic model: loaded when first named (a save at the till
    decides a shared scope without it; see services.account_scope.check)."""
    if name == "AccountScopeSetting":
        from .account_scope_setting import AccountScopeSetting

        return AccountScopeSetting
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AccountScope", "AccountScopeSetting", "DEFAULT_SCOPE", "SETTING_KEY", "claimed_emails", "claims",
           "scope_words", "store_key"]
