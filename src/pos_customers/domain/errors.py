"""Validation problems as values a screen can show next to the field they concern.

Their messages are :class:`~.i18n.Msg` values (an English template with parameters): the edge
shows ``tr(error.message)`` in the reader's language; ``str()`` is the English text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .i18n import Msg


@dataclass(frozen=True)
class FieldError:
    field: str  # "first_name", "emails.0.address", "addresses.1.postal_code", ...
    message: Msg | str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationFailed(ValueError):
    """One or more fields are wrong. Nothing was written."""

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors: list[FieldError] = errors if isinstance(errors, list) else [errors]
        super().__init__("; ".join(str(e) for e in self.errors))

    def for_field(self, field: str) -> list[Msg | str]:
        return [e.message for e in self.errors if e.field == field]


class FieldProblem(ValueError):
    """A single value is wrong; the caller knows which field it belongs to. Raised with a
    :class:`~.i18n.Msg`; ``str(exc)`` is its English text, :attr:`message` the message itself."""

    @property
    def message(self) -> Msg | str:
        """What to put in a :class:`FieldError` (the Msg raised with, else the exception's text)."""
        return message_of(self)


def message_of(exc: BaseException) -> Msg | str:
    """The message an exception was raised with: its :class:`~.i18n.Msg`, else its text."""
    msg = getattr(exc, "msg", None)
    if isinstance(msg, Msg):
        return msg
    if len(exc.args) == 1 and isinstance(exc.args[0], Msg):
        return exc.args[0]
    return str(exc)


def raised_message(error: Mapping[str, Any]) -> Msg | str:
    """One pydantic validation error's message (an entry of ``ValidationError.errors()``): the Msg
    one of our validators raised, else pydantic's own words."""
    raised = (error.get("ctx") or {}).get("error")
    return message_of(raised) if isinstance(raised, BaseException) else str(error.get("msg") or "")
