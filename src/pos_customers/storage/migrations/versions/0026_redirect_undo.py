"""a merge this till asked for keeps what puts the merged-away customer back

Revision ID: 0026
Revises: 0023

A manager's merge of two customers headquarters holds (issue 17) removes the merged-away customer
from the till at once, offline, and queues ``customer.merged``. Until headquarters has applied it,
the redirect keeps (``undo``, JSON) the customer's rows, the links the merge moved and the changes
it took out of the outbox: if headquarters refuses the merge, or it is discarded, the till puts the
customer back as it was. Cleared once headquarters has applied the merge; a pulled redirect has none.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer_redirect') as batch:
        batch.add_column(sa.Column('undo', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customer_redirect') as batch:
        batch.drop_column('undo')
