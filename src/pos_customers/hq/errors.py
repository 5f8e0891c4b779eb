"""What headquarters answers when it says no. The API turns each into its status code."""

from __future__ import annotations


class HqError(Exception):
    status = 400


class Unauthorized(HqError):
    status = 401


class Forbidden(HqError):
    status = 403


class NotFound(HqError):
    status = 404


class Conflict(HqError):
    status = 409


class Invalid(HqError):
    status = 422


class Refused(Exception):
    """One pushed event is not applied: why, and which payload value is at fault (if one is)."""

    def __init__(self, status: int, reason: str, field: str | None = None, holder: str | None = None):
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field
        self.holder = holder  # the customer that holds the value at fault (a card, an account's email)


__all__ = ["HqError", "Unauthorized", "Forbidden", "NotFound", "Conflict", "Invalid", "Refused"]
