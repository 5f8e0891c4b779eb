"""sound-alike and one-typo keys of the name words, as the till has them (terminal revision 0012)

Revision ID: 0010
Revises: 0005
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pos_customers.hq.search import rebuild_name_keys

    op.create_table('hq_name_key',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('word', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', 'word')
    )
    rebuild_name_keys(op.get_bind())  # the words of the customers headquarters already holds


def downgrade() -> None:
    op.drop_table('hq_name_key')
