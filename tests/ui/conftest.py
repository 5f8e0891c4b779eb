from __future__ import annotations

import os
import time

import pytest
from textual.worker import WorkerCancelled, WorkerState

from pos_customers.services.associates import add_associate
from pos_customers.services.customers import create_customer
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from tests.helpers import person

os.environ["TZ"] = "UTC"
time.tzset()


def _finer_idle_steps(step: float = 1 / 200) -> None:
    """Pilot waits for the app to go idle after every key it presses and in every pause(): it sleeps
    in steps of textual._wait.SLEEP_GRANULARITY (1/50 s) until one step passes in which the process
    used under SLEEP_IDLE (a twentieth of a step) of CPU time. The same test in steps of 1/200 s:
    a key costs 10 ms of waiting instead of 40 (thousands of keys in the UI tests). This reaches
    into Textual's internals, here only: an upgrade that drops these names fails every UI test."""
    import textual._wait as textual_wait

    for name in ("SLEEP_GRANULARITY", "SLEEP_IDLE", "wait_for_idle"):
        if not hasattr(textual_wait, name):
            raise RuntimeError(f"textual._wait.{name} is gone (Textual upgraded?): see tests/ui/conftest.py")
    textual_wait.SLEEP_GRANULARITY = step
    textual_wait.SLEEP_IDLE = step / 20
    import textual.screen
    textual.screen.UPDATE_PERIOD = step * 0.8


_finer_idle_steps()


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
    """Let the timers due within ``delay`` fire, then wait until no worker is running (nor any worker
    that a finished one's result started), then let the screen catch up. ``delay`` covers the
    app's timers only (the search's debounce: 10 ms here; the form's check: 0.25 s); what workers do
    is waited for, however long it takes (up to a minute: then the test fails saying which), and
    so are the searches of the search screens' own threads (ui/latest.py)."""
    await pilot.pause(delay)
    await _searches_done(app, pilot)
    deadline = time.monotonic() + 60
    while busy := [w for w in list(app.workers) if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]:
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still running after a minute: {[w.name for w in busy]}")
        for worker in busy:
            if worker.state == WorkerState.PENDING:
                continue  # starting: waited for in the next round
            try:
                await worker.wait()
            except WorkerCancelled:
                pass  # an exclusive worker replaced by a newer one: that one is waited for too
        await pilot.pause()  # their results handled (which may start more workers)
        await _searches_done(app, pilot)
    await pilot.pause()


async def _searches_done(app, pilot) -> None:
    from pos_customers.ui.latest import Latest

    deadline = time.monotonic() + 60
    while busy := [s for s in app.screen_stack if isinstance(getattr(s, "searches", None), Latest)
                   and not s.searches.idle()]:
        if time.monotonic() > deadline:
            raise AssertionError(f"searches still running after a minute on {busy}")
        await pilot.pause(0.002)
    await pilot.pause()  # their answers (messages to the screen) handled


async def sign_in(app, pilot, number="1002", pin="1357") -> None:
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(app, pilot, 0.1)


async def new_customer_form(app, pilot, typed: str):
    """Signed in, ``typed`` into the search box and F2: the new-customer form it opens."""
    from pos_customers.ui.screens.form import CustomerFormScreen

    await sign_in(app, pilot)
    await pilot.press(*typed, "f2")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerFormScreen)
    return app.screen
