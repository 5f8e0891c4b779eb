"""Shopper assistance and "now online" at the till (services/assistance.py): the consent is a synced,
audited customer field; a link is refused in the services without it; the online state comes from
headquarters and is kept for offline, marked as of when; a link used at headquarters reaches the
customer's Activity rows."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pos_customers.domain.enums import EventKind
from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq.db import make_engine
from pos_customers.hq.service import Headquarters
from pos_customers.services import assistance, sync
from pos_customers.services.context import PermissionDenied
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.storage.tables import AuditEvent, OutboxEvent
from tests import templates
from tests.helpers import DOWN, customer_data_chain, person



@pytest.fixture
def till(svc, admin, tmp_path):
    hq = Headquarters(make_engine(templates.hq_sqlite_url(tmp_path / "hq.db")))
    http = customer_data_chain(hq, svc, admin)
    eva = create_customer(svc, admin, person("Eva", "Lang", "eva@example.org", account_type="registered"))
    sync.sync_now(svc, admin, transport=http)
    yield svc, http, eva
    hq.engine.dispose()


def actions(svc, cid):
    with svc.db.read() as s:
        return [r.action for r in s.exec(select(AuditEvent).where(AuditEvent.entity_id == cid).order_by(AuditEvent.id))]


def test_without_consent_a_link_is_refused_in_the_services(till, associate):
    svc, http, eva = till
    with pytest.raises(ValidationFailed) as refused:
        assistance.request_link(svc, associate, eva.id, transport=http)
    assert refused.value.errors[0].field == "assist_consent"
    assert "has not agreed to shopper assistance" in refused.value.errors[0].message
    assert "\n" not in str(refused.value)
    assert "assist_link" not in actions(svc, eva.id)  # nothing asked, nothing recorded


def test_a_guest_cannot_give_consent(svc, associate):
    guest = create_customer(svc, associate, person("Gus", "Gast"))
    with pytest.raises(ValidationFailed, match="guest has no online account"):
        assistance.set_consent(svc, associate, guest.id, True)


def test_consent_is_recorded_with_who_and_when_synced_and_the_link_is_issued(till, associate, admin):
    svc, http, eva = till
    view = assistance.set_consent(svc, associate, eva.id, True)
    assert (view.assist_consent, view.assist_consent_by) == (True, associate.associate_number)
    assert view.assist_consent_at is not None
    with svc.db.read() as s:
        (event,) = s.exec(select(OutboxEvent).where(OutboxEvent.entity_id == eva.id)).all()
    assert event.event_type == EventKind.CUSTOMER_UPDATED.value
    assert set(event.payload["fields"]) == {"assist_consent", "assist_consent_by", "assist_consent_at"}
    assert actions(svc, eva.id)[-1] == "assist_consent"
    # the consent waits in the outbox: asking for the link sends it first
    link = assistance.request_link(svc, associate, eva.id, transport=http)
    assert "?token=" in link.url
    assert actions(svc, eva.id)[-1] == "assist_link"
    with svc.db.read() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "assist_link")).one()
    assert link.url.split("token=")[1] not in str(row.changes)  # the token is kept nowhere on the till
    # used at headquarters: the online state says so, and the Activity rows get it once
    http.http.post("/v1/accounts/assist", json={"token": link.url.split("token=")[1]})
    for _ in range(2):
        got = assistance.online_state(svc, associate, eva.id, transport=http)
    assert got.source == "headquarters" and got.state.online and got.state.assisted_by.endswith("(associate)")
    assert actions(svc, eva.id).count("assist_link_used") == 1
    with svc.db.read() as s:
        used = s.exec(select(AuditEvent).where(AuditEvent.action == "assist_link_used")).one()
    assert used.associate_number == "headquarters" and "used at headquarters" in str(used.changes)
    # withdrawn: refused again, in the services
    assistance.set_consent(svc, associate, eva.id, False)
    with pytest.raises(ValidationFailed):
        assistance.request_link(svc, associate, eva.id, transport=http)
    assert get_customer(svc, associate, eva.id).assist_consent_by == associate.associate_number


def test_support_may_ask_but_not_record_consent(till, associate):
    from pos_customers.domain.enums import Role
    from pos_customers.services.context import Actor

    svc, http, eva = till
    support = Actor("S100", "Sam Support", Role.SUPPORT)
    with pytest.raises(PermissionDenied):
        assistance.set_consent(svc, support, eva.id, True)
    assistance.set_consent(svc, associate, eva.id, True)
    assert assistance.request_link(svc, support, eva.id, transport=http).url


def test_offline_the_kept_online_state_is_shown_as_of_when_it_was_fetched(till, associate):
    svc, http, eva = till
    assert assistance.online_state(svc, associate, eva.id, transport=DOWN) == assistance.OnlineView(None, "cache", None)
    http.http.post("/v1/accounts/sign-in", json={"email": "eva@example.org", "password": "x"})  # wrong: no session
    fresh = assistance.online_state(svc, associate, eva.id, transport=http)
    assert fresh.source == "headquarters" and fresh.state.online is False and fresh.fetched_at is not None
    kept = assistance.online_state(svc, associate, eva.id, transport=DOWN)
    assert kept.source == "cache" and kept.state == fresh.state and kept.fetched_at == fresh.fetched_at
