"""A customer that arrives by pull gets an audit row on the receiving till ("received from
headquarters"), which its Activity tab shows; the audit chain stays intact and is accepted by
headquarters when it is pushed."""

from __future__ import annotations

import sqlite3

from pos_customers.services import records, sync
from pos_customers.services.customers import create_customer, update_customer, draft_from_view
from pos_customers.services.doctor import verify_audit
from tests.helpers import person
from tests.sync.conftest import terminal


def test_a_pulled_customer_says_it_was_received_from_headquarters(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    ben = create_customer(ber, admin, person("Ben", "Schulz"))
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    entries = records.activity(ham, admin, anna.id)
    assert [(e.who, e.action, e.changes) for e in entries] == [
        ("sync", "received", {"from": {"old": None, "new": "headquarters"}})]
    # a later change of a customer it holds is not a new arrival
    update_customer(ber, admin, anna.id, draft_from_view(anna).__class__(
        **{**draft_from_view(anna).__dict__, "last_name": "Schmidt"}), opened=anna)
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    assert [e.action for e in records.activity(ham, admin, anna.id)] == ["received"]
    assert [e.action for e in records.activity(ham, admin, ben.id)] == ["received"]
    assert verify_audit(ham, admin).problems == []
    # the rows go to headquarters with the next push, and it finds the chain intact
    sync.sync_now(ham, admin)
    st = sync.status(ham, admin)
    assert st.last_error == "" and st.audit_problem == ""
    con = sqlite3.connect(ham.db.path)
    assert con.execute("SELECT count(*) FROM audit_event WHERE action = 'received'").fetchone() == (2,)
