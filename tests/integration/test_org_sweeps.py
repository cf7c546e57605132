"""The staffing timer's checks on real dates (S1.5, S1.9, S1.19): absences after leave, posts
left uncovered, missing rota handovers; each announced once however often the sweep runs.

Spring Festival 2026: Sat 02-14 is a make-up working day, 02-15..02-23 the holiday."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.staffing import leave_flow, sweeps
from services.staffing.assignment import candidates_on_shift
from services.staffing.models import StaffMember
from services.staffing.seed import seed_org
from tests.integration import harness

SH = ZoneInfo("Asia/Shanghai")
GRACE = timedelta(minutes=30)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def org(stores, hotline_staff):
    store = stores["staffing"]
    seed_org(store, harness.PASSWORD)
    with store.transaction() as session:
        ids = {m.username: m.id for m in session.scalars(select(StaffMember))}
    return store, ids


def approved_leave(store, ids, who: str, body: dict, now: datetime) -> dict:
    with store.transaction() as session:
        leave = leave_flow.request(session, ids[who], body, now, SH)
    while leave["status"] == "pending":
        with store.transaction() as session:
            approver = leave["waiting_for"]["staff_id"]
            leave = leave_flow.decide(session, approver, leave["id"], True, "", now, SH)
    return leave


def outbox(store, event_type: str) -> list[dict]:
    table = store.outbox
    with store.transaction() as session:
        rows = session.execute(select(table.c.body).where(table.c.event_type == event_type)
                               .order_by(table.c.id))
        return [json.loads(row.body)["payload"] for row in rows]


def test_not_back_after_leave_is_absence_once_and_an_extension_is_not(org):
    store, ids = org
    before = at(2, 12, 9)
    leave = approved_leave(store, ids, "win03", {"leave_type": "personal", "half_days": 2,
                                                 "starts_on": "2026-02-13"}, before)
    assert leave["return_due"] == "2026-02-14T08:30:00+08:00"  # the make-up Saturday
    for starts_on in ("2026-02-13", "2026-02-14"):  # win01's leave and its extension
        approved_leave(store, ids, "win01", {"leave_type": "annual", "half_days": 2,
                                             "starts_on": starts_on}, before)
    assert sweeps.run_all(store, at(2, 14, 8, 59), SH, GRACE)["absences"] == 0
    assert sweeps.run_all(store, at(2, 14, 9, 0), SH, GRACE)["absences"] == 1
    for _ in range(2):  # a later pass, or a restart, finds nothing new
        assert sweeps.run_all(store, at(2, 14, 9, 30), SH, GRACE)["absences"] == 0
    [absent] = outbox(store, "staff.absent")
    assert (absent["staff_id"], absent["day"], absent["leave_id"]) == (
        ids["win03"], "2026-02-14", leave["id"])
    handovers = [h for h in outbox(store, "work_orders.handover_requested")
                 if h["reason"] == "absence"]
    assert [(h["from_staff_id"], h["to_staff_id"]) for h in handovers] == [
        (ids["win03"], ids["win04"])]


def test_someone_back_in_time_is_not_absent(org):
    store, ids = org
    leave = approved_leave(store, ids, "win05", {"leave_type": "sick", "half_days": 1,
                                                 "starts_on": "2026-03-02"}, at(3, 1, 20))
    with store.transaction() as session:
        leave_flow.back(session, ids["win05"], leave["id"], at(3, 2, 14, 20))
    assert sweeps.run_all(store, at(3, 3, 9), SH, GRACE)["absences"] == 0


def test_a_post_with_both_holders_away_is_alerted_once(org):
    store, ids = org
    before = at(2, 12, 9)
    approved_leave(store, ids, "win03", {"leave_type": "personal", "half_days": 2,
                                         "starts_on": "2026-02-13"}, before)
    assert outbox(store, "post.uncovered") == []
    # an emergency needs no approval (S1.17), so no cover was named for it (S1.5)
    approved_leave(store, ids, "win04", {"leave_type": "sick", "half_days": 1, "emergency": True,
                                         "hospital_record": "住院证明",
                                         "starts_on": "2026-02-13"}, at(2, 13, 8))
    [alert] = outbox(store, "post.uncovered")  # announced when the second leave was recorded
    assert (alert["post_code"], alert["day"]) == ("W03", "2026-02-13")
    assert sweeps.run_all(store, at(2, 13, 10), SH, GRACE)["uncovered"] == 0
    assert sweeps.run_all(store, at(2, 13, 15), SH, GRACE)["uncovered"] == 0
    assert len(outbox(store, "post.uncovered")) == 1
    with store.transaction() as session:
        assert session.get(StaffMember, ids["win03"]).on_leave  # routing sees it


def test_missing_rota_handovers_are_alerted_once_a_day(org):
    store, ids = org
    assert sweeps.run_all(store, at(2, 9, 8, 0), SH, GRACE)["rota"] == 0  # installed on 02-09
    with store.transaction() as session:
        duty = sweeps.duty_today(session, at(2, 13, 0).date())
        counts = dict.fromkeys(duty["equipment"], 2)
        sweeps.record_handover(session, duty["on_duty"], counts, at(2, 13, 17, 20), SH)
    assert sweeps.run_all(store, at(2, 14, 18, 0), SH, GRACE)["rota"] == 5
    assert sweeps.run_all(store, at(2, 14, 18, 5), SH, GRACE)["rota"] == 0
    # Spring Festival: no new duty days, so no new alerts
    assert sweeps.run_all(store, at(2, 18, 18, 0), SH, GRACE)["rota"] == 0
    alerts = outbox(store, "rota.handover_missing")
    assert [a["day"] for a in alerts] == [
        "2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12", "2026-02-14"]
    assert alerts[0]["notify"] == [{"staff_id": ids["director01"], "post": "hall_director"}]


def test_routing_passes_over_staff_on_approved_leave(org):
    store, ids = org
    now = datetime(2026, 3, 3, 10, 0, tzinfo=SH)  # a Tuesday
    with store.transaction() as session:
        before = {c.staff_id for c in candidates_on_shift(session, now, SH)}
    assert ids["agent01"] in before
    body = {"leave_type": "sick", "emergency": True, "hospital_record": "住院证明",
            "starts_on": (now - timedelta(days=3)).date().isoformat(), "half_days": 16}
    approved_leave(store, ids, "agent01", body, now)
    with store.transaction() as session:
        after = {c.staff_id for c in candidates_on_shift(session, now, SH)}
    assert after == before - {ids["agent01"]}
