"""customers merged at headquarters leave a redirect to the one they joined

Revision ID: 0023
Revises: 0021

A customer merged into another at headquarters (issue 17) is removed from the till; its id and
reference keep pointing at the survivor, so a card, a link or a typed reference still opens it.
No ``customer_id`` column: removing a customer's rows leaves its redirect alone.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customer_redirect',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('into_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('into_reference', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('merged_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_customer_redirect_reference', 'customer_redirect', ['reference'])


def downgrade() -> None:
    op.drop_index('ix_customer_redirect_reference', table_name='customer_redirect')
    op.drop_table('customer_redirect')
