"""Issue 9 end to end, on a real broker and SQLite and PostgreSQL: the hotline roster (S3.2)
planned by a duty leader and read by routing, the plan and attendance; proof of work and HR's
corrections in attendance (S1.16, S1.21); absences that end (S1.19). The service clock is pinned
to March 2026 (Mon 03-02, Mon 03-09)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from contracts.events import Actor, WorkOrderStatus, WorkOrderTransitioned, make_event
from gateway.auth import issue_token
from services.staffing.attendance_store import clock
from services.staffing.models import Absence, StaffMember, WorkProof
from services.staffing.seed import seed_org
from tests.integration import amqp, harness
from tests.integration.client import call

SH = ZoneInfo("Asia/Shanghai")
SECRET = harness.config("")["GATEWAY"]["token_secret"]
get, post = (partial(verb, timeout=10) for verb in (requests.get, requests.post))
WEEK = ["early"] * 5 + ["rest"] * 2


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def hotline(stores, run_service, amqp_uri):
    """A duty leader on standing all-day shifts, the organisation (HR, the hall), staffing with
    a settable clock and the gateway; tokens by username, a way to move the clock."""
    harness.add_staff(stores["staffing"], [("leader01", "duty_leader", "8101", "hotline")])
    seed_org(stores["staffing"], harness.PASSWORD)
    run_service("staffing", TEST_CLOCK=True, ORG={"sweep_interval_seconds": 0.2})
    api = f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"

    def set_clock(when: datetime) -> None:
        with ServiceRpcProxy("staffing", {"AMQP_URI": amqp_uri}) as staffing:
            staffing.set_test_clock(when.isoformat())

    set_clock(at(3, 2, 8))
    return {"api": api, "store": stores["staffing"], "clock": set_clock, "amqp": amqp_uri,
            "stores": stores, "run": run_service}


def token(hotline, username: str) -> dict:
    with hotline["store"].transaction() as session:
        member = session.scalar(select(StaffMember).where(StaffMember.username == username))
        staff = {"id": member.id, "username": username, "role": member.role,
                 "department": member.department}
    return {"Authorization": "Bearer " + issue_token(staff, SECRET, timedelta(hours=1))}


def ok(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def join_agent(hotline, username: str, extension: str) -> int:
    body = {"username": username, "name": username, "password": harness.PASSWORD,
            "department": "hotline", "hotline_role": "seat_agent", "extension": extension,
            "joined_on": "2026-03-02"}
    return ok(post(f"{hotline['api']}/org/staff", json=body, headers=token(hotline, "hr01")))["id"]


def plan(hotline, assignments: list[dict], first: str = "2026-03-02", days: int = 28):
    return post(f"{hotline['api']}/roster/plan", headers=token(hotline, "leader01"),
                json={"from": first, "days": days, "assignments": assignments})


def test_a_new_agent_is_routed_once_rostered_and_sees_her_shifts(hotline):
    harness.add_customer(hotline["stores"]["calls"], "13800138000", "张三", "城南五金厂", "0571")
    calls = hotline["run"]("calls")
    system = {"agi": harness.agi_port(calls)}
    newbie = join_agent(hotline, "newbie", "8009")
    before = call(system, caller_num="13900000001", digits=["1"])
    assert before.variables["ROUTE_TARGET"] == "PJSIP/8101"  # no seat agent on shift yet

    refused = post(f"{hotline['api']}/roster/plan", headers=token(hotline, "newbie"),
                   json={"from": "2026-03-02", "days": 7,
                         "assignments": [{"staff_id": newbie, "pattern": WEEK}]})
    assert refused.status_code == 403
    no_rest = plan(hotline, [{"staff_id": newbie, "pattern": ["early"]}], days=7)
    assert no_rest.status_code == 400 and "rest" in no_rest.json()["error"]
    past = plan(hotline, [{"staff_id": newbie, "pattern": WEEK}], first="2026-03-01")
    assert past.status_code == 400

    planned = ok(plan(hotline, [{"staff_id": newbie, "pattern": WEEK}]))
    assert len(planned["coverage"]) == 28 and planned["coverage"][0]["date"] == "2026-03-02"
    after = call(system, caller_num="13900000002", digits=["1"])
    assert after.variables["ROUTE_TARGET"] == "PJSIP/8009"  # rostered: routed to her

    mine = ok(get(f"{hotline['api']}/roster", params={"days": 7},
                  headers=token(hotline, "newbie")))
    [days] = [person["days"] for person in mine["people"]]
    assert days[0]["template"] == "early" and days[0]["shifts"] == [
        {"starts": "08:00", "ends": "16:00"}]
    assert days[5]["rest"] and days[5]["shifts"] == []
    others = get(f"{hotline['api']}/roster", params={"staff_id": "all"},
                 headers=token(hotline, "newbie"))
    assert others.status_code == 403

    coverage = ok(get(f"{hotline['api']}/roster/coverage", params={"date": "2026-03-02"},
                      headers=token(hotline, "leader01")))
    by_time = {i["starts"]: i for i in coverage["intervals"]}
    assert by_time["10:00"]["seat_agents_rostered"] == 1
    assert by_time["20:00"]["seat_agents_rostered"] == 0
    assert by_time["20:00"]["duty_leaders_rostered"] == 1  # standing shifts still count


def test_a_swap_needs_the_duty_leaders_approval(hotline):
    first, second = join_agent(hotline, "agent_a", "8011"), join_agent(hotline, "agent_b", "8012")
    ok(plan(hotline, [{"staff_id": first, "pattern": WEEK},
                      {"staff_id": second, "pattern": ["late"] * 5 + ["rest"] * 2}], days=7))
    api = hotline["api"]
    swap = ok(post(f"{api}/roster/swaps", headers=token(hotline, "agent_a"),
                   json={"partner_id": second, "day": "2026-03-03", "reason": "看病"}))
    assert swap["status"] == "pending"
    assert post(f"{api}/roster/swaps/{swap['id']}/approve",
                headers=token(hotline, "agent_b")).status_code == 403
    assert [s["id"] for s in ok(get(f"{api}/roster/swaps",
                                    headers=token(hotline, "agent_b")))["items"]] == [swap["id"]]
    decided = ok(post(f"{api}/roster/swaps/{swap['id']}/approve",
                      headers=token(hotline, "leader01"), json={"note": "同意"}))
    assert decided["status"] == "approved"
    again = post(f"{api}/roster/swaps/{swap['id']}/reject", headers=token(hotline, "leader01"))
    assert again.status_code == 409

    def template_on(username: str, day: str) -> str:
        shifts = ok(get(f"{api}/roster", params={"from": day, "days": 1},
                        headers=token(hotline, username)))
        return shifts["people"][0]["days"][0]["template"]

    assert (template_on("agent_a", "2026-03-03"), template_on("agent_b", "2026-03-03")) == (
        "late", "early")
    assert template_on("agent_a", "2026-03-04") == "early"  # other days untouched
    rejected = ok(post(f"{api}/roster/swaps", headers=token(hotline, "agent_a"),
                       json={"partner_id": second, "day": "2026-03-04"}))
    ok(post(f"{api}/roster/swaps/{rejected['id']}/reject", headers=token(hotline, "leader01")))
    assert template_on("agent_a", "2026-03-04") == "early"
    to_leader = post(f"{api}/roster/swaps", headers=token(hotline, "agent_a"),
                     json={"partner_id": token_id(hotline, "leader01"), "day": "2026-03-04"})
    assert to_leader.status_code == 400 and "one role" in to_leader.json()["error"]


def token_id(hotline, username: str) -> int:
    with hotline["store"].transaction() as session:
        return session.scalar(select(StaffMember.id).where(StaffMember.username == username))


def work_event(staff_id: int, when: datetime, action: str = "started"):
    """A lifecycle action by ``staff_id``, as the calls service publishes it."""
    payload = WorkOrderTransitioned(
        work_order_id=str(uuid.uuid4()), action=action, from_status=WorkOrderStatus.DISPATCHED,
        to_status=WorkOrderStatus.IN_PROGRESS,
        actor=Actor(id=str(staff_id), role="department", name="x"),
        assignee_id=None, category="fault_report", created_at=when.astimezone(UTC),
        at=when.astimezone(UTC),
    )
    event = make_event("calls", payload, occurred_at=when.astimezone(UTC),
                       event_type=f"work_order.{action}")
    return (event.type, event.body(), str(event.id))


def wait_for_proof(hotline, staff_id: int, day: date) -> None:
    def stored():
        with hotline["store"].transaction() as session:
            return session.get(WorkProof, (staff_id, day))

    harness.wait_for(stored)


def test_a_rostered_agents_month_has_no_false_absences_and_hr_corrects_a_day(hotline):
    agent = join_agent(hotline, "agent_m", "8013")
    ok(plan(hotline, [{"staff_id": agent, "pattern": WEEK}]))  # 03-02..03-29: 20 days on
    working = [date(2026, 3, 2) + timedelta(days=n) for n in range(28) if n % 7 < 5]
    clocked, worked_only, missed = working[:-2], working[-2], working[-1]
    with hotline["store"].transaction() as session:
        for day in clocked:
            clock(session, agent, at(3, day.day, 7, 55), True, SH)
            clock(session, agent, at(3, day.day, 16, 5), False, SH)
    amqp.publish_many(hotline["amqp"], "calls.events",
                      [work_event(agent, at(3, worked_only.day, 10))])
    wait_for_proof(hotline, agent, worked_only)
    hotline["clock"](at(3, 31, 22))

    def agents_row():
        report = ok(get(f"{hotline['api']}/attendance/report", params={"month": "2026-03"},
                        headers=token(hotline, "hr01")))
        return next(row for row in report["items"] if row["staff_id"] == agent)

    row = agents_row()
    totals = row["totals"]
    assert totals["expected_days"] == 20  # rostered days only: no rest days, none before joining
    assert (totals["present_days"], totals["absent_days"]) == (19, 1)
    proved = next(d for d in row["days"] if d["day"] == worked_only.isoformat())
    assert proved["status"] == "present" and proved["worked_orders"]

    body = {"staff_id": agent, "day": missed.isoformat(), "status": "excused",
            "reason": "病假, 补交医院证明"}
    refused = post(f"{hotline['api']}/attendance/corrections", json=body,
                   headers=token(hotline, "leader01"))
    assert refused.status_code == 403
    no_reason = post(f"{hotline['api']}/attendance/corrections", json={**body, "reason": ""},
                     headers=token(hotline, "hr01"))
    assert no_reason.status_code == 400
    ok(post(f"{hotline['api']}/attendance/corrections", json=body,
            headers=token(hotline, "hr01")))
    row = agents_row()
    assert (row["totals"]["absent_days"], row["totals"]["excused_days"]) == (0, 1)
    fixed = next(d for d in row["days"] if d["day"] == missed.isoformat())
    assert fixed["corrected"]["from"] == "absent" and fixed["corrected"]["reason"] == body["reason"]
    history = ok(get(f"{hotline['api']}/attendance/history/{agent}",
                     headers=token(hotline, "director01")))
    assert [(c["day"], c["status"]) for c in history["corrections"]] == [
        (missed.isoformat(), "excused")]
    assert get(f"{hotline['api']}/attendance/history/{agent}",
               headers=token(hotline, "win01")).status_code == 403


def emergency_leave_for_last_friday(hotline, who: str) -> dict:
    body = {"leave_type": "sick", "emergency": True, "hospital_record": "市一院 急诊证明",
            "starts_on": "2026-03-06", "half_days": 2}
    return ok(post(f"{hotline['api']}/leave", json=body, headers=token(hotline, who)))


def open_absences(hotline) -> dict[int, date]:
    with hotline["store"].transaction() as session:
        return {a.staff_id: a.day for a in session.scalars(
            select(Absence).where(Absence.cleared_at.is_(None)))}


def test_proof_of_work_reporting_back_and_hr_end_an_absence(hotline):
    hotline["clock"](at(3, 9, 9, 5))  # Monday: last Friday's leave was due back at 08:30
    worked, back, corrected = (token_id(hotline, who) for who in ("win03", "win05", "win01"))
    amqp.publish_many(hotline["amqp"], "calls.events", [work_event(worked, at(3, 9, 9))])
    wait_for_proof(hotline, worked, date(2026, 3, 9))
    leaves = {who: emergency_leave_for_last_friday(hotline, who)
              for who in ("win03", "win05", "win01")}
    assert all(leave["status"] == "approved" for leave in leaves.values())
    harness.wait_for(lambda: set(open_absences(hotline)) == {back, corrected})
    overview = ok(get(f"{hotline['api']}/org", headers=token(hotline, "hr01")))
    assert back in overview["away"] and worked not in overview["away"]

    returned = ok(post(f"{hotline['api']}/leave/{leaves['win05']['id']}/back",
                       headers=token(hotline, "win05")))
    assert returned["absence_ended"] is True
    ok(post(f"{hotline['api']}/attendance/corrections", headers=token(hotline, "hr01"),
            json={"staff_id": corrected, "day": "2026-03-09", "status": "present",
                  "reason": "到岗, 外出办理业务"}))
    assert open_absences(hotline) == {}
    overview = ok(get(f"{hotline['api']}/org", headers=token(hotline, "hr01")))
    assert not {back, corrected} & set(overview["away"])
    w04 = next(p for p in overview["items"] if p["code"] == "W04")
    assert (w04["acting"], w04["covering_for"]) == (back, None)  # her post is hers again
    history = ok(get(f"{hotline['api']}/attendance/history/{back}", headers=token(hotline,
                                                                                   "hr01")))
    assert history["absences"][0]["cleared_reason"] == "reported back"
    time.sleep(0.6)  # a few more sweeps (every 0.2 s) do not find them again
    assert open_absences(hotline) == {}
