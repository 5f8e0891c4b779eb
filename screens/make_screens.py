"""Make screens/*.svg: every screen of the real app, on demo data, at 80x24 (and 120x40), in
English; and screens/de/*.svg: the main screens as the demo's Berlin store sees them, in German.

    uv run python screens/make_screens.py        # both sets
    uv run python screens/make_screens.py de     # the German set only
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["TZ"] = "UTC"
time.tzset()
os.environ["POS_CUSTOMERS_LANG"] = "en"  # the main set in English; the German set sets "de"

from pos_customers.domain import i18n  # noqa: E402
from pos_customers.services.context import Actor  # noqa: E402
from pos_customers.services.customers import draft_from_view, get_customer, update_customer  # noqa: E402
from pos_customers.services.demo import seed_demo  # noqa: E402
from pos_customers.services.search import search_customers  # noqa: E402
from pos_customers.storage.engine import Database  # noqa: E402
from pos_customers.ui.app import PosApp  # noqa: E402
from pos_customers.ui.config import UiConfig  # noqa: E402

HERE = Path(__file__).resolve().parent


async def settle(app, pilot, delay=0.1):
    from textual.worker import WorkerCancelled

    for _ in range(3):
        await pilot.pause(delay)
        for worker in list(app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:
                pass  # replaced by a newer search: that one is waited for too
    await pilot.pause()


async def sign_in(app, pilot, number="1001", pin="2468"):
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(app, pilot, 0.2)


# the screens shown in German (screens/de/): one of each kind a person meets first
GERMAN = ("sign-in", "search-results", "customer-account", "customer-addresses", "customer-activity",
          "new-customer", "new-customer-duplicates", "edit-customer", "address-modal", "discard-question", "keys",
          "back-office", "back-office-template", "back-office-address-purposes", "back-office-account-options")


async def shoot(svc, name, size, steps, folder=HERE):
    app = PosApp(svc, config=UiConfig(debounce_ms=10, cursor_blink=False), demo=True)
    app.theme = "textual-dark"
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await steps(app, pilot)
        await settle(app, pilot)
        app.save_screenshot(str(folder / f"{name}.svg"))
    print(f"  {folder.name}/{name}.svg", file=sys.stderr)


NAMED_KEYS = {"enter", "escape", "f1", "f2", "f4", "f5", "f6", "f8", "f9", "ctrl+s", "ctrl+r"}


def flow(*keys, sign=True):
    """Sign in as the demo manager, then press named keys or type text, in order."""
    async def run(app, pilot):
        if sign:
            await sign_in(app, pilot)
        for k in keys:
            if callable(k):
                await k(app, pilot)
            else:
                await pilot.press(*([k] if k in NAMED_KEYS else list(k)))
            await settle(app, pilot)
    return run


def tab(name):
    async def run(app, pilot):
        app.screen.query_one("#tabs").active = f"tab-{name}"
    return run


def menu(index):
    async def run(app, pilot):
        app.screen.query_one("#menu").highlighted = index
    return run


def setval(selector, value):
    async def run(app, pilot):
        app.screen.query_one(selector).value = value
        await settle(app, pilot, 0.3)
    return run


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        svc = seed_demo(Database(Path(tmp) / "demo.db"), 2000)
        actor = Actor.command_line()
        page = search_customers(svc, actor, "meier")
        target = page.rows[0].display_name.lower()

        async def conflict(app, pilot):
            view = get_customer(svc, actor, app.screen.view.id)
            other = draft_from_view(view)
            other.company = "Meier & Partner"
            update_customer(svc, actor, view.id, other, opened=view)
            app.screen.query_one("#first_name").value = "Johanna"
            await pilot.press("ctrl+s")

        shots = [
            ("sign-in", (80, 24), flow(sign=False)),
            ("search-recent", (80, 24), flow()),
            ("search-recent-wide", (120, 40), flow()),
            ("search-results", (80, 24), flow("mei")),
            ("search-no-match", (80, 24), flow("Eva Lindqvist")),
            ("customer-account", (80, 24), flow(target, "enter")),
            ("customer-account-wide", (120, 40), flow(target, "enter")),
        ]
        for t in ("contacts", "addresses", "attributes", "notes", "orders", "activity"):
            shots.append((f"customer-{t}", (80, 24), flow(target, "enter", tab(t))))
        # an organization of the demo with its people, and one of them (by reference: exactly them)
        with svc.db.read() as s:
            org_id, person_id = s.connection().exec_driver_sql(
                "SELECT organization_id, person_id FROM customer_membership WHERE is_primary LIMIT 1").one()
        org, person = get_customer(svc, actor, org_id), get_customer(svc, actor, person_id)
        shots += [
            ("customer-people", (80, 24), flow(org.reference, "enter", tab("people"))),
            ("customer-organizations", (80, 24), flow(person.reference, "enter", tab("organizations"))),
            ("search-organization-people", (80, 24), flow(org.organization_name)),
        ]
        shots += [
            ("new-customer", (80, 24), flow("f2")),
            ("new-customer-wide", (120, 40), flow("f2")),
            ("new-customer-duplicates", (80, 24),
             flow(target.split()[0].title() + " Mayer", "f2", setval("#email", page.rows[0].primary_email))),
            ("edit-customer", (80, 24), flow(target, "enter", "e")),
            ("address-modal", (80, 24), flow(target, "enter", "a")),
            ("address-modal-us", (80, 24), flow(target, "enter", "a", setval("#country", "US"))),
            ("discard-question", (80, 24), flow("f2", "Eva", "escape")),
            ("edit-conflict", (80, 24), flow(target, "enter", "e", conflict)),
            ("keys", (80, 24), flow("f1")),
            ("back-office", (80, 24), flow("f9")),
        ]
        for i, name in enumerate(("template", "address-purposes", "customer-groups", "affiliations",
                                  "custom-attributes", "associates", "store-audit", "account-options")):
            shots.append((f"back-office-{name}", (80, 24), flow("f9", menu(i), "enter")))
        shots.append(("back-office-template-wide", (120, 40), flow("f9", "enter")))
        only_german = sys.argv[1:] == ["de"]
        if not only_german:
            for name, size, steps in shots:
                await shoot(svc, name, size, steps)
        os.environ["POS_CUSTOMERS_LANG"] = "de"
        i18n.set_language("de")  # as launch.py does from POS_CUSTOMERS_LANG
        (HERE / "de").mkdir(exist_ok=True)
        for name, size, steps in shots:
            if name in GERMAN:
                await shoot(svc, name, size, steps, HERE / "de")
        os.environ["POS_CUSTOMERS_LANG"] = "en"
        i18n.set_language("en")
        if not only_german:
            await connected(Path(tmp))


async def connected(tmp: Path) -> None:
    """The demo store connected to a demo headquarters on loopback: F5, orders, sync; a customer's
    stores, carts, saved payments and an order's lines and shipments."""
    import json
    import socket
    import sqlite3
    import threading

    import uvicorn

    from pos_customers.cli import connected_demo
    from pos_customers.hq.api import create_app
    from pos_customers.hq.db import make_engine, upgrade
    from pos_customers.hq.service import Headquarters

    engine = make_engine(f"sqlite:///{tmp / 'hq.db'}")
    upgrade(engine)
    hq = Headquarters(engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    svc = connected_demo(hq, tmp / "connected.db", 2000, f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(create_app(engine, hq), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    # a customer of another store with a few orders
    conn = sqlite3.connect(tmp / "hq.db")
    fields, = conn.execute(
        "SELECT c.fields FROM hq_customer c WHERE c.home_store != 'BER01' AND c.fields LIKE '%\"person\"%'"
        " AND (SELECT count(*) FROM hq_record r WHERE r.customer_id = c.id AND r.kind = 'order') >= 3"
        " ORDER BY c.id LIMIT 1").fetchone()
    # a customer of the demo store with carts, saved payments and a shipped web order
    mine, = conn.execute(
        "SELECT c.fields FROM hq_customer c WHERE c.home_store = 'BER01' AND c.fields LIKE '%\"person\"%'"
        " AND EXISTS (SELECT 1 FROM hq_cart k WHERE k.customer_id = c.id)"
        " AND EXISTS (SELECT 1 FROM hq_saved_payment p WHERE p.customer_id = c.id)"
        " AND EXISTS (SELECT 1 FROM hq_record r JOIN hq_shipment s ON s.order_id = r.key"
        "             WHERE r.customer_id = c.id AND r.kind = 'order')"
        " ORDER BY c.id LIMIT 1").fetchone()
    # a customer of the demo store who holds store credit
    holder, = conn.execute(  # found by its reference: a name could find another customer first
        "SELECT c.reference FROM hq_customer c WHERE c.home_store = 'BER01' AND c.fields LIKE '%\"person\"%'"
        " AND EXISTS (SELECT 1 FROM hq_credit_movement m WHERE m.customer_id = c.id)"
        " ORDER BY c.id LIMIT 1").fetchone()
    conn.close()
    f = json.loads(fields)
    name = f"{f['first_name']} {f['last_name']}"
    m = json.loads(mine)
    own = f"{m['first_name']} {m['last_name']}"

    def focus(table_id):
        async def run(app, pilot):
            app.screen.query_one(f"#{table_id}").focus()
        return run

    try:
        for shot, size, steps in [
            ("all-stores", (80, 24), flow(name, "f5")),
            ("customer-orders-from-hq", (80, 24), flow(name, "f5", "enter", tab("orders"))),
            ("sync", (80, 24), flow("f8", "ctrl+r")),
            ("customer-stores", (80, 24), flow(own, "enter", tab("stores"), focus("stores-table"))),
            ("customer-active-carts", (80, 24), flow(own, "enter", tab("carts"), focus("carts-table"))),
            ("customer-cart-lines", (80, 24), flow(own, "enter", tab("carts"), focus("carts-table"), "enter")),
            ("customer-saved-payments", (80, 24), flow(own, "enter", tab("payments"), focus("payments-table"))),
            ("customer-order-lines", (80, 24), flow(own, "enter", tab("orders"), focus("orders-table"), "enter")),
            ("customer-store-credit", (80, 24), flow(holder, "enter", tab("credit"))),
            ("customer-online", (80, 24), flow(own, "enter", tab("online"))),
        ]:
            await shoot(svc, shot, size, steps)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


if __name__ == "__main__":
    asyncio.run(main())
