"""customer segments: hq_segment (code, name, rule) and hq_segment_member (who belongs, as last evaluated)

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_segment',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('members', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('hq_segment_member',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('code', 'customer_id')
    )
    op.create_index('ix_hq_segment_member_customer', 'hq_segment_member', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_segment_member_customer', table_name='hq_segment_member')
    op.drop_table('hq_segment_member')
    op.drop_table('hq_segment')
