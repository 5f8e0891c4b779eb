"""The wire protocol (domain/protocol.py) as both sides use it, and the terminal's guard: an event
whose payload headquarters would refuse for its shape is never queued."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from pos_customers.domain.merge import DOCUMENT_FIELDS
from pos_customers.domain.protocol import (EVENT_PAYLOADS, CustomerFields, Event, EventKind, ProtocolError,
                                           PushRequest, validate_payload)
from pos_customers.domain.reference import make_reference
from pos_customers.services.customers import create_customer
from pos_customers.services.records import add_note
from tests.helpers import person


def test_every_event_kind_has_one_payload_model_and_the_customer_fields_are_the_document_fields():
    assert set(EVENT_PAYLOADS) == set(EventKind)
    assert tuple(CustomerFields.model_fields) == DOCUMENT_FIELDS


def test_the_check_at_a_till_uses_the_protocol_s_own_models():
    # a customer event is checked against the customer document's module without the rest of the
    # protocol loaded; the models are the very ones headquarters validates a push with
    from pos_customers.domain.protocol import EVENT_MODELS
    from pos_customers.domain.protocol_values import payload_model

    for kind, entry in EVENT_PAYLOADS.items():
        assert payload_model(kind) == entry and payload_model(kind.value)[0] is entry[0]
        assert EVENT_MODELS[kind].model_fields["payload"].annotation is entry[0]


def test_a_payload_keeps_its_json_shape():
    cid = str(uuid.uuid4())
    sent = {"id": cid, "reference": make_reference(3, 7, terminal=1), "store_code": "BER01",
            "fields": {"birth_date": "1990-02-03", "password_changed_at": "2026-11-24T10:00:00+00:00",
                       "emails": [{"address": "a@example.org", "purpose": "personal", "primary": True,
                                   "marketing_consent": False}]},
            "base": {"birth_date": ""}}
    model = validate_payload(EventKind.CUSTOMER_UPDATED, sent)
    assert model.model_dump(mode="json", exclude_unset=True) == sent


@pytest.mark.parametrize("kind, payload, field", [
    ("note.created", {"id": str(uuid.uuid4()), "text": "x"}, "payload.customer_id"),
    ("group.changed", {"name": "VIP"}, "payload.code"),
    ("customer.updated", {"id": "not-a-uuid", "fields": {}}, "payload.id"),
    ("customer.updated", {"id": str(uuid.uuid4()), "fields": {"emails": "a@example.org"}}, "payload.fields.emails"),
    ("conflict.resolved", {"id": "c", "customer_id": str(uuid.uuid4()), "resolution": "both"}, "payload.resolution"),
])
def test_a_bad_payload_is_named_by_its_field(kind, payload, field):
    with pytest.raises(ProtocolError, match=field.replace(".", r"\.")):
        validate_payload(kind, payload)


def test_an_unknown_kind_is_not_an_event():
    with pytest.raises(ProtocolError, match="unknown event kind"):
        validate_payload("customer.exploded", {})
    with pytest.raises(ValidationError):
        TypeAdapter(Event).validate_python({"id": str(uuid.uuid4()), "seq": 1, "hlc": "0000000000001-00000-a",
                                            "type": "customer.exploded", "entity": "customer", "entity_id": "x",
                                            "payload": {}})


def test_a_push_is_bounded():
    with pytest.raises(ValidationError, match="at most 2000"):
        PushRequest.model_validate({"events": [{}] * 2001})


def test_what_the_terminal_queues_passes_the_protocol(svc, associate, manager):
    view = create_customer(svc, associate, person(email="anna@example.org", phone="+49 151 23456789",
                                                  postal="10115", birth="1990-02-03"))
    add_note(svc, manager, view.id, "likes blue")
    conn = sqlite3.connect(svc.db.path)
    try:
        rows = conn.execute("SELECT id, seq, hlc, event_type, entity, entity_id, payload FROM outbox_event").fetchall()
    finally:
        conn.close()

    events = [{"id": r[0], "seq": r[1], "hlc": r[2], "type": r[3], "entity": r[4], "entity_id": r[5],
               "payload": json.loads(r[6])} for r in rows]
    assert {e["type"] for e in events} >= {"customer.created", "note.created"}
    PushRequest.model_validate({"events": events})


def test_the_terminal_does_not_queue_what_headquarters_would_refuse(svc, admin):
    with pytest.raises(ProtocolError, match=r"payload\.customer_id"):
        with svc.change(admin) as tx:
            tx.outbox(EventKind.NOTE_CREATED, "customer_note", "n", {"id": str(uuid.uuid4()), "text": "x"})
    conn = sqlite3.connect(svc.db.path)
    try:
        assert conn.execute("SELECT count(*) FROM outbox_event WHERE event_type = 'note.created'").fetchone() == (0,)
    finally:
        conn.close()
