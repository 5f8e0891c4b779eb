from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pos_customers.domain.enums import Role
from pos_customers.services.context import Actor, Services
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade

FIXED_NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def db(db_path: Path):
    database = Database(db_path)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def admin() -> Actor:
    return Actor("9000", "Admin", Role.ADMIN, "T-test")


@pytest.fixture
def associate() -> Actor:
    return Actor("1002", "Jonas", Role.ASSOCIATE, "T-test")


@pytest.fixture
def manager() -> Actor:
    return Actor("1001", "Maria", Role.MANAGER, "T-test")


@pytest.fixture
def svc(db, admin) -> Services:
    services = Services(db, now=lambda: FIXED_NOW)
    init_store(services, admin, code="BER01", number=101, name="Berlin Alexanderplatz",
               country="DE", currency="EUR", language="de")
    return services
