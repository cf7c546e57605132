"""One authority (issue 10): the role ladder once, who reads which order, whose targets are
valid; pure rules (the staff cache: test_staff_cache.py)."""

from __future__ import annotations

import pytest

from contracts.events import (
    LEADER_ROLES,
    ROLE_LADDER,
    Role,
    above,
    at_least,
    hotline_role,
    roles_from,
)
from services.calls import access
from services.staffing.evaluation import scoring_refusal

AGENT, LEADER, LEAD = Role.SEAT_AGENT, Role.DUTY_LEADER, Role.DEPUTY_TEAM_LEAD


def test_the_ladder_is_defined_once_lowest_first():
    assert ROLE_LADDER == (AGENT, LEADER, LEAD)
    assert roles_from(LEADER) == LEADER_ROLES == (LEADER, LEAD)
    assert roles_from(AGENT) == ROLE_LADDER
    assert at_least("deputy_team_lead", LEADER) and at_least(LEADER, LEADER)
    assert not at_least(AGENT, LEADER) and not at_least("staff", AGENT)
    assert not at_least(None, AGENT) and not at_least(["duty_leader"], AGENT)
    assert above(LEAD, LEADER) and above("duty_leader", "seat_agent")
    assert not above(LEADER, LEADER) and not above(LEADER, LEAD) and not above(LEAD, "staff")
    assert hotline_role("seat_agent") is AGENT and hotline_role("department_staff") is None


def caller(role, staff_id=1, department=None):
    return access.caller_from(
        {"id": staff_id, "username": "x", "role": role, "department": department}, staff_id)


def test_who_is_asking_comes_from_staffing_s_record():
    assert caller("duty_leader").reach is access.Reach.ALL
    assert caller("deputy_team_lead").reach is access.Reach.ALL
    assert caller("seat_agent").reach is access.Reach.AGENT
    clerk = caller("staff", department="营销部")
    assert clerk.reach is access.Reach.DEPARTMENT
    assert clerk.as_actor() == {"id": "1", "role": "department", "name": "x",
                                "department": "营销部"}
    with pytest.raises(access.NotAllowed, match="not known"):
        access.caller_from(None, 5)
    with pytest.raises(access.NotAllowed, match="has left"):
        access.caller_from({"id": 5, "role": "seat_agent", "left_on": "2026-11-01"}, 5)
    with pytest.raises(access.NotAllowed, match="hotline role or a handling department"):
        caller("staff")


@pytest.mark.parametrize(("reader", "order", "allowed"), [
    # reader: (role, id, department); order: (assignee, escalated to, department, serving)
    (("duty_leader", 3, None), (1, None, None, False), True),
    (("deputy_team_lead", 4, None), (1, None, "运检部", False), True),
    (("seat_agent", 1, None), (1, None, None, False), True),  # her own
    (("seat_agent", 2, None), (1, None, None, False), False),  # another agent's
    (("seat_agent", 2, None), (1, 2, None, False), True),  # escalated to her
    (("seat_agent", 2, None), (1, None, None, True), True),  # a caller she is serving
    (("staff", 5, "运检部"), (1, None, "运检部", False), True),  # dispatched to her department
    (("staff", 6, "营销部"), (1, None, "运检部", False), False),  # a window clerk
    (("staff", 7, "人力资源部"), (1, None, None, False), False),  # HR
    (("staff", 7, "人力资源部"), (7, None, None, True), False),  # ids mean nothing to a department
])
def test_who_may_read_an_order(reader, order, allowed):
    role, staff_id, department = reader
    assert access.may_read(caller(role, staff_id, department), *order) is allowed


@pytest.mark.parametrize(("staff", "refused"), [
    ({"id": 1, "role": "seat_agent", "left_on": None}, None),
    ({"id": 3, "role": "duty_leader"}, None),
    ({"id": 6, "role": "staff", "department": "营销部"}, "not on the hotline"),
    ({"id": 9, "role": "seat_agent", "left_on": "2026-10-31"}, "left on 2026-10-31"),
    (None, "no staff member"),
])
def test_only_hotline_members_on_staff_are_assigned(staff, refused):
    reason = access.assignment_refusal(staff, staff["id"] if staff else 42)
    assert (reason is None) if refused is None else (refused in reason)


@pytest.mark.parametrize(("scorer", "target", "refused"), [
    ((3, "duty_leader"), (1, "seat_agent"), None),
    ((4, "deputy_team_lead"), (3, "duty_leader"), None),
    ((4, "deputy_team_lead"), (1, "seat_agent"), None),
    ((3, "duty_leader"), (3, "duty_leader"), "own"),
    ((3, "duty_leader"), (10, "duty_leader"), "only roles below"),
    ((3, "duty_leader"), (4, "deputy_team_lead"), "only roles below"),
    ((3, "duty_leader"), (8, "staff"), "not in the hotline's evaluation"),  # the hall director
    ((1, "seat_agent"), (2, "seat_agent"), "only a duty leader"),
    ((7, "staff"), (1, "seat_agent"), "only a duty leader"),
])
def test_only_lower_roles_are_scored_never_oneself(scorer, target, refused):
    reason = scoring_refusal(scorer[0], scorer[1], target[0], target[1])
    assert (reason is None) if refused is None else (refused in reason)

