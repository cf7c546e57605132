"""Escalation (S1.6, S1.10, S3.2): who escalates to whom (ESC-1..5), as the lifecycle applies it,
and whom staffing's roster makes the leader on duty."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contracts.events import Role
from services.calls import escalation
from services.calls.lifecycle import (
    Actor,
    IllegalTransition,
    InvalidFields,
    NotAllowed,
    OrderState,
    Party,
    Status,
    allowed_actions,
    apply,
)
from services.staffing.escalation import leader_on_duty
from services.staffing.routing import Candidate

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
AGENT = Actor("7", Role.SEAT_AGENT, "agent01")
OTHER_AGENT = Actor("8", Role.SEAT_AGENT, "agent02")
LEADER = Actor("11", Role.DUTY_LEADER, "leader01")
DEPUTY = Actor("21", Role.DEPUTY_TEAM_LEAD, "lead01")
SYSTEM = Actor("system", Party.SYSTEM)
STAFF = Actor("31", Party.DEPARTMENT, "repair01", department="运检部")
ORDER = OrderState("WO-1", Status.DISPATCHED, assignee="7", department="运检部")
REASON = "客户反映整片小区停电超过4小时,情绪激动"


def test_esc1_esc2_each_role_escalates_one_level_up():
    assert escalation.level_for("seat_agent") is Role.DUTY_LEADER
    assert escalation.level_for("duty_leader") is Role.DEPUTY_TEAM_LEAD
    with pytest.raises(ValueError, match="ESC-1: a seat agent escalates to duty_leader"):
        escalation.level_for("seat_agent", "deputy_team_lead")
    with pytest.raises(ValueError, match="top of the hotline"):
        escalation.level_for("deputy_team_lead")
    with pytest.raises(ValueError, match="cannot escalate"):
        escalation.level_for("department")


def test_esc3_the_sweep_escalates_to_either_level():
    assert escalation.level_for("system", "deputy_team_lead") is Role.DEPUTY_TEAM_LEAD
    assert escalation.level_for("system") is Role.DUTY_LEADER
    with pytest.raises(ValueError, match="ESC-3"):
        escalation.level_for("system", "seat_agent")
    with pytest.raises(ValueError, match="level must be one of"):
        escalation.level_for("system", "chief")


def test_esc4_never_down_nor_sideways():
    assert escalation.refusal(Role.DUTY_LEADER, None) is None
    assert escalation.refusal(Role.DEPUTY_TEAM_LEAD, Role.DUTY_LEADER) is None
    assert "ESC-4" in escalation.refusal(Role.DUTY_LEADER, Role.DUTY_LEADER)
    assert "ESC-4" in escalation.refusal(Role.DUTY_LEADER, Role.DEPUTY_TEAM_LEAD)
    assert escalation.next_level("seat_agent", Role.DUTY_LEADER) is None
    assert escalation.next_level("duty_leader", Role.DUTY_LEADER) is Role.DEPUTY_TEAM_LEAD


def test_esc5_a_reason_is_required_and_bounded():
    assert escalation.check_reason("  重大 ") == "重大"
    for bad in ("", "   ", None, 5):
        with pytest.raises(ValueError, match="needs a reason"):
            escalation.check_reason(bad)
    with pytest.raises(ValueError, match="at most 200"):
        escalation.check_reason("x" * 201)


def test_an_agent_escalates_her_order_and_keeps_it():
    after, entry = apply(ORDER, "escalate", AGENT, AT, reason=REASON)
    assert after.escalation_level is Role.DUTY_LEADER
    assert (after.status, after.assignee) == (Status.DISPATCHED, "7")  # she keeps following it
    assert entry.event == "work_order.escalated"
    assert dict(entry.data) == {"reason": REASON, "level": Role.DUTY_LEADER}
    # once with the duty leader, the agent has no one further; the leader goes on up
    assert "escalate" not in allowed_actions(after, AGENT)
    assert "escalate" in allowed_actions(after, LEADER)
    with pytest.raises(IllegalTransition, match="already escalated to the duty leader"):
        apply(after, "escalate", AGENT, AT, reason=REASON)
    top, _ = apply(after, "escalate", LEADER, AT, reason="需协调营销部")
    assert top.escalation_level is Role.DEPUTY_TEAM_LEAD
    assert "escalate" not in allowed_actions(top, LEADER)


def test_who_may_not_escalate():
    with pytest.raises(NotAllowed, match="belongs to seat agent 7"):
        apply(ORDER, "escalate", OTHER_AGENT, AT, reason=REASON)
    with pytest.raises(NotAllowed, match="a deputy team lead cannot escalate"):
        apply(ORDER, "escalate", DEPUTY, AT, reason=REASON)
    with pytest.raises(NotAllowed, match="staff of 运检部 cannot escalate"):
        apply(ORDER, "escalate", STAFF, AT, reason=REASON)
    assert "escalate" not in allowed_actions(ORDER, DEPUTY)
    with pytest.raises(IllegalTransition, match="it is closed"):
        apply(replace(ORDER, status=Status.CLOSED), "escalate", LEADER, AT, reason=REASON)


def test_escalation_fields_are_checked():
    with pytest.raises(InvalidFields, match="needs reason"):
        apply(ORDER, "escalate", AGENT, AT)
    with pytest.raises(InvalidFields, match="needs a reason"):
        apply(ORDER, "escalate", AGENT, AT, reason=" ")
    with pytest.raises(InvalidFields, match="ESC-1"):
        apply(ORDER, "escalate", AGENT, AT, reason=REASON, level="deputy_team_lead")
    with pytest.raises(InvalidFields, match="clock is the deadline sweep's"):
        apply(ORDER, "escalate", AGENT, AT, reason=REASON, clock="reply")


def test_the_sweep_escalates_past_a_person_s_escalation_but_not_below_it():
    by_agent, _ = apply(ORDER, "escalate", AGENT, AT, reason=REASON)
    swept, entry = apply(by_agent, "escalate", SYSTEM, AT, reason="the reply clock is overdue "
                         "by 50% of its limit", level="deputy_team_lead", clock="reply")
    assert swept.escalation_level is Role.DEPUTY_TEAM_LEAD and entry.data["clock"] == "reply"
    with pytest.raises(IllegalTransition, match="ESC-4"):
        apply(by_agent, "escalate", SYSTEM, AT, reason="overdue", level="duty_leader")


def test_describe_keeps_the_customer_s_words_with_declared_lengths():
    after, entry = apply(ORDER, "describe", AGENT, AT, matter="家里停电了",
                         meter_number="3301234567", transformer_area="建设路2号台区",
                         promise="2小时内回电")
    assert (after.matter, after.meter_number, after.promise) == (
        "家里停电了", "3301234567", "2小时内回电")
    assert entry.event == "work_order.described"
    assert entry.data["transformer_area"] == "建设路2号台区"
    with pytest.raises(InvalidFields, match="at least one of matter"):
        apply(ORDER, "describe", AGENT, AT)
    with pytest.raises(InvalidFields, match="meter_number is at most 32"):
        apply(ORDER, "describe", AGENT, AT, meter_number="9" * 33)
    with pytest.raises(InvalidFields, match="matter is at most 2000"):
        apply(ORDER, "describe", AGENT, AT, matter="话" * 2001)
    with pytest.raises(InvalidFields, match="not caller"):
        apply(ORDER, "describe", AGENT, AT, caller="x")
    with pytest.raises(IllegalTransition):
        apply(replace(ORDER, status=Status.REPLIED), "describe", AGENT, AT, matter="x")


def person(staff_id: int, role: Role, load: int = 0) -> Candidate:
    return Candidate(staff_id, f"p{staff_id}", role, str(8000 + staff_id), load)


def test_the_leader_on_duty_is_of_the_level_or_above_least_loaded_first():
    agents = [person(1, Role.SEAT_AGENT)]
    leaders = [person(11, Role.DUTY_LEADER, 3), person(12, Role.DUTY_LEADER, 1)]
    deputy = [person(21, Role.DEPUTY_TEAM_LEAD, 9)]
    assert leader_on_duty(Role.DUTY_LEADER, agents + leaders + deputy).staff_id == 12
    assert leader_on_duty(Role.DUTY_LEADER, agents + deputy).staff_id == 21
    assert leader_on_duty(Role.DEPUTY_TEAM_LEAD, agents + leaders + deputy).staff_id == 21
    assert leader_on_duty(Role.DEPUTY_TEAM_LEAD, agents + leaders) is None
    with pytest.raises(ValueError):
        leader_on_duty(Role.SEAT_AGENT, agents)
