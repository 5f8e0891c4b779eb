"""customer details: salutation, gender, status reason, VAT number, tax exemption, credit limit

Revision ID: 0008
Revises: 0012

The title stays what it was (free text: an academic or honorary title such as "Dr."); the
salutation is a new field chosen from a list. Existing customers get empty values: nothing
that was synced changes, so the till and headquarters still hold the same customer.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salutation', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('gender', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('vat_number', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('tax_exempt', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('credit_limit', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place: recreating the table would drop one other tables refer to
    with op.batch_alter_table('customer', schema=None, recreate='never') as batch_op:
        for name in ('credit_limit', 'tax_exempt', 'vat_number', 'status_reason', 'gender', 'salutation'):
            batch_op.drop_column(name)
