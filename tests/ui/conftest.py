from __future__ import annotations

import os
import time

import pytest
from textual.worker import WorkerCancelled

from pos_customers.services.associates import add_associate
from pos_customers.services.customers import create_customer
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from tests.helpers import person

os.environ["TZ"] = "UTC"
time.tzset()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shop(svc, admin):
    """The store with a manager, an associate and a few customers."""
    add_associate(svc, admin, number="1001", name="Maria Schneider", role="manager", pin="2468")
    add_associate(svc, admin, number="1002", name="Jonas Becker", role="associate", pin="1357")
    create_customer(svc, admin, person("Anna", "Müller", "anna.mueller@gmx.de", "0151 23456789", "10115",
                                       birth="1984-03-27"))
    create_customer(svc, admin, person("Hans", "Meier", "hans@meier.de", "0170 5551234", "10117",
                                       birth="1970-05-01"))
    create_customer(svc, admin, person("Zoë", "Weiß", "zoe@example.org"))
    return svc


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_app(shop, clock):
    def make(**config) -> PosApp:
        cfg = UiConfig(**{"debounce_ms": 10, "cursor_blink": False, **config})
        app = PosApp(shop, config=cfg, demo=True, monotonic=clock)
        app.theme = "textual-dark"
        return app
    return make


async def settle(app, pilot, delay: float = 0.05) -> None:
    """Let timers fire and workers finish, then let the screen catch up."""
    for _ in range(3):
        await pilot.pause(delay)
        for worker in list(app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:
                pass  # an exclusive worker replaced by a newer one: that one is waited for too
    await pilot.pause()


async def sign_in(app, pilot, number="1002", pin="1357") -> None:
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(app, pilot, 0.1)
