"""customers merged at headquarters leave a redirect to the one they joined

Revision ID: 0023
Revises: 0021

A customer merged into another at headquarters (issue 17) is removed from the till; its id and
reference keep pointing at the survivor, so a card, a link or a typed reference still opens it.
No ``customer_id`` column: removing a customer's rows leaves its redirect alone.

The name suffix (Jr., III) becomes a word of the name index: the customers that have one are
indexed again (their name words and sound-alike keys).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customer_redirect',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('into_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('into_reference', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column('merged_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_customer_redirect_reference', 'customer_redirect', ['reference'])
    _index_suffixes(op.get_bind().connection.driver_connection)


def _index_suffixes(conn) -> None:
    from pos_customers.domain.search import name_index_text
    from pos_customers.storage import name_keys

    changed = []
    for cid, old, *names in conn.execute(
            "SELECT c.id, s.name_text, c.first_name, c.middle_name, c.last_name, c.suffix, c.organization_name,"
            " c.company FROM customer c JOIN customer_search s ON s.customer_id = c.id WHERE c.suffix != ''"
    ).fetchall():
        new = name_index_text(*(n or "" for n in names))
        if new != old:
            conn.execute("UPDATE customer_search SET name_text = ? WHERE customer_id = ?", (new, cid))
            changed.append((old, new))
    if changed:
        name_keys.update(conn, changed)


def downgrade() -> None:
    op.drop_index('ix_customer_redirect_reference', table_name='customer_redirect')
    op.drop_table('customer_redirect')
