"""Sign-in tells an outsider nothing: one message and one argon2 verification for an unknown
number, an inactive associate, a wrong PIN and a locked associate (right PIN or not). The lockout
still holds per associate, and the store audit shows it to managers."""

from datetime import datetime, timedelta, timezone

import argon2
import pytest

from pos_customers.domain import security
from pos_customers.services import access
from pos_customers.services.access import SignInFailed, sign_in
from pos_customers.services.associates import add_associate, set_active
from pos_customers.services.context import PermissionDenied, Services
from pos_customers.services.records import store_audit
from pos_customers.services.store import init_store


@pytest.fixture
def clock():
    return [datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)]


@pytest.fixture
def store(db, admin, clock):
    svc = Services(db, now=lambda: clock[0])
    init_store(svc, admin, code="BER01", number=101, name="B", country="DE", currency="EUR", language="de")
    add_associate(svc, admin, number="1001", name="Maria", role="manager", pin="2468")
    add_associate(svc, admin, number="1002", name="Jonas", role="associate", pin="1357")
    add_associate(svc, admin, number="1003", name="Eva", role="associate", pin="1111")
    set_active(svc, admin, "1003", False)
    return svc


class CountingHasher:
    """The real hasher, counting verifications and the argon2 parameters of each hash checked."""

    def __init__(self, real):
        self.real, self.checked = real, []

    def verify(self, stored_hash, secret):
        self.checked.append(argon2.extract_parameters(stored_hash))
        return self.real.verify(stored_hash, secret)

    def __getattr__(self, name):
        return getattr(self.real, name)


def refusal_of(svc, number, pin, hasher) -> tuple[str, int]:
    before = len(hasher.checked)
    with pytest.raises(SignInFailed) as exc:
        sign_in(svc, number, pin)
    return str(exc.value), len(hasher.checked) - before


@pytest.mark.usefixtures("real_argon2")
def test_unknown_inactive_wrong_and_locked_get_the_same_words_and_the_same_work(store, monkeypatch):
    hasher = CountingHasher(security.HASHER)
    monkeypatch.setattr(security, "HASHER", hasher)
    answers = {"unknown number": refusal_of(store, "4242", "1234", hasher),
               "inactive associate": refusal_of(store, "1003", "1111", hasher),
               "wrong PIN": refusal_of(store, "1002", "0000", hasher)}
    for _ in range(4):
        refusal_of(store, "1002", "0000", hasher)  # the fifth wrong PIN in a row locks 1002
    answers["locked, wrong PIN"] = refusal_of(store, "1002", "0000", hasher)
    answers["locked, right PIN"] = refusal_of(store, "1002", "1357", hasher)
    words = {message for message, _ in answers.values()}
    assert words == {str(access.refusal(access.MAX_ATTEMPTS, access.LOCKOUT))}, answers
    assert "1002" not in words.pop() and "locked until" not in str(answers)
    assert {work for _, work in answers.values()} == {1}  # one argon2 verification each
    # ... and every verification costs the same: the stand-in hash has the real hashes' parameters
    real = argon2.extract_parameters(security.hash_secret("1357"))
    assert hasher.checked and all(p == real for p in hasher.checked)


@pytest.mark.usefixtures("real_argon2")
def test_the_stand_in_hash_is_made_with_the_hasher_of_real_pins():
    assert not security.HASHER.check_needs_rehash(access._STAND_IN_HASH)
    assert argon2.extract_parameters(access._STAND_IN_HASH) == argon2.extract_parameters(security.hash_secret("1"))


def test_the_lockout_holds_per_associate(store, clock):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(store, "1002", "0000")
    with pytest.raises(SignInFailed):
        sign_in(store, "1002", "1357")  # locked: the right PIN is refused too
    assert sign_in(store, "1001", "2468").associate_number == "1001"  # the others are not
    for _ in range(10):  # guessing unknown numbers locks nobody
        with pytest.raises(SignInFailed):
            sign_in(store, "4242", "0000")
    assert sign_in(store, "1001", "2468").associate_number == "1001"
    clock[0] += access.LOCKOUT + timedelta(seconds=1)
    assert sign_in(store, "1002", "1357").associate_number == "1002"


def test_the_store_audit_shows_managers_who_was_locked(store, manager, associate):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(store, "1002", "0000")
    locked = store_audit(store, manager, entity="associate")
    (row,) = [e for e in locked if e.action == "locked"]
    assert row.entity_id == "1002" and row.changes["failed_attempts"] == {"old": 4, "new": 5}
    assert row.changes["locked_until"]["new"]
    with pytest.raises(PermissionDenied):
        store_audit(store, associate)  # associates do not read the store audit
