"""Property-based testing of the live gateway from its own OpenAPI description (schemathesis):
every operation, with valid and invalid inputs, a bearer token of a duty leader; no 5xx but a
503 (a backend really down), and every response conforms to the description (status, media
type, and the response schema of gateway/replies.py). Then the stateful phase follows the
description's links (register a customer → read it; request leave → read it; declare an
outage → lift it). Bounded: a few examples per operation and mode (``FUZZ_EXAMPLES``), a few
short scenarios (``FUZZ_SCENARIOS``), about a minute per database."""

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

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
BOUNDED = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))


@pytest.mark.timeout(600)
def test_the_live_gateway_holds_to_its_description(system, inbox_store, run_service):
    run_service("inbox")  # the console's inbox routes (issue 11) answer, not time out
    base = system["api"].removesuffix("/api")
    document = requests.get(f"{system['api']}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    headers = login(system, "leader01")
    session = requests.Session()

    def checked(case, response) -> None:
        if response.status_code != 503:  # a backend really down is allowed
            case.validate_response(response, checks=CHECKS, headers=headers)

    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/stream":  # never ends while the token lives: see its test
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, **BOUNDED)
            def check(case):
                checked(case, case.call(base_url=base, session=session, headers=headers,
                                        timeout=10))

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid: an operation without inputs
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])

    linked = {(op["operationId"], link["operationId"])
              for ops in document["paths"].values() for op in ops.values()
              for link in op["responses"]["200"].get("links", {}).values()}
    assert len(linked) >= 3
    stateful = schema.include(operation_id=sorted({o for pair in linked for o in pair}))

    class Scenarios(stateful.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": base, "session": session, "headers": headers, "timeout": 10}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            checked(case, response)

    try:
        Scenarios.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=3,
                                        **BOUNDED))
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
        failures.append(f"stateful: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
