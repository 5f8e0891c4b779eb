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

    def handle_request(self, request):
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        r = self.http.request(request.method, str(request.url), headers=headers, content=request.read())
        assert r.status_code < 500, f"{request.method} {request.url.path} answered {r.status_code}: {r.text[:300]}"
        return httpx.Response(r.status_code, headers=r.headers, content=r.content, request=request)
