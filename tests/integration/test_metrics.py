"""Every service shows Prometheus metrics: per entrypoint and the business figures."""

import re

import requests

from asterisk_sim import place_call
from tests.integration import harness


def scrape(container) -> str:
    response = requests.get(f"http://127.0.0.1:{harness.http_port(container)}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


def test_metrics_after_a_call(stores, hotline_staff, run_service, db_backend):
    staffing = run_service("staffing")
    calls = run_service("calls")
    gateway = run_service("gateway")
    place_call("127.0.0.1", harness.agi_port(calls), digits=["2"])
    gateway_url = f"http://127.0.0.1:{harness.http_port(gateway)}/api/auth/token"
    assert (
        requests.post(gateway_url, json={"username": "x", "password": "y"}, timeout=10).status_code
        == 400
    )
    harness.wait_for(lambda: 'entrypoint="on_work_order_routed",kind="event"' in scrape(calls))

    calls_page, staffing_page, gateway_page = scrape(calls), scrape(staffing), scrape(gateway)
    for name in [
        'csc_calls_total{category="fault_report"}',
        'csc_work_orders_created_total{category="fault_report"}',
        "csc_agi_sessions_in_progress",
        "csc_agi_session_duration_seconds_bucket",
        'csc_entrypoint_calls_total{entrypoint="hotline",kind="agi",service="calls"}',
        'csc_entrypoint_duration_seconds_bucket{entrypoint="on_work_order_routed"',
        'csc_outbox_published_total{service="calls"}',
        'csc_outbox_backlog{service="calls"}',
    ]:
        assert name in calls_page, name
    assert re.search(
        r'csc_work_orders_routed_total\{reason="least_loaded_seat_agent",role="seat_agent"\} '
        r"[1-9]",
        staffing_page,
    )
    assert 'csc_entrypoint_calls_total{entrypoint="route_work_order",kind="rpc"' in staffing_page
    assert (
        'csc_entrypoint_calls_total{entrypoint="create_token",kind="http",service="gateway"}'
        in gateway_page
    )
    labels = re.findall(r"\{([^}]*)\}", calls_page + staffing_page)
    assert not [label for label in labels if re.search(r"\d{7,}", label)], "no ids or numbers"
