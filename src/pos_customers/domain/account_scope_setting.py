"""The chain's account scope setting as every till pulls it (a pydantic model: see domain.account_scope,
which names it without loading pydantic until it is used)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .account_scope import DEFAULT_SCOPE, SETTING_KEY, AccountScope


class AccountScopeSetting(BaseModel):
    """The setting as every till pulls it: the scope, and each store's scope key (a till does not
    hold the other stores' regions)."""

    model_config = ConfigDict(extra="ignore")
    key: str = SETTING_KEY
    value: AccountScope = DEFAULT_SCOPE
    stores: dict[str, str] = Field(default_factory=dict, max_length=8191)

    def key_of(self, store_code: str) -> str | None:
        if self.value == AccountScope.SHARED:
            return None
        if self.value == AccountScope.CHAIN:
            return "chain"
        if self.value == AccountScope.STORE:
            return f"store:{store_code.upper()}"
        return self.stores.get(store_code)  # a store this setting does not know: headquarters checks
