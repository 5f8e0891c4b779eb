"""terminal numbers: each till's number in its store, part of the customer references it issues

Revision ID: 0003
Revises: 0002

Terminals enrolled before this revision did not learn a number and work as till 1, so each
store's oldest terminal is given 1 (no new till can get it); the others stay NULL and are
re-enrolled to get a number of their own.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hq_terminal') as batch:
        batch.add_column(sa.Column('number', sa.Integer(), nullable=True))
    conn = op.get_bind()
    terminal = sa.table('hq_terminal', sa.column('id', sa.String), sa.column('store_code', sa.String),
                        sa.column('created_at', sa.DateTime), sa.column('number', sa.Integer))
    seen: set[str] = set()
    for row in conn.execute(sa.select(terminal.c.id, terminal.c.store_code)
                            .order_by(terminal.c.store_code, terminal.c.created_at, terminal.c.id)).all():
        if row.store_code not in seen:
            seen.add(row.store_code)
            conn.execute(terminal.update().where(terminal.c.id == row.id).values(number=1))
    with op.batch_alter_table('hq_terminal') as batch:
        batch.create_unique_constraint('uq_hq_terminal_store_number', ['store_code', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('hq_terminal') as batch:
        batch.drop_constraint('uq_hq_terminal_store_number', type_='unique')
        batch.drop_column('number')
