"""Headquarters' side of the connected demo: order history (with lines and shipments), active carts
and saved payments for the demo customers, and the store directory's addresses and phones.

Deterministic: the same customer always gets the same data (seeded by its id; an order's lines and
shipments by the order's id). Saved payments come from the well-known test card numbers in
:data:`DEMO_CARDS`: only their last four digits and a random token reference are ever written
(a test greps both databases for the numbers).
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

STATUSES = ("delivered", "delivered", "delivered", "collected", "returned", "cancelled", "open")

#: the payment networks' published test numbers: the demo's "cards" (never stored, see above)
DEMO_CARDS = {"Visa": "4111111111111111", "Mastercard": "5555555555554444", "Amex": "378282246310005",
              "Visa Debit": "4000056655665556"}

PRODUCTS = (("SKU-100231", "Merino sweater", 7990), ("SKU-100877", "Leather belt", 3490),
            ("SKU-201004", "Canvas sneakers", 5995), ("SKU-300118", "Rain jacket", 12900),
            ("SKU-310442", "Wool scarf", 2450), ("SKU-400019", "Gift card", 2500),
            ("SKU-500321", "Travel mug", 1495), ("SKU-610007", "Linen shirt", 4990))

STORE_CONTACTS = {
    "BER01": ("Alexanderplatz 9, 10178 Berlin", "+49 30 2472 100"),
    "MUC01": ("Marienplatz 21, 80331 München", "+49 89 2318 200"),
    "HAM01": ("Jungfernstieg 12, 20354 Hamburg", "+49 40 3570 300"),
    "VIE01": ("Mariahilfer Straße 77, 1060 Wien", "+43 1 5973 400"),
    "ZRH01": ("Bahnhofstrasse 45, 8001 Zürich", "+41 44 2113 500"),
    "PAR01": ("Rue de Rivoli 102, 75001 Paris", "+33 1 4260 600"),
    "LON01": ("Oxford Street 214, London W1C 1DA", "+44 20 7493 700"),
    "NYC01": ("Fifth Avenue 611, New York, NY 10022", "+1 212 753 800"),
    "AMS01": ("Kalverstraat 92, 1012 PH Amsterdam", "+31 20 6238 900"),
    "MAD01": ("Gran Vía 32, 28013 Madrid", "+34 915 221 010"),
    "MIL01": ("Corso Vittorio Emanuele II 24, 20122 Milano", "+39 02 7600 110"),
    "WAW01": ("Nowy Świat 35, 00-029 Warszawa", "+48 22 8261 120"),
}
CLOSED = {"WAW01": "temporarily closed"}

TODAY = datetime(2026, 11, 24, tzinfo=timezone.utc)


def orders_for(customer_id: str, currency: str, stores: list[str], *,
               today: datetime | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """0-6 orders over the last two years, as (kind, key, record) for put_records."""
    rng = random.Random(customer_id)
    today = today or TODAY
    for k in range(rng.choice((0, 0, 1, 1, 2, 3, 4, 6))):
        number = f"{rng.choice(('S', 'W'))}-{rng.randrange(100000, 999999)}"
        at = today - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        total = Decimal(rng.randrange(499, 89999)) / 100
        store = "WEB" if number.startswith("W") or not stores else rng.choice(stores)
        status = "open" if at > today - timedelta(days=3) else rng.choice(STATUSES[:-1])
        if store != "WEB" and status == "delivered":
            status = "collected"  # taken home from the store: nothing was shipped
        oid = f"{customer_id}:{k}"
        doc = {"id": oid, "customer_id": customer_id, "number": number, "ordered_at": at.isoformat(),
               "store_code": store, "status": status, "total": f"{total:.2f}", "currency": currency or "EUR"}
        doc["shipments"] = len(order_detail(doc)["shipments"])
        yield "order", oid, {"customer_id": customer_id, "doc": doc}


def order_detail(order: dict[str, Any]) -> dict[str, Any]:
    """An order's lines (adding up to its total) and its shipments (web orders are shipped, in one
    or two parcels once they left the warehouse; store orders are collected)."""
    rng = random.Random(order["id"])
    total = int(Decimal(order["total"]) * 100)
    weights = [rng.randint(1, 5) for _ in range(rng.randint(1, 4))]
    amounts = [total * w // sum(weights) for w in weights]
    amounts[-1] += total - sum(amounts)
    lines = []
    for amount in amounts:
        sku, name, _price = rng.choice(PRODUCTS)
        quantity = 2 if amount % 2 == 0 and rng.random() < 0.3 else 1
        lines.append({"sku": sku, "name": name, "quantity": quantity,
                      "unit_price_minor": amount // quantity, "total_minor": amount})
    shipments = []
    web = order["store_code"] == "WEB"
    if web and order["status"] not in ("open", "cancelled"):
        at = datetime.fromisoformat(order["ordered_at"])
        parcels = rng.choice((1, 1, 2))
        items = sum(line["quantity"] for line in lines)
        for p in range(parcels):
            carrier = rng.choice(("DHL", "DPD", "UPS"))
            shipped = at + timedelta(days=1 + p)
            shipments.append({
                "id": f"{order['id']}:s{p + 1}", "carrier": carrier,
                "tracking": f"{carrier}{rng.randrange(10**9, 10**10)}X",
                "status": "returned" if order["status"] == "returned" else "delivered",
                "shipped_at": shipped.isoformat(), "delivered_at": (shipped + timedelta(days=2)).isoformat(),
                "items": items if parcels == 1 else (items + 1) // 2 if p == 0 else items // 2})
    return {"id": order["id"], "customer_id": order["customer_id"], "number": order["number"],
            "currency": order["currency"], "lines": lines, "shipments": shipments}


def carts_for(customer_id: str, currency: str, stores: list[str], *,
              today: datetime | None = None) -> Iterator[dict[str, Any]]:
    """0-2 active carts: the web shop's shopping cart, a wish list, a reservation in a store."""
    rng = random.Random(f"cart:{customer_id}")
    today = today or TODAY
    for k in range(rng.choice((0, 0, 1, 1, 2))):
        kind = rng.choice(("shopping", "wishlist", "reserved"))
        store = rng.choice(stores) if kind == "reserved" and stores else "WEB"
        created = today - timedelta(minutes=rng.randrange(60, 45 * 24 * 60))
        lines = []
        for sku, name, price in rng.sample(PRODUCTS, rng.randint(1, 4)):  # a product once, its quantity
            quantity = rng.randint(1, 3)
            lines.append({"sku": sku, "name": name, "quantity": quantity, "unit_price_minor": price,
                          "total_minor": price * quantity})
        name = {"shopping": "Web cart", "wishlist": "Wish list", "reserved": "Reserved in store"}[kind]
        yield {"id": f"{customer_id}:c{k}", "customer_id": customer_id, "store_code": store,
               "name": f"{name} {created:%d %b}", "type": kind, "created_at": created.isoformat(),
               "currency": currency or "EUR", "lines": lines}


def payments_for(customer_id: str, holder: str, *, today: datetime | None = None) -> Iterator[dict[str, Any]]:
    """0-2 saved payments: the last four digits of a demo card and a random token reference."""
    rng = random.Random(f"pay:{customer_id}")
    today = today or TODAY
    for k, brand in enumerate(rng.sample(sorted(DEMO_CARDS), rng.choice((0, 0, 1, 1, 2)))):
        token = "tok_" + "".join(rng.choice(string.ascii_letters) for _ in range(24))
        yield {"id": f"{customer_id}:p{k}", "customer_id": customer_id, "token_ref": token,
               "brand": brand.split()[0], "last4": DEMO_CARDS[brand][-4:],
               "expiry_month": rng.randint(1, 12), "expiry_year": today.year + rng.randint(0, 4),
               "holder": holder[:120], "added_at": (today - timedelta(days=rng.randrange(1, 900))).isoformat()}


def seed_customer_data(hq, docs: list[dict[str, Any]], stores: dict[str, str]) -> None:
    """Orders with their lines and shipments, carts and saved payments for the demo customers
    (their sync documents), and the demo stores' addresses and phones. ``stores``: each store's
    currency; a customer buys in the stores that take theirs (and the web shop), so an order's
    currency is always its store's."""
    from ..domain.text import fields_display_name

    def taking(currency: str) -> list[str]:
        return [code for code, cur in stores.items() if cur == currency]

    def currency(d: dict[str, Any]) -> str:
        return d["fields"].get("currency") or "EUR"

    orders = [o for d in docs for o in orders_for(d["id"], currency(d), taking(currency(d)))]
    hq.put_records(orders)
    hq.put_order_details(order_detail(o[2]["doc"]) for o in orders)
    hq.put_carts(c for d in docs for c in carts_for(d["id"], currency(d), taking(currency(d))))
    hq.put_payments(p for d in docs for p in payments_for(d["id"], fields_display_name(d["fields"])))
    for code in stores:
        if code in STORE_CONTACTS:
            address, phone = STORE_CONTACTS[code]
            hq.set_store_contact(code, address=address, phone=phone, status=CLOSED.get(code, "open"))


#: the demo's segments: code, name, rule (README, Customer segments)
DEMO_SEGMENTS = (
    ("vip", "VIP: spent over 500 EUR in 12 months",
     {"kind": "spent", "more_than": 50000, "currency": "EUR", "months": 12}),
    ("new", "New: registered in the last 90 days", {"kind": "registered_within", "days": 90}),
    ("newsletter", "Newsletter: email marketing consent", {"kind": "marketing_consent", "channel": "email"}),
)


def seed_segments(hq) -> None:
    """The demo's segments, defined and evaluated over every demo customer."""
    for code, name, rule in DEMO_SEGMENTS:
        hq.add_segment(code, name, rule, replace=True)
