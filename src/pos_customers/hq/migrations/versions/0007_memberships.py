"""memberships: people of organizations, merged field by field, pulled by stores that see both

Revision ID: 0007
Revises: 0005
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_membership',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('clocks', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_hq_membership_seq', 'hq_membership', ['seq'], unique=False)
    op.create_index('ix_hq_membership_organization', 'hq_membership', ['organization_id'], unique=False)
    op.create_index('ix_hq_membership_person', 'hq_membership', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_membership_person', table_name='hq_membership')
    op.drop_index('ix_hq_membership_organization', table_name='hq_membership')
    op.drop_index('ix_hq_membership_seq', table_name='hq_membership')
    op.drop_table('hq_membership')
