"""Support at a store: the chain's accounts arrive by pull and nothing at the store changes them;
S-numbers are theirs; the support role is given by an administrator only (local support-role
associates, e.g. for SSH support, keep working)."""

from __future__ import annotations

import sqlite3

import pytest

from pos_customers.domain.enums import Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.security import hash_secret
from pos_customers.services import associates as assoc
from pos_customers.services.access import sign_in
from pos_customers.services.context import Actor, PermissionDenied
from pos_customers.sync.engine import apply_item
from tests.services.test_customers import rows


@pytest.fixture
def boss() -> Actor:
    return Actor("1001", "Maria", Role.MANAGER, "T-test", "BER01")


def pull(svc, kind, doc, deleted=False):
    with svc.db.write() as s:
        apply_item(s, {"t": kind, "seq": 1, "key": doc["number"], "deleted": deleted, "doc": doc}, "BER01", {})


def support_doc(number="S100", pin="8642", **more):
    return {"number": number, "name": "Sam Support", "pin_hash": hash_secret(pin), "active": True,
            "created_at": "2026-11-24T10:00:00+00:00", "updated_at": "2026-11-24T10:00:00+00:00", **more}


@pytest.mark.parametrize("number", ["S100", "s7", "S123456789012345"])
def test_a_store_never_gives_a_support_number(svc, admin, number):
    with pytest.raises(ValidationFailed) as exc:
        assoc.add_associate(svc, admin, number=number, name="Lea", role="associate", pin="1234")
    assert exc.value.for_field("number") and "support" in exc.value.for_field("number")[0]
    assert rows(svc, "SELECT count(*) FROM associate") == [(0,)]
    # a number that only starts with S is a store's to give
    assert assoc.add_associate(svc, admin, number="SA1", name="Lea", role="associate", pin="1234").number == "SA1"


def test_a_manager_does_not_give_the_support_role_an_administrator_does(svc, admin, boss):
    with pytest.raises(PermissionDenied, match="role support"):
        assoc.add_associate(svc, boss, number="3001", name="Sam", role="support", pin="8642")
    assoc.add_associate(svc, boss, number="1003", name="Lea", role="associate", pin="1234")
    with pytest.raises(PermissionDenied, match="role support"):
        assoc.change_role(svc, boss, "1003", "support")
    assert rows(svc, "SELECT number, role FROM associate") == [("1003", "associate")]
    # a local support-role associate (support over SSH) is the administrator's to make, and works
    local = assoc.add_associate(svc, admin, number="3001", name="Sam", role="support", pin="8642")
    assert (local.role, local.store_code, local.support_account) == ("support", "BER01", False)
    actor = sign_in(svc, "3001", "8642")
    assert (actor.role, actor.store_code) == (Role.SUPPORT, "BER01")
    assoc.reset_pin(svc, admin, "3001", "9753")  # and stays the store's to change
    assert sign_in(svc, "3001", "9753").role == Role.SUPPORT


def test_a_pulled_support_account_is_read_only_at_the_store(svc, admin, boss):
    pull(svc, "support", support_doc())
    view = next(a for a in assoc.list_associates(svc, boss) if a.number == "S100")
    assert (view.role, view.store_code, view.support_account) == ("support", None, True)
    for actor in (boss, admin):
        with pytest.raises(PermissionDenied, match="only headquarters"):
            assoc.reset_pin(svc, actor, "s100", "1111")  # typed in any case
        with pytest.raises(PermissionDenied, match="only headquarters"):
            assoc.set_active(svc, actor, "S100", False)
        with pytest.raises(PermissionDenied, match="only headquarters"):
            assoc.change_role(svc, actor, "S100", "manager")
        with pytest.raises(PermissionDenied, match="only headquarters"):
            assoc.unlock(svc, actor, "S100")
    assert sign_in(svc, "S100", "8642").associate_number == "S100"


def test_the_two_kinds_of_staff_never_overwrite_each_other_on_a_till(svc, admin):
    assoc.add_associate(svc, admin, number="1003", name="Lea", role="associate", pin="1234")
    # headquarters would never send these; a till keeps what it holds all the same
    conn = sqlite3.connect(svc.db.path)
    conn.execute("UPDATE associate SET number = 'S5' WHERE number = '1003'")  # an associate from before the rule
    conn.commit()
    conn.close()
    pull(svc, "support", support_doc("S5"))
    assert rows(svc, "SELECT name, role, support_account FROM associate WHERE number = 'S5'") == [
        ("Lea", "associate", 0)]
    pull(svc, "support", support_doc("S100"))
    pull(svc, "associate", {"number": "S100", "name": "Mallory", "role": "admin", "pin_hash": "x",
                            "store_code": "BER01", "active": True})
    assert rows(svc, "SELECT name, role, store_code, support_account FROM associate WHERE number = 'S100'") == [
        ("Sam Support", "support", None, 1)]


def test_a_removed_account_is_deactivated_and_an_unknown_removed_one_is_not_made(svc):
    pull(svc, "support", support_doc("S100"))
    pull(svc, "support", {**support_doc("S100"), "active": False, "pin_hash": ""}, deleted=True)
    pull(svc, "support", {**support_doc("S101"), "active": False, "pin_hash": ""}, deleted=True)
    assert rows(svc, "SELECT number, active, pin_hash FROM associate WHERE support_account") == [("S100", 0, "")]
