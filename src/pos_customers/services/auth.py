"""Who is acting and what their role allows. No database imports: the UI can load this at once."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from enum import StrEnum

from ..domain.enums import Role


class Permission(StrEnum):
    SEARCH = "search customers"
    CREATE = "create customers"
    EDIT = "edit customers"
    READ_ALL_STORES = "read customers of every store"
    CONFIGURE_STORE = "change the store's template, purposes and reference data"
    MANAGE_ASSOCIATES = "manage associates"
    NOTES = "read and write customer notes"
    ANONYMIZE = "anonymize customers"
    DIAGNOSTICS = "run diagnostics"
    IMPORT_EXPORT = "import and export customers"
    DELETE_PAYMENT = "delete a customer's saved payment"
    SET_CREDIT_LIMIT = "set or change a customer's credit limit"
    ASSIST = "ask headquarters for a shopper-assistance link"  # services/assistance.py
    MOVE_CREDIT = "add or correct a customer's store credit"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ASSOCIATE: frozenset({Permission.SEARCH, Permission.CREATE, Permission.EDIT, Permission.ASSIST}),
    Role.MANAGER: frozenset({Permission.SEARCH, Permission.CREATE, Permission.EDIT,
                             Permission.CONFIGURE_STORE, Permission.MANAGE_ASSOCIATES,
                             Permission.NOTES, Permission.ANONYMIZE, Permission.IMPORT_EXPORT,
                             Permission.DELETE_PAYMENT, Permission.SET_CREDIT_LIMIT, Permission.ASSIST,
                             Permission.MOVE_CREDIT}),
    Role.SUPPORT: frozenset({Permission.SEARCH, Permission.READ_ALL_STORES, Permission.NOTES,
                             Permission.DIAGNOSTICS, Permission.IMPORT_EXPORT,
                             Permission.CONFIGURE_STORE, Permission.ASSIST}),
    Role.ADMIN: frozenset(Permission),
}


ROLE_WORDS = {Role.ASSOCIATE: "an associate", Role.MANAGER: "a manager", Role.SUPPORT: "support",
              Role.ADMIN: "an administrator"}


def who_may(permission: Permission) -> str:
    """The roles granted ``permission``, in words: "a manager or an administrator"."""
    return " or ".join(ROLE_WORDS[r] for r in Role if permission in _GRANTS[r])


class PermissionDenied(PermissionError):
    """The actor's role does not allow this. Nothing was changed."""


class NotFound(LookupError):
    pass


class NotInitialized(RuntimeError):
    """The database has no store yet: run `pos-customers init` or `pos-customers demo`."""


@dataclass(frozen=True)
class Actor:
    associate_number: str
    name: str
    role: Role
    terminal_id: str = ""
    store_code: str | None = None  # the associate's own store; None = not tied to one store

    def require_store(self, store_code: str) -> None:
        """Managers shape their own store only; support and administrators any store."""
        if self.role in (Role.SUPPORT, Role.ADMIN) or self.store_code in (None, store_code):
            return
        raise PermissionDenied(f"{self.name or self.associate_number} ({self.role.value}) works for store "
                               f"{self.store_code}, not {store_code}")

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        """Refused in one line that says who may: "Jonas (associate) may not set or change a
        customer's credit limit: ask a manager or an administrator"."""
        if not self.can(permission):
            raise PermissionDenied(
                f"{self.name or self.associate_number} ({self.role.value}) may not {permission.value}: "
                f"ask {who_may(permission)}")

    @classmethod
    def command_line(cls) -> Actor:
        """Someone at the terminal's shell: they own the file, so they act as administrator."""
        return cls(associate_number="", name=f"cli:{_user()}", role=Role.ADMIN,
                   terminal_id=socket.gethostname())


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"
