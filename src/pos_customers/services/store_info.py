"""Which store a terminal belongs to: its name, number, country and currency. Read on a plain
sqlite3 snapshot, so the sign-in screen can name the store before the ORM has loaded."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.i18n import Msg
from .auth import NotFound
from .context import Services


@dataclass(frozen=True)
class StoreInfo:
    code: str
    number: int
    name: str
    country: str
    currency: str
    language: str
    region: str

    @property
    def locale(self) -> str:
        """The locale of its dates, money and phones (``de_DE``): see domain.formats."""
        from ..domain.formats import store_locale

        return store_locale(self.language, self.country)


def store_info(svc: Services, code: str | None = None) -> StoreInfo:
    code = code or svc.store_code
    with svc.db.snapshot() as conn:
        row = conn.execute("SELECT code, number, name, country, currency, language, region FROM store"
                           " WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound(Msg("store {store} not found", store=code))
    return StoreInfo(*row)


def is_connected(svc: Services) -> bool:
    """Is this till enrolled with headquarters? A standalone till has no sync to show."""
    return bool(svc.settings().get("hq_url"))
