"""A fake headquarters for the push and the pull (httpx.MockTransport): each push answered by a rule."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx


class FakeHq:
    """Headquarters as far as the push and the pull go: ``decide(events)`` answers each push."""

    def __init__(self, decide: Callable[[list[dict[str, Any]]], httpx.Response] | None = None):
        self.decide = decide or (lambda events: self.ok(events))
        self.pushes: list[list[dict[str, Any]]] = []
        self.pull_items: list[dict[str, Any]] = []

    @staticmethod
    def ok(events, refused=()) -> httpx.Response:
        no = {r["id"] for r in refused}
        return httpx.Response(200, json={"applied": [e["id"] for e in events if e["id"] not in no],
                                         "duplicates": [], "conflicts": [], "cursor": 1,
                                         "refused": list(refused)})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/push":
            events = json.loads(request.content)["events"]
            self.pushes.append(events)
            return self.decide(events)
        if request.url.path == "/v1/pull":
            items, self.pull_items = self.pull_items, []
            return httpx.Response(200, json={"items": items, "cursor": 7 if items else 0, "more": False})
        return httpx.Response(404, json={"detail": "Not Found"})

    def sent(self, kind: str | None = None) -> list[str]:
        return [e["entity_id"] for batch in self.pushes for e in batch if kind is None or e["type"] == kind]


def refuse(customer_id: str, status=403, reason="store BER01 may not create customers of store HAM01",
           field="payload.store_code"):
    """Headquarters refuses every event of this customer, applies the others."""
    def decide(events):
        return FakeHq.ok(events, [{"id": e["id"], "status": status, "reason": reason, "field": field}
                                  for e in events if e["entity_id"] == customer_id])
    return decide
