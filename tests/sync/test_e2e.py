"""Terminals and a real headquarters process on loopback: push, pull, merge, offline, idempotency."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import select as model_select

from pos_customers.domain.customer import CustomerDraft, PhoneInput
from pos_customers.hq import tables as t
from pos_customers.services import sync
from pos_customers.services.customers import (create_customer, draft_from_view, get_customer,
                                              update_customer)
from pos_customers.storage.tables import OutboxEvent
from tests.helpers import person
from tests.sync.conftest import terminal


def hq_state(server):
    with server.hq.engine.connect() as conn:
        customers = [(r.id, r.reference, json.loads(r.fields)) for r in
                     conn.execute(select(t.customer).order_by(t.customer.c.id))]
        records = [(r.kind, r.key, r.doc) for r in
                   conn.execute(select(t.record).order_by(t.record.c.kind, t.record.c.key))]
    return customers, records


def test_a_new_customer_reaches_headquarters_and_leaves_the_outbox(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    view = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", "0151 23456789", "10115"))
    assert sync.status(ber, admin).outbox >= 1
    result = sync.sync_now(ber, admin)
    assert result.pushed >= 1
    st = sync.status(ber, admin)
    assert st.outbox == 0 and st.last_push_at and not st.last_error
    assert get_customer(ber, admin, view.id).sync_state == "synced"
    customers, _ = hq_state(hq_server)
    assert [(c[0], c[2]["last_name"], c[2]["emails"][0]["address"]) for c in customers] == \
        [(view.id, "Müller", "anna@example.org")]


def test_two_stores_editing_one_customer_offline_converge(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE", currency="EUR", language="de")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", "0151 23456789", "10115"))
    sync.sync_now(ber, admin)
    # Hamburg finds her at headquarters and opens her: she is pulled in
    hits = sync.search_all_stores(ham, admin, "anna müller")
    assert [h.id for h in hits] == [anna.id]
    at_ham = sync.open_remote(ham, admin, anna.id)
    assert at_ham.reference == anna.reference and at_ham.primary_email == "anna@example.org"
    assert sync.search_all_stores(ham, admin, "anna müller") == []  # now local: not offered again
    # both offline: Berlin changes the last name, Hamburg the phone
    at_ber = get_customer(ber, admin, anna.id)
    mine = draft_from_view(at_ber)
    update_customer(ber, admin, anna.id, CustomerDraft(**{**mine.__dict__, "last_name": "Schmidt"}),
                    opened=at_ber)
    theirs = draft_from_view(at_ham)
    update_customer(ham, admin, anna.id, CustomerDraft(**{**theirs.__dict__, "phones": (
        PhoneInput("0170 5551234", primary=True),)}), opened=at_ham)
    for svc in (ber, ham, ber, ham):
        sync.sync_now(svc, admin)
    a, b = get_customer(ber, admin, anna.id), get_customer(ham, admin, anna.id)
    assert (a.last_name, a.primary_phone) == (b.last_name, b.primary_phone) == ("Schmidt", "0170 5551234")
    assert a.sync_state == b.sync_state == "synced"
    hq_fields = hq_state(hq_server)[0][0][2]
    assert hq_fields["last_name"] == "Schmidt" and hq_fields["phones"][0]["e164"] == "+491705551234"


def test_the_same_field_edited_twice_keeps_the_loser_as_a_conflict(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    at_ber, at_ham = get_customer(ber, admin, anna.id), get_customer(ham, admin, anna.id)
    update_customer(ham, admin, anna.id, CustomerDraft(**{**draft_from_view(at_ham).__dict__,
                                                          "company": "Globex"}), opened=at_ham)
    update_customer(ber, admin, anna.id, CustomerDraft(**{**draft_from_view(at_ber).__dict__,
                                                          "company": "ACME"}), opened=at_ber)
    for svc in (ham, ber, ham):
        sync.sync_now(svc, admin)
    assert get_customer(ber, admin, anna.id).company == get_customer(ham, admin, anna.id).company == "ACME"
    for svc in (ber, ham):
        conflicts = sync.conflicts_for(svc, admin, anna.id)
        assert [(c.field, c.kept, c.lost) for c in conflicts] == [("company", "ACME", "Globex")]


def test_headquarters_down_keeps_everything_and_drains_on_reconnect(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    hq_server.stop()
    ids = [create_customer(ber, admin, person("Eva", f"Lang{'a' * i}", f"eva{i}@example.org")).id
           for i in range(3)]
    with pytest.raises(sync.HqUnavailable):
        sync.sync_now(ber, admin)
    st = sync.status(ber, admin)
    assert st.outbox >= 3 and "unreachable" in st.last_error
    assert all(get_customer(ber, admin, i).sync_state == "pending" for i in ids)
    hq_server.start()
    sync.sync_now(ber, admin)
    assert sync.status(ber, admin).outbox == 0
    assert sorted(c[0] for c in hq_state(hq_server)[0]) == sorted(ids)


def test_sending_the_same_outbox_twice_gives_the_same_headquarters(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    for i in range(5):
        create_customer(ber, admin, person("Jo", f"Kim{'o' * i}", f"jo{i}@example.org"))
    with ber.db.read() as s:
        saved = [OutboxEvent(**r.model_dump()) for r in s.exec(model_select(OutboxEvent))]
    sync.sync_now(ber, admin)
    first = hq_state(hq_server)
    with ber.db.write() as s:  # as if the terminal died after headquarters committed, before deleting
        for r in saved:
            s.add(r)
    assert sync.status(ber, admin).outbox == len(saved)
    sync.sync_now(ber, admin)
    assert hq_state(hq_server) == first and sync.status(ber, admin).outbox == 0


def test_orders_come_from_headquarters_and_stay_for_offline(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    hq_server.hq.put_records([("order", "o-1", {"customer_id": anna.id, "doc": {
        "id": "o-1", "customer_id": anna.id, "number": "W-100231", "ordered_at": "2026-10-02T15:04:00+00:00",
        "store_code": "WEB", "status": "delivered", "total": "129.90", "currency": "EUR"}})])
    orders, source = sync.orders(ber, admin, anna.id)
    assert source == "headquarters" and [(o.number, o.total, o.status) for o in orders] == \
        [("W-100231", "129.90", "delivered")]
    hq_server.stop()
    orders, source = sync.orders(ber, admin, anna.id)
    assert source == "cache" and [o.number for o in orders] == ["W-100231"]


def test_the_audit_trail_reaches_headquarters_and_a_rewrite_is_caught(tmp_path, hq_server, admin):
    import sqlite3

    ber = terminal(tmp_path, hq_server, "BER01")
    create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    kept = hq_server.hq.audit_rows("BER01")
    conn = sqlite3.connect(ber.db.path)
    local = conn.execute("SELECT id, hash FROM audit_event ORDER BY id").fetchall()
    assert [(r["local_id"], r["hash"]) for r in kept] == local and all(r["chain_ok"] for r in kept)
    # the terminal's file is rewritten: the last row sent is changed and a new row chained onto it
    conn.execute("UPDATE audit_event SET hash = ? WHERE id = ?", ("f" * 64, local[-1][0]))
    conn.commit()
    conn.close()
    create_customer(ber, admin, person("Hans", "Meier", "hans@example.org"))
    sync.sync_now(ber, admin)
    assert "does not follow" in sync.status(ber, admin).audit_problem
    assert not hq_server.hq.audit_rows("BER01")[-1]["chain_ok"]


def test_a_password_link_from_the_till_sets_the_password_and_the_store_learns_it(tmp_path, hq_server, admin):
    import email
    import email.policy
    import re
    from dataclasses import replace

    import httpx
    from argon2 import PasswordHasher

    ber = terminal(tmp_path, hq_server, "BER01")
    guest = create_customer(ber, admin, person("Eva", "Lang", "eva@example.org"))
    with pytest.raises(Exception, match="guest"):
        sync.send_password_link(ber, admin, guest.id)
    view = create_customer(ber, admin, replace(person("Anna", "Müller", "anna@example.org"),
                                               account_type="registered"))
    sync.sync_now(ber, admin)
    answer = sync.send_password_link(ber, admin, view.id)
    assert "If the address belongs" in answer
    (eml,) = hq_server.mail_folder.glob("*.eml")
    body = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).get_content()
    token = re.search(r"token=([A-Za-z0-9_\-]+)", body).group(1)
    r = httpx.post(f"{hq_server.url}/v1/accounts/reset", json={"token": token, "password": "Tee#Zeit-2026"})
    assert r.status_code == 200, r.text
    bad = httpx.post(f"{hq_server.url}/v1/accounts/sign-in", json={"email": "anna@example.org", "password": "x"})
    nobody = httpx.post(f"{hq_server.url}/v1/accounts/sign-in", json={"email": "no@example.org", "password": "x"})
    assert bad.status_code == nobody.status_code == 401 and bad.json() == nobody.json()
    ok = httpx.post(f"{hq_server.url}/v1/accounts/sign-in",
                    json={"email": "anna@example.org", "password": "Tee#Zeit-2026"})
    assert ok.status_code == 200 and ok.json()["customer_id"] == view.id
    sync.sync_now(ber, admin)
    after = get_customer(ber, admin, view.id)
    assert after.password_changed_at is not None and after.last_sign_in_at is not None
    with ber.db.read() as s:
        from pos_customers.storage.tables import Customer
        assert PasswordHasher().verify(s.get(Customer, view.id).password_hash, "Tee#Zeit-2026")


def test_the_account_tab_dates_are_headquarters_dates(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", scope="all")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")
    view = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    there = get_customer(ham, admin, view.id)
    assert there.created_at == view.created_at
    assert there.last_activity_at is not None and abs((there.last_activity_at - view.last_activity_at).total_seconds()) < 1


def test_segments_reach_the_tills_by_pull_and_with_a_pull_in(tmp_path, hq_server, admin):
    """A segment defined at headquarters over customers a till made: the till's next sync brings
    the definition and the memberships (search by seg: works offline then); another store that
    brings the customer in with F5 gets their segments with them."""
    from pos_customers.services.search import search_customers
    from pos_customers.services.segments import customer_segments

    ber = terminal(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE", currency="EUR", language="de")
    anna = create_customer(ber, admin, person("Anna", "Müller", "anna@example.org"))
    create_customer(ber, admin, person("Anton", "Müller", "anton@example.org"))
    sync.sync_now(ber, admin)
    hq_server.hq.add_segment("anna", "Annas", {"kind": "home_store", "stores": ["BER01"]})
    hq_server.hq.add_segment("vip", "VIP", {"kind": "not",
                                            "rule": {"kind": "home_store", "stores": ["BER01"]}})
    sync.sync_now(ber, admin)
    hq_server.hq.remove_segment("anna")
    hq_server.hq.add_segment("vip", "VIP", {"kind": "marketing_consent"}, replace=True)  # nobody yet
    hq_server.hq.add_segment("mail", "Has email", {"kind": "any", "rules": [
        {"kind": "home_store", "stores": ["BER01"]}]})
    sync.sync_now(ber, admin)
    assert customer_segments(ber, admin, anna.id) == [("mail", "Has email")]
    assert [r.display_name for r in search_customers(ber, admin, "seg:mail anna").rows] == ["Anna Müller"]
    sync.sync_now(ham, admin)  # the definitions (every store), not Anna's membership (not in its scope)
    assert customer_segments(ham, admin, anna.id) == []
    sync.open_remote(ham, admin, anna.id)
    assert customer_segments(ham, admin, anna.id) == [("mail", "Has email")]
