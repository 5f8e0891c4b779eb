from datetime import datetime, timedelta, timezone

import pytest

from pos_customers.domain.enums import Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.services.access import SignInFailed, sign_in
from pos_customers.services.associates import add_associate
from pos_customers.services.context import PermissionDenied, Services
from tests.services.test_customers import rows


def test_pin_stored_as_argon2id_only(svc, admin):
    add_associate(svc, admin, number="1001", name="Maria", role="manager", pin="2468")
    (hashed,) = rows(svc, "SELECT pin_hash FROM associate")[0]
    assert hashed.startswith("$argon2id$") and "2468" not in hashed
    assert sign_in(svc, "1001", "2468").role == Role.MANAGER


def test_bad_input(svc, admin):
    with pytest.raises(ValidationFailed) as exc:
        add_associate(svc, admin, number="", name="", role="king", pin="12")
    assert {e.field for e in exc.value.errors} == {"number", "name", "role", "pin"}


def test_manager_cannot_create_admin(svc, manager):
    with pytest.raises(PermissionDenied, match="role admin"):
        add_associate(svc, manager, number="7", name="X", role="admin", pin="1234")
    assert rows(svc, "SELECT count(*) FROM associate") == [(0,)]


def test_associate_cannot_manage_associates(svc, associate):
    with pytest.raises(PermissionDenied):
        add_associate(svc, associate, number="7", name="X", role="associate", pin="1234")


def test_five_wrong_pins_lock_for_five_minutes(db, admin):
    clock = [datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)]
    svc = Services(db, now=lambda: clock[0])
    from pos_customers.services.store import init_store
    init_store(svc, admin, code="BER01", number=101, name="B", country="DE", currency="EUR", language="de")
    add_associate(svc, admin, number="1002", name="Jonas", role="associate", pin="1357")
    for _ in range(5):
        with pytest.raises(SignInFailed, match="Number or PIN not accepted"):
            sign_in(svc, "1002", "0000")
    with pytest.raises(SignInFailed, match="Number or PIN not accepted"):
        sign_in(svc, "1002", "1357")  # even the right PIN
    clock[0] += timedelta(minutes=5, seconds=1)
    assert sign_in(svc, "1002", "1357").associate_number == "1002"
    actions = [a for (a,) in rows(svc, "SELECT action FROM audit_event WHERE entity = 'associate' AND entity_id = '1002'"
                                       " AND action LIKE 'sign%' OR action = 'locked' ORDER BY id")]
    assert actions == ["sign_in_failed"] * 4 + ["locked", "sign_in_refused", "sign_in"]


def test_unknown_number_gives_the_same_answer(svc):
    with pytest.raises(SignInFailed, match="Number or PIN not accepted"):
        sign_in(svc, "4242", "1234")
