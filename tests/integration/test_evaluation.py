"""The monthly evaluation through the broker and the gateway: facts from the calls service's
events (never its tables), kept once, shown as JSON and CSV, scored by the duty leader (S3.2)."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import (
    Actor,
    ClockStopped,
    WorkOrderStatus,
    WorkOrderTransitioned,
    make_event,
)
from tests.integration import amqp, harness
from tests.integration.client import get, login, put

NOV = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


@pytest.fixture
def system(stores, hotline_staff, run_service):
    run_service("staffing")
    gateway = run_service("gateway")
    return {"api": f"http://127.0.0.1:{harness.http_port(gateway)}/api", "stores": stores}


def transition(kind: str, order: str, owner: int, at: datetime, **data):
    payload = WorkOrderTransitioned(
        work_order_id=order, action=kind, from_status=WorkOrderStatus.IN_PROGRESS,
        to_status=WorkOrderStatus.REPLIED, actor=Actor(id=str(owner), role="seat_agent"),
        data=data, assignee_id=owner, category="complaint", created_at=NOV, at=at,
    )
    return make_event("calls", payload, occurred_at=at, event_type=f"work_order.{kind}")


def stopped(order: str, owner: int, on_time: bool):
    payload = ClockStopped(
        work_order_id=order, clock="reply", policy_key="complaint.reply", category="complaint",
        assignee_id=owner, due_at=NOV + timedelta(days=9), stopped_at=NOV + timedelta(hours=5),
        on_time=on_time,
    )
    return make_event("calls", payload, occurred_at=payload.stopped_at)


def test_a_month_of_events_becomes_each_agent_s_evaluation(system, amqp_uri):
    agent1, agent2 = 1, 2  # hotline_staff: agent01, agent02, leader01 (3), lead01 (4)
    events = [
        transition("assigned", "A", agent1, NOV),
        transition("replied", "A", agent1, NOV + timedelta(hours=4)),
        transition("revisited", "A", agent1, NOV + timedelta(hours=6), satisfaction=4,
                   solved=True),
        stopped("A", agent1, on_time=True),
        transition("assigned", "B", agent1, NOV),
        stopped("B", agent1, on_time=False),
        transition("assigned", "C", agent2, NOV),
        transition("replied", "C", agent2, NOV + timedelta(hours=1)),
        transition("replied", "Z", agent2, datetime(2026, 10, 31, 15, 0, tzinfo=UTC)),  # Oct
        # 00:30 on 1 November in Shanghai: November's, on every backend
        transition("replied", "Y", agent2, datetime(2026, 10, 31, 16, 30, tzinfo=UTC)),
    ]
    for event in [*events, events[1]]:  # the broker delivers at least once: one comes twice
        amqp.publish_event(amqp_uri, event)
    leader = login(system, "leader01")

    def complete():
        rows = get(system, "/evaluations/2026-11", leader).json()["items"]
        by_id = {row["staff_id"]: row for row in rows}
        return by_id if by_id.get(agent2, {}).get("orders_handled") == 2 else None

    rows = harness.wait_for(complete)
    assert rows[agent1]["orders_assigned"] == 2 and rows[agent1]["orders_handled"] == 1
    assert rows[agent1]["average_hours_to_reply"] == 4.0
    assert rows[agent1]["on_time_rate"] == {"reply": 0.5}
    assert rows[agent1]["satisfaction"] == 4.0
    assert rows[agent2]["orders_handled"] == 2  # October's reply is not November's
    assert rows[3]["role"] == "duty_leader" and rows[3]["orders_handled"] == 0

    scored = put(system, f"/evaluations/2026-11/{agent1}", leader, {"score": 92, "comment": "及时"})
    assert scored.status_code == 200, scored.text
    report = get(system, "/evaluations/2026-11?format=csv", leader)
    assert report.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    first = next(line for line in lines if line["staff_id"] == str(agent1))
    assert (first["score"], first["comment"], first["on_time_rate.reply"]) == ("92", "及时", "0.5")

    agent = login(system, "agent01")
    own = get(system, "/evaluations/2026-11", agent).json()["items"]
    assert [row["staff_id"] for row in own] == [agent1] and own[0]["score"] == 92
    refused = put(system, f"/evaluations/2026-11/{agent1}", agent, {"score": 100})
    assert refused.status_code == 403 and "duty leader" in refused.json()["error"]
    assert put(system, f"/evaluations/2026-11/{agent1}", leader, {"score": 101}).status_code == 400
    assert put(system, "/evaluations/2026-11/999", leader, {"score": 50}).status_code == 404
    bad_month = get(system, "/evaluations/November", leader)
    assert bad_month.status_code == 400 and "YYYY-MM" in bad_month.json()["error"]


def test_an_event_without_an_owner_is_taken_and_counts_for_nobody(system, amqp_uri):
    event = stopped(str(uuid.uuid4()), None, on_time=True)
    amqp.publish_event(amqp_uri, event)
    marker = transition("replied", "M", 1, NOV)
    amqp.publish_event(amqp_uri, marker)
    leader = login(system, "leader01")

    def handled():
        rows = get(system, "/evaluations/2026-11", leader).json()["items"]
        return rows if rows[0]["orders_handled"] else None

    rows = harness.wait_for(handled)
    assert all(row["on_time_rate"] == {} for row in rows)
    parked = "evt-calls-work_order.clock_stopped--staffing.on_clock_stopped.dlq"
    assert amqp.queue_depth(amqp_uri, parked) == 0
