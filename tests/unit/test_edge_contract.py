"""The edge's pure parts: the OpenAPI description against the routes nameko records, the
declared path types, the cursor codec (svckit/paging.py) and the problem shape."""

import json
from datetime import UTC, datetime

import pytest

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
