"""Manual account passwords: the store's policy, argon2id, only the hash stored and sent."""

from __future__ import annotations

from dataclasses import replace

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from pos_customers.domain.errors import ValidationFailed
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.storage.tables import AuditEvent, Customer, OutboxEvent, Setting
from tests.helpers import person

GOOD = "Kx7#mP2!qRs"


@pytest.mark.usefixtures("real_argon2")
def test_a_registered_customer_gets_an_argon2id_hash_and_nothing_else(svc, admin, db_path):
    view = create_customer(svc, admin, replace(person("Anna", "Müller", "anna@example.org"),
                                               account_type="registered", password=GOOD))
    with svc.db.read() as s:
        row = s.get(Customer, view.id)
        assert row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PasswordHasher().verify(row.password_hash, GOOD)
        assert row.password_changed_at is not None
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity_id == view.id)).one()
        assert audit.changes["password"]["new"] == "set by hand"
        sent = s.exec(select(OutboxEvent).where(OutboxEvent.entity_id == view.id)).one()
        assert sent.payload["fields"]["password_hash"] == row.password_hash
    assert GOOD.encode() not in db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    assert not wal.exists() or GOOD.encode() not in wal.read_bytes()


@pytest.mark.parametrize("password, says", [("short1!A", "at least 10"), ("Mueller#2026x", "name or email"),
                                            ("nouppercase#12", "upper-case")])
def test_a_weak_password_is_refused_with_the_rule(svc, admin, password, says):
    with pytest.raises(ValidationFailed) as err:
        create_customer(svc, admin, replace(person("Anna", "Mueller", "anna@example.org"),
                                            account_type="registered", password=password))
    assert [e.field for e in err.value.errors] == ["password"] and says in err.value.errors[0].message
    with svc.db.read() as s:
        assert s.exec(select(Customer)).all() == []


def test_a_guest_has_no_password_and_a_store_may_forbid_typing_one(svc, admin):
    with pytest.raises(ValidationFailed) as err:
        create_customer(svc, admin, replace(person("Anna", "Müller"), password=GOOD))
    assert "registered" in err.value.errors[0].message
    with svc.db.write() as s:
        s.add(Setting(key="manual_password", value="off"))
    svc.forget_settings()
    with pytest.raises(ValidationFailed) as err:
        create_customer(svc, admin, replace(person("Anna", "Müller"), account_type="registered", password=GOOD))
    assert "password link" in err.value.errors[0].message


def test_changing_the_password_on_edit_and_back_to_guest(svc, admin):
    view = create_customer(svc, admin, replace(person("Anna", "Müller", "anna@example.org"),
                                               account_type="registered", password=GOOD))
    with svc.db.read() as s:
        first = s.get(Customer, view.id).password_hash
    after = update_customer(svc, admin, view.id, replace(draft_from_view(view), password="Zz9!other-pass"),
                            opened=view)
    with svc.db.read() as s:
        second = s.get(Customer, view.id).password_hash
    assert second != first and PasswordHasher().verify(second, "Zz9!other-pass")
    update_customer(svc, admin, view.id, replace(draft_from_view(after), account_type="guest"), opened=after)
    with svc.db.read() as s:
        assert s.get(Customer, view.id).password_hash is None
    assert get_customer(svc, admin, view.id).account_type == "guest"
