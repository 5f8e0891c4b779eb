"""Headquarters on SQLite and, for real, on PostgreSQL.

PostgreSQL tests run against 127.0.0.1:5432 (user postgres), in a database made for the test
process: one per pytest-xdist worker (its name carries the worker id), dropped at the end; each test
starts from empty tables. Without a server they are skipped with the reason;
POS_CUSTOMERS_REQUIRE_PG=1 (set by CI) turns that skip into a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from pos_customers.hq import tables as t
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters
from tests import templates

PG_ADMIN = os.environ.get("POS_CUSTOMERS_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("POS_CUSTOMERS_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def pg_url():
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            name = f"pos_hq_test_{worker}_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "no PostgreSQL here"
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (POS_CUSTOMERS_REQUIRE_PG=1) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__}); "
                    "set POS_CUSTOMERS_REQUIRE_PG=1 to make this a failure")
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def hq_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(templates.hq_sqlite_url(tmp_path / "hq.db"))
    else:
        engine = make_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(table.delete())
            conn.execute(t.counter.insert().values(name="seq", value=0))
    yield engine
    engine.dispose()


@pytest.fixture
def hq(hq_engine) -> Headquarters:
    return Headquarters(hq_engine)
