"""The Chinese statutory working-day calendar and office hours (S1.7), on real dates.

Arrangements as published by the State Council and carried by chinese-calendar 1.11.0:
- Spring Festival 2026: holiday Sun 2026-02-15 .. Mon 2026-02-23 (9 days); make-up working days
  Sat 2026-02-14 and Sat 2026-02-28.
- Other 2026 make-up working days: Sun 01-04 (New Year), Sat 05-09 (Labour Day),
  Sun 09-20 and Sat 10-10 (National Day); Labour Day holiday 05-01 .. 05-05.
- National Day 2025: holiday 10-01 .. 10-08 (with Mid-Autumn); make-up Sun 09-28 and Sat 10-11.
- National Day 2026: holiday 10-01 .. 10-07.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from svckit import workdays
from svckit.workdays import (
    add_working_days,
    advance_working_time,
    is_working_day,
    next_office_open,
    next_working_day,
    office_hours_open,
    working_days_between,
    working_time_between,
)

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# --- the holiday source ---------------------------------------------------------------------


def test_the_source_covers_2025_and_2026():
    # Whether it covers *this* year is a production check, not a test that starts failing on
    # 1 January: see the calendar's coverage in the service's health and the issue notes.
    assert {2025, 2026} <= set(workdays.SOURCE.years)


PROVISIONAL_YEAR = max(workdays.SOURCE.years) + 1  # the first year the package lacks


def test_a_year_the_package_lacks_is_provisional_not_refused():
    new_year = date(PROVISIONAL_YEAR, 1, 1)
    assert workdays.is_provisional(new_year)
    assert not is_working_day(new_year)  # New Year's Day is statutory whatever the year
    assert not workdays.is_provisional(date(2026, 6, 1))
    saturdays = [d for d in days(date(PROVISIONAL_YEAR, 1, 1), date(PROVISIONAL_YEAR, 12, 31))
                 if d.weekday() == 5]
    assert not any(is_working_day(d) for d in saturdays)  # no make-up days are guessed


def test_the_rule_source_agrees_with_the_published_years_day_for_day():
    """The provisional rule (the holidays package) reproduces every published year the package
    has from 2015 on, make-up days aside: so a provisional year is the law, not a guess."""
    for year in range(2015, max(workdays.SOURCE.years) + 1):
        ruled = workdays._statutory(year)
        for day in days(date(year, 1, 1), date(year, 12, 31)):
            if day.weekday() < 5:
                assert (day not in ruled) == is_working_day(day), day


def test_lunar_holidays_of_a_provisional_year_are_computed():
    # Spring Festival 2027 falls on 6 February, Mid-Autumn on 15 September (lunar calendar).
    if PROVISIONAL_YEAR != 2027:
        pytest.skip("the installed package already publishes 2027")
    assert not is_working_day(date(2027, 2, 8)) and not is_working_day(date(2027, 9, 15))
    assert is_working_day(date(2027, 2, 11))


def test_a_deadline_running_into_a_provisional_year_is_computed_and_flagged():
    if PROVISIONAL_YEAR != 2027:
        pytest.skip("the installed package already publishes 2027")
    start = at(2026, 12, 28, 10)
    due = add_working_days(start, 7)  # 29, 30, 31 Dec; 1 Jan off; 2-3 Jan weekend; 4-7 Jan
    assert due == at(2027, 1, 7, 10)
    assert workdays.provisional_between(start, due)
    assert not workdays.provisional_between(start, add_working_days(start, 1))


def test_a_datetime_is_refused_where_a_local_date_is_meant():
    with pytest.raises(TypeError):
        is_working_day(at(2026, 3, 9, 10))


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", days(date(2026, 2, 15), date(2026, 2, 23)))
def test_spring_festival_2026_is_nine_days_off(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
        date(2025, 9, 28),
        date(2025, 10, 11),
    ],
)
def test_make_up_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [*days(date(2025, 10, 1), date(2025, 10, 8)), *days(date(2026, 10, 1), date(2026, 10, 7))],
)
def test_national_day_2025_and_2026_are_off(day):
    assert not is_working_day(day)


def test_an_ordinary_week():
    assert is_working_day(date(2026, 3, 6))  # Friday
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert next_working_day(date(2026, 3, 6)) == date(2026, 3, 9)


def test_next_working_day_skips_the_spring_festival_from_the_make_up_saturday():
    assert next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


# --- add_working_days -----------------------------------------------------------------------


def test_same_clock_time_after_an_ordinary_weekend():
    assert add_working_days(at(2026, 3, 6, 10), 1) == at(2026, 3, 9, 10)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # The working day before the holiday is the make-up Saturday 02-14.
        (at(2026, 2, 14, 10), 4, at(2026, 2, 27, 10)),  # 02-24, 25, 26, 27
        (at(2026, 2, 13, 10), 4, at(2026, 2, 26, 10)),  # 02-14, 24, 25, 26
        (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 10)),
    ],
)
def test_counting_across_the_spring_festival(start, n, due):
    assert add_working_days(start, n) == due


def test_seven_working_days_count_the_make_up_saturday_after_labour_day():
    # Opened Wed 05-06: 05-07, 05-08, Sat 05-09, 05-11, 05-12, 05-13, 05-14.
    assert add_working_days(at(2026, 5, 6, 9), 7) == at(2026, 5, 14, 9)


def test_seven_working_days_across_national_day_2026():
    # Opened Wed 09-30: 10-08, 10-09, Sat 10-10, 10-12, 10-13, 10-14, 10-15.
    assert add_working_days(at(2026, 9, 30, 11), 7) == at(2026, 10, 15, 11)


def test_one_working_day_across_national_day_2025():
    assert add_working_days(at(2025, 9, 30, 14), 1) == at(2025, 10, 9, 14)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at(2026, 2, 18, 15), at(2026, 2, 25)),  # holiday: clock starts 02-24 00:00
        (at(2026, 3, 7, 10), at(2026, 3, 10)),  # Saturday: clock starts Monday 00:00
        (at(2025, 9, 27, 10), at(2025, 9, 29)),  # Saturday before the make-up Sunday 09-28
    ],
)
def test_a_start_on_a_non_working_day_counts_from_the_next_working_days_start(start, due):
    assert add_working_days(start, 1) == due


def test_zero_working_days_is_when_the_clock_starts():
    assert add_working_days(at(2026, 3, 6, 10), 0) == at(2026, 3, 6, 10)
    assert add_working_days(at(2026, 3, 7, 10), 0) == at(2026, 3, 9)


def test_a_utc_start_is_counted_in_local_time_and_returned_in_local_time():
    start = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    due = add_working_days(start, 4)
    assert due == at(2026, 2, 26, 10)
    assert due.utcoffset() == timedelta(hours=8)


def test_the_zone_decides_which_calendar_day_an_instant_is_on():
    start = at(2026, 2, 14, 0, 30)  # make-up Saturday in Shanghai, still Friday 16:30 in UTC
    assert add_working_days(start, 1) == at(2026, 2, 24, 0, 30)
    assert add_working_days(start, 1, zone=UTC) == datetime(2026, 2, 14, 16, 30, tzinfo=UTC)


def test_naive_datetimes_and_negative_counts_are_refused():
    with pytest.raises(ValueError, match="naive"):
        add_working_days(datetime(2026, 3, 6, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(at(2026, 3, 6, 10), -1)


# --- working time ---------------------------------------------------------------------------


def test_working_days_between_dates_counts_the_make_up_saturday_only():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2  # 02-13, 02-14
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 13)) == -2


def test_working_time_skips_the_weekend():
    assert working_days_between(at(2026, 3, 6, 12), at(2026, 3, 9, 12)) == 1
    assert working_days_between(at(2026, 3, 6, 12), at(2026, 3, 7, 12)) == 0.5
    assert working_time_between(at(2026, 3, 7, 1), at(2026, 3, 8, 23)) == timedelta(0)


def test_working_time_up_to_midnight_of_an_uncovered_year_needs_no_data_for_it():
    assert working_days_between(at(2026, 12, 31), at(2027, 1, 1)) == 1


@pytest.mark.parametrize(
    "start",
    [
        at(2026, 2, 13, 10),
        at(2026, 2, 14, 23, 59),
        at(2026, 2, 20, 9),
        at(2026, 9, 30),
        at(2026, 5, 6),
    ],
)
@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_n_working_days_later_is_n_days_of_working_time(start, n):
    due = add_working_days(start, n)
    assert advance_working_time(start, timedelta(days=n)) == due
    clock_start = add_working_days(start, 0)
    assert working_days_between(start, due) == working_days_between(clock_start, due) == n


def test_advancing_to_a_days_end_lands_on_the_next_working_days_start():
    # Friday 12:00 + 12 h of working time ends Friday; the latest such instant is Monday 00:00.
    assert advance_working_time(at(2026, 3, 6, 12), timedelta(hours=12)) == at(2026, 3, 9)
    assert advance_working_time(at(2026, 3, 6, 12), timedelta(hours=13)) == at(2026, 3, 9, 1)


# --- office hours (S1.7) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "open_"),
    [
        (time(8, 29), False),
        (time(8, 30), True),
        (time(11, 59), True),
        (time(12, 0), False),
        (time(14, 29), False),
        (time(14, 30), True),
        (time(17, 29), True),
        (time(17, 30), False),
    ],
)
def test_office_hours_on_a_working_day(clock, open_):
    assert office_hours_open(datetime.combine(date(2026, 3, 10), clock, tzinfo=SH)) is open_


@pytest.mark.parametrize("clock", [time(8, 30), time(10, 0), time(15, 0)])
def test_closed_on_a_holiday_and_an_ordinary_saturday(clock):
    assert not office_hours_open(datetime.combine(date(2026, 2, 17), clock, tzinfo=SH))
    assert not office_hours_open(datetime.combine(date(2026, 3, 7), clock, tzinfo=SH))


@pytest.mark.parametrize(
    ("clock", "open_"),
    [(time(8, 29), False), (time(8, 30), True), (time(12, 0), False), (time(17, 29), True)],
)
def test_open_on_a_make_up_saturday(clock, open_):
    assert office_hours_open(datetime.combine(date(2026, 2, 28), clock, tzinfo=SH)) is open_


def test_office_hours_read_the_local_clock():
    assert office_hours_open(datetime(2026, 3, 10, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        (at(2026, 3, 10, 8), at(2026, 3, 10, 8, 30)),
        (at(2026, 3, 10, 10), at(2026, 3, 10, 10)),  # open now
        (at(2026, 3, 10, 12), at(2026, 3, 10, 14, 30)),
        (at(2026, 3, 10, 17, 30), at(2026, 3, 11, 8, 30)),
        (at(2026, 3, 6, 18), at(2026, 3, 9, 8, 30)),  # Friday evening
        (at(2026, 2, 13, 17, 30), at(2026, 2, 14, 8, 30)),  # make-up Saturday next
        (at(2026, 2, 14, 18), at(2026, 2, 24, 8, 30)),  # then the Spring Festival
        (at(2026, 2, 17, 10), at(2026, 2, 24, 8, 30)),  # during it
        (at(2026, 9, 30, 17, 45), at(2026, 10, 8, 8, 30)),  # National Day 2026
    ],
)
def test_next_office_open(now, opens):
    assert next_office_open(now) == opens


def test_next_office_open_answers_in_local_time():
    opens = next_office_open(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))  # 18:00 in Shanghai
    assert opens == at(2026, 3, 11, 8, 30)
    assert opens.utcoffset() == timedelta(hours=8)


def test_an_operator_adds_a_year_the_package_does_not_know_yet(holiday_arrangements):
    """A made-up arrangement for a year the package lacks (not a real one: the test only
    checks that a published year can be added without a code change)."""
    year = PROVISIONAL_YEAR
    holiday, makeup = date(year, 1, 4), date(year, 1, 9)
    holiday_arrangements.write_text(
        f"{year}:\n  holidays: [{holiday}]\n  workdays: [{makeup}]\n", encoding="utf-8"
    )
    assert workdays.refresh() is True
    assert not workdays.is_provisional(holiday)
    assert not is_working_day(holiday)
    assert is_working_day(makeup)  # a make-up working day, whatever its weekday
    assert is_working_day(date(year, 1, 5)) == (date(year, 1, 5).weekday() < 5)
    assert workdays.is_provisional(date(year + 1, 1, 4))  # the next year is still provisional
    assert workdays.refresh() is False  # read once: unchanged file, unchanged calendar


def test_the_package_wins_over_the_file_for_a_year_it_has(holiday_arrangements):
    holiday_arrangements.write_text("2026:\n  holidays: [2026-03-03]\n", encoding="utf-8")
    workdays.refresh()
    assert is_working_day(date(2026, 3, 3))


def test_a_bad_file_is_refused_with_the_reason(tmp_path):
    year = PROVISIONAL_YEAR
    (tmp_path / "bad.yaml").write_text(f"{year}:\n  holidays: [{year - 1}-01-01]\n")
    with pytest.raises(ValueError, match="needs its holidays"):
        workdays.read_arrangements(str(tmp_path / "bad.yaml"))
