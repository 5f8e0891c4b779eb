"""spend totals: hq_spend_window, hq_spend_total; hq_order_left

Revision ID: 0020
Revises: 0018

The spend rules' rolling per-customer totals (hq/spend.py). Both tables start empty: a window is
built from ``hq_order_fact`` the next time a segment using it is evaluated. ``hq_order_left``: the
customers an order left (deleted or moved), for the next incremental evaluation.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_order_left',
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id')
    )
    op.create_index('ix_hq_order_left_seq', 'hq_order_left', ['seq'], unique=False)
    op.create_table('hq_spend_window',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('currency', 'months')
    )
    op.create_table('hq_spend_total',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('currency', 'months', 'customer_id')
    )
    op.create_index('ix_hq_spend_total_over', 'hq_spend_total', ['currency', 'months', 'total_minor', 'customer_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_spend_total_over', table_name='hq_spend_total')
    op.drop_table('hq_spend_total')
    op.drop_table('hq_spend_window')
    op.drop_index('ix_hq_order_left_seq', table_name='hq_order_left')
    op.drop_table('hq_order_left')
