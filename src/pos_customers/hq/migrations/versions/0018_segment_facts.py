"""segment facts: hq_customer's group and consent columns, hq_order_fact, hq_segment.evaluated_seq,
hq_segment_member.home_store

Revision ID: 0018
Revises: 0012

Segment rules read typed, indexed columns instead of every customer's and order's JSON
(hq/facts.py). The columns and the order rows are filled here from the documents held; every
segment is evaluated over all customers once more at its next evaluation (evaluated_seq NULL).
"""
from __future__ import annotations

import json

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table('hq_customer') as batch:
        batch.add_column(sa.Column('group_code', sa.String(length=32), server_default='', nullable=False))
        batch.add_column(sa.Column('email_consent', sa.Boolean(), server_default='0', nullable=False))
        batch.add_column(sa.Column('phone_consent', sa.Boolean(), server_default='0', nullable=False))
    op.create_index('ix_hq_customer_group', 'hq_customer', ['group_code'], unique=False)
    op.create_index('ix_hq_customer_created', 'hq_customer', ['created_at'], unique=False)
    with op.batch_alter_table('hq_segment') as batch:
        batch.add_column(sa.Column('evaluated_seq', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('hq_segment_member') as batch:
        batch.add_column(sa.Column('home_store', sa.String(length=32), server_default='', nullable=False))
    op.execute("UPDATE hq_segment_member SET home_store = COALESCE((SELECT c.home_store FROM hq_customer c"
               " WHERE c.id = hq_segment_member.customer_id), '')")
    op.create_table('hq_order_fact',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('store_code', sa.String(length=32), server_default='', nullable=False),
    sa.Column('status', sa.String(length=24), server_default='', nullable=False),
    sa.Column('currency', sa.String(length=3), server_default='', nullable=False),
    sa.Column('ordered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('order_id')
    )
    op.create_index('ix_hq_order_fact_currency_at', 'hq_order_fact', ['currency', 'ordered_at'], unique=False)
    op.create_index('ix_hq_order_fact_store_at', 'hq_order_fact', ['store_code', 'ordered_at'], unique=False)
    op.create_index('ix_hq_order_fact_at', 'hq_order_fact', ['ordered_at'], unique=False)
    op.create_index('ix_hq_order_fact_customer', 'hq_order_fact', ['customer_id'], unique=False)
    op.create_index('ix_hq_order_fact_seq', 'hq_order_fact', ['seq'], unique=False)
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    from pos_customers.hq import tables as t
    from pos_customers.hq.facts import customer_facts, write_orders

    c, r = t.customer.c, t.record.c
    last = ""
    while True:
        rows = conn.execute(sa.select(c.id, c.fields).where(c.id > last).order_by(c.id).limit(CHUNK)).all()
        if not rows:
            break
        changed = [{"b_id": cid, **facts} for cid, fields in rows
                   if any((facts := customer_facts(json.loads(fields))).values())]
        if changed:
            conn.execute(sa.update(t.customer).where(c.id == sa.bindparam("b_id")), changed)
        last = rows[-1].id
    last = ""
    while True:
        rows = conn.execute(sa.select(r.key, r.customer_id, r.doc, r.seq, r.deleted).where(
            r.kind == "order", r.key > last).order_by(r.key).limit(CHUNK)).all()
        if not rows:
            break
        write_orders(conn, [(row.key, row.customer_id, json.loads(row.doc), row.seq, row.deleted) for row in rows])
        last = rows[-1].key


def downgrade() -> None:
    op.drop_index('ix_hq_order_fact_seq', table_name='hq_order_fact')
    op.drop_index('ix_hq_order_fact_customer', table_name='hq_order_fact')
    op.drop_index('ix_hq_order_fact_at', table_name='hq_order_fact')
    op.drop_index('ix_hq_order_fact_store_at', table_name='hq_order_fact')
    op.drop_index('ix_hq_order_fact_currency_at', table_name='hq_order_fact')
    op.drop_table('hq_order_fact')
    with op.batch_alter_table('hq_segment_member') as batch:
        batch.drop_column('home_store')
    with op.batch_alter_table('hq_segment') as batch:
        batch.drop_column('evaluated_seq')
    op.drop_index('ix_hq_customer_created', table_name='hq_customer')
    op.drop_index('ix_hq_customer_group', table_name='hq_customer')
    with op.batch_alter_table('hq_customer') as batch:
        batch.drop_column('phone_consent')
        batch.drop_column('email_consent')
        batch.drop_column('group_code')
