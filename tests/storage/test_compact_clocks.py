"""A customer's field clocks are stored compact in the file (domain/clocks.py) on every write
path, and every reader gets them whole."""

from __future__ import annotations

import json
from dataclasses import replace

from pos_customers.domain.clocks import SHARED
from pos_customers.domain.record import DOCUMENT_FIELDS
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.storage import customers as customer_rows
from pos_customers.storage.tables import Customer
from tests.helpers import person


def _stored(svc, cid: str) -> dict:
    with svc.db.read() as s:
        (text,) = customer_rows.connection(s).execute("SELECT field_clocks FROM customer WHERE id = ?",
                                                      (cid,)).fetchone()
    return json.loads(text)


def test_clocks_are_stored_compact_and_read_whole_on_every_path(svc, admin):
    cid = create_customer(svc, admin, person("Anna", "Müller", "anna@example.org")).id
    stored = _stored(svc, cid)
    assert SHARED in stored and len(stored) == 2  # one stamp and its field list: every field set at once
    with svc.db.read() as s:
        whole = s.get(Customer, cid).field_clocks  # the table's column type
    assert set(whole) == set(DOCUMENT_FIELDS) and len(set(whole.values())) == 1

    view = get_customer(svc, admin, cid)
    update_customer(svc, admin, cid, replace(draft_from_view(view), last_name="Meier"), opened=view)
    stored = _stored(svc, cid)
    assert stored["last_name"] != stored[SHARED] and len(stored) == 3  # the field edited later, written out
    with svc.db.read() as s:
        record = customer_rows.read(s, cid)  # the bulk path's reader
        row = s.get(Customer, cid)
    assert row.field_clocks["last_name"] == stored["last_name"] and row.field_clocks["first_name"] == stored[SHARED]
    assert record.field_clocks == row.field_clocks and set(record.field_clocks) == set(DOCUMENT_FIELDS)
