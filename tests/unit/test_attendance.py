"""Attendance classification (S1.16) on real calendar days (S1.7, Chinese statutory calendar)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.staffing.attendance import (
    Status,
    Totals,
    classify,
    expected_schedule,
    month_days,
    totals_of,
    work_day,
)

ZONE = ZoneInfo("Asia/Shanghai")
MAKE_UP_SATURDAY = date(2024, 10, 12)  # worked in exchange for the National Day week
NATIONAL_DAY = date(2024, 10, 1)  # a Tuesday, statutory holiday
ORDINARY_SATURDAY = date(2024, 10, 19)
MONDAY = date(2024, 10, 14)
LONG_AFTER = datetime(2030, 1, 1, tzinfo=ZONE)
NIGHT = [(time(22), time(6))]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def office(day: date):
    return expected_schedule(day, "window_staff", [], ZONE)


def test_office_staff_work_office_hours_on_working_days_only():
    schedule = office(MAKE_UP_SATURDAY)
    assert schedule is not None
    day = MAKE_UP_SATURDAY
    assert (schedule.start, schedule.end) == (at(day, 8, 30), at(day, 17, 30))
    assert schedule.sessions[0][1] == at(MAKE_UP_SATURDAY, 12)
    assert office(NATIONAL_DAY) is None
    assert office(ORDINARY_SATURDAY) is None


def test_hotline_staff_work_their_shift_every_day_even_on_holidays():
    schedule = expected_schedule(NATIONAL_DAY, "seat_agent", NIGHT, ZONE)
    assert (schedule.start, schedule.end) == (at(NATIONAL_DAY, 22), at(date(2024, 10, 2), 6))
    whole_day = expected_schedule(MONDAY, "duty_leader", [(time(0), time(0))], ZONE)
    assert whole_day.end - whole_day.start == timedelta(days=1)
    assert expected_schedule(MONDAY, "seat_agent", [], ZONE) is None


def test_absent_on_a_make_up_saturday_but_not_on_a_statutory_holiday():
    absent = classify(MAKE_UP_SATURDAY, office(MAKE_UP_SATURDAY), None, None, False, LONG_AFTER)
    assert absent.status == Status.ABSENT
    assert classify(NATIONAL_DAY, office(NATIONAL_DAY), None, None, False, LONG_AFTER) is None


def test_lateness_and_early_leave_in_whole_minutes():
    schedule = office(MONDAY)
    result = classify(
        MONDAY, schedule, at(MONDAY, 8, 41), at(MONDAY, 17, 0), False, LONG_AFTER
    )
    assert result.status == Status.PRESENT
    assert (result.late_minutes, result.early_minutes) == (11, 30)
    on_time = classify(MONDAY, schedule, at(MONDAY, 8, 30), at(MONDAY, 17, 30), False, LONG_AFTER)
    assert (on_time.late_minutes, on_time.early_minutes) == (0, 0)
    half_a_minute = classify(
        MONDAY, schedule, at(MONDAY, 8, 30) + timedelta(seconds=30), None, False, LONG_AFTER
    )
    assert half_a_minute.late_minutes == 1 and half_a_minute.missing_clock_out


def test_a_grace_period_forgives_small_lateness_only():
    schedule = office(MONDAY)
    grace = timedelta(minutes=5)
    small = classify(MONDAY, schedule, at(MONDAY, 8, 34), None, False, LONG_AFTER, grace)
    large = classify(MONDAY, schedule, at(MONDAY, 8, 36), None, False, LONG_AFTER, grace)
    assert (small.late_minutes, large.late_minutes) == (0, 6)


def test_excused_days_are_never_absent_and_the_day_in_progress_is_pending():
    schedule = office(MONDAY)
    assert classify(MONDAY, schedule, None, None, True, LONG_AFTER).status == Status.EXCUSED
    during = classify(MONDAY, schedule, None, None, False, at(MONDAY, 10))
    assert during.status == Status.PENDING
    clocked_in = classify(MONDAY, schedule, at(MONDAY, 8), None, False, at(MONDAY, 10))
    assert clocked_in.status == Status.PRESENT and not clocked_in.missing_clock_out


def test_clocking_on_a_day_off_is_recorded_as_unscheduled():
    result = classify(NATIONAL_DAY, None, at(NATIONAL_DAY, 9), None, False, LONG_AFTER)
    assert result.status == Status.UNSCHEDULED


def test_a_night_shift_clock_out_belongs_to_the_day_the_shift_started():
    def schedule_of(day):
        return expected_schedule(day, "seat_agent", NIGHT, ZONE)

    next_morning = at(date(2024, 10, 2), 6, 5)
    assert work_day(next_morning, False, schedule_of, ZONE) == NATIONAL_DAY
    assert work_day(at(NATIONAL_DAY, 21, 50), True, schedule_of, ZONE) == NATIONAL_DAY
    # office staff clocking on a holiday: no schedule nearby, so the local day
    assert work_day(at(NATIONAL_DAY, 9), True, office, ZONE) == NATIONAL_DAY


@pytest.mark.parametrize(("month", "days"), [(date(2024, 2, 10), 29), (date(2024, 12, 31), 31)])
def test_month_days(month, days):
    listed = month_days(month)
    assert len(listed) == days and listed[0].day == 1 and listed[-1].month == month.month


def test_totals_and_csv():
    schedule = office(MONDAY)
    results = [
        classify(MONDAY, schedule, at(MONDAY, 9), at(MONDAY, 17), False, LONG_AFTER),
        classify(MAKE_UP_SATURDAY, office(MAKE_UP_SATURDAY), None, None, False, LONG_AFTER),
    ]
    totals = totals_of(results)
    assert totals.as_dict() == Totals(
        people=1, expected_days=2, present_days=1, late_days=1, late_minutes=30,
        early_leave_days=1, early_leave_minutes=30, absent_days=1,
    ).as_dict()
