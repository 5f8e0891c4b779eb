"""store credit: the ledger of movements (domain/credit.py)

Revision ID: 0011
Revises: 0006
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hq_credit_movement',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('balance_minor', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
        sa.Column('by', sa.String(length=100), server_default='', nullable=False),
        sa.Column('store_code', sa.String(length=32), server_default='', nullable=False),
        sa.Column('terminal_id', sa.String(length=64), server_default='', nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id', 'n', name='uq_hq_credit_movement_n'))
    op.create_index('ix_hq_credit_movement_customer', 'hq_credit_movement', ['customer_id', 'currency'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_credit_movement_customer', table_name='hq_credit_movement')
    op.drop_table('hq_credit_movement')
