"""The gateway: every request authenticated, errors as JSON with the right 4xx."""

from datetime import timedelta
from functools import partial

import pytest
import requests

from gateway.auth import issue_token
from tests.integration import harness

SECRET = harness.config("")["GATEWAY"]["token_secret"]
get, post, delete = (
    partial(call, timeout=10) for call in (requests.get, requests.post, requests.delete)
)


@pytest.fixture
def api(stores, hotline_staff, run_service):
    run_service("staffing")
    run_service("calls")
    return f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"


@pytest.fixture(params=["sqlite"])
def db_backend(request):  # the gateway keeps no data: one backend is enough
    return request.param


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_a_token_with_the_role_from_staffing(api):
    response = post(
        f"{api}/auth/token", json={"username": "leader01", "password": harness.PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["staff"]["role"] == "duty_leader" and body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60 and body["refresh_token"]
    missing = get(f"{api}/work-orders/nope", headers=bearer(body["access_token"]))
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.json() == {
        "type": "/api/docs#problem-work_order_not_found", "title": "Not Found", "status": 404,
        "detail": "work order nope not found", "code": "work_order_not_found",
        "error": "work order nope not found",
    }


BAD_LOGINS = [
    ({"username": "leader01", "password": "wrong"}, 400),  # invalid_grant (RFC 6749 §5.2)
    ({"username": "nobody", "password": "x"}, 400),
    ({"username": "leader01"}, 400),
    ({"username": 1, "password": 2}, 400),
    ([1, 2], 400),
    ("{not json", 400),
]


def test_bad_logins_are_refused_with_a_message(api):
    for body, status in BAD_LOGINS:
        kwargs = (
            {"data": body, "headers": {"Content-Type": "application/json"}}
            if isinstance(body, str) else {"json": body}
        )
        response = post(f"{api}/auth/token", **kwargs)
        assert response.status_code == status, body
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["error"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWdlbnQwMTpkZW1v"},
        bearer(
            issue_token(
                {"id": 1, "username": "a", "role": "seat_agent"}, "other" * 8, timedelta(hours=1)
            )
        ),
        bearer(
            issue_token(
                {"id": 1, "username": "a", "role": "seat_agent"}, SECRET, timedelta(hours=-1)
            )
        ),
    ],
    ids=["none", "garbage", "basic", "wrong-key", "expired"],
)
def test_every_read_needs_a_valid_token(api, headers):
    for path in ["/work-orders/x", "/work-orders?caller=1", "/calls/1.1"]:
        response = get(f"{api}{path}", headers=headers)
        assert response.status_code == 401, path
        assert response.json()["error"]


def test_a_token_without_a_hotline_role_is_forbidden(api):
    token = issue_token(
        {"id": 99, "username": "hall", "role": "window_staff"}, SECRET, timedelta(hours=1)
    )
    response = get(f"{api}/calls/1.1", headers=bearer(token))
    assert response.status_code == 403


def test_a_bad_caller_number_is_a_400(api):
    token = issue_token(
        {"id": 1, "username": "a", "role": "seat_agent"}, SECRET, timedelta(hours=1)
    )
    for caller in ["", "abc", "1" * 65, "1;drop"]:
        response = get(f"{api}/work-orders", params={"caller": caller}, headers=bearer(token))
        assert response.status_code == 400, caller


def test_an_unknown_endpoint_is_a_json_404_and_a_wrong_method_a_405(api):
    response = delete(f"{api}/no-such-thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "no endpoint" in response.json()["detail"]
    response = delete(f"{api}/work-orders/1")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_service_that_is_not_running_is_a_json_503(stores, run_service):
    api = f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"
    response = post(f"{api}/auth/token", json={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "staffing" in response.json()["error_description"]
