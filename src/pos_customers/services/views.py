"""What the services hand to screens and the CLI: plain, read-only values."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.i18n import Msg
from ..domain.record import AddressRecord, CustomerRecord, EmailRecord, PhoneRecord, utc

__all__ = ["AddressView", "CustomerView", "DuplicateHit", "EmailView", "PhoneView", "Joined", "utc"]


# A customer on screen, in the CLI and in exports is the domain's customer record itself.
CustomerView = CustomerRecord
EmailView = EmailRecord
PhoneView = PhoneRecord
AddressView = AddressRecord


@dataclass(frozen=True)
class DuplicateHit:
    customer_id: str
    reference: str
    display_name: str
    reasons: tuple[Msg, ...]  # "same email anna@example.com", "similar name (...) and same date of birth"

    @property
    def why(self) -> Msg:
        """The reasons in one line, made into text at the edge."""
        return Joined(self.reasons)


class Joined(Msg):
    """Messages said one after the other ("same email x; same phone y"), each in the language of
    the person reading: a Msg like any other (``str`` is the English text, ``tr`` translates)."""

    __slots__ = ("parts", "sep")

    def __init__(self, parts, sep: str = "; "):
        super().__init__("")
        self.parts, self.sep = tuple(parts), sep

    def __str__(self) -> str:
        return self.sep.join(map(str, self.parts))

    def __repr__(self) -> str:
        return f"Joined({self.parts!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other) if isinstance(other, (Msg, str)) else NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def translated(self) -> str:
        return self.sep.join(p.translated() if isinstance(p, Msg) else str(p) for p in self.parts)
