"""Escalation end to end (S1.6, S1.10, S3.2): an agent escalates a major matter to the duty
leader on duty, the leader to the deputy team lead, and the deadline sweep escalates an overdue
order by the same path; each reaches a person on duty (staffing's roster), who finds the order
in her queue and is named in ``work_order.escalated``, while the agent keeps the order.

Both services' clocks are set (staffing decides who is on shift at its own time).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.catalogue_check import validate_published
from tests.integration import amqp, harness
from tests.integration.client import KNOWN_CALLER, call, get, login, post, routed_order

SH = ZoneInfo("Asia/Shanghai")
NIGHT = (time(20, 0), time(8, 0))
REASON = "客户称整栋楼停电4小时,要向媒体反映"


def local(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH).isoformat()


@pytest.fixture
def escalating(stores, run_service, amqp_uri):
    """A night duty leader registered first (lowest id, off shift by day), then the day crew."""
    harness.add_staff(stores["staffing"], [("leader09", "duty_leader", "8109")], shift=NIGHT)
    harness.add_staff(
        stores["staffing"],
        [("agent01", "seat_agent", "8001"), ("agent02", "seat_agent", "8002"),
         ("leader01", "duty_leader", "8101"), ("lead01", "deputy_team_lead", "8201")],
    )
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    run_service("staffing", TEST_CLOCK=True)
    calls = run_service("calls", TEST_CLOCK=True,
                        DEADLINES={"sweep_interval_seconds": 3600, "idle_escalation_hours": 1000})
    gateway = run_service("gateway")
    system = {"agi": harness.agi_port(calls), "amqp_uri": amqp_uri, "stores": stores,
              "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api"}
    at(system, local(3, 10))
    return system


def rpc(system, service: str, method: str, *args):
    with ServiceRpcProxy(service, {"AMQP_URI": system["amqp_uri"]}) as proxy:
        return getattr(proxy, method)(*args)


def at(system, when: str) -> None:
    for service in ("calls", "staffing"):
        rpc(system, service, "set_test_clock", when)


def open_fault(system) -> tuple[dict, dict]:
    transcript = call(system, caller_num=KNOWN_CALLER[0], digits=["2"])
    order = routed_order(system, login(system, "leader01"), transcript.variables["WORK_ORDER_ID"])
    assert order["assignee"]["role"] == "seat_agent"
    return order, login(system, order["assignee"]["name"].lower())


def queue(system, headers) -> list[str]:
    response = get(system, "/queues/mine", headers)
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["items"]]


def staff_id(system, username: str) -> int:
    return rpc(system, "staffing", "login", username, harness.PASSWORD, "127.0.0.1")["staff"]["id"]


def escalations(listener: amqp.Listener, expect: int) -> list[dict]:
    events = listener.drain(expect=expect, timeout=10) + listener.drain(expect=50, timeout=0.5)
    for event in events:
        validate_published(event)
    return [e["payload"] for e in events]


def test_an_agent_escalates_to_the_duty_leader_on_duty_and_she_to_the_deputy(escalating):
    system = escalating
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.escalated")
    order, agent = open_fault(system)
    oid = order["id"]
    leader, night, lead = (login(system, name) for name in ("leader01", "leader09", "lead01"))
    other = login(system, "agent02" if order["assignee"]["name"] == "Agent01" else "agent01")
    assert "escalate" in get(system, f"/work-orders/{oid}", agent).json()["allowed_actions"]

    missing = post(system, f"/work-orders/{oid}/escalate", agent, {})
    assert missing.status_code == 400 and "reason" in missing.json()["error"]
    for refused in (other, lead):  # not her order; the top of the line
        response = post(system, f"/work-orders/{oid}/escalate", refused, {"reason": REASON})
        assert response.status_code == 403, response.text

    escalated = post(system, f"/work-orders/{oid}/escalate", agent, {"reason": REASON})
    assert escalated.status_code == 200, escalated.text
    to = escalated.json()["escalated_to"]
    assert (to["level"], to["name"], to["id"]) == ("duty_leader", "Leader01",
                                                   staff_id(system, "leader01"))
    assert oid in queue(system, agent) and oid in queue(system, leader)  # she keeps it
    assert oid not in queue(system, night) and oid not in queue(system, lead)
    view = get(system, f"/work-orders/{oid}", agent).json()
    assert view["assignee"]["id"] == order["assignee"]["id"] and view["status"] == "assigned"
    assert "escalate" not in view["allowed_actions"]
    again = post(system, f"/work-orders/{oid}/escalate", agent, {"reason": REASON})
    assert again.status_code == 409 and "ESC-4" in again.json()["error"]

    up = post(system, f"/work-orders/{oid}/escalate", leader, {"reason": "需协调营销部、运检部"})
    assert up.status_code == 200, up.text
    assert up.json()["escalated_to"]["name"] == "Lead01"
    assert oid in queue(system, lead) and oid in queue(system, agent)
    assert oid not in queue(system, leader)

    view = get(system, f"/work-orders/{oid}", lead).json()
    steps = [(h["action"], h["actor"]["role"], h["data"].get("level"), h["data"].get("to"))
             for h in view["history"] if h["action"] == "escalate"]
    assert steps == [("escalate", "seat_agent", "duty_leader", staff_id(system, "leader01")),
                     ("escalate", "duty_leader", "deputy_team_lead", staff_id(system, "lead01"))]
    assert [e["level"] for e in view["escalations"]] == ["duty_leader", "deputy_team_lead"]
    assert view["escalation_level"] == "deputy_team_lead"

    published = escalations(listener, expect=2)
    assert [(p["level"], p["recipient_staff_id"], p["escalated_by"]["role"], p["reason"])
            for p in published] == [
        ("duty_leader", staff_id(system, "leader01"), "seat_agent", REASON),
        ("deputy_team_lead", staff_id(system, "lead01"), "duty_leader", "需协调营销部、运检部"),
    ]
    assert {p["assignee_id"] for p in published} == {order["assignee"]["id"]}


def test_the_sweep_escalates_an_overdue_order_into_the_leader_s_queue(escalating):
    system = escalating
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.escalated")
    order, agent = open_fault(system)  # the urban on-site clock: 45 minutes
    oid, leader = order["id"], login(system, "leader01")
    assert oid not in queue(system, leader)

    at(system, local(3, 10, 50))
    report = rpc(system, "calls", "sweep_deadlines", local(3, 10, 50))
    assert report["escalations"] == 1 and report["failed"] == 0
    view = get(system, f"/work-orders/{oid}", leader).json()
    assert view["escalated_to"]["name"] == "Leader01"
    assert oid in queue(system, leader) and oid in queue(system, agent)
    assert oid not in queue(system, login(system, "leader09"))  # off shift by day
    [published] = escalations(listener, expect=1)
    assert published["recipient_staff_id"] == staff_id(system, "leader01")
    assert published["escalated_by"]["role"] == "system" and published["clock"] == "on_site"

    # the agent's own escalation found the duty leader reached: only up the line from there
    refused = post(system, f"/work-orders/{oid}/escalate", agent, {"reason": REASON})
    assert refused.status_code == 409 and "already escalated" in refused.json()["error"]
