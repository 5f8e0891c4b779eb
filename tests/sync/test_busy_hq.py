"""A busy headquarters (429 + Retry-After): the till waits as long as it was told, sends the same
request again and nothing is lost; it is not an error, it is said on the Sync state."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from pos_customers.hq import tables as t
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import sync
from pos_customers.services.customers import create_customer
from pos_customers.storage.tables import OutboxEvent
from pos_customers.sync.client import HqBusy, HqClient, HqUnavailable
from tests import templates
from tests.helpers import customer_data_chain, person


@pytest.fixture
def chain(tmp_path, svc, admin):
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    http = customer_data_chain(hq, svc, admin)
    yield hq, http, http.http.app.state.admission
    hq.engine.dispose()


def at_hq(hq) -> set[str]:
    with hq.engine.connect() as conn:
        return set(conn.execute(t.customer.select().with_only_columns(t.customer.c.id)).scalars())


def test_a_busy_headquarters_is_waited_out_and_the_sync_goes_through(chain, svc, admin):
    hq, http, gate = chain
    anna = create_customer(svc, admin, person("Anna", "Busy", "anna.busy@example.org"))
    queued = sync.status(svc, admin).outbox
    gate.in_flight, gate.average = gate.limit, 3.0  # saturated; a request takes 3 s there now: come back in 4-8 s
    told, waited = [], []

    def wait(seconds):
        waited.append(seconds)
        assert sync.status(svc, admin).busy_until is not None  # the Sync state says when
        gate.in_flight = 0  # meanwhile headquarters caught up

    result = sync.sync_now(svc, admin, transport=http, wait=wait, busy=told.append)

    assert http.paths[:2] == ["/v1/push", "/v1/push"]  # refused once, then the same push served
    assert len(waited) == 1 and 4 <= waited[0] <= 8 and told == waited  # as long as headquarters said
    assert result.pushed == queued and anna.id in at_hq(hq)
    st = sync.status(svc, admin)
    assert (st.outbox, st.last_error, st.busy_until) == (0, "", None)  # not an error, nothing left
    assert gate.refused == 1


def test_still_busy_after_the_rounds_waits_keeps_everything_for_the_next_round(chain, svc, admin):
    hq, http, gate = chain
    anna = create_customer(svc, admin, person("Anna", "Later", "anna.later@example.org"))
    queued = sync.status(svc, admin).outbox
    gate.in_flight, gate.average = gate.limit, 3.0  # told 4-8 s: still to come when the status is read
    waited = []
    with pytest.raises(HqBusy):
        sync.sync_now(svc, admin, transport=http, wait=waited.append)
    assert len(waited) == 5 and anna.id not in at_hq(hq)  # sync.engine.BUSY_WAITS, then the round stops
    st = sync.status(svc, admin)
    assert (st.outbox, st.last_error) == (queued, "") and st.busy_until is not None
    with svc.db.read() as s:
        assert {e.attempts for e in s.exec(select(OutboxEvent))} == {0}  # not counted as a failure
    gate.in_flight = 0
    assert sync.sync_now(svc, admin, transport=http).pushed == queued and anna.id in at_hq(hq)
    assert sync.status(svc, admin).busy_until is None


@pytest.mark.parametrize("status, header, expected", [
    (429, "12", 12), (429, None, 5), (503, "2", 2), (429, "100000", 300), (503, None, None),
    (429, "Wed, 21 Oct 2015 07:28:00 GMT", 1)])  # a date in the past: at once (1 s)
def test_what_a_retry_after_answer_becomes(status, header, expected):
    headers = {"Retry-After": header} if header else {}
    client = HqClient("http://hq.test", transport=httpx.MockTransport(
        lambda request: httpx.Response(status, headers=headers, json={"detail": "busy"})))
    with pytest.raises(HqUnavailable) as caught:
        client.health()
    if expected is None:
        assert not isinstance(caught.value, HqBusy)  # a 503 that names no time: unavailable
    else:
        assert isinstance(caught.value, HqBusy) and caught.value.retry_after == expected


def test_a_push_larger_than_headquarters_takes_goes_in_smaller_requests(chain, svc, admin, monkeypatch):
    """413 (the body over headquarters' limit): the till sends the older half, then the rest; every
    customer arrives, nothing is parked, no error stays."""
    import pos_customers.hq.api as api_module

    hq, http, _gate = chain
    made = [create_customer(svc, admin, person("Anna", "Gross" + "e" * n, f"anna{n}.gross@example.org")).id
            for n in range(6)]
    monkeypatch.setattr(api_module, "MAX_BODY", 9000)  # about two of these customers and their audit
    result = sync.sync_now(svc, admin, transport=http)
    assert set(made) <= at_hq(hq)
    assert http.paths.count("/v1/push") > 2  # refused whole at first, then halves
    st = sync.status(svc, admin)
    assert (st.outbox, st.parked, st.last_error) == (0, 0, "") and result.pushed >= len(made)
