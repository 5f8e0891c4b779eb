"""Hybrid logical clock: timestamps that order events across terminals despite clock skew.

A stamp is ``<physical ms, 13 digits>-<counter, 5 digits>-<node>``; stamps compare as
strings in causal order. ``observe`` folds in a stamp received from elsewhere.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stamp:
    millis: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.millis:013d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        millis, counter, node = text.split("-", 2)
        return cls(int(millis), int(counter), node)


class HybridClock:
    def __init__(self, node: str, *, wall=lambda: int(time.time() * 1000), last: str | None = None):
        self.node = node
        self._wall = wall
        self._last = Stamp.parse(last) if last else Stamp(0, 0, node)
        self._lock = threading.Lock()

    def now(self) -> str:
        with self._lock:
            wall = self._wall()
            if wall > self._last.millis:
                self._last = Stamp(wall, 0, self.node)
            else:
                self._last = Stamp(self._last.millis, self._last.counter + 1, self.node)
            return str(self._last)

    def observe(self, remote: str) -> None:
        other = Stamp.parse(remote)
        with self._lock:
            wall = self._wall()
            millis = max(wall, self._last.millis, other.millis)
            if millis == self._last.millis == other.millis:
                counter = max(self._last.counter, other.counter) + 1
            elif millis == self._last.millis:
                counter = self._last.counter + 1
            elif millis == other.millis:
                counter = other.counter + 1
            else:
                counter = 0
            self._last = Stamp(millis, counter, self.node)
