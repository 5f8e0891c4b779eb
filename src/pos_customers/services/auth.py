"""Who is acting and what their role allows. No database imports: the UI can load this at once."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from enum import StrEnum

from ..domain.enums import Role
from ..domain.i18n import N_, Msg


class Permission(StrEnum):
    SEARCH = N_("search customers")
    CREATE = N_("create customers")
    EDIT = N_("edit customers")
    READ_ALL_STORES = N_("read customers of every store")
    CONFIGURE_STORE = N_("change the store's template, purposes and reference data")
    MANAGE_ASSOCIATES = N_("manage associates")
    NOTES = N_("read and write customer notes")
    ANONYMIZE = N_("anonymize customers")
    DIAGNOSTICS = N_("run diagnostics")
    IMPORT_EXPORT = N_("import and export customers")
    DELETE_PAYMENT = N_("delete a customer's saved payment")
    SET_CREDIT_LIMIT = N_("set or change a customer's credit limit")
    ASSIST = N_("ask headquarters for a shopper-assistance link")  # services/assistance.py
    MOVE_CREDIT = N_("add or correct a customer's store credit")
    MERGE_CUSTOMERS = N_("merge two customers headquarters holds")


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ASSOCIATE: frozenset({Permission.SEARCH, Permission.CREATE, Permission.EDIT, Permission.ASSIST}),
    Role.MANAGER: frozenset({Permission.SEARCH, Permission.CREATE, Permission.EDIT,
                             Permission.CONFIGURE_STORE, Permission.MANAGE_ASSOCIATES,
                             Permission.NOTES, Permission.ANONYMIZE, Permission.IMPORT_EXPORT,
                             Permission.DELETE_PAYMENT, Permission.SET_CREDIT_LIMIT, Permission.ASSIST,
                             Permission.MOVE_CREDIT, Permission.MERGE_CUSTOMERS}),
    Role.SUPPORT: frozenset({Permission.SEARCH, Permission.READ_ALL_STORES, Permission.NOTES,
                             Permission.DIAGNOSTICS, Permission.IMPORT_EXPORT,
                             Permission.CONFIGURE_STORE, Permission.ASSIST}),
    Role.ADMIN: frozenset(Permission),
}


ROLE_WORDS = {Role.ASSOCIATE: N_("an associate"), Role.MANAGER: N_("a manager"), Role.SUPPORT: N_("support"),
              Role.ADMIN: N_("an administrator")}
# A role as a person reads it (the codes stay as they are in the database and on the wire).
ROLE_NAMES = {Role.ASSOCIATE: N_("associate"), Role.MANAGER: N_("manager"), Role.SUPPORT: N_("support"),
              Role.ADMIN: N_("administrator")}


def role_name(role: Role | str) -> Msg:
    """``role`` as a person reads it, translated where it is shown."""
    return Msg(ROLE_NAMES.get(role, str(role)))  # type: ignore[call-overload]


def who_may(permission: Permission) -> Msg:
    """The roles granted ``permission``, in words: "a manager or an administrator"."""
    words = [Msg(ROLE_WORDS[r]) for r in Role if permission in _GRANTS[r]]
    said = words[-1]
    for word in reversed(words[:-1]):
        said = Msg("{first} or {second}", first=word, second=said)
    return said


def who(actor: Actor) -> Msg:
    """"Jonas (associate)": who is refused, in a refusal."""
    return Msg("{name} ({role})", name=actor.name or actor.associate_number, role=role_name(actor.role))


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
        raise PermissionDenied(Msg("{who} works for store {own}, not {store}", who=who(self),
                                   own=self.store_code, store=store_code))

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        """Refused in one line that says who may: "Jonas (associate) may not set or change a
        customer's credit limit: ask a manager or an administrator"."""
        if not self.can(permission):
            raise PermissionDenied(Msg("{who} may not {action}: ask {whom}", who=who(self),
                                       action=Msg(permission.value), whom=who_may(permission)))

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
