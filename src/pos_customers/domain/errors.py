"""Validation problems as values a screen can show next to the field they concern."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str  # "first_name", "emails.0.address", "addresses.1.postal_code", ...
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationFailed(ValueError):
    """One or more fields are wrong. Nothing was written."""

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors: list[FieldError] = errors if isinstance(errors, list) else [errors]
        super().__init__("; ".join(str(e) for e in self.errors))

    def for_field(self, field: str) -> list[str]:
        return [e.message for e in self.errors if e.field == field]


class FieldProblem(ValueError):
    """A single value is wrong; the caller knows which field it belongs to."""
