"""sync with headquarters: field clocks, cached orders, conflicts

Revision ID: 0003
Revises: 0002

Every customer field carries the hybrid-logical-clock stamp of the edit that set it, so
headquarters can merge concurrent edits field by field. Order summaries pulled from
headquarters are cached for offline viewing; conflicts headquarters resolved are kept.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_clocks', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table('order_summary',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ordered_at', sa.DateTime(), nullable=False),
    sa.Column('store_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('total', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_order_summary_customer', 'order_summary', ['customer_id', 'ordered_at'], unique=False)
    op.create_table('sync_conflict',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('kept', sa.JSON(), nullable=True),
    sa.Column('lost', sa.JSON(), nullable=True),
    sa.Column('kept_stamp', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('lost_stamp', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('origin_store', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sync_conflict_customer', 'sync_conflict', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sync_conflict_customer', table_name='sync_conflict')
    op.drop_table('sync_conflict')
    op.drop_index('ix_order_summary_customer', table_name='order_summary')
    op.drop_table('order_summary')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('field_clocks')
