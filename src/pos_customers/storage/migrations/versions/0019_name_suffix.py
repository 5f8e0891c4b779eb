"""name suffix: Jr., Sr., III after a person's name

Revision ID: 0019
Revises: 0015

A document field like the other names: it syncs and merges on its own, and a store's account
options may hide or require it (persons only). Existing customers have none, so nothing that was
synced changes.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suffix', sa.String(length=20), nullable=False, server_default=''))


def downgrade() -> None:
    # SQLite's own DROP COLUMN: a batch copy of customer would break the rows pointing at it
    op.execute("ALTER TABLE customer DROP COLUMN suffix")
