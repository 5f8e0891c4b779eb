"""customer data from headquarters: preferred store, shipment counts, the offline cache

Revision ID: 0010
Revises: 0012

A customer's preferred store (a document field, synced); the number of shipments of a cached
order; and one cache table for what headquarters answers about a customer (active carts, saved
payments as token and last four digits, an order's lines and shipments) and the store directory.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_store', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('order_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipments', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'customer_data_cache',
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('doc', sa.JSON(), nullable=False),
        sa.Column('fetched_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'key'))
    with op.batch_alter_table('customer_data_cache', schema=None) as batch_op:
        batch_op.create_index('ix_customer_data_cache_customer', ['customer_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_data_cache', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_data_cache_customer')
    op.drop_table('customer_data_cache')
    # SQLite's own DROP COLUMN (3.35+): a batch copy of customer would drop the table its
    # addresses, emails and notes point at
    op.execute("ALTER TABLE order_summary DROP COLUMN shipments")
    op.execute("ALTER TABLE customer DROP COLUMN preferred_store")
