"""terminals' audit trails, password links

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_audit',
    sa.Column('terminal_id', sa.String(length=36), nullable=False),
    sa.Column('local_id', sa.BigInteger(), nullable=False),
    sa.Column('store_code', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('row', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('chain_ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('terminal_id', 'local_id')
    )
    op.create_index('ix_hq_audit_store_at', 'hq_audit', ['store_code', 'at'], unique=False)
    op.create_table('hq_reset_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_hq_reset_token_customer_id', 'hq_reset_token', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_reset_token_customer_id', table_name='hq_reset_token')
    op.drop_table('hq_reset_token')
    op.drop_index('ix_hq_audit_store_at', table_name='hq_audit')
    op.drop_table('hq_audit')
