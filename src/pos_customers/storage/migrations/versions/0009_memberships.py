"""organizations and their people: memberships and the roles a member can have

Revision ID: 0009
Revises: 0007

A person belongs to organizations with a role, one member of each organization being its primary
contact and one its manager (domain/membership.py). Rows are kept when a person is removed
(inactive). The roles are reference data (data/membership_roles.csv), written here too so that a
till upgraded in place has them.
"""
from __future__ import annotations

import csv

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def _roles() -> list[dict]:
    from pos_customers.paths import data_dir

    with open(data_dir() / "membership_roles.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [{"code": r["code"], "label": r["label"], "sort_order": int(r["sort_order"]), "active": True,
             "labels": dict(p.split("=", 1) for p in r["labels"].split(";") if "=" in p)} for r in rows]


def upgrade() -> None:
    roles = op.create_table('membership_role',
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('customer_membership',
    sa.Column('clocks', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('primary', sa.Boolean(), nullable=False),
    sa.Column('manager', sa.Boolean(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('is_manager', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'person_id')
    )
    op.create_index('ix_customer_membership_person', 'customer_membership', ['person_id'], unique=False)
    op.create_index('ux_customer_membership_primary', 'customer_membership', ['organization_id'], unique=True,
                    sqlite_where=sa.text('is_primary'))
    op.create_index('ux_customer_membership_manager', 'customer_membership', ['organization_id'], unique=True,
                    sqlite_where=sa.text('is_manager'))
    op.bulk_insert(roles, _roles())


def downgrade() -> None:
    op.drop_index('ux_customer_membership_manager', table_name='customer_membership')
    op.drop_index('ux_customer_membership_primary', table_name='customer_membership')
    op.drop_index('ix_customer_membership_person', table_name='customer_membership')
    op.drop_table('customer_membership')
    op.drop_table('membership_role')
