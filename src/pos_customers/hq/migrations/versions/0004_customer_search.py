"""customer search: the till's index texts and exact keys, with FTS5 (SQLite) or GIN (PostgreSQL)

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pos_customers.hq.search import create_dialect_indexes, reindex_all

    op.create_table('hq_customer_search',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('name_text', sa.Text(), nullable=False),
    sa.Column('contact_text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id')
    )
    op.create_table('hq_customer_key',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=254), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'value', 'customer_id')
    )
    with op.batch_alter_table('hq_customer_key', schema=None) as batch_op:
        batch_op.create_index('ix_hq_customer_key_customer', ['customer_id'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        create_dialect_indexes(bind)  # FTS5 follows the rows through triggers: made first
        reindex_all(bind, name_keys=False)  # the customers headquarters already holds (keys: 0010)
    else:
        reindex_all(bind, name_keys=False)
        create_dialect_indexes(bind)  # a GIN index is built faster over the rows than row by row


def downgrade() -> None:
    from pos_customers.hq.search import drop_dialect_indexes

    drop_dialect_indexes(op.get_bind())
    with op.batch_alter_table('hq_customer_key', schema=None) as batch_op:
        batch_op.drop_index('ix_hq_customer_key_customer')
    op.drop_table('hq_customer_key')
    op.drop_table('hq_customer_search')
