"""Alembic environment for headquarters' database (PostgreSQL or SQLite)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pos_customers.hq.search import include_name
from pos_customers.hq.tables import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
