"""The hotline's members by state for the leaders' board (services/staffing/agent_states.py)."""

from services.staffing.agent_states import counts, on_shift_state, state_of


def test_leave_comes_before_the_roster_and_an_on_shift_member_takes_her_presence():
    away, working = {1, 2}, {2, 3}
    assert state_of(2, away, working) == "on_leave"  # rostered, but on leave
    assert state_of(4, away, working) == "off_shift"
    assert state_of(3, away, working) == on_shift_state(3) == "ready"
    assert state_of(3, away, working, present=lambda staff_id: "away") == "away"


def test_counts_name_every_state():
    assert counts(["ready", "ready", "off_shift"]) == {
        "ready": 2, "away": 0, "on_leave": 0, "off_shift": 1}
