"""Issue 11's pure rules: who an event asks to act (services/inbox/addressing.py) and what a
presence may be (services/staffing/presence.py)."""

from datetime import UTC, date, datetime

import pytest

from contracts.events import (
    Actor,
    ApprovalStep,
    AwayReason,
    Category,
    DeadlineWarning,
    LeaveRequested,
    LeaveType,
    PostKind,
    PresenceState,
    Recipient,
    Role,
    RotaHandoverMissing,
    StaffAbsent,
    WorkOrderEscalated,
    WorkOrderRouted,
    WorkOrderStatus,
    WorkOrderTransitioned,
)
from services.inbox import addressing
from services.staffing.presence import PresenceError, may_set, wanted

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SYSTEM = Actor(id="system", role="system", name="system")
LEADER = Actor(id="10", role="duty_leader", name="Leader")


def transition(action: str, actor: Actor, from_status=WorkOrderStatus.ASSIGNED,
               assignee_id=7, department=None) -> WorkOrderTransitioned:
    return WorkOrderTransitioned(
        work_order_id="WO-1", action=action, from_status=from_status,
        to_status=WorkOrderStatus.ASSIGNED, actor=actor, assignee_id=assignee_id,
        category="fault_report", created_at=AT, at=AT, department=department)


def test_a_routed_call_pops_for_the_routed_person_only():
    routed = WorkOrderRouted(
        work_order_id="WO-1", assignee_id=7, assignee_name="A", role=Role.SEAT_AGENT,
        extension="8007", dial_string="PJSIP/8007", reason="least_loaded_seat_agent",
        decided_at=AT, caller_number="13800138000", category=Category.FAULT_REPORT)
    [pop] = addressing.routed(routed)
    assert (pop.recipient_id, pop.kind, pop.subject_id) == (7, "screen_pop", "WO-1")
    assert pop.params["caller_number"] == "13800138000"
    assert addressing.routed(routed.model_copy(update={"assignee_id": None})) == []


def test_an_assignment_by_routing_is_the_pop_already_one_by_a_person_is_a_notice():
    assert addressing.assigned(transition("assign", SYSTEM, WorkOrderStatus.NEW)) == []
    [given] = addressing.assigned(transition("assign", LEADER))
    assert (given.recipient_id, given.kind) == (7, "work_order.assigned")
    assert addressing.assigned(transition("assign", LEADER, assignee_id=10)) == []  # herself


def test_an_urge_is_for_the_handling_departments_staff():
    urge = transition("urge", SYSTEM, WorkOrderStatus.DISPATCHED, department="repair")
    drafts = addressing.urged(urge, [31, 32, 31])
    assert [d.recipient_id for d in drafts] == [31, 32]
    assert {d.kind for d in drafts} == {"work_order.urged"}


def test_an_escalation_tells_the_leader_it_reached_and_whether_a_person_sent_it():
    escalated = WorkOrderEscalated(
        work_order_id="WO-1", level=Role.DUTY_LEADER, reason="overdue", assignee_id=7, at=AT,
        recipient_staff_id=10, escalated_by=SYSTEM)
    [told] = addressing.escalated(escalated)
    assert told.recipient_id == 10 and told.params["live"] is False
    by_agent = escalated.model_copy(update={"escalated_by": Actor(id="7", role="seat_agent")})
    assert addressing.escalated(by_agent)[0].params["live"] is True
    assert addressing.escalated(escalated.model_copy(update={"recipient_staff_id": None})) == []


@pytest.mark.parametrize(("percent", "told"), [(75, []), (90, []), (100, [7])])
def test_only_an_overdue_clock_asks_its_owner_to_act(percent, told):
    warning = DeadlineWarning(
        work_order_id="WO-1", clock="reply", policy_key="complaint.reply", percent=percent,
        due_at=AT, assignee_id=7, department=None, at=AT)
    assert [d.recipient_id for d in addressing.deadline_warning(warning)] == told


def test_a_leave_request_waits_in_its_approvers_inbox():
    requested = LeaveRequested(
        leave_id=5, staff_id=21, leave_type=LeaveType.PERSONAL, starts_on=date(2026, 3, 3),
        start_pm=False, half_days=1, chain=[ApprovalStep.DEPARTMENT_HEAD], uncovers=[],
        approver_id=3)
    [asked] = addressing.leave_waiting(requested)
    assert (asked.recipient_id, asked.kind, asked.subject_type) == (3, "leave.requested", "leave")
    assert addressing.leave_waiting(requested.model_copy(update={"approver_id": None})) == []


def test_alerts_go_to_whom_they_name_each_once():
    notify = [Recipient(staff_id=3, post=PostKind.SECTION_CHIEF),
              Recipient(staff_id=3, post=PostKind.HALL_DIRECTOR)]
    absent = StaffAbsent(staff_id=21, day=date(2026, 3, 2), leave_id=5,
                         leave_type=LeaveType.SICK, due_back_at=AT, notify=notify)
    assert [d.recipient_id for d in addressing.absent(absent)] == [3]
    missing = RotaHandoverMissing(day=date(2026, 3, 2), post_code="W01", on_duty_staff_id=40,
                                  next_post_code="W02", notify=notify[:1])
    assert [d.recipient_id for d in addressing.handover_missing(missing)] == [3, 40]


def test_presence_ready_or_away_with_a_reason():
    assert wanted("ready", None) == (PresenceState.READY, None)
    assert wanted("away", "meal") == (PresenceState.AWAY, AwayReason.MEAL)
    assert wanted("away", None) == (PresenceState.AWAY, AwayReason.OTHER)
    for state, reason in (("asleep", None), ("ready", "meal"), ("away", "holiday")):
        with pytest.raises(PresenceError):
            wanted(state, reason)
    assert may_set("seat_agent", left=False) is None
    assert may_set("staff", left=False) and may_set("duty_leader", left=True)
