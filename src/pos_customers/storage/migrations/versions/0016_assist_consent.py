"""shopper assistance: the customer's consent that staff open their online account for them

Revision ID: 0016
Revises: 0008

Three document fields, set together by their own use case (services/assistance.py): the consent,
who recorded it and when. They sync and merge like the customer's other fields; existing customers
have given no consent.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assist_consent', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('assist_consent_by', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('assist_consent_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    # SQLite's own DROP COLUMN: a batch copy of customer would break the rows pointing at it
    for column in ('assist_consent_at', 'assist_consent_by', 'assist_consent'):
        op.execute(f"ALTER TABLE customer DROP COLUMN {column}")
