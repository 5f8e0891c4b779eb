"""shopper assistance links and customers' online sessions

Revision ID: 0013
Revises: 0006

Both keep only the SHA-256 of their token. An assistance link works once, until it expires; a
session is open until signed out or until it expires (the customer session lifetime after its
last use).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hq_assist_link',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('store_code', sa.String(length=32), nullable=False),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'))
    op.create_index('ix_hq_assist_link_customer', 'hq_assist_link', ['customer_id', 'created_at'], unique=False)
    op.create_table(
        'hq_online_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('assisted_by', sa.String(length=64), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('token_hash'))
    op.create_index('ix_hq_online_session_customer', 'hq_online_session', ['customer_id', 'last_seen_at'],
                    unique=False)
    op.create_index('ix_hq_online_session_open', 'hq_online_session', ['ended_at', 'expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_online_session_open', table_name='hq_online_session')
    op.drop_index('ix_hq_online_session_customer', table_name='hq_online_session')
    op.drop_table('hq_online_session')
    op.drop_index('ix_hq_assist_link_customer', table_name='hq_assist_link')
    op.drop_table('hq_assist_link')
