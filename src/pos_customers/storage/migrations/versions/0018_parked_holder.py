"""parked events name the customer holding the value at fault (account sharing scope)

Revision ID: 0018
Revises: 0016

A customer.created or customer.updated headquarters refused because another registered account
holds its email in the chain's account scope keeps that account's customer id, so the Sync screen
can offer to merge with it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked_holder', sqlmodel.sql.sqltypes.AutoString(length=36),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('parked_holder')
