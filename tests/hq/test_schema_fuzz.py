"""Schemathesis against headquarters' own OpenAPI document, in process (ASGI), on SQLite and on
PostgreSQL, with and without a terminal credential: no request gives a server error, and every
answer (status code, content type, body) is one the document describes.

Examples are bounded per operation (``EXAMPLES``: the everyday run sends every operation a few
simple requests and a few broken ones); the variants with many examples per operation (300 with a
credential, 25 without) are marked slow and run in CI's slow run.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                         response_schema_conformance, status_code_conformance)

from pos_customers.hq.api import create_app
from pos_customers.hq.mailer import FileMailer
from pos_customers.hq.service import Headquarters
from tests.hq.test_api import created, ref

EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def hq_app(hq_engine, tmp_path):
    """Headquarters with one enrolled store holding one customer (so lookups can find something)."""
    hq = Headquarters(hq_engine, mailer=FileMailer(tmp_path / "mail"))
    app = create_app(hq_engine, hq)
    _terminal_id, credential, _store, _number = hq.enrol(hq.add_store("BER01", "Berlin"), "till 1")
    who = hq.authenticate(credential)
    result = hq.push(who, [created(str(uuid.uuid4()), ref(), "BER01", "0000000000001-00000-a")])
    assert result.applied and not result.refused
    app.state.credential = credential
    return app


@pytest.fixture
def credential(hq_app):
    return {"Authorization": f"Bearer {hq_app.state.credential}"}


def fuzz(app, mode: GenerationMode, headers: dict[str, str] | None = None, examples: int = EXAMPLES) -> int:
    """Every operation of the document, ``examples`` generated requests each. Returns how many were sent.

    Invalid data must be refused (4xx) too; except where the credential is added after generation:
    a case generated without the Authorization header is then sent with it."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE and headers is None else [])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            nonlocal sent
            case.call_and_validate(headers=headers, checks=checks)
            sent += 1

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing can be invalid here (no parameters, no body)
    return sent


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_without_a_credential(hq_app, mode):
    assert fuzz(hq_app, mode, examples=4) > 0  # mostly 401s: fewer examples do


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_with_a_terminal_credential(hq_app, credential, mode):
    assert fuzz(hq_app, mode, credential) > 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_with_a_terminal_credential_many_examples(hq_app, credential, mode):
    assert fuzz(hq_app, mode, credential, examples=300) > 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_without_a_credential_many_examples(hq_app, mode):
    assert fuzz(hq_app, mode, examples=25) > 0
