"""Issue 4 end to end: attendance (S1.16) and the staffing plan (S3.3) through the gateway,
with call.ended events arriving over the real broker."""

import csv
import io
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from contracts.events import CallEnded, Category, make_event
from gateway.auth import issue_token
from services.staffing import erlang
from services.staffing.attendance_store import clock, excuse
from services.staffing.models import AttendanceRecord, CallArrival, StaffMember
from svckit.workdays import is_working_day
from tests.integration import amqp, harness

ZONE = ZoneInfo("Asia/Shanghai")
SECRET = harness.config("")["GATEWAY"]["token_secret"]
get, post = (partial(call, timeout=10) for call in (requests.get, requests.post))
OCTOBER = [date(2024, 10, d) for d in range(1, 32)]


@pytest.fixture
def people(stores, hotline_staff):
    """Staff ids by username, with an office clerk (no hotline role) of the sales department."""
    with stores["staffing"].transaction() as session:
        session.add(
            StaffMember(
                username="clerk01", name="Clerk", role="window_staff", department="营销部",
                extension="9001", password_hash="x",
            )
        )
    with stores["staffing"].transaction() as session:
        return {p.username: p.id for p in session.scalars(select(StaffMember))}


@pytest.fixture
def api(people, run_service):
    run_service("staffing")
    return f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"


def token_for(people: dict, username: str, role: str) -> dict:
    staff = {"id": people[username], "username": username, "role": role}
    return {"Authorization": f"Bearer {issue_token(staff, SECRET, timedelta(hours=1))}"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def api_on_a_tuesday_morning(people, run_service):
    """The API with staffing's clock at 09:05 on a working Tuesday: a clock's work day depends
    on the time of day (the nearest shift start or end), so the wall clock would make the
    outcome depend on when the suite runs."""
    run_service("staffing", at=at(date(2024, 10, 8), 9, 5))
    return f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"


def test_staff_clock_in_and_out_for_themselves(api_on_a_tuesday_morning, people, stores):
    api = api_on_a_tuesday_morning
    clerk = token_for(people, "clerk01", "window_staff")  # not a hotline role: still may clock
    first = post(f"{api}/attendance/clock-in", headers=clerk)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["staff_id"] == people["clerk01"] and body["clock_in"]
    again = post(f"{api}/attendance/clock-in", headers=clerk).json()
    assert again["clock_in"] == body["clock_in"] and again["day"] == body["day"] == "2024-10-08"
    out = post(f"{api}/attendance/clock-out", headers=clerk).json()
    assert out["clock_out"] >= out["clock_in"] and out["day"] == body["day"]
    with stores["staffing"].transaction() as session:
        rows = session.scalars(select(AttendanceRecord)).all()
    assert [(r.staff_id, r.day.isoformat()) for r in rows] == [(people["clerk01"], body["day"])]

    assert post(f"{api}/attendance/clock-in").status_code == 401
    ghost = {"id": 9999, "username": "ghost", "role": "seat_agent"}
    response = post(
        f"{api}/attendance/clock-in",
        headers={"Authorization": f"Bearer {issue_token(ghost, SECRET, timedelta(hours=1))}"},
    )
    assert response.status_code == 404 and "not found" in response.json()["error"]


def _october_attendance(stores, people) -> None:
    """The clerk: 15 minutes late on a make-up Saturday, leaves 30 minutes early on a Monday,
    excused the Tuesday, absent on every other working day; local times, stored as UTC."""
    clerk = people["clerk01"]
    make_up_saturday, monday = date(2024, 10, 12), date(2024, 10, 14)
    clocks = [
        (at(make_up_saturday, 8, 45), True), (at(make_up_saturday, 17, 30), False),
        (at(monday, 8, 20), True), (at(monday, 8, 25), True), (at(monday, 17), False),
    ]
    with stores["staffing"].transaction() as session:
        for when, clocking_in in clocks:
            clock(session, clerk, when, clocking_in, ZONE)
        excuse(session, clerk, [date(2024, 10, 15)], "personal_leave", "leave-1")
        excuse(session, clerk, [date(2024, 10, 15)], "personal_leave", "leave-1")  # again: no-op


def test_the_monthly_report_per_person_and_department(api, people, stores):
    _october_attendance(stores, people)
    leader = token_for(people, "leader01", "duty_leader")
    response = get(f"{api}/attendance/report", params={"month": "2024-10"}, headers=leader)
    assert response.status_code == 200, response.text
    report = response.json()
    rows = {row["username"]: row for row in report["items"]}
    working_days = sum(is_working_day(day) for day in OCTOBER)
    clerk = rows["clerk01"]["totals"]
    assert clerk["expected_days"] == working_days
    assert (clerk["present_days"], clerk["excused_days"]) == (2, 1)
    assert clerk["absent_days"] == working_days - 3
    assert (clerk["late_days"], clerk["late_minutes"]) == (1, 15)
    assert (clerk["early_leave_days"], clerk["early_leave_minutes"]) == (1, 30)
    assert rows["agent01"]["totals"]["absent_days"] == len(OCTOBER)  # the hotline never closes
    departments = {d["department"]: d["totals"] for d in report["departments"]}
    assert departments["营销部"]["absent_days"] == clerk["absent_days"]
    assert departments["(none)"]["people"] == 4

    as_csv = get(
        f"{api}/attendance/report",
        params={"month": "2024-10", "format": "csv", "by": "department"},
        headers=token_for(people, "lead01", "deputy_team_lead"),
    )
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    text = as_csv.content.decode("utf-8-sig")
    table = {row["department"]: row for row in csv.DictReader(io.StringIO(text))}
    assert int(table["营销部"]["totals.late_minutes"]) == 15

    only_sales = get(
        f"{api}/attendance/report", params={"month": "2024-10", "department": "营销部"},
        headers=leader,
    ).json()
    assert [row["username"] for row in only_sales["items"]] == ["clerk01"]


@pytest.mark.parametrize(
    ("who", "params", "status"),
    [
        (("agent01", "seat_agent"), {"month": "2024-10"}, 403),
        (("clerk01", "window_staff"), {"month": "2024-10"}, 403),
        (("agent01", "duty_leader"), {"month": "2024-10"}, 403),  # staffing knows who she is
        (("leader01", "duty_leader"), {}, 400),
        (("leader01", "duty_leader"), {"month": "2024-13"}, 400),
        (("leader01", "duty_leader"), {"month": "2024-10", "format": "xml"}, 400),
        (("leader01", "duty_leader"), {"month": "10-2024"}, 400),
    ],
)
def test_report_refusals_are_json(api, people, who, params, status):
    response = get(f"{api}/attendance/report", params=params, headers=token_for(people, *who))
    assert response.status_code == status
    assert response.json()["error"]


def _ended(day: date, n: int, seconds: int, outcome: str = "routed"):
    started = at(day, 9) + timedelta(seconds=40 * n)
    return make_event(
        "calls",
        CallEnded(
            call_uniqueid=f"{day:%Y%m%d}.{n}.{uuid.uuid4().hex[:6]}",
            outcome=outcome,
            category=Category.INQUIRY,
            work_order_id=None,
            digits="1",
            started_at=started.astimezone(UTC),
            ended_at=(started + timedelta(seconds=seconds)).astimezone(UTC),
        ),
    )


def test_call_ended_events_feed_the_staffing_plan(api, people, stores, amqp_uri):
    calls_per_day, seconds = 40, 180
    events = [
        _ended(day, n, seconds)
        for day in (date(2024, 10, 14), date(2024, 10, 15))
        for n in range(calls_per_day)
    ]
    events.append(_ended(date(2024, 10, 15), 99, 30, outcome="hangup"))  # never reached a seat
    messages = [(e.type, e.body(), str(e.id)) for e in events]
    amqp.publish_many(amqp_uri, "calls.events", messages + messages[:5])  # some twice

    def stored():
        with stores["staffing"].transaction() as session:
            return session.scalar(select(func.count(CallArrival.id)))

    harness.wait_for(lambda: stored() == len(events))
    with stores["staffing"].transaction() as session:  # on leave that day: not on the roster
        excuse(session, people["agent02"], [date(2024, 10, 16)], "annual_leave")
    leader = token_for(people, "leader01", "duty_leader")
    response = get(f"{api}/staffing-plan", params={"date": "2024-10-16"}, headers=leader)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["basis"]["calls_used"] == 2 * calls_per_day
    assert plan["basis"]["handling_time_seconds"] == pytest.approx(seconds)
    nine = next(i for i in plan["intervals"] if i["starts"] == "09:00")
    traffic = calls_per_day * seconds / 1800
    answering = erlang.required_agents(traffic, seconds, 0.8, 20)
    assert nine["arrivals"] == calls_per_day and nine["agents_answering"] == answering
    assert nine["seat_agents_needed"] == math.ceil(answering / 0.7)
    assert nine["seat_agents_rostered"] == 1  # agent01; agent02 is on leave
    assert nine["seat_agents_short"] == nine["seat_agents_needed"] - 1 > 0
    assert plan["summary"]["roster_short"] is True
    assert plan["summary"]["deputy_team_lead"]["max_short"] == 0

    no_shrinkage = get(
        f"{api}/staffing-plan", params={"date": "2024-10-16", "shrinkage": "0"}, headers=leader
    ).json()
    assert no_shrinkage["intervals"][18]["seat_agents_needed"] == answering


@pytest.mark.parametrize(
    ("role", "params", "status"),
    [  # staffing decides from the person's record (issue 10), whatever the token says
        ("agent01", {"date": "2024-10-16"}, 403),
        ("clerk01", {"date": "2024-10-16"}, 403),
        ("leader01", {"date": "2024-02-30"}, 400),
        ("leader01", {"date": "16/10/2024"}, 400),
        ("lead01", {"date": "2024-10-16", "shrinkage": "1.5"}, 400),
        ("lead01", {"date": "2024-10-16", "target_level": "x"}, 400),
    ],
)
def test_plan_refusals_are_json(api, people, role, params, status):
    who = role  # a username: the token claims a deputy team lead for everyone
    response = get(
        f"{api}/staffing-plan", params=params,
        headers=token_for(people, who, "deputy_team_lead"),
    )
    assert response.status_code == status
    assert response.json()["error"]
