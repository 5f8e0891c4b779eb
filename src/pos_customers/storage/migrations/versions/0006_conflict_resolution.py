"""sync conflicts can be resolved

Revision ID: 0006
Revises: 0005

A sync conflict stays on the customer (its state shows "!") until someone keeps the winning
value or takes the other one: when, by whom and which are recorded on the conflict.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from pos_customers.domain.enums import SyncState


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default=''))
    # customers with a conflict recorded before this revision show it until it is resolved
    op.get_bind().execute(sa.text("UPDATE customer SET sync_state = :conflict"
                                  " WHERE id IN (SELECT customer_id FROM sync_conflict)"),
                          {"conflict": SyncState.CONFLICT.value})


def downgrade() -> None:
    bind = op.get_bind()
    states = {"conflict": SyncState.CONFLICT.value, "synced": SyncState.SYNCED.value,
              "pending": SyncState.PENDING.value}
    bind.execute(sa.text("UPDATE customer SET sync_state = :synced WHERE sync_state = :conflict"
                         " AND id NOT IN (SELECT entity_id FROM outbox_event WHERE entity = 'customer')"), states)
    bind.execute(sa.text("UPDATE customer SET sync_state = :pending WHERE sync_state = :conflict"), states)
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_column('resolution')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('resolved_at')
