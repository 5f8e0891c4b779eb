"""Password links: a real SMTP server on loopback (aiosmtpd), hashed single-use tokens that expire,
a rate limit, and the same answer whether or not the address exists."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.mailer import FileMailer, SmtpMailer
from pos_customers.hq.service import Headquarters
from tests.hq.test_api import created, enrol, ref


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def setup(hq_engine, smtp):
    clock = Clock()
    hq = Headquarters(hq_engine, now=clock, mailer=SmtpMailer("127.0.0.1", smtp.port),
                      reset_url="https://shop.example/reset", mail_from="accounts@shop.example")
    api = TestClient(create_app(hq_engine, hq))
    headers, _ = enrol(api, hq, "BER01")
    cid = str(uuid.uuid4())
    ev = created(cid, ref(), "BER01", "0000000000001-00000-a", account_type="registered",
                 email="Anna.Mueller@Example.org")
    assert api.post("/v1/push", json={"events": [ev]}, headers=headers).status_code == 200
    return api, hq, headers, cid, clock


def token_in(message) -> str:
    body = email.message_from_bytes(message.content, policy=email.policy.default).get_content()
    return re.search(r"token=([A-Za-z0-9_\-]+)", body).group(1)


def test_a_link_is_mailed_and_sets_the_password_once(setup, smtp, hq_engine):
    api, hq, headers, cid, clock = setup
    r = api.post("/v1/accounts/reset-link", json={"email": "anna.mueller@example.org"}, headers=headers)
    assert r.status_code == 202
    (msg,) = smtp.messages
    assert msg.rcpt_tos == ["anna.mueller@example.org"]
    assert "https://shop.example/reset?token=" in email.message_from_bytes(
        msg.content, policy=email.policy.default).get_content()
    token = token_in(msg)
    with hq_engine.connect() as conn:
        stored = conn.execute(select(t.reset_token.c.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0]              # only the hash is kept
    weak = api.post("/v1/accounts/reset", json={"token": token, "password": "short"})
    assert weak.status_code == 400 and "at least 10" in weak.json()["detail"]
    ok = api.post("/v1/accounts/reset", json={"token": token, "password": "Tee#Zeit-2026"})
    assert ok.status_code == 200
    again = api.post("/v1/accounts/reset", json={"token": token, "password": "Tee#Zeit-2027"})
    assert again.status_code == 400 and "used" in again.json()["detail"]
    # the new hash reaches the store with its next pull, stamped after the store's own edits
    doc = next(i["doc"] for i in api.get("/v1/pull", headers=headers).json()["items"] if i["t"] == "customer")
    assert PasswordHasher().verify(doc["fields"]["password_hash"], "Tee#Zeit-2026")
    assert doc["clocks"]["password_hash"] > doc["clocks"]["first_name"]


def test_the_same_answer_for_unknown_guest_and_rate_limited_addresses(setup, smtp):
    api, hq, headers, cid, clock = setup
    answers = set()
    for email in ["nobody@example.org", "not-an-address", "anna.mueller@example.org"] * 2 + \
                 ["anna.mueller@example.org"] * 3:
        r = api.post("/v1/accounts/reset-link", json={"email": email}, headers=headers)
        answers.add((r.status_code, r.json()["detail"]))
    assert len(answers) == 1
    assert len(smtp.messages) == 3          # three per account per hour, then silence
    clock.now += timedelta(hours=1, minutes=1)
    api.post("/v1/accounts/reset-link", json={"email": "anna.mueller@example.org"}, headers=headers)
    assert len(smtp.messages) == 4


def test_a_link_expires_after_two_hours(setup, smtp):
    api, hq, headers, cid, clock = setup
    api.post("/v1/accounts/reset-link", json={"email": "anna.mueller@example.org"}, headers=headers)
    clock.now += timedelta(hours=2, seconds=1)
    r = api.post("/v1/accounts/reset", json={"token": token_in(smtp.messages[0]), "password": "Tee#Zeit-2026"})
    assert r.status_code == 400 and "expired" in r.json()["detail"]


def test_the_link_page_sets_the_password_from_a_browser(setup, smtp):
    api, hq, headers, cid, clock = setup
    api.post("/v1/accounts/reset-link", json={"email": "anna.mueller@example.org"}, headers=headers)
    token = token_in(smtp.messages[0])
    page = api.get("/reset", params={"token": token})
    assert page.status_code == 200 and f'value="{token}"' in page.text
    bad = api.post("/reset", content=f"token={token}&password=weak", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 400 and "at least 10" in bad.text
    good = api.post("/reset", content=f"token={token}&password=Tee%23Zeit-2026",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert good.status_code == 200 and "password is set" in good.text


def test_without_smtp_mail_goes_to_eml_files(tmp_path, hq_engine):
    hq = Headquarters(hq_engine, mailer=FileMailer(tmp_path / "mail"))
    api = TestClient(create_app(hq_engine, hq))
    headers, _ = enrol(api, hq, "BER01")
    ev = created(str(uuid.uuid4()), ref(), "BER01", "0000000000001-00000-a", account_type="registered")
    api.post("/v1/push", json={"events": [ev]}, headers=headers)
    api.post("/v1/accounts/reset-link", json={"email": "anna@example.org"}, headers=headers)
    (eml,) = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: Set your password" in eml.read_bytes()
