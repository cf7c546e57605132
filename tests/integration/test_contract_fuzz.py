"""Property-based testing of the live gateway from its own OpenAPI description (schemathesis):
every operation, with valid and invalid inputs, a bearer token of a duty leader; no 5xx but a
503 (a backend really down), and every response conforms to the description (status, media
type, schema). Bounded: a few examples per operation and mode (``FUZZ_EXAMPLES``)."""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.client import login

EXTRA_DATABASES = ("visits",)  # tests/conftest.py db_urls: the visits routes are fuzzed too
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.mark.timeout(600)
def test_the_live_gateway_holds_to_its_description(system, run_service):
    run_service("visits")
    base = system["api"].removesuffix("/api")
    schema = schemathesis.openapi.from_dict(
        requests.get(f"{system['api']}/openapi.json", timeout=10).json()
    )
    headers = login(system, "leader01")
    session = requests.Session()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                response = case.call(base_url=base, session=session, headers=headers, timeout=10)
                if response.status_code == 503:  # a backend really down is allowed
                    return
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid: an operation without inputs
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # collect all, report together
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
