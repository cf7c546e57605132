"""Deadline clocks end to end (issue 3): started, warned, urged, escalated, stopped and listed,
on real calendar dates (the calls service's clock is set through its test RPC), on a real
broker and on SQLite and PostgreSQL.

Calendar facts (chinese-calendar 1.11.0): Spring Festival 2026 holiday 02-15 .. 02-23, make-up
working Saturdays 02-14 and 02-28.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.catalogue_check import validate_published
from tests.integration import amqp, harness
from tests.integration.client import call, get, login, post, routed_order, start_system

SH = ZoneInfo("Asia/Shanghai")
REPAIR = "运检部"
DEADLINES = {"sweep_interval_seconds": 3600, "idle_escalation_hours": 1000}
DEADLINE_EVENTS = ("deadline_warning", "escalated", "urged", "clock_started", "clock_stopped")


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).isoformat()


def utc_iso(month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC).isoformat()


@pytest.fixture
def deadlines(stores, hotline_staff, run_service, amqp_uri):
    """The system with a settable clock and no timer sweeps in the way (an hour apart)."""
    harness.add_departments(stores["staffing"], REPAIR)
    harness.add_staff(stores["staffing"], [("repair01", "department_staff", "9001", REPAIR)])
    system = start_system(stores, run_service, amqp_uri, TEST_CLOCK=True, DEADLINES=DEADLINES)
    system["run_service"] = run_service
    return system


def calls_rpc(system, method: str, *args):
    with ServiceRpcProxy("calls", {"AMQP_URI": system["amqp_uri"]}) as calls:
        return getattr(calls, method)(*args)


def at(system, when: str) -> None:
    calls_rpc(system, "set_test_clock", when)


def sweep(system, when: str) -> dict:
    return calls_rpc(system, "sweep_deadlines", when)


def open_order(system, digits: str) -> tuple[dict, dict]:
    transcript = call(system, caller_num="13800138000", digits=[digits])
    order = routed_order(system, login(system, "leader01"), transcript.variables["WORK_ORDER_ID"])
    return order, login(system, order["assignee"]["name"].lower())


def act(system, headers, order_id, action, **fields):
    response = post(system, f"/work-orders/{order_id}/{action}", headers, fields)
    assert response.status_code == 200, (action, response.text)
    return response.json()


def deadline_events(listener: amqp.Listener, expect: int) -> list[dict]:
    """What was published, waiting for ``expect`` and a little longer for any extra."""
    events = listener.drain(expect=expect, timeout=10)
    events += listener.drain(expect=100, timeout=1.0)
    for event in events:
        validate_published(event)
    return [e for e in events if e["type"].removeprefix("work_order.") in DEADLINE_EVENTS]


def kinds(events: list[dict]) -> Counter:
    return Counter(e["type"].removeprefix("work_order.") for e in events)


def clocks_of(system, headers, order_id) -> dict[str, dict]:
    order = get(system, f"/work-orders/{order_id}", headers).json()
    return {clock["clock"]: clock for clock in order["clocks"]}


def test_a_complaint_before_the_spring_festival_is_warned_urged_escalated_once(deadlines):
    system = deadlines
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.*")
    at(system, local(2, 13, 16))  # Friday; Saturday 02-14 is a make-up working day
    order, agent = open_order(system, "3")
    oid, leader = order["id"], login(system, "leader01")
    clocks = clocks_of(system, leader, oid)
    assert {name: c["due_at"] for name, c in clocks.items()} == {
        "contact": utc_iso(2, 14, 16), "reply": utc_iso(3, 2, 16),
    }
    at(system, local(2, 13, 16, 5))
    act(system, agent, oid, "dispatch", department=REPAIR)

    assert sweep(system, local(2, 14, 4))["warnings"] == 1  # 50 % of the contact clock
    # the service was down from 04:00 to 20:00: one sweep catches up on 75, 90 and 100 %
    caught_up = sweep(system, local(2, 14, 20))
    assert (caught_up["warnings"], caught_up["urges"], caught_up["escalations"]) == (3, 1, 1)
    assert sweep(system, local(2, 14, 20)) == {**caught_up, "orders": 0, "warnings": 0,
                                               "urges": 0, "escalations": 0}

    harness.stop(system["calls"])  # a restart between sweeps repeats nothing
    system["calls"] = system["run_service"]("calls", TEST_CLOCK=True, DEADLINES=DEADLINES)
    assert sweep(system, local(2, 14, 21))["warnings"] == 0
    assert sweep(system, local(2, 24, 3, 59))["escalations"] == 0
    # 150 %: half a working day past due, counted after the holiday
    assert sweep(system, local(2, 24, 4))["escalations"] == 1

    seen = deadline_events(listener, expect=12)
    assert kinds(seen) == {"clock_started": 2, "deadline_warning": 4, "urged": 1, "escalated": 2}
    warnings = [(e["payload"]["clock"], e["payload"]["percent"]) for e in seen
                if e["type"] == "work_order.deadline_warning"]
    assert warnings == [("contact", 50), ("contact", 75), ("contact", 90), ("contact", 100)]
    assert {e["payload"]["department"] for e in seen if "warning" in e["type"]} == {REPAIR}
    levels = [e["payload"]["level"] for e in seen if e["type"] == "work_order.escalated"]
    assert levels == ["duty_leader", "deputy_team_lead"]

    view = get(system, f"/work-orders/{oid}", leader).json()
    contact = next(c for c in view["clocks"] if c["clock"] == "contact")
    assert contact["warnings_sent"] == [50, 75, 90, 100] and contact["overdue"]
    assert view["escalation_level"] == "deputy_team_lead"
    urge = [h for h in view["history"] if h["action"] == "urge"]
    assert len(urge) == 1 and urge[0]["actor"]["role"] == "system" and view["urged"] == 1
    assert "contact clock is overdue" in urge[0]["note"]

    # the overdue list: the owner and the leaders see it, another agent does not
    at(system, local(2, 24, 5))  # the restarted service keeps the real time until told
    other = login(system, "agent02" if order["assignee"]["name"] == "Agent01" else "agent01")
    for headers, listed in ((agent, True), (leader, True), (other, False)):
        items = get(system, "/work-orders/overdue", headers).json()["items"]
        assert (oid in [o["id"] for o in items]) is listed
    overdue = get(system, "/work-orders/overdue", leader).json()["items"][0]
    assert [c["clock"] for c in overdue["overdue_clocks"]] == ["contact"]

    at(system, local(2, 24, 9))
    act(system, agent, oid, "contact", note="已电话联系客户")
    stopped = [e for e in deadline_events(listener, expect=2)
               if e["type"] == "work_order.clock_stopped"]
    assert [(e["payload"]["clock"], e["payload"]["on_time"]) for e in stopped] == [
        ("contact", False)
    ]
    assert get(system, "/work-orders/overdue", leader).json()["items"] == []


def test_a_fault_repair_clock_follows_the_area_and_stops_when_the_crew_starts(deadlines):
    system = deadlines
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.*")
    at(system, local(2, 17, 3))  # a holiday: minutes are wall clock
    order, agent = open_order(system, "2")
    oid = order["id"]
    act(system, agent, oid, "classify", category="fault_report", area="rural")
    assert clocks_of(system, agent, oid)["on_site"]["due_at"] == utc_iso(2, 17, 4, 30)
    act(system, agent, oid, "dispatch", department=REPAIR)
    at(system, local(2, 17, 4, 20))
    act(system, login(system, "repair01"), oid, "start")

    seen = deadline_events(listener, expect=8)
    started = [e["payload"]["policy_key"] for e in seen if e["type"].endswith("clock_started")]
    assert started == ["fault_repair.urban", "fault_repair.rural"]
    stopped = [e["payload"] for e in seen if e["type"].endswith("clock_stopped")]
    assert [(s["clock"], s["on_time"], s["cancelled"]) for s in stopped] == [
        ("on_site", True, False)
    ]
    assert sweep(system, local(2, 17, 9))["warnings"] == 0  # a stopped clock warns no more


def test_callbacks_are_promised_listed_warned_and_answered(deadlines):
    system = deadlines
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.*")
    leader = login(system, "leader01")
    at(system, local(2, 28, 10))  # a make-up working Saturday
    order, agent = open_order(system, "1")
    oid = order["id"]
    assert clocks_of(system, agent, oid) == {}  # answered on the spot until promised
    promised = post(system, f"/work-orders/{oid}/promise_callback", agent, {"matter": "峰谷电价"})
    assert promised.status_code == 200, promised.text
    view = get(system, f"/work-orders/{oid}", agent).json()
    assert view["callback"]["reply_by"] == utc_iso(3, 2, 10)  # one working day: Monday
    assert view["callback"]["caller"] == {"name": "张三", "work_unit": "城南五金厂",
                                          "contact": "0571-88886666"}
    again = post(system, f"/work-orders/{oid}/promise_callback", agent, {"matter": "x"})
    assert again.status_code == 409 and "already promised" in again.json()["error"]

    explicit, agent2 = open_order(system, "1")
    past = post(system, f"/work-orders/{explicit['id']}/promise_callback", agent2,
                {"matter": "x", "reply_by": local(2, 27, 10)})
    assert past.status_code == 400 and "not in the future" in past.json()["error"]
    act(system, agent2, explicit["id"], "promise_callback", matter="电费账单", caller_name="李四",
        reply_by=local(3, 3, 17))

    def listed(state: str, headers=leader) -> list[str]:
        response = get(system, f"/callbacks?state={state}", headers)
        assert response.status_code == 200, response.text
        return [c["work_order_id"] for c in response.json()["items"]]

    assert listed("due") == [oid, explicit["id"]] and listed("overdue") == []
    at(system, local(3, 2, 11))
    assert listed("due") == [explicit["id"]] and listed("overdue") == [oid]
    owners = {oid: order["assignee"]["name"], explicit["id"]: explicit["assignee"]["name"]}
    for name in set(owners.values()):  # a seat agent sees her own callbacks only
        mine = listed("due", login(system, name.lower())) + listed("overdue",
                                                                   login(system, name.lower()))
        assert sorted(mine) == sorted(o for o, owner in owners.items() if owner == name)
    assert get(system, "/callbacks?state=soon", leader).status_code == 400

    # the second: 50 % of the working time from 02-28 10:00 to 03-03 17:00 is 03-02 13:30
    report = sweep(system, local(3, 2, 14))
    assert report["warnings"] == 4 + 1  # the first: 50..100 %; the second: 50 %
    act(system, agent, oid, "reply", reply="峰谷电价自3月起执行")
    assert listed("overdue") == []

    seen = deadline_events(listener, expect=16)
    warned = sorted((e["payload"]["work_order_id"] == oid, e["payload"]["percent"])
                    for e in seen if e["type"].endswith("deadline_warning"))
    assert warned == [(False, 50), (True, 50), (True, 75), (True, 90), (True, 100)]
    stopped = [e["payload"] for e in seen if e["type"].endswith("clock_stopped")]
    assert [(s["work_order_id"], s["clock"], s["on_time"]) for s in stopped] == [
        (oid, "callback", False)
    ]


def test_a_callback_can_only_be_promised_on_an_inquiry(deadlines):
    system = deadlines
    order, agent = open_order(system, "3")
    refused = post(system, f"/work-orders/{order['id']}/promise_callback", agent, {"matter": "x"})
    assert refused.status_code == 409 and "inquiry" in refused.json()["error"]
    assert get(system, "/work-orders/overdue", login(system, "repair01")).status_code == 403


def test_the_timer_sweeps_by_itself(stores, hotline_staff, run_service, amqp_uri):
    system = start_system(stores, run_service, amqp_uri, TEST_CLOCK=True,
                          DEADLINES={"sweep_interval_seconds": 0.2})
    at(system, local(5, 6, 9))
    order, agent = open_order(system, "2")
    at(system, local(5, 6, 9, 50))  # past the urban 45 minutes
    leader = login(system, "leader01")

    def warned():
        on_site = clocks_of(system, leader, order["id"])["on_site"]
        return on_site["warnings_sent"] == [50, 75, 90, 100] and on_site

    assert harness.wait_for(warned)["overdue"]
    level = harness.wait_for(
        lambda: get(system, f"/work-orders/{order['id']}", leader).json()["escalation_level"]
    )
    assert level == "duty_leader"


def test_a_threshold_is_stored_once_per_order_and_clock(stores):
    """The unique constraint behind 'never sent twice', on both backends: a second sweep that
    raced the first fails at commit, and its events (outbox rows) go with it."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from services.calls.models import DeadlineWarningSent, WorkOrder
    from svckit.outbox import emit

    now = datetime(2026, 2, 14, 8, tzinfo=UTC)
    with stores["calls"].transaction() as session:
        session.add(WorkOrder(id="WO-1", call_uniqueid="1.1", category="complaint",
                              caller_number="1", caller_name="", created_at=now))

    def send(percent: int) -> None:
        with stores["calls"].transaction() as session:
            session.add(DeadlineWarningSent(work_order_id="WO-1", clock="contact",
                                            percent=percent, due_at=now, sent_at=now))
            emit(session, _warning_event(now, percent))

    send(50)
    with pytest.raises(IntegrityError):
        send(50)
    send(75)
    outbox = stores["calls"].outbox
    with stores["calls"].transaction() as session:
        assert session.scalar(select(func.count()).select_from(outbox)) == 2


def _warning_event(now: datetime, percent: int):
    from contracts.events import DeadlineWarning, make_event

    return make_event("calls", DeadlineWarning(
        work_order_id="WO-1", clock="contact", policy_key="complaint.contact", percent=percent,
        due_at=now, assignee_id=None, department=None, at=now,
    ))


def test_one_order_that_cannot_be_swept_does_not_stop_the_others(stores):
    """A clock stored with a unit no policy has (a corrupt row) fails its own order's sweep,
    counted and retried, while the other orders are warned."""
    from services.calls import clocks, sweeps
    from services.calls.models import WorkOrder, WorkOrderClock
    from svckit.db import WorkerDatabase

    opened = datetime(2026, 12, 30, 9, tzinfo=SH)
    with stores["calls"].transaction() as session:
        for oid, unit, due in (
            ("WO-BAD", "fortnights", datetime(2027, 1, 8, 9, tzinfo=SH)),
            ("WO-OK", "minutes", datetime(2026, 12, 30, 9, 45, tzinfo=SH)),
        ):
            session.add(WorkOrder(id=oid, call_uniqueid=oid, category="complaint", status="new",
                                  caller_number="1", caller_name="",
                                  created_at=opened.astimezone(UTC)))
            session.flush()
            session.add(WorkOrderClock(
                work_order_id=oid, clock="contact", policy_key="complaint.contact", unit=unit,
                starts_on="open", started_at=opened.astimezone(UTC),
                due_at=due.astimezone(UTC), cancelled=False, next_check_at=opened.astimezone(UTC),
            ))  # stored in UTC, as clock_store does (SQLite keeps no offset)
    db = WorkerDatabase(stores["calls"])
    try:
        report = sweeps.sweep(db, datetime(2026, 12, 30, 10, tzinfo=SH), clocks.SweepSettings())
    finally:
        db.close()
    assert (report.orders, report.failed, report.warnings) == (1, 1, 4)


def test_a_complaint_classified_as_a_report_cancels_its_clocks_when_it_is_classified(deadlines):
    system = deadlines
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.*")
    at(system, local(3, 2, 10))
    order, leader = open_order(system, "3")  # complaints go to a duty leader
    at(system, local(3, 2, 11))
    act(system, leader, order["id"], "classify", category="report")

    stopped = [
        e["payload"] for e in deadline_events(listener, expect=4)
        if e["type"].endswith("clock_stopped")
    ]
    assert sorted(s["clock"] for s in stopped) == ["contact", "reply"]
    for clock in stopped:  # stopped when classified, not at the due time days ahead
        stopped_at = datetime.fromisoformat(clock["stopped_at"])
        assert clock["cancelled"] and stopped_at == datetime.fromisoformat(utc_iso(3, 2, 11))
