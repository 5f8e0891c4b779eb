"""parked outbox events

Revision ID: 0005
Revises: 0004

An event headquarters refused stays in the outbox, parked with the reason (one line), the HTTP
status and the field it named, until someone retries or discards it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('parked_reason', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('parked_status', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parked_field', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.drop_column('parked_field')
        batch_op.drop_column('parked_status')
        batch_op.drop_column('parked_reason')
        batch_op.drop_column('parked_at')
