from __future__ import annotations

import gc
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from pos_customers.domain import formats, i18n, security
from pos_customers.domain.enums import Role
from pos_customers.services import access
from pos_customers.services.context import Actor, Services
from pos_customers.services.store import init_store
from tests import templates

# Where the environment sets PYTHONDONTWRITEBYTECODE, every test process and every child it starts
# (headquarters, tills killed mid-sync, xdist workers) would compile all its imports again, seconds
# each. The test run writes the bytecode caches (ignored by git) so later processes reuse them.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# The cyclic garbage collector: at its default thresholds it ran thousands of times a test process
# and took about a quarter of the UI tests' CPU time (Textual makes many short-lived objects; every
# full collection walks every module the tests imported). Collections are made rarer here, and what
# exists once the tests are collected (imports, fixtures' templates) is frozen out of every later
# collection. The app's own settings are left alone: this is the test processes' housekeeping.
gc.set_threshold(100_000, 50, 1_000)

# The tests read English unless a test asks for another language (tests/unit/test_i18n.py and the
# translated screens set it themselves); processes they start inherit this.
os.environ["POS_CUSTOMERS_LANG"] = "en"


def pytest_xdist_auto_num_workers(config):
    """-n auto: one worker more than the cores. The run is bound by CPU, but its tests also wait
    (for a child process, a socket, the app going idle); a third worker on two cores used them
    92 % of the time (7.1 minutes on a quiet 2-core machine, against 8 with two under light load)."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


FIXED_NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc)

# argon2id at the production cost (19 MiB, t=2: tests/unit/test_argon2_cost.py checks it) takes
# 70 ms of CPU a hash, and the tests make hundreds (every associate added, every sign-in). In this
# process the tests hash and verify at the lowest cost argon2 allows; the stand-in hash of unknown
# numbers is made with the same parameters, as in production. Production code has no switch for
# this: nothing it reads can lower its cost. Processes the tests start (the command line, the app
# over SSH) use the real cost. A test about the real parameters asks for the ``real_argon2``
# fixture.
REAL_HASHER, REAL_STAND_IN_HASH = security.HASHER, access._STAND_IN_HASH
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    i18n.set_language(i18n.DEFAULT)
    formats.set_format_locale(formats.DEFAULT)  # an app or a CLI call set the store's


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2():
    security.HASHER = CHEAP_HASHER
    access._STAND_IN_HASH = CHEAP_HASHER.hash(os.urandom(16).hex())
    yield
    security.HASHER, access._STAND_IN_HASH = REAL_HASHER, REAL_STAND_IN_HASH


@pytest.fixture
def real_argon2(monkeypatch):
    """argon2id at the production cost for this test (ask for it before the fixtures that hash)."""
    monkeypatch.setattr(security, "HASHER", REAL_HASHER)
    monkeypatch.setattr(access, "_STAND_IN_HASH", REAL_STAND_IN_HASH)


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
