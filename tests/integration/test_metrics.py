"""Every service shows Prometheus metrics: per entrypoint and the business figures."""

import re
from datetime import UTC, datetime, timedelta

import requests
from prometheus_client import REGISTRY

from asterisk_sim import place_call
from services.calls import figures
from services.calls.models import DeadlineWarningSent, WorkOrder, WorkOrderClock
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
    token = {"service": "gateway", "entrypoint": "create_token", "kind": "http"}
    before = [REGISTRY.get_sample_value(name, token) or 0 for name in
              ("csc_entrypoint_refusals_total", "csc_entrypoint_errors_total")]
    assert (
        requests.post(gateway_url, json={"username": "x", "password": "y"}, timeout=10).status_code
        == 400
    )
    routed = (r'csc_entrypoint_duration_seconds_count\{entrypoint="on_work_order_routed",'
              r'kind="event",service="calls"\} [1-9]')
    # every entrypoint's counters exist from the start: wait for a handled event instead
    harness.wait_for(lambda: re.search(routed, scrape(calls)))

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
    # the bad login is a refusal (400), not a failure (the registry is the process's: deltas)
    after = [REGISTRY.get_sample_value(name, token) for name in
             ("csc_entrypoint_refusals_total", "csc_entrypoint_errors_total")]
    assert after == [before[0] + 1, before[1]]
    labels = re.findall(r"\{([^}]*)\}", calls_page + staffing_page)
    assert not [label for label in labels if re.search(r"\d{7,}", label)], "no ids or numbers"


def test_work_order_figures_count_what_the_database_holds(stores):
    """csc_work_orders{status}, overdue, escalated, open clocks by warning reached,
    provisional clocks (services/calls/figures.py), from rows as the service writes them."""
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    orders = [  # id, status, escalated to, clock due, stopped, provisional, warnings sent
        ("wo-late", "assigned", None, now - hour, False, False, [75, 90, 100]),
        ("wo-warned", "dispatched", "duty_leader", now + hour, False, True, [75]),
        ("wo-fresh", "assigned", None, now + 9 * hour, False, False, []),
        ("wo-closed", "closed", "deputy_team_lead", now - hour, True, False, [75]),
    ]
    with stores["calls"].transaction() as session:
        for number, (order_id, status, escalated, due, stopped, provisional, sent) in enumerate(
            orders
        ):
            session.add(WorkOrder(
                id=order_id, call_uniqueid=f"1764.{number}", category="fault_report",
                status=status, caller_number="13800138000", caller_name="张三",
                created_at=now - 2 * hour, escalation_level=escalated,
            ))
            session.flush()
            session.add(WorkOrderClock(
                work_order_id=order_id, clock="handling", policy_key="fault_report",
                unit="hours", starts_on="created", started_at=now - 2 * hour, due_at=due,
                stopped_at=now if stopped else None, provisional=provisional,
            ))
            for percent in sent:
                session.add(DeadlineWarningSent(work_order_id=order_id, clock="handling",
                                                percent=percent, due_at=due, sent_at=now))
        session.flush()
        figures.count(session, now, [75, 90, 100])

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels)

    assert value("csc_work_orders", status="assigned") == 2
    assert value("csc_work_orders", status="closed") == 1
    assert value("csc_work_orders", status="replied") == 0
    assert value("csc_work_orders_overdue") == 1
    assert value("csc_work_orders_escalated") == 1  # the closed one no longer counts
    assert value("csc_deadline_clocks_provisional") == 1
    assert [value("csc_deadline_clocks_open", warning=level)
            for level in ("none", "75", "90", "100")] == [1, 1, 0, 1]
