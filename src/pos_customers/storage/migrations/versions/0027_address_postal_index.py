"""the postal code of customer_address is no index of its own

Revision ID: 0027
Revises: 0026

No query of the till reads addresses by postal code: the duplicate finder reads its keys (name key,
country, postal code) from ``customer_match_key``. The index cost every new address an insert at a
random page of it (a pull into a file of a million customers: tens of microseconds a customer).
"""
from __future__ import annotations

from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customer_address_postal_code")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_customer_address_postal_code ON customer_address (postal_code)")
