"""The routing rules of S3.2, decided without a broker or a database."""

from datetime import time

import pytest

from contracts.events import Category, Role
from services.staffing.routing import Candidate, Reason, dial_string, on_shift, route


def person(staff_id: int, role: Role, open_orders: int = 0) -> Candidate:
    return Candidate(staff_id, f"p{staff_id}", role, f"80{staff_id:02d}", open_orders)


AGENTS = [
    person(1, Role.SEAT_AGENT, 3),
    person(2, Role.SEAT_AGENT, 1),
    person(3, Role.SEAT_AGENT, 1),
]
LEADER = person(10, Role.DUTY_LEADER, 5)
DEPUTY = person(20, Role.DEPUTY_TEAM_LEAD, 0)


@pytest.mark.parametrize(
    "category", [Category.INQUIRY, Category.FAULT_REPORT, Category.SERVICE_APPLICATION]
)
def test_ordinary_business_goes_to_the_least_loaded_seat_agent(category):
    decision = route(category, [*AGENTS, LEADER, DEPUTY])
    assert decision.assignee.staff_id == 2  # 1 open order, lowest id among the tied
    assert decision.reason == Reason.LEAST_LOADED_SEAT_AGENT


@pytest.mark.parametrize(
    ("category", "reason"),
    [
        (Category.COMPLAINT, Reason.COMPLAINT_TO_DUTY_LEADER),
        (Category.UNCLASSIFIED, Reason.UNCLASSIFIED_TO_DUTY_LEADER),
    ],
)
def test_complaints_and_unclassified_go_to_a_duty_leader(category, reason):
    decision = route(category, [*AGENTS, LEADER, DEPUTY])
    assert decision.assignee == LEADER
    assert decision.reason == reason


def test_no_seat_agent_on_shift_escalates_to_the_duty_leader():
    decision = route(Category.INQUIRY, [LEADER, DEPUTY])
    assert decision.assignee == LEADER
    assert decision.reason == Reason.NO_SEAT_AGENT_ON_SHIFT


def test_no_duty_leader_escalates_to_the_deputy_team_lead():
    assert route(Category.INQUIRY, [DEPUTY]).assignee == DEPUTY
    decision = route(Category.COMPLAINT, [*AGENTS, DEPUTY])
    assert decision.assignee == DEPUTY
    assert decision.reason == Reason.NO_DUTY_LEADER_ON_SHIFT


def test_a_complaint_never_goes_down_to_a_seat_agent():
    assert route(Category.COMPLAINT, AGENTS).assignee is None


def test_nobody_on_shift():
    decision = route(Category.FAULT_REPORT, [])
    assert decision.assignee is None
    assert decision.reason == Reason.NOBODY_ON_SHIFT


def test_a_caller_with_an_open_order_goes_back_to_its_owner():
    decision = route(Category.FAULT_REPORT, [*AGENTS, LEADER], caller_order_owner=1)
    assert decision.assignee.staff_id == 1
    assert decision.reason == Reason.CALLER_OPEN_ORDER_OWNER


def test_a_complaint_goes_to_a_duty_leader_even_when_an_agent_owns_the_callers_order():
    decision = route(Category.COMPLAINT, [*AGENTS, LEADER], caller_order_owner=1)
    assert decision.assignee == LEADER
    assert route(Category.COMPLAINT, [*AGENTS, LEADER], caller_order_owner=10).reason == (
        Reason.CALLER_OPEN_ORDER_OWNER
    )


def test_the_owner_is_skipped_when_not_on_shift():
    decision = route(Category.FAULT_REPORT, AGENTS[1:], caller_order_owner=1)
    assert decision.assignee.staff_id == 2
    assert decision.reason == Reason.LEAST_LOADED_SEAT_AGENT


@pytest.mark.parametrize(
    ("starts", "ends", "at", "expected"),
    [
        (time(8), time(16), time(8), True),
        (time(8), time(16), time(15, 59), True),
        (time(8), time(16), time(16), False),
        (time(8), time(16), time(7, 59), False),
        (time(20), time(8), time(23, 30), True),  # past midnight
        (time(20), time(8), time(3), True),
        (time(20), time(8), time(8), False),
        (time(20), time(8), time(12), False),
        (time(0), time(0), time(12), True),  # the whole day
    ],
)
def test_on_shift(starts, ends, at, expected):
    assert on_shift(starts, ends, at) is expected


def test_dial_string():
    assert dial_string("8001") == "PJSIP/8001"


def test_nobody_away_is_picked_not_even_the_callers_owner():
    """Rule 5 (presence, issue 11): the away agent is passed; with every agent away the call
    goes up the ladder."""
    away = Candidate(2, "p2", Role.SEAT_AGENT, "8002", 0, away=True)
    decision = route(Category.INQUIRY, [AGENTS[0], away, AGENTS[2], LEADER],
                     caller_order_owner=2)
    assert decision.assignee.staff_id == 3 and decision.reason == Reason.LEAST_LOADED_SEAT_AGENT
    everyone_away = [Candidate(c.staff_id, c.name, c.role, c.extension, 0, away=True)
                     for c in AGENTS]
    assert route(Category.INQUIRY, [*everyone_away, LEADER]).assignee == LEADER
