""""Must change password at next sign-in": set by the associate, by a password typed at the till
when the store says so, cleared with the account made a guest; audited and sent like any edit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.password import MANUAL_MUST_CHANGE
from pos_customers.services.customers import (create_customer, draft_from_view, get_customer,
                                              set_must_change_password, update_customer)
from pos_customers.storage.tables import AuditEvent, OutboxEvent, Setting
from tests.helpers import db_rows, person

GOOD = "Kx7#mP2!qRs"


def stored_flag(svc, customer_id):
    (flag,), = db_rows(svc, "SELECT must_change_password FROM customer WHERE id = ?", customer_id)
    return flag


def registered(svc, admin, **kw):
    return create_customer(svc, admin, replace(person("Anna", "Müller", "anna@example.org"),
                                               account_type="registered", **kw))


def test_the_associate_sets_the_flag_audited_and_sent_as_one_field(svc, admin, associate):
    view = registered(svc, admin)
    assert stored_flag(svc, view.id) == 0
    after = set_must_change_password(svc, associate, view.id, True)
    assert after.must_change_password is True and get_customer(svc, admin, view.id).must_change_password is True
    assert stored_flag(svc, view.id) == 1
    with svc.db.read() as s:
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity_id == view.id, AuditEvent.action == "update")).one()
        sent = s.exec(select(OutboxEvent).where(OutboxEvent.entity_id == view.id,
                                                OutboxEvent.event_type == "customer.updated")).one()
    assert audit.associate_number == "1002"
    assert audit.changes == {"must_change_password": {"old": False, "new": True}}
    assert sent.payload["fields"] == {"must_change_password": True}
    # the document carries a JSON boolean (headquarters' strict model refuses 1)
    assert get_customer(svc, admin, view.id).document_fields()["must_change_password"] is True
    set_must_change_password(svc, associate, view.id, False)
    assert stored_flag(svc, view.id) == 0


def test_a_guest_cannot_be_flagged_and_nothing_is_written(svc, admin):
    guest = create_customer(svc, admin, person("Eva", "Lang", "eva@example.org"))
    with pytest.raises(ValidationFailed) as err:
        set_must_change_password(svc, admin, guest.id, True)
    assert "Registered" in err.value.errors[0].message
    assert stored_flag(svc, guest.id) == 0
    with svc.db.read() as s:
        assert s.exec(select(OutboxEvent).where(OutboxEvent.event_type == "customer.updated")).all() == []


def test_a_typed_password_is_temporary_when_the_store_says_so(svc, admin):
    assert registered(svc, admin, password=GOOD).must_change_password is False  # off by default
    with svc.db.write() as s:
        s.add(Setting(key=MANUAL_MUST_CHANGE, value="on"))
    svc.forget_settings()
    view = create_customer(svc, admin, replace(person("Hans", "Meier", "hans@example.org"),
                                               account_type="registered", password=GOOD))
    assert stored_flag(svc, view.id) == 1
    # an edit without a new password leaves it as it is; the associate may clear it on the form
    cleared = update_customer(svc, admin, view.id, replace(draft_from_view(view), must_change_password=False),
                              opened=view)
    assert stored_flag(svc, view.id) == 0
    # a password typed again sets it again, in the same change as the new hash
    update_customer(svc, admin, view.id, replace(draft_from_view(cleared), password="Zz9!other-pass"),
                    opened=cleared)
    assert stored_flag(svc, view.id) == 1
    with svc.db.read() as s:
        last = s.exec(select(OutboxEvent).where(OutboxEvent.entity_id == view.id)
                      .order_by(OutboxEvent.seq.desc())).first()
    assert last.payload["fields"]["must_change_password"] is True and last.payload["fields"]["password_hash"]


def test_the_form_sets_it_and_a_guest_account_drops_it(svc, admin):
    view = registered(svc, admin)
    flagged = update_customer(svc, admin, view.id, replace(draft_from_view(view), must_change_password=True),
                              opened=view)
    assert stored_flag(svc, view.id) == 1 and draft_from_view(flagged).must_change_password is True
    update_customer(svc, admin, view.id, replace(draft_from_view(flagged), account_type="guest"), opened=flagged)
    assert stored_flag(svc, view.id) == 0
