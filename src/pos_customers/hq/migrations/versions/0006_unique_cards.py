"""loyalty cards unique across the chain: hq_card, filled from the customers held

Revision ID: 0006
Revises: 0010

Where two customers already carry the same number, the one headquarters has had longer (the lower
seq) keeps it in hq_card; the other keeps it in its fields until someone edits it there.
"""
from __future__ import annotations

import json

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_card',
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_index('ix_hq_card_customer', 'hq_card', ['customer_id'], unique=False)
    conn = op.get_bind()
    held: dict[str, str] = {}
    rows = conn.execute(sa.text("SELECT id, fields FROM hq_customer WHERE anonymized_at IS NULL ORDER BY seq"))
    for cid, fields in rows:
        for number in json.loads(fields or "{}").get("cards") or ():
            held.setdefault(number, cid)
    if held:
        table = sa.table('hq_card', sa.column('number', sa.String), sa.column('customer_id', sa.String))
        op.bulk_insert(table, [{"number": n, "customer_id": c} for n, c in held.items()])


def downgrade() -> None:
    op.drop_index('ix_hq_card_customer', table_name='hq_card')
    op.drop_table('hq_card')
