"""A test's view of the running system: its fixture, simulated calls and the JSON API."""

from __future__ import annotations

import uuid

import requests

from asterisk_sim import place_call
from tests.integration import harness

KNOWN_CALLER = ("13800138000", "张三", "城南五金厂", "0571-88886666")


def start_system(stores, run_service, amqp_uri, **calls_config) -> dict:
    """Staffing, calls (with ``calls_config`` on top of the test config) and the gateway
    running; where to reach them."""
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    run_service("staffing")
    calls = run_service("calls", **calls_config)
    gateway = run_service("gateway")
    return {
        "agi": harness.agi_port(calls),
        "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api",
        "stores": stores,
        "amqp_uri": amqp_uri,
        "calls": calls,
        "gateway": gateway,
    }


def call(system, **kwargs):
    kwargs.setdefault("uniqueid", f"1764100000.{uuid.uuid4().int % 10**6}")
    return place_call("127.0.0.1", system["agi"], **kwargs)


def login(system, username="agent01") -> dict:
    response = requests.post(
        f"{system['api']}/auth/token",
        json={"username": username, "password": harness.PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def get(system, path: str, headers: dict) -> requests.Response:
    return requests.get(f"{system['api']}{path}", headers=headers, timeout=10)


def routed_order(system, headers, work_order_id: str) -> dict:
    """The work order once the calls service has recorded staffing's decision."""

    def assigned():
        order = get(system, f"/work-orders/{work_order_id}", headers).json()
        return order if order.get("assignee") else None

    return harness.wait_for(assigned)


def post(system, path: str, headers: dict, body: dict | None = None) -> requests.Response:
    return requests.post(f"{system['api']}{path}", headers=headers, json=body or {}, timeout=10)


def put(system, path: str, headers: dict, body: dict) -> requests.Response:
    return requests.put(f"{system['api']}{path}", headers=headers, json=body, timeout=10)
