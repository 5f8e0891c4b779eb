"""sound-alike and one-typo keys of the name words

Revision ID: 0012
Revises: 0007

"Meier" finds "Meyer" and "shmidt" finds "Schmidt": every name word in the search index gets its
Kölner Phonetik and Double Metaphone codes and its one-letter deletions as keys
(``domain.fuzzy``), so the search finds them by a lookup. Existing customers' words get their
keys now.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pos_customers.storage import name_keys

    op.create_table('customer_name_key',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('word', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', 'word'),
    sqlite_with_rowid=False,
    )
    name_keys.rebuild(op.get_bind().connection.driver_connection)


def downgrade() -> None:
    op.drop_table('customer_name_key')
