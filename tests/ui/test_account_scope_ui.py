"""A registered account's email refused by headquarters (account sharing scope): the Sync screen
shows the parked creation, and `e` gives the customer another email and sends it again."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input

from pos_customers.domain.enums import AccountType
from pos_customers.hq.account_scope import set_scope
from pos_customers.services import sync
from pos_customers.services.associates import add_associate
from pos_customers.services.customers import create_customer, get_customer
from pos_customers.storage.tables import OutboxEvent
from tests.helpers import person
from tests.sync.conftest import HqServer, terminal
from tests.ui.conftest import settle, sign_in
from tests.ui.test_sync_ui import app_for


@pytest.fixture
def hq_server(tmp_path):
    server = HqServer(tmp_path / "hq.db")
    server.start()
    yield server
    server.stop()


async def test_a_refused_email_is_changed_from_the_sync_screen(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE")
    set_scope(hq_server.hq, "chain", by="test")
    for till in (ber, ham):
        sync.sync_now(till, admin)
    account = dict(account_type=AccountType.REGISTERED)
    create_customer(ber, admin, person("Anna", "Müller", "anna@example.org", **account))
    mine = create_customer(ham, admin, person("Ann", "Müller", "anna@example.org", **account))
    sync.sync_now(ber, admin)
    assert sync.sync_now(ham, admin).parked == 1
    add_associate(ham, admin, number="2001", name="Lea Wolf", role="associate", pin="1357")
    app = app_for(ham)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "2001", "1357")
        await pilot.press("f8")
        await settle(app, pilot, 0.1)
        table = app.screen.query_one("#parked", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "customer.created" and row[3].startswith("409 anna@example.org is the email")
        await pilot.press("a")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "AccountClashModal"
        assert "one account per email in the chain" in str(
            app.screen.query_one("#clash-text").render()).replace("\n", " ")
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"anna@example.org", "ctrl+s")  # the same one: refused, the form stays
        await settle(app, pilot)
        assert "another email" in str(app.screen.query_one("#err-email").render())
        app.focused.value = ""
        await pilot.press(*"ann.m@example.org", "ctrl+s")
        await settle(app, pilot, 0.1)
        assert type(app.screen).__name__ == "SyncScreen"
        assert table.row_count == 0
    assert get_customer(ham, admin, mine.id).primary_email == "ann.m@example.org"
    with ham.db.read() as s:
        assert all(r.parked_at is None for r in s.exec(select(OutboxEvent)))
    assert sync.sync_now(ham, admin).parked == 0
