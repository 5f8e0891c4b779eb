"""One long-lived thread that runs the newest request handed to it: the search box's searches.

A key typed in the search box hands its search over and returns at once. Textual's thread
worker for it cost, for every key, a worker with its asyncio task, three state-change messages
for the screen and a future of the default thread pool, and a search already superseded still
ran on a pool thread of its own beside the newer one (the two sharing the interpreter). Here one
thread waits for work; what was handed over while it searched is replaced by what comes next
(only the newest is run), and the running search can ask whether it is already superseded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Latest:
    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._next: tuple[Callable[..., object], tuple] | None = None
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[..., object], *args) -> None:
        """Run ``fn(*args)`` on the thread once it is free, unless something newer comes first."""
        with self._cond:
            if self._closed:
                return
            self._next = (fn, args)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def superseded(self) -> bool:
        """Asked by the running request: has a newer one been handed over since it started?"""
        return self._next is not None

    def idle(self) -> bool:
        """Nothing running and nothing waiting."""
        with self._cond:
            return self._next is None and not self._busy

    def close(self) -> None:
        """No more requests; the thread ends after the one it is running."""
        with self._cond:
            self._closed, self._next = True, None
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._busy = False
                while self._next is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                (fn, args), self._next, self._busy = self._next, None, True
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - the request reports its own failures; this one is a bug
                log.exception("%s: a request failed", self.name)
