import gettext
import sqlite3

import httpx

from pos_customers.domain.address import AddressInput
from pos_customers.domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput


def person(first="Anna", last="Müller", email=None, phone=None, postal=None, birth=None, **kw) -> CustomerDraft:
    return CustomerDraft(
        first_name=first, last_name=last, birth_date=birth,
        emails=[EmailInput(email)] if email else [],
        phones=[PhoneInput(phone)] if phone else [],
        addresses=[AddressDraft(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code=postal,
                                             country="DE"))] if postal else [],
        **kw)


class InProcessHq(httpx.BaseTransport):
    """An httpx transport handing each request to headquarters' ASGI app in this process (no port,
    no server): ``transport=InProcessHq(hq)`` for the services, or patched into the till's client."""

    def __init__(self, hq):
        from fastapi.testclient import TestClient

        from pos_customers.hq.api import create_app

        self.hq, self.http = hq, TestClient(create_app(hq.engine, hq))
        self.paths: list[str] = []  # every request's path, in order (what a screen asked for)

    def handle_request(self, request):
        self.paths.append(request.url.path)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        r = self.http.request(request.method, str(request.url), headers=headers, content=request.read())
        assert r.status_code < 500, f"{request.method} {request.url.path} answered {r.status_code}: {r.text[:300]}"
        return httpx.Response(r.status_code, headers=r.headers, content=r.content, request=request)


def customer_data_chain(hq, svc, actor):
    """Headquarters with stores BER01 (number 101) and MUC01 and their directory entries, and the
    till ``svc`` (store BER01) enrolled there; its client reaches headquarters through the returned
    transport. For the tests of carts, saved payments, order details and stores."""
    from pos_customers.services import sync

    token = hq.add_store("BER01", "Berlin Alexanderplatz", number=101)
    hq.add_store("MUC01", "München Marienplatz", number=102)
    hq.set_store_contact("BER01", address="Alexanderplatz 9, 10178 Berlin", phone="+49 30 2472 100")
    hq.set_store_contact("MUC01", address="Marienplatz 21, 80331 München", phone="+49 89 2318 200",
                         status="temporarily closed")
    terminal_id, credential, _, number = hq.enrol(token, "till")
    sync.connect(svc, actor, url="http://hq.test", credential=credential, terminal_id=terminal_id,
                 terminal_number=number)
    return InProcessHq(hq)


def stock_customer(hq, cid):
    """At headquarters, for customer ``cid``: two carts (the web's, one reserved at MUC01), two saved
    payments (Visa 1111 added in January, Mastercard 4444 in March) and two orders (S-100001 at
    MUC01; W-100002 on the web, with a line and a DHL shipment)."""
    from tests.hq.test_customer_data import cart, payment

    hq.put_carts([cart(cid, 0), cart(cid, 1, name="Reserved in store", type="reserved", store_code="MUC01")])
    hq.put_payments([payment(cid, 0), payment(cid, 1, brand="Mastercard", last4="4444", expiry_year=2027,
                                              added_at="2026-03-01T09:00:00+00:00")])
    hq.put_records([("order", oid, {"customer_id": cid, "doc": {
        "id": oid, "customer_id": cid, "number": num, "ordered_at": at, "store_code": store,
        "status": "delivered", "total": "129.90", "currency": "EUR"}})
        for oid, num, at, store in (("o-1", "S-100001", "2026-10-02T15:04:00+00:00", "MUC01"),
                                    ("o-2", "W-100002", "2026-11-02T15:04:00+00:00", "WEB"))])
    hq.put_order_details([{"id": "o-2", "customer_id": cid, "number": "W-100002", "currency": "EUR",
                           "lines": [{"sku": "SKU-3", "name": "Rain jacket", "quantity": 1,
                                      "unit_price_minor": 12990, "total_minor": 12990}],
                           "shipments": [{"id": "s1", "carrier": "DHL", "tracking": "DHL0001234", "status": "delivered",
                                          "shipped_at": "2026-11-03T08:00:00+00:00",
                                          "delivered_at": "2026-11-05T08:00:00+00:00", "items": 1}]}])


def organization(name="Acme GmbH", postal=None, **kw) -> CustomerDraft:
    return CustomerDraft(
        customer_type="organization", organization_name=name,
        addresses=[AddressDraft(AddressInput(line1="Industriestr. 5", city="Berlin", postal_code=postal,
                                             country="DE"), purpose="BUSINESS")] if postal else [],
        **kw)


def db_rows(svc, sql: str, *args) -> list[tuple]:
    """Rows of the till's file, read on a connection of their own (what another reader sees)."""
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


DOWN = httpx.MockTransport(_unreachable)  # headquarters that cannot be reached


class TestCatalog(gettext.NullTranslations):
    """A small catalog for a test: ``{English: translation}`` (a missing text stays English);
    installed with ``i18n.install(lang, TestCatalog({...}))``."""

    __test__ = False  # not a test class for pytest

    def __init__(self, table: dict[str, str]):
        super().__init__()
        self.table = table

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = singular if n == 1 else plural
        return self.table.get(found, found)
