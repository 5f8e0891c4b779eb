"""customer segments as headquarters sends them: segment (code, name), customer_segment (who belongs)

Revision ID: 0015
Revises: 0016

Kept locally so the search box's ``seg:CODE`` filter and the card's segments work offline.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('segment',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('customer_segment',
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', 'code')
    )
    op.create_index('ix_customer_segment_code', 'customer_segment', ['code', 'customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_segment_code', table_name='customer_segment')
    op.drop_table('customer_segment')
    op.drop_table('segment')
