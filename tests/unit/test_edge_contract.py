"""The edge's pure parts: the OpenAPI description against the routes nameko records, the
declared path types, the cursor codec (svckit/paging.py) and the problem shape."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from gateway import models as gateway_models
from gateway import replies
from gateway.edge import ApiRoute, problem
from gateway.models import PATH_TYPES
from gateway.openapi import CONVERTER, openapi_document, operations, routes
from gateway.service import GatewayService
from svckit import paging


def test_every_route_is_described_and_nothing_else():
    document = openapi_document(GatewayService)
    described = {(m.upper(), path) for path, ops in document["paths"].items() for m in ops}
    assert described == operations(GatewayService)
    recorded = [ep for cls in GatewayService.__mro__ for fn in vars(cls).values()
                for ep in getattr(fn, "nameko_entrypoints", ()) if isinstance(ep, ApiRoute)]
    assert len(recorded) == len(routes(GatewayService)) > 40


def test_every_path_value_has_a_declared_type():
    urls = [route.url for _, route in routes(GatewayService)]
    names = {match["name"] for url in urls for match in CONVERTER.finditer(url)}
    assert names <= set(PATH_TYPES)


def test_a_cursor_round_trips_and_a_forged_one_is_refused():
    key = [datetime(2026, 11, 30, 8, tzinfo=UTC), "abc"]
    assert paging.decode(paging.encode(key), 2) == key
    for forged in ["!!", "bm90LWEtY3Vyc29y", paging.encode([1]), paging.encode([[1], 2])]:
        with pytest.raises(paging.BadCursor):
            paging.decode(forged, 2)
    with pytest.raises(paging.BadCursor):
        paging.check_limit(2**70)


def test_a_page_says_whether_more_follow():
    assert paging.page([1, 2], 2, lambda r: [r]) == ([1, 2], None)
    rows, after = paging.page([1, 2, 3], 2, lambda r: [r])
    assert rows == [1, 2] and paging.decode(after, 1) == [2]


def test_a_problem_has_the_rfc_9457_members_and_a_code():
    response = problem(404, "gone", "work_order_not_found")
    body = json.loads(response.get_data())
    assert response.mimetype == "application/problem+json"
    assert body == {"type": "/api/docs#problem-work_order_not_found", "title": "Not Found",
                    "status": 404, "detail": "gone", "code": "work_order_not_found",
                    "error": "gone"}


def test_every_json_answer_has_a_declared_schema_and_names_are_unique():
    document = openapi_document(GatewayService)
    schemas = document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation["responses"]["200"]["content"]
            if "application/json" in content:
                ref = content["application/json"]["schema"].get("$ref", "")
                assert ref.removeprefix("#/components/schemas/") in schemas, (method, path)
    declared = {}
    for module in (gateway_models, replies):
        for name, kind in vars(module).items():
            if isinstance(kind, type) and issubclass(kind, BaseModel) \
                    and kind.__module__ == module.__name__:
                assert declared.setdefault(name, kind) is kind, f"two schemas named {name}"


def test_a_nullable_member_says_so_and_stays_required():
    schema = replies.WorkOrderView.model_json_schema()
    assert "assignee" in schema["required"]
    assert {"type": "null"} in schema["properties"]["assignee"]["anyOf"]
    assert schema["additionalProperties"] is False


def test_links_lead_to_operations_that_take_those_parameters():
    document = openapi_document(GatewayService)
    by_id = {op["operationId"]: op for ops in document["paths"].values() for op in ops.values()}
    links = [(source, link) for source, op in by_id.items()
             for link in op["responses"]["200"].get("links", {}).values()]
    assert {(source, link["operationId"]) for source, link in links} >= {
        ("register_customer", "get_customer"), ("leave_request", "leave_get"),
        ("declare_outage", "lift_outage")}
    for _, link in links:
        target = {p["name"] for p in by_id[link["operationId"]]["parameters"]}
        assert set(link["parameters"]) <= target


def test_the_token_body_is_described_for_both_grants_and_media_types():
    operation = openapi_document(GatewayService)["paths"]["/api/auth/token"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
    schemas = openapi_document(GatewayService)["components"]["schemas"]
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in schemas["TokenGrant"]["anyOf"]}
    assert kinds == {"PasswordGrant", "RefreshGrant"}
    assert schemas["PasswordGrant"]["properties"]["password"]["maxLength"] == 1024
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/TokenReply"}
