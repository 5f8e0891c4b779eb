"""labels per language for customer groups, affiliations and custom attributes (and their choices)

Revision ID: 0021
Revises: 0020

The same shape address purposes have: ``labels`` maps a language (de, en-GB) to the label shown
in it; the name or label already stored stays the default. An attribute's choices keep their
stored value and get ``choice_labels``: choice -> language -> label.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_COLUMNS = (("customer_group", "labels"), ("affiliation", "labels"),
            ("attribute_definition", "labels"), ("attribute_definition", "choice_labels"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} JSON NOT NULL DEFAULT '{{}}'")


def downgrade() -> None:
    for table, column in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
