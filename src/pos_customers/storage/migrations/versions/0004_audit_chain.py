"""audit hash chain

Revision ID: 0004
Revises: 0003

Every audit row carries the hash of the row before it; rows written before this revision are
sealed now, in order.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('changes_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('redacted_at', sa.DateTime(), nullable=True))
    from pos_customers.storage.audit_chain import backfill

    backfill(op.get_bind().connection.driver_connection)


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('changes_hash')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
