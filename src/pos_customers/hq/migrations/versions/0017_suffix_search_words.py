"""the name suffix is a search word: customers that have one are indexed again

Revision ID: 0017
Revises: 0012

"Jr." or "III" finds the customer at headquarters as it does at the till (domain/search.py's
NAME_WORD_FIELDS). Only customers with a suffix change; nothing to undo on downgrade (the words
stay until those customers change again).
"""
from __future__ import annotations

import json

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pos_customers.hq.directory import search_text
    from pos_customers.hq.search import index_customers

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, reference, fields FROM hq_customer WHERE anonymized_at IS NULL"
                                " AND fields LIKE '%suffix%'")).all()
    todo = [(cid, reference, fields) for cid, reference, text in rows
            if isinstance((fields := json.loads(text)).get("suffix"), str) and fields["suffix"]]
    for cid, reference, fields in todo:
        conn.execute(sa.text("UPDATE hq_customer SET search_text = :t WHERE id = :id"),
                     {"t": search_text(fields, reference), "id": cid})
    if todo:
        index_customers(conn, [(cid, fields, False) for cid, _, fields in todo])


def downgrade() -> None:
    pass
