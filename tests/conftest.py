from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pos_customers.domain.enums import Role
from pos_customers.services.context import Actor, Services
from pos_customers.services.store import init_store
from tests import templates

# Where the environment sets PYTHONDONTWRITEBYTECODE, every test process and every child it starts
# (headquarters, tills killed mid-sync, xdist workers) would compile all its imports again, seconds
# each. The test run writes the bytecode caches (ignored by git) so later processes reuse them.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

FIXED_NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture(scope="session", autouse=True)
def _template_folder(tmp_path_factory):
    """Migrated databases are made once per test process (per xdist worker) and copied per test."""
    templates.use_folder(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def db(db_path: Path):
    """An empty terminal database at db_path, migrated to the newest revision."""
    database = templates.store_db(db_path)
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
