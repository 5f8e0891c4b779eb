"""support accounts of the chain on every till

Revision ID: 0007
Revises: 0006

Support staff are people of the chain, not of one store: headquarters manages their accounts
(S-numbers, no store) and every till receives them by pull. The flag keeps them apart from the
store's own associates: nothing at the store changes them.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('associate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_account', sa.Boolean(), nullable=False, server_default='0'))


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM associate WHERE support_account"))
    with op.batch_alter_table('associate', schema=None) as batch_op:
        batch_op.drop_column('support_account')
