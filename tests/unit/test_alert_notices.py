"""Issues 13 and 14 in the inbox: every alert of the assets and visits services reaches each
person it names, once, as a notice of the event's kind (services/inbox/alerts.py)."""

from datetime import UTC, date, datetime

import pytest

from contracts.events import (
    CATALOGUE,
    Capacity,
    CustodyHandoverRequested,
    FollowUpReminder,
    HeldItem,
    Notified,
    RepairStatusChanged,
    RoomApprovalRequested,
    RoomFaultReported,
    SealNotReturned,
    VisitFlagged,
    VisitPlanMissing,
    VisitPlanReviewed,
    VisitPlanSubmitted,
    VisitReportOverdue,
    WindowUnchecked,
)
from scripts.asyncapi import subscribers
from services.inbox import alerts

AT = datetime(2026, 3, 3, 9, 31, tzinfo=UTC)  # 17:31 in China


def told(*pairs: tuple[int, Capacity]) -> list[Notified]:
    return [Notified(staff_id=who, capacity=why) for who, why in pairs]


def drafts(event_type: str, event) -> list[tuple[int, str, str, str]]:
    return [(d.recipient_id, d.kind, d.subject_type, d.subject_id)
            for d in alerts.named(event_type, event)]


def test_the_inbox_subscribes_to_exactly_the_alerts_it_has_a_rule_for():
    handled = {s.event_type for s in subscribers()
               if s.service == "inbox" and s.method == "on_named_alert"}
    assert handled == set(alerts.ALERTS)
    assert all((kind, 1) in CATALOGUE for kind in handled)
    assert all(len(kind) <= 40 for kind in handled)  # notices.kind


def test_a_seal_left_out_tells_its_custodian_section_chief_and_hall_director_once():
    late = SealNotReturned(
        seal_id=4, department="marketing", custodian_id=11, taken_out_by=12, taken_out_at=AT,
        due_at=AT, notify=told((11, Capacity.CUSTODIAN), (30, Capacity.SECTION_CHIEF),
                               (1, Capacity.HALL_DIRECTOR), (11, Capacity.SECTION_CHIEF)))
    assert drafts("seal.not_returned", late) == [
        (11, "seal.not_returned", "seal", "4"), (30, "seal.not_returned", "seal", "4"),
        (1, "seal.not_returned", "seal", "4")]
    first = alerts.named("seal.not_returned", late)[0]
    assert first.params["capacity"] == "custodian" and first.params["taken_out_by"] == 12
    assert alerts.named("seal.not_returned", late.model_copy(update={"notify": []})) == []


def test_an_unchecked_window_and_a_handover_name_what_the_console_says():
    window = WindowUnchecked(window="W03", department="marketing", day=date(2026, 3, 3),
                             missing=["check_in", "check_out"],
                             notify=told((13, Capacity.WINDOW_HOLDER)))
    [w] = alerts.named("window.unchecked", window)
    assert (w.subject_type, w.subject_id, w.params["missing"]) == (
        "window", "W03", ["check_in", "check_out"])
    moving = CustodyHandoverRequested(
        staff_id=11, reason="transfer", department="marketing", at=AT,
        items=[HeldItem(item="seal", item_id=4, label="营销部印章", task_id=7, to_staff_id=12)],
        notify=told((12, Capacity.SUCCESSOR), (30, Capacity.SECTION_CHIEF)))
    assert [d[0] for d in drafts("custody.handover_requested", moving)] == [12, 30]
    assert alerts.named("custody.handover_requested", moving)[0].params["items"] == 1


@pytest.mark.parametrize(("status", "by", "expected"), [
    ("registered", 13, [50]),        # the bureau office orders it
    ("ordered", 50, []),             # the office told of its own step: nobody
    ("received", 50, [60]),          # the administrator fits it
    ("fitted", 60, [50, 13]),        # and the one who registered it hears
])
def test_a_repair_tells_who_acts_next_not_who_just_acted(status, by, expected):
    everyone = {"registered": [50], "ordered": [50], "received": [50, 60],
                "fitted": [50, 60, 13]}[status]
    capacity = {50: Capacity.BUREAU_OFFICE, 60: Capacity.FIXED_ASSET_ADMIN,
                13: Capacity.CUSTODIAN}
    repair = RepairStatusChanged(repair_id=9, status=status, description="打印机卡纸",
                                 asset_id=None, window="W02", by_staff_id=by, at=AT,
                                 notify=told(*[(who, capacity[who]) for who in everyone]))
    assert [d[0] for d in drafts("repair.status_changed", repair)] == expected


def test_rooms_ask_the_supervising_leader_and_tell_the_trainer_and_the_person_charged():
    asked = RoomApprovalRequested(
        booking_id=3, room="hall_95598", title="党员活动", starts_at=AT, ends_at=AT, booked_by=13,
        notify=told((2, Capacity.SUPERVISING_LEADER)))
    [leader] = alerts.named("room.approval_requested", asked)
    assert (leader.recipient_id, leader.subject_type, leader.params["day"]) == (
        2, "booking", "2026-03-03")
    fault = RoomFaultReported(fault_id=5, room="hall_95598", asset_id=None, description="投影仪",
                              reported_by=13, notify=told((70, Capacity.TRAINER)), at=AT)
    assert drafts("room.fault_reported", fault) == [(70, "room.fault_reported", "room_fault", "5")]
    charged = fault.model_copy(update={
        "charged_staff_id": 13, "charged_department": "marketing", "charge_cents": 35_000,
        "notify": told((70, Capacity.TRAINER), (13, Capacity.CUSTODIAN))})
    [payer] = alerts.named("room.damage_charged", charged)  # the trainer charged it (S2.5)
    assert (payer.recipient_id, payer.params["charge_cents"]) == (13, 35_000)


def test_a_visit_plan_goes_to_its_reviewer_and_back_to_its_salesperson():
    submitted = VisitPlanSubmitted(plan_id=8, staff_id=21, month="2026-04", revision=1, visits=6,
                                   changed_after_approval=False, notify=[30], at=AT)
    assert drafts("visit_plan.submitted", submitted) == [
        (30, "visit_plan.submitted", "visit_plan", "8")]
    assert alerts.named("visit_plan.submitted",
                        submitted.model_copy(update={"notify": [21]})) == []  # her own act
    returned = VisitPlanReviewed(plan_id=8, staff_id=21, month="2026-04", revision=1,
                                 approved=False, comment="少了一次走访", reviewed_by=30,
                                 notify=[21], at=AT)
    [back] = alerts.named("visit_plan.reviewed", returned)
    assert (back.recipient_id, back.params["decision"]) == (21, "returned")
    missing = VisitPlanMissing(staff_id=21, month="2026-04", due_at=AT, notify=[21, 30], at=AT)
    assert drafts("visit_plan.missing", missing) == [
        (21, "visit_plan.missing", "visit_month", "2026-04"),
        (30, "visit_plan.missing", "visit_month", "2026-04")]


def test_visit_alerts_reach_whom_they_name():
    flagged = VisitFlagged(visit_id=40, staff_id=21, flag="expense_unapproved", notify=[30], at=AT)
    assert drafts("visit.flagged", flagged) == [(30, "visit.flagged", "visit", "40")]
    overdue = VisitReportOverdue(visit_id=40, staff_id=21, due_at=AT, notify=[21, 30], at=AT)
    assert [d[0] for d in drafts("visit.report_overdue", overdue)] == [21, 30]
    reminder = FollowUpReminder(follow_up_id=6, visit_id=40, owner_id=21, phase="overdue",
                                due_on=date(2026, 3, 2), what="送电价资料" * 60, notify=[21, 30],
                                at=AT)
    made = alerts.named("follow_up.reminder", reminder)
    assert [(d.recipient_id, d.subject_type) for d in made] == [(21, "follow_up"),
                                                                (30, "follow_up")]
    assert made[0].params["visit_id"] == 40 and len(made[0].params["what"]) == alerts.TEXT
