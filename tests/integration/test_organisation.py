"""Organisation, leave, A/B cover and the duty rota through the gateway, on a real broker and
SQLite and PostgreSQL (issue 4; rules S1.5, S1.7, S1.9, S1.17-19)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from gateway.auth import issue_token
from services.staffing import leave_flow
from services.staffing.models import ExcusedDay, StaffMember
from services.staffing.seed import seed_org
from svckit import workdays
from tests.integration import amqp, harness

SH = ZoneInfo("Asia/Shanghai")
SECRET = harness.config("")["GATEWAY"]["token_secret"]
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=SH)  # a Tuesday, a working day: staffing's pinned time
get, post, put = (partial(call, timeout=10) for call in (requests.get, requests.post, requests.put))


@pytest.fixture
def org(stores, hotline_staff, run_service, amqp_uri):
    """The demo organisation, the staffing service and the gateway; tokens by username."""
    seed_org(stores["staffing"], harness.PASSWORD)
    run_service("staffing", at=NOW)
    base = f"http://127.0.0.1:{harness.http_port(run_service('gateway'))}/api"
    with stores["staffing"].transaction() as session:
        people = {m.username: m for m in session.scalars(select(StaffMember))}
    tokens = {
        name: {"Authorization": "Bearer " + issue_token(
            {"id": m.id, "username": name, "role": m.role}, SECRET, timedelta(hours=1))}
        for name, m in people.items()
    }
    events = amqp.Listener(amqp_uri, "staffing.events")
    yield {"api": base, "as": tokens, "id": {n: m.id for n, m in people.items()},
           "events": events, "store": stores["staffing"]}
    events.close()


def today() -> date:
    return workdays.local_date(NOW)


def next_working_day() -> str:
    return workdays.next_working_day(today()).isoformat()


def ok(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: requests.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert words in response.json()["detail"]


def types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


def emergency_leave(org, who: str) -> dict:
    """An emergency hospitalisation recorded after the fact, covering now (S1.17)."""
    body = {"leave_type": "sick", "emergency": True, "hospital_record": "市一院 住院证明",
            "starts_on": (today() - timedelta(days=3)).isoformat(), "half_days": 16}
    return ok(post(f"{org['api']}/leave", json=body, headers=org["as"][who]))


def test_personal_leave_of_days_climbs_the_whole_chain_and_only_the_approver_decides(org):
    api, who, ids = org["api"], org["as"], org["id"]
    body = {"leave_type": "personal", "starts_on": next_working_day(), "half_days": 3,
            "reason": "家中有事"}
    leave = ok(post(f"{api}/leave", json=body, headers=who["win03"]))
    assert leave["chain"] == ["department_head", "supervising_leader", "bureau_director"]
    assert leave["waiting_for"] == {"step": "department_head", "post": "chief:metering",
                                    "staff_id": ids["met_chief"], "covering_for": None}
    url = f"{api}/leave/{leave['id']}"
    # filed with HR and the hall director (S1.17): they see it; a colleague does not
    ok(get(url, headers=who["hr01"]))
    ok(get(url, headers=who["director01"]))
    refused(get(url, headers=who["win05"]), 403, "visible to")
    listed = {name: [item["id"] for item in ok(get(f"{api}/leave", headers=who[name]))["items"]]
              for name in ("win03", "met_chief", "hr01", "win05", "supervisor01")}
    assert listed == {"win03": [leave["id"]], "met_chief": [leave["id"]],
                      "hr01": [leave["id"]], "win05": [], "supervisor01": []}
    # only the person at the current step decides
    for stranger in ("win03", "win04", "bureau01", "supervisor01", "hr01", "agent01"):
        refused(post(f"{url}/approve", headers=who[stranger]), 403, "waits for the department_head")
    steps = [("met_chief", "supervising_leader"), ("supervisor01", "bureau_director")]
    for approver, waiting in steps:
        leave = ok(post(f"{url}/approve", json={"note": "同意"}, headers=who[approver]))
        assert leave["status"] == "pending" and leave["waiting_for"]["step"] == waiting
    refused(post(f"{url}/approve", headers=who["met_chief"]), 403, "bureau_director")
    leave = ok(post(f"{url}/approve", headers=who["bureau01"]))
    assert leave["status"] == "approved" and [d["decided_by"] for d in leave["decisions"]] == [
        ids["met_chief"], ids["supervisor01"], ids["bureau01"]]
    refused(post(f"{url}/reject", headers=who["bureau01"]), 409, "already approved")
    events = org["events"].drain(expect=3)
    assert types(events) == ["leave.requested", "leave.approved",
                             "work_orders.handover_requested"]
    handover = events[2]["payload"]
    # S1.19 and S1.5: the leaver's work goes to the B holder of their window W03
    assert (handover["from_staff_id"], handover["to_staff_id"]) == (ids["win03"], ids["win04"])
    assert handover["reason"] == "leave" and handover["leave_id"] == leave["id"]
    assert handover["until"] is not None
    # the approved days are excused in attendance: the leaver is not counted absent (S1.16)
    with org["store"].transaction() as session:
        excused = [d.isoformat() for d in session.scalars(
            select(ExcusedDay.day).where(ExcusedDay.staff_id == ids["win03"]))]
    assert excused[0] == body["starts_on"] and len(excused) == 2  # 3 half days: 2 days


def test_a_rejection_ends_the_request(org):
    api, who = org["api"], org["as"]
    body = {"leave_type": "marriage", "starts_on": next_working_day(), "half_days": 6}
    leave = ok(post(f"{api}/leave", json=body, headers=who["win01"]))
    assert leave["chain"] == ["department_head", "supervising_leader"]  # S1.18
    leave = ok(post(f"{api}/leave/{leave['id']}/reject", json={"note": "窗口人手不足"},
                    headers=who["mkt_chief"]))
    assert leave["status"] == "rejected"
    refused(post(f"{api}/leave/{leave['id']}/approve", headers=who["supervisor01"]), 409,
            "rejected")
    events = org["events"].drain(expect=2)
    assert types(events) == ["leave.requested", "leave.rejected"]
    assert events[1]["payload"]["step"] == "department_head"


def test_b_holder_covers_an_away_section_chief_and_approves_with_their_authority(org):
    api, who, ids = org["api"], org["as"], org["id"]
    recorded = emergency_leave(org, "met_chief")
    assert recorded["status"] == "approved" and recorded["chain"] == []
    body = {"leave_type": "personal", "starts_on": next_working_day(), "half_days": 1}
    leave = ok(post(f"{api}/leave", json=body, headers=who["win04"]))
    assert leave["waiting_for"] == {"step": "department_head", "post": "chief:metering",
                                    "staff_id": ids["win03"], "covering_for": ids["met_chief"]}
    refused(post(f"{api}/leave/{leave['id']}/approve", headers=who["met_chief"]), 403,
            "covering")
    leave = ok(post(f"{api}/leave/{leave['id']}/approve", headers=who["win03"]))
    assert leave["status"] == "approved"
    assert leave["decisions"][0]["acting_for"] == ids["met_chief"]
    overview = ok(get(f"{api}/org", headers=who["win04"]))
    chief = next(p for p in overview["items"] if p["code"] == "chief:metering")
    assert chief["acting"] == ids["win03"] and chief["covering_for"] == ids["met_chief"]
    with org["store"].transaction() as session:  # routing treats staff on leave as away
        assert session.get(StaffMember, ids["met_chief"]).on_leave


def test_leave_that_would_uncover_a_window_waits_for_a_named_cover(org):
    api, who, ids = org["api"], org["as"], org["id"]
    emergency_leave(org, "win04")  # W03's B holder is away
    body = {"leave_type": "annual", "starts_on": next_working_day(), "half_days": 2}
    leave = ok(post(f"{api}/leave", json=body, headers=who["win03"]))
    assert leave["uncovers"] == ["W03"] and leave["needs_cover"] == ["W03"]
    assert ok(get(f"{api}/leave/{leave['id']}", headers=who["met_chief"]))["uncovers"] == ["W03"]
    url = f"{api}/leave/{leave['id']}"
    refused(post(f"{url}/approve", headers=who["met_chief"]), 409, "name a cover first")
    named = ok(post(f"{url}/cover", json={"post": "W03", "staff_id": ids["met_chief"]},
                    headers=who["met_chief"]))
    assert named["needs_cover"] == [] and named["covers"] == [
        {"post": "W03", "staff_id": ids["met_chief"], "named_by": ids["met_chief"]}]
    for approver in ("met_chief", "supervisor01"):
        ok(post(f"{url}/approve", headers=who[approver]))
    events = org["events"].drain(expect=10, timeout=3)
    assert "post.uncovered" not in types(events)  # the cover acts for W03 (S1.5)


@pytest.mark.parametrize(
    ("who", "body", "words"),
    [
        ("win02", {"leave_type": "personal", "half_days": 1}, "take annual leave"),  # S1.18
        ("win03", {"leave_type": "sick", "half_days": 6}, "hospital record"),  # S1.17
        ("win03", {"leave_type": "holiday", "half_days": 1}, "leave_type"),
        ("win03", {"leave_type": "annual", "half_days": 0}, "half_days"),
        ("win03", {"leave_type": "annual", "half_days": 1, "starts_on": "2020-01-01"},
         "beforehand"),
    ],
)
def test_leave_the_rules_refuse(org, who, body, words):
    body = {"starts_on": next_working_day(), **body}
    refused(post(f"{org['api']}/leave", json=body, headers=org["as"][who]), 400, words)


def test_staff_join_transfer_and_leave_are_events_and_need_hr(org):
    api, who, ids = org["api"], org["as"], org["id"]
    person = {"username": "win07", "name": "窗口07", "password": "pw-7", "department": "finance",
              "employment": "contract"}
    refused(post(f"{api}/org/staff", json=person, headers=who["win01"]), 403, "HR section")
    joined = ok(post(f"{api}/org/staff", json=person, headers=who["hr01"]))
    assert joined["employment"] == "contract" and joined["joined_on"] == today().isoformat()
    moved = ok(post(f"{api}/org/staff/{ids['win02']}/transfer", json={"department": "metering"},
                    headers=who["director01"]))
    assert moved["department"] == "metering" and moved["posts_released"] == ["W01", "W02"]
    refused(post(f"{api}/org/staff/{ids['win06']}/departure", json={"reason": "bored"},
                 headers=who["hr01"]), 400, "reason")
    ok(post(f"{api}/org/staff/{ids['win06']}/departure", json={"reason": "resigned"},
            headers=who["hr01"]))
    events = org["events"].drain(expect=4)
    assert types(events) == ["staff.joined", "staff.transferred",
                             "work_orders.handover_requested", "staff.left"]
    assert events[3]["payload"]["posts_released"] == ["W04"]
    assert events[2]["payload"]["to_staff_id"] == ids["win05"]  # W04's A takes B's work
    login = post(f"{api}/auth/token", json={"username": "win06", "password": harness.PASSWORD})
    assert login.status_code == 400 and login.json()["error"] == "invalid_grant"
    refused(post(f"{api}/org/staff/{ids['win06']}/transfer", json={"department": "hr"},
                 headers=who["hr01"]), 400, "left on")


def test_on_duty_follows_the_statutory_calendar(org):
    api, who = org["api"], org["as"]
    url = f"{api}/org/on-duty"
    make_up_saturday = ok(get(url, params={"at": "2026-02-14T10:00:00+08:00"},
                              headers=who["agent01"]))
    assert make_up_saturday["hall_open"] is True
    assert make_up_saturday["windows"] == {
        "W01": org["id"]["win01"], "W02": org["id"]["win02"], "W03": org["id"]["win03"],
        "W04": org["id"]["win05"]}
    spring_festival = ok(get(url, params={"at": "2026-02-17T10:00:00+08:00"},
                             headers=who["agent01"]))
    assert spring_festival["hall_open"] is False and spring_festival["windows"] == {}
    assert len(spring_festival["hotline"]) == 4  # the hotline works around the clock
    refused(get(url, params={"at": "tomorrow"}, headers=who["agent01"]), 400, "ISO 8601")
    refused(get(url), 401, "bearer")


def test_the_duty_rota_handover_is_recorded_by_the_person_on_duty(org):
    api, who, ids = org["api"], org["as"], org["id"]
    duty = ok(get(f"{api}/rota", headers=who["win01"]))
    serving = next(name for name, staff_id in ids.items() if staff_id == duty["on_duty"])
    other = next(name for name in ("win01", "win03") if name != serving)
    counts = dict.fromkeys(duty["equipment"], 1)
    refused(post(f"{api}/rota/handover", json={"items": counts}, headers=who[other]), 403,
            "only they record")
    refused(post(f"{api}/rota/handover", json={"items": {"seats": 1}}, headers=who[serving]),
            400, "missing")
    recorded = ok(post(f"{api}/rota/handover", json={"items": counts}, headers=who[serving]))
    assert recorded["handover"]["items"] == counts
    refused(post(f"{api}/rota/handover", json={"items": counts}, headers=who[serving]), 409,
            "recorded already")


def test_the_timer_finds_someone_not_back_after_leave(stores, hotline_staff, run_service,
                                                       amqp_uri):
    seed_org(stores["staffing"], harness.PASSWORD)
    with stores["staffing"].transaction() as session:
        win05 = session.scalar(select(StaffMember).where(StaffMember.username == "win05"))
        body = {"leave_type": "sick", "emergency": True, "hospital_record": "住院证明",
                "starts_on": (today() - timedelta(days=10)).isoformat(), "half_days": 2}
        leave = leave_flow.request(session, win05.id, body, NOW, SH)
    events = amqp.Listener(amqp_uri, "staffing.events", "staff.absent")
    try:
        run_service("staffing", at=NOW, ORG={"sweep_interval_seconds": 0.2})
        [absent] = events.drain(expect=1)
        assert absent["payload"]["staff_id"] == win05.id
        assert absent["payload"]["leave_id"] == leave["id"]
        assert events.drain(expect=1, timeout=1.5) == []  # later passes find nothing new
    finally:
        events.close()


def test_hr_the_hall_director_and_a_section_chief_read_attendance(org):
    api, who = org["api"], org["as"]
    url = f"{api}/attendance/report"
    month = {"month": today().strftime("%Y-%m")}
    for reader in ("hr01", "director01", "leader01"):
        ok(get(url, params=month, headers=who[reader]))
    metering = ok(get(url, params=month, headers=who["met_chief"]))  # their own department
    assert {row["department"] for row in metering["items"]} == {"metering"}
    refused(get(url, params={**month, "department": "marketing"}, headers=who["met_chief"]),
            403, "own department")
    refused(get(url, params=month, headers=who["win03"]), 403, "section chief")


def test_a_day_in_a_year_not_published_is_answered_and_flagged_provisional(org):
    rota = ok(get(f"{org['api']}/rota", params={"day": "2099-03-02"}, headers=org["as"]["win01"]))
    assert rota["working_day"] is True and rota["provisional"] is True
