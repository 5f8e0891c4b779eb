"""A merge this till asked for keeps what puts the merged-away customer back (terminal revision
0026): every row of it, taken back into the tables as they were, without taking a row another
customer got meanwhile."""

from __future__ import annotations

from datetime import datetime, timezone

from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.services.search import search_customers
from pos_customers.services.store import init_store
from pos_customers.storage import customers as rows
from tests import templates
from tests.helpers import db_rows, person


def test_a_merged_customer_comes_back_whole_beside_a_customer_made_since(tmp_path):
    svc = Services(templates.store_db(tmp_path / "till.db"))
    actor = Actor.command_line()
    init_store(svc, actor, code="BER01", number=101, name="Berlin", country="DE", currency="EUR", language="de")
    anna = create_customer(svc, actor, person("Anna", "Müller", "anna@example.org"))
    ann = create_customer(svc, actor, person("Ann", "Weber", "ann@example.org", "0151 23456789"))
    tables = ("customer", "customer_email", "customer_phone", "customer_search")
    before = {t: db_rows(svc, f"SELECT * FROM {t} WHERE {'id' if t == 'customer' else 'customer_id'} = ?", ann.id)
              for t in tables}
    with svc.db.write() as s:
        undo = {"rows": rows.snapshot(s, ann.id), "events": [], "notes": [], "links": []}
        rows.redirect(s, ann.id, ann.reference, anna.id, anna.reference, datetime.now(timezone.utc), undo=undo)
    assert get_customer(svc, actor, ann.reference).id == anna.id
    lea = create_customer(svc, actor, person("Lea", "Wolf", "lea@example.org"))  # may take Ann's row numbers
    with svc.db.write() as s:
        assert rows.undo_redirect(s, ann.id) == (ann.reference, anna.reference)
        assert rows.undo_redirect(s, ann.id) is None  # once
    for t, found in before.items():
        now = db_rows(svc, f"SELECT * FROM {t} WHERE {'id' if t == 'customer' else 'customer_id'} = ?", ann.id)
        assert len(now) == len(found) == 1 and (t == "customer_search" or now == found)
    assert db_rows(svc, "SELECT count(*) FROM customer_redirect") == [(0,)]
    for name, who in (("Weber", ann.id), ("Wolf", lea.id), ("Müller", anna.id)):
        assert [h.customer_id for h in search_customers(svc, actor, name).rows] == [who]
