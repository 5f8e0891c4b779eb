"""A store's account options travel with its template: set at one till, kept at headquarters (with
the audit row), pulled by the store's other tills, which then apply them; other stores keep theirs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq import tables as t
from pos_customers.services import account_options as ao
from pos_customers.services import sync
from pos_customers.services.context import Services
from pos_customers.services.customers import create_customer
from pos_customers.services.sync import enrol_terminal
from tests import templates
from tests.helpers import person
from tests.services.test_customers import rows
from tests.sync.conftest import terminal


def test_options_reach_headquarters_and_every_till_of_the_store(tmp_path, hq_server, admin):
    first = terminal(tmp_path, hq_server, "BER01")
    second = Services(templates.store_db(tmp_path / "BER01-2.db"))
    enrol_terminal(second, admin, hq_server.url, hq_server.hq.issue_token("BER01"), terminal_name="till 2")
    other = terminal(tmp_path, hq_server, "HAM01")

    ao.set_account_options(first, admin, birth_date="required", vat_number="hidden")
    sync.sync_now(first, admin)
    with hq_server.hq.engine.connect() as conn:
        (doc,) = conn.execute(select(t.record.c.doc).where(t.record.c.kind == "template",
                                                           t.record.c.key == "BER01")).scalars().all()
    assert json.loads(doc)["account_options"] == {"birth_date": "required", "vat_number": "hidden"}
    sent = [json.loads(r["row"]) for r in hq_server.hq.audit_rows("BER01")]
    assert [r["changes"] for r in sent if r["entity"] == "store_template" and r["action"] == "account_options"] == [
        {"account_options.birth_date": {"old": "optional", "new": "required"},
         "account_options.vat_number": {"old": "optional", "new": "hidden"}}]

    for till in (second, other):
        sync.sync_now(till, admin)
    assert rows(second, "SELECT account_options FROM store_template WHERE store_code = 'BER01'") == [
        ('{"birth_date": "required", "vat_number": "hidden"}',)]
    with pytest.raises(ValidationFailed, match="Date of birth is required in this store"):
        create_customer(second, admin, person())
    assert create_customer(second, admin, person(birth="1990-01-02")).birth_date is not None
    # another store's tills: their own options (none chosen), today's form
    assert ao.form_options(other, admin).chosen == {}
    assert create_customer(other, admin, person(vat_number="DE136695976")).vat_number == "DE136695976"

    # back to optional at the second till: the first follows
    ao.set_account_options(second, admin, birth_date="optional")
    sync.sync_now(second, admin)
    sync.sync_now(first, admin)
    assert {k: v.value for k, v in ao.form_options(first, admin).chosen.items()} == {"vat_number": "hidden"}


def test_a_name_suffix_travels_through_headquarters_to_a_second_till(tmp_path, hq_server, admin):
    from pos_customers.services.customers import draft_from_view, get_customer, update_customer

    first = terminal(tmp_path, hq_server, "BER01")
    second = Services(templates.store_db(tmp_path / "BER01-2.db"))
    enrol_terminal(second, admin, hq_server.url, hq_server.hq.issue_token("BER01"), terminal_name="till 2")
    ben = create_customer(first, admin, person("Ben", "Berg", suffix="Jr."))
    sync.sync_now(first, admin)
    with hq_server.hq.engine.connect() as conn:
        (kept,) = conn.execute(select(t.customer.c.fields).where(t.customer.c.id == ben.id)).scalars().all()
    assert json.loads(kept)["suffix"] == "Jr."
    sync.sync_now(second, admin)
    there = get_customer(second, admin, ben.reference)
    assert (there.suffix, there.display_name) == ("Jr.", "Ben Berg Jr.")
    # changed at the second till, merged as its own field: the first till takes it
    draft = draft_from_view(there)
    draft.suffix = "Sr."
    update_customer(second, admin, there.id, draft, opened=there)
    sync.sync_now(second, admin)
    sync.sync_now(first, admin)
    assert rows(first, "SELECT suffix FROM customer WHERE id = ?", ben.id) == [("Sr.",)]
