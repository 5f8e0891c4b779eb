"""Admission control: a worker process that already has as many requests in flight as it can
serve in good time answers the next one at once with 429, a ``Retry-After`` header and a typed
body, instead of queueing it until the client's timeout (or the kernel's backlog resets the
connection). A terminal told to retry later waits that long and sends the same request again:
nothing is lost (a push is applied once per event id, a pull is read-only).

Counted per worker process (``hq serve --workers N`` runs N of them, each with its own limit);
``/v1/health`` is never refused, so a load balancer and a till's "HQ online" check still see a
busy headquarters as up.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

    from ..domain.i18n import Msg

DEFAULT_MAX_IN_FLIGHT = 16  # per worker process; measured with bench/hq_capacity.py (README)
EXEMPT = frozenset({"/v1/health"})
MAX_RETRY_AFTER = 60


def busy_message(seconds: int) -> Msg:
    from ..domain.i18n import Msg

    return Msg("headquarters is busy: try again in {seconds} s", seconds=seconds)


class Gate:
    """This process's count of requests in flight and its limit (``app.state.admission``), and the
    delay a refused client is given (:meth:`retry_after`)."""

    def __init__(self, limit: int = DEFAULT_MAX_IN_FLIGHT, *, rng: random.Random | None = None):
        import random

        self.limit = max(1, int(limit))
        self.in_flight = 0
        self.refused = 0  # requests answered 429 by this process (since it started)
        self.average = 0.05  # seconds a request takes here (exponential moving average)
        self._rng = rng or random.Random()
        self._window, self._refused_in_window, self._refused_before = 0, 0, 0  # refusals per second

    def retry_after(self, now: float | None = None) -> int:
        """When the crowd now at the door would be served: the requests in flight and those refused
        in the last second, at the pace this worker serves them (``limit`` at a time, ``average``
        seconds each); at least 1 s, spread at random over one to two times that."""
        second = int(time.monotonic() if now is None else now)
        if second != self._window:
            self._refused_before = self._refused_in_window if second == self._window + 1 else 0
            self._window, self._refused_in_window = second, 0
        self._refused_in_window += 1
        crowd = self.in_flight + max(self._refused_before, self._refused_in_window)
        base = max(1, math.ceil(crowd * self.average / self.limit))
        return min(MAX_RETRY_AFTER, base + self._rng.randrange(base + 1))


async def refuse(gate: Gate, send: Any) -> None:
    """429 with ``Retry-After`` and a typed body, sent at once (before any routing: it costs next to
    nothing, as it must when a crowd is at the door)."""
    import json

    from .errors import coded

    seconds = gate.retry_after()
    message = busy_message(seconds)
    body = json.dumps({"detail": str(message), **coded(message), "retry_after": seconds}).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", str(seconds).encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["refuse", "EXEMPT", "Gate", "DEFAULT_MAX_IN_FLIGHT", "busy_message"]
