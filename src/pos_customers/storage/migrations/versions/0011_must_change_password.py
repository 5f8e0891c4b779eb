"""a registered customer's "must change password at next sign-in" flag

Revision ID: 0011
Revises: 0012

Set by the associate on the card, by a password typed at the till when the store's setting
``manual_password_must_change`` is on, and by a password link (a reset); a document field like
the others, so it syncs with headquarters, whose online sign-in honours it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default='0'))


def downgrade() -> None:
    # in place (SQLite 3.35+): a batch copy of the customer table would trip the foreign keys of
    # the rows that point at it once customers are held
    op.execute("ALTER TABLE customer DROP COLUMN must_change_password")
