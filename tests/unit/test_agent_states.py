"""The hotline's members by state for the leaders' board (services/staffing/agent_states.py)."""

from services.staffing.agent_states import counts, state_of


def test_leave_comes_before_the_roster_and_an_on_shift_member_takes_her_presence():
    on_leave, working = {1, 2}, {2, 3}

    def ready(staff_id: int) -> str:
        return "ready"

    assert state_of(2, on_leave, working, ready) == "on_leave"  # rostered, but on leave
    assert state_of(4, on_leave, working, ready) == "off_shift"
    assert state_of(3, on_leave, working, ready) == "ready"
    assert state_of(3, on_leave, working, present=lambda staff_id: "away") == "away"


def test_counts_name_every_state():
    assert counts(["ready", "ready", "off_shift", "on_call"]) == {
        "ready": 2, "away": 0, "on_leave": 0, "off_shift": 1,
        "ringing": 0, "on_call": 1, "wrap_up": 0, "offline": 0}  # the phone's (issue 16)


def test_the_phone_state_shows_beside_presence():
    from datetime import UTC, datetime

    from services.staffing.agent_states import phone_state

    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert phone_state(None, False, None, now) == "ready"
    assert phone_state("ready", True, None, now) == "away"  # paused is her presence away
    assert phone_state("on_call", True, None, now) == "on_call"
    assert phone_state("offline", False, None, now) == "offline"
