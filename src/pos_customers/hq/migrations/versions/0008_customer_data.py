"""customer data: the store directory's address, phone and status; carts, saved payments, order
lines and shipments

Revision ID: 0008
Revises: 0010
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hq_store_contact',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=200), server_default='', nullable=False),
        sa.Column('phone', sa.String(length=40), server_default='', nullable=False),
        sa.Column('status', sa.String(length=24), server_default='open', nullable=False),
        sa.PrimaryKeyConstraint('code'))
    op.create_table(
        'hq_cart',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('store_code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('type', sa.String(length=24), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_hq_cart_customer_id', 'hq_cart', ['customer_id'], unique=False)
    op.create_table(
        'hq_saved_payment',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('token_ref', sa.String(length=64), nullable=False),
        sa.Column('brand', sa.String(length=24), nullable=False),
        sa.Column('last4', sa.String(length=4), nullable=False),
        sa.Column('expiry_month', sa.Integer(), nullable=False),
        sa.Column('expiry_year', sa.Integer(), nullable=False),
        sa.Column('holder', sa.String(length=120), server_default='', nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by', sa.String(length=100), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_hq_saved_payment_customer_id', 'hq_saved_payment', ['customer_id'], unique=False)
    op.create_table(
        'hq_order_line',
        sa.Column('order_id', sa.String(length=64), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=40), server_default='', nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
        sa.Column('total_minor', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('order_id', 'line_no'))
    op.create_table(
        'hq_shipment',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.String(length=64), nullable=False),
        sa.Column('carrier', sa.String(length=40), server_default='', nullable=False),
        sa.Column('tracking', sa.String(length=64), server_default='', nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('items', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_hq_shipment_order_id', 'hq_shipment', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hq_shipment_order_id', table_name='hq_shipment')
    op.drop_table('hq_shipment')
    op.drop_table('hq_order_line')
    op.drop_index('ix_hq_saved_payment_customer_id', table_name='hq_saved_payment')
    op.drop_table('hq_saved_payment')
    op.drop_index('ix_hq_cart_customer_id', table_name='hq_cart')
    op.drop_table('hq_cart')
    op.drop_table('hq_store_contact')
