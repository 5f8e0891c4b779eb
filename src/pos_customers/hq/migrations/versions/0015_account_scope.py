"""account sharing scope: hq_account_email, one registered account per email and scope

Revision ID: 0015
Revises: 0011

The table starts empty: the chain setting starts as ``shared`` (any number of accounts per email,
as before), and ``hq settings set account-scope ...`` fills it from the customers held.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hq_account_email',
        sa.Column('scope_key', sa.String(length=80), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('scope_key', 'email'))
    op.create_index('ix_hq_account_email_customer', 'hq_account_email', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_account_email_customer', table_name='hq_account_email')
    op.drop_table('hq_account_email')
