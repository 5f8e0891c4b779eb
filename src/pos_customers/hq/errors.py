"""What headquarters answers when it says no. The API turns each into its status code.

Messages are :class:`~pos_customers.domain.i18n.Msg` values where a person reads them (a till shows
a refusal on its Sync screen, a 4xx answer in a notice): the answer carries the English text
(``detail``, ``reason``) for every client and, besides, the message's ``code`` (its English
template) and ``params``, which a terminal shows in its associate's language.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import message_of
from ..domain.i18n import Msg

MAX_PARAMS = 20          # parameters of one message on the wire
MAX_PARAM_CHARS = 500    # characters of one parameter's text
MAX_CODE_CHARS = 500     # characters of a message's code (its English template)
MAX_BODY = 64 * 1024 * 1024  # bytes of one request's body (a push of 500 events is a few MB)


class HqError(Exception):
    status = 400

    @property
    def message(self) -> Msg | str:
        return message_of(self)


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


class TooLarge(HqError):
    """A request body over :data:`MAX_BODY`: refused before it is read whole."""
    status = 413

    def __init__(self) -> None:
        super().__init__(Msg("the request is larger than headquarters takes ({mib} MiB): send fewer "
                             "events at a time", mib=MAX_BODY // (1024 * 1024)))


class Refused(Exception):
    """One pushed event is not applied: why, and which payload value is at fault (if one is)."""

    def __init__(self, status: int, reason: Msg | str, field: str | None = None, holder: str | None = None):
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field
        self.holder = holder  # the customer that holds the value at fault (a card, an account's email)

    def result(self, event_id: str) -> dict[str, Any]:
        """The refused event as the push answer lists it (``code`` and ``params`` with a Msg)."""
        return {"id": event_id, "status": self.status, "reason": str(self.reason), "field": self.field,
                **({"holder": self.holder} if self.holder else {}), **coded(self.reason)}


def coded(message: Msg | str) -> dict[str, Any]:
    """``{"code": ..., "params": {...}}`` of a Msg, bounded for the wire; ``{}`` for plain text."""
    if not isinstance(message, Msg) or len(message.text) > MAX_CODE_CHARS:
        return {}
    wire = message.as_dict()
    params = {}
    for k, v in list(wire["params"].items())[:MAX_PARAMS]:
        if not (v is None or isinstance(v, (bool, int, float))):
            v = str(v)[:MAX_PARAM_CHARS]
        params[str(k)[:64]] = v
    return {"code": wire["code"], "params": params}


__all__ = ["HqError", "Unauthorized", "Forbidden", "NotFound", "Conflict", "Invalid", "TooLarge", "Refused", "coded", "MAX_BODY"]
