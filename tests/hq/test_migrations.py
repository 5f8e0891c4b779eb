"""Headquarters' migrations: up from empty, down, up again; and they match the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pos_customers.hq import tables as t
from pos_customers.hq.db import downgrade, make_engine, resolve_url, upgrade
from pos_customers.hq.search import include_name

# the search index's FTS5 tables / GIN indexes belong to their database, not to the table metadata
OPTS = {"include_name": include_name}


def test_up_down_up_and_matching_the_tables(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'hq.db'}")
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=OPTS), t.metadata)
    assert diff == []
    engine.dispose()


def test_on_postgresql_the_schema_matches_too(pg_url):
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=OPTS), t.metadata)
    assert diff == []
    engine.dispose()


def test_database_urls():
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("/tmp/x.db") == "sqlite:////tmp/x.db"
