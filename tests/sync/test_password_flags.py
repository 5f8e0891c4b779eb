""""Must change password" across a till and a real headquarters process: set at the till, honoured
by the online sign-in, cleared by the customer's change, learned back by the till."""

from __future__ import annotations

from dataclasses import replace

import httpx

from pos_customers.services import sync
from pos_customers.services.customers import create_customer, get_customer, set_must_change_password
from tests.helpers import db_rows, person
from tests.sync.conftest import terminal

TYPED = "Kx7#mP2!qRs"
NEW = "Tee#Zeit-2026"


def flag_at_till(svc, customer_id):
    (row,) = db_rows(svc, "SELECT must_change_password, sync_state FROM customer WHERE id = ?", customer_id)
    return row


def test_set_at_the_till_honoured_online_cleared_by_the_customer(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    view = create_customer(ber, admin, replace(person("Anna", "Müller", "anna@example.org"),
                                               account_type="registered", password=TYPED))
    sync.sync_now(ber, admin)
    sign_in = lambda pw: httpx.post(f"{hq_server.url}/v1/accounts/sign-in",  # noqa: E731
                                    json={"email": "anna@example.org", "password": pw})
    assert sign_in(TYPED).status_code == 200
    set_must_change_password(ber, admin, view.id, True)
    assert flag_at_till(ber, view.id) == (1, "pending")
    assert sync.sync_now(ber, admin).pushed >= 1
    refused = sign_in(TYPED)
    assert refused.status_code == 403 and "password change required" in refused.json()["detail"]
    changed = httpx.post(f"{hq_server.url}/v1/accounts/change-password",
                         json={"email": "anna@example.org", "password": TYPED, "new_password": NEW})
    assert changed.status_code == 200, changed.text
    assert sign_in(NEW).status_code == 200
    sync.sync_now(ber, admin)
    assert flag_at_till(ber, view.id) == (0, "synced")  # learned from headquarters, no conflict
    after = get_customer(ber, admin, view.id)
    assert after.must_change_password is False and after.password_changed_at > view.password_changed_at


def test_a_password_link_from_the_till_flags_the_account_everywhere(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01")
    view = create_customer(ber, admin, replace(person("Eva", "Lang", "eva@example.org"),
                                               account_type="registered", password=TYPED))
    sync.sync_now(ber, admin)
    sync.send_password_link(ber, admin, view.id)
    r = httpx.post(f"{hq_server.url}/v1/accounts/sign-in", json={"email": "eva@example.org", "password": TYPED})
    assert r.status_code == 403
    sync.sync_now(ber, admin)
    assert flag_at_till(ber, view.id) == (1, "synced")
