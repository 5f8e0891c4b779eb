"""A till that worked standalone and is enrolled later: what it made before is sent on enrolment."""

from __future__ import annotations

from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.services import sync
from pos_customers.services.context import Services
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.services.store import init_store
from pos_customers.services.sync import enrol_terminal
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from tests.helpers import person


def test_customers_made_before_enrolment_reach_headquarters(tmp_path, hq_server, admin):
    db = Database(tmp_path / "till.db")
    upgrade(db)
    till = Services(db)
    init_store(till, admin, code="BER01", number=101, name="Berlin Alexanderplatz", country="DE",
               currency="EUR", language="de", terminal=1)
    anna = create_customer(till, admin, person("Anna", "Müller", "anna@example.org", "0151 23456789", "10115"))
    ben = create_customer(till, admin, person("Ben", "Schulz"))

    token = hq_server.hq.add_store("BER01", "Berlin Alexanderplatz", number=101, country="DE",
                                   currency="EUR", language="de")
    enrol_terminal(till, admin, hq_server.url, token, terminal_name="BER01 till")
    result = sync.sync_now(till, admin)
    st = sync.status(till, admin)
    assert (st.outbox, st.parked, st.last_error) == (0, 0, ""), sync.parked_events(till, admin)
    assert result.pushed >= 2
    with hq_server.hq.engine.connect() as conn:
        at_hq = {r.id: r.reference for r in conn.execute(select(t.customer))}
    assert at_hq == {anna.id: anna.reference, ben.id: ben.reference}
    assert {get_customer(till, admin, c.id).sync_state for c in (anna, ben)} == {"synced"}
