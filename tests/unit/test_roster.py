"""The hotline roster's rules (S3.2) and attendance's proof of work and corrections (S1.16)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.staffing import attendance, roster
from services.staffing.attendance import Correction, Status
from services.staffing.routing import on_shift

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)
TEMPLATES = {
    "early": roster.Template("early", "早班", time(8), time(16)),
    "late": roster.Template("late", "中班", time(16), time(0)),
    "night": roster.Template("night", "夜班", time(22), time(6)),
}


def test_an_entry_overrides_standing_shifts_and_a_rest_day_is_nothing():
    standing = [(time(0), time(0))]
    assert roster.shifts_on(None, standing) == standing
    assert roster.shifts_on(roster.REST, standing) == []
    assert roster.shifts_on((time(8), time(16)), standing) == [(time(8), time(16))]


def test_a_night_shift_covers_the_next_morning_only_through_its_end():
    cover = roster.day_cover([], [(time(22), time(6))])
    assert cover == [(time(0), time(6))]
    assert on_shift(*cover[0], time(5, 59)) and not on_shift(*cover[0], time(6))
    # a shift ending at midnight carries nothing into the next day
    assert roster.day_cover([], [(time(16), time(0))]) == []
    late = roster.day_cover([(time(16), time(0))], [])
    assert on_shift(*late[0], time(23, 59)) and not on_shift(*late[0], time(15))


def test_the_view_answers_from_entries_then_standing():
    view = roster.RosterView(
        {(1, MONDAY): roster.REST, (2, MONDAY - timedelta(days=1)): (time(22), time(6))},
        {1: [(time(8), time(16))]},
    )
    assert view.shifts(1, MONDAY) == [] and view.shifts(1, MONDAY + timedelta(days=1))
    assert view.cover(2, MONDAY) == [(time(0), time(6))]
    assert view.people() == {1, 2}


def test_a_pattern_repeats_and_every_week_needs_a_rest_day():
    plan = roster.expand(MONDAY, 14, ["early"] * 5 + ["rest"] * 2)
    assert [code for _, code in plan[:8]] == ["early"] * 5 + ["rest", "rest", "early"]
    roster.check_plan(plan, TEMPLATES, ZONE)
    with pytest.raises(roster.RosterRuleError, match="no rest day"):
        roster.check_plan(roster.expand(MONDAY, 7, ["early"]), TEMPLATES, ZONE)
    with pytest.raises(roster.RosterRuleError, match="unknown"):
        roster.check_plan(roster.expand(MONDAY, 2, ["dawn", "rest"]), TEMPLATES, ZONE)
    with pytest.raises(roster.RosterRuleError, match="days"):
        roster.expand(MONDAY, roster.MAX_PLAN_DAYS + 1, ["rest"])


def test_one_person_never_works_two_shifts_at_once():
    with pytest.raises(roster.RosterRuleError, match="overlap"):
        roster.check_no_overlap([(MONDAY, (time(22), time(6))),
                                 (MONDAY + timedelta(days=1), (time(5), time(13)))], ZONE)
    roster.check_plan([(MONDAY, "late"), (MONDAY + timedelta(days=1), "early")], TEMPLATES, ZONE)


def test_templates_are_checked():
    assert roster.parse_template({"code": "mid", "starts": "12:00", "ends": "20:00"}).shift == (
        time(12), time(20))
    for bad in ({"code": "Rest", "starts": "1", "ends": "2"}, {"code": "rest"},
                {"code": "x", "starts": "25:00", "ends": "08:00"}):
        with pytest.raises(roster.RosterRuleError):
            roster.parse_template(bad)


def test_swaps_are_between_two_people_of_one_role():
    roster.check_swap("seat_agent", "seat_agent", 1, 2)
    with pytest.raises(roster.RosterRuleError, match="two people"):
        roster.check_swap("seat_agent", "seat_agent", 1, 1)
    with pytest.raises(roster.RosterRuleError, match="one role"):
        roster.check_swap("seat_agent", "duty_leader", 1, 2)
    assert roster.swap_days(MONDAY, None) == [MONDAY]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def test_work_on_an_order_is_presence_without_a_clock():
    schedule = attendance.expected_schedule(MONDAY, "seat_agent", [(time(8), time(16))], ZONE)
    later = _at(MONDAY, 20)
    worked = attendance.classify(MONDAY, schedule, None, None, False, later, worked=True)
    assert worked.status == Status.PRESENT and worked.missing_clock_in and worked.worked_orders
    idle = attendance.classify(MONDAY, schedule, None, None, False, later)
    assert idle.status == Status.ABSENT
    # on leave yet working: present, not excused
    assert attendance.classify(MONDAY, schedule, None, None, True, later, worked=True
                               ).status == Status.PRESENT


def test_a_night_shifts_action_after_midnight_proves_the_day_it_started():
    def schedule_of(day):
        return attendance.expected_schedule(day, "seat_agent", [(time(22), time(6))], ZONE)

    assert attendance.proof_day(_at(MONDAY, 3), schedule_of, ZONE) == MONDAY - timedelta(days=1)
    assert attendance.proof_day(_at(MONDAY, 23), schedule_of, ZONE) == MONDAY
    assert attendance.proof_day(_at(MONDAY, 12), lambda day: None, ZONE) == MONDAY


def test_a_correction_replaces_the_status_and_shows_what_it_was():
    absent = attendance.DayResult(MONDAY, Status.ABSENT)
    fixed = attendance.corrected(absent, MONDAY, Correction(Status.PRESENT, "外出培训", 7))
    assert fixed.status == Status.PRESENT
    assert fixed.as_dict()["corrected"] == {"from": "absent", "reason": "外出培训", "by": 7}
    assert attendance.corrected(absent, MONDAY, None) is absent
    off = attendance.corrected(None, MONDAY, Correction(Status.ABSENT, "未到岗", 7))
    assert off.status == Status.ABSENT and off.corrected.was is None
