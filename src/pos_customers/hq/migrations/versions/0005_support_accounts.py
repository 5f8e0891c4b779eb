"""support accounts: the chain's support staff, managed at headquarters, pulled by every store

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_support',
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('number')
    )


def downgrade() -> None:
    # the accounts' records go too: no store pulls a support account headquarters no longer knows
    op.get_bind().execute(sa.text("DELETE FROM hq_record WHERE kind = 'support'"))
    op.drop_table('hq_support')
