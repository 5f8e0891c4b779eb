"""each associate's own language on this till

Revision ID: 0020
Revises: 0019

Chosen by the associate (F12 or "Language…" in the command palette) and used at their next
sign-in on this till, before the store's language. A preference of this till only: it is not
synced, and an associate without a row reads the store's language.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'associate_preference',
        sa.Column('associate_number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('associate_number'),
    )


def downgrade() -> None:
    op.drop_table('associate_preference')
