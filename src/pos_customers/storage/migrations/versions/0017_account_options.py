"""the store's account options: which fields of the new-customer form it hides or requires

Revision ID: 0017
Revises: 0008

Kept with the store's default-customer template (a JSON map of field name -> hidden or required;
a field not in it is optional, as every field always was), synced with it through headquarters.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_options', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    op.execute("ALTER TABLE store_template DROP COLUMN account_options")
