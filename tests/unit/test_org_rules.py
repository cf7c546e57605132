"""A/B cover (S1.5), who is on duty at an instant (S1.7, real 2026 dates), the duty rota (S1.9)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.staffing import rota
from services.staffing.office_hours import ShiftView, on_duty
from services.staffing.posts import (
    HolderRuleError,
    PostView,
    acting_holder,
    check_holders,
    cover_for,
    covering_for,
    uncovered,
    would_uncover,
)

SH = ZoneInfo("Asia/Shanghai")
W1 = PostView(1, "W01", "window", "marketing", a_holder=10, b_holder=11)
W2 = PostView(2, "W02", "window", "metering", a_holder=11, b_holder=12)
W3 = PostView(3, "W03", "window", "finance", a_holder=13, b_holder=None)
WINDOWS = [W2, W3, W1]
SHIFTS = [ShiftView(20, time(8), time(16)), ShiftView(21, time(16), time(0)),
          ShiftView(22, time(0), time(8))]


def test_b_covers_while_a_is_away_and_acts_with_a_authority():
    assert acting_holder(W1, set()) == 10
    assert acting_holder(W1, {10}) == 11
    assert covering_for(W1, 11, {10}) == 10
    assert covering_for(W1, 11, set()) is None  # A is there: B has no authority of A's
    assert covering_for(W1, 10, {11}) is None
    assert acting_holder(W1, {10, 11}) is None


def test_uncovered_posts_and_leave_that_would_uncover_one():
    assert uncovered(WINDOWS, {10, 11}) == [W1]
    assert uncovered(WINDOWS, {13}) == [W3]
    assert would_uncover(WINDOWS, 10, {11}) == [W1]
    assert would_uncover(WINDOWS, 10, set()) == []
    assert {post.code for post in would_uncover(WINDOWS, 11, {10, 12})} == {"W01", "W02"}


def test_work_goes_to_the_b_holder_of_the_leavers_a_window():
    assert cover_for(WINDOWS, 11, set()) == 12  # A of W02 → its B, before W01 where 11 is B
    assert cover_for(WINDOWS, 11, {12}) == 10  # W02's B away: W01's A
    assert cover_for(WINDOWS, 13, set()) is None  # no B anywhere: re-routed


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("when", "hall_open"),
    [
        (at(2026, 3, 2, 9, 0), True),  # an ordinary Monday morning
        (at(2026, 3, 2, 8, 29), False),  # before opening
        (at(2026, 3, 2, 12, 0), False),  # lunch
        (at(2026, 3, 2, 14, 30), True),
        (at(2026, 3, 2, 17, 30), False),  # closed at 17:30
        (at(2026, 2, 14, 10, 0), True),  # make-up working Saturday before Spring Festival
        (at(2026, 2, 17, 10, 0), False),  # Spring Festival (Tuesday)
        (at(2026, 3, 7, 10, 0), False),  # an ordinary Saturday
        (at(2026, 10, 10, 15, 0), True),  # make-up Saturday after National Day
        (at(2026, 10, 5, 10, 0), False),  # National Day holiday (Monday)
    ],
)
def test_the_hall_is_staffed_only_in_office_hours_of_working_days(when, hall_open):
    duty = on_duty(when, WINDOWS, SHIFTS, away=set())
    assert duty.hall_open is hall_open
    assert duty.windows == ({"W01": 10, "W02": 11, "W03": 13} if hall_open else {})
    assert duty.hotline  # the hotline works around the clock, holidays included


def test_on_duty_shows_cover_uncovered_windows_and_hotline_shifts():
    duty = on_duty(at(2026, 2, 14, 16, 30), WINDOWS, SHIFTS, away={10, 13, 21})
    assert duty.windows == {"W01": 11, "W02": 11, "W03": None}
    assert duty.covering == {"W01": 10}
    assert duty.uncovered == ["W03"]
    assert duty.hotline == []  # 20's shift ended at 16:00, 21 is away
    night = on_duty(at(2026, 2, 17, 3, 0), WINDOWS, SHIFTS, away=set())
    assert night.hotline == [22] and not night.hall_open
    evening = on_duty(at(2026, 2, 17, 23, 59), WINDOWS, SHIFTS, away=set())
    assert evening.hotline == [21]


def test_rota_rotates_by_working_day_and_skips_holidays():
    # Fri 2026-02-13, make-up Sat 02-14, then Spring Festival to Mon 02-23: Tue 02-24 is next
    days = [date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 24), date(2026, 2, 25)]
    duties = [rota.duty_window(day, WINDOWS).code for day in days]
    order = ["W01", "W02", "W03"]
    first = order.index(duties[0])
    assert duties == [order[(first + n) % 3] for n in range(4)]
    assert rota.duty_window(date(2026, 2, 17), WINDOWS) is None
    assert rota.next_duty(date(2026, 2, 14), WINDOWS) == (
        date(2026, 2, 24), rota.duty_window(date(2026, 2, 24), WINDOWS)
    )


def test_missing_handover_days_after_the_close():
    grace = timedelta(minutes=30)
    week = [date(2026, 2, 9) + timedelta(days=n) for n in range(5)]  # Mon-Fri
    assert rota.days_overdue(at(2026, 2, 14, 17, 59), grace) == week
    assert rota.days_overdue(at(2026, 2, 14, 18, 0), grace) == [*week, date(2026, 2, 14)]
    # during Spring Festival no new day falls due: the make-up Saturday is the last
    assert rota.days_overdue(at(2026, 2, 20, 12, 0), grace) == [date(2026, 2, 14)]


def test_handover_counts_every_item():
    counts = dict.fromkeys(rota.EQUIPMENT, 2)
    assert rota.check_items(counts) == counts
    with pytest.raises(ValueError, match="missing"):
        rota.check_items({"seats": 3})
    with pytest.raises(ValueError, match="whole numbers"):
        rota.check_items({**counts, "seats": -1})


# --- issue 9: covers named for leave, both holders of the post's department, the rota's start
# and its confirmation (S1.5, S1.9) ---


def test_a_named_cover_acts_only_when_both_holders_are_away():
    covered = PostView(1, "W01", "window", "marketing", a_holder=10, b_holder=11, cover=14)
    assert acting_holder(covered, {10}) == 11  # B first (S1.5)
    assert acting_holder(covered, {10, 11}) == 14
    assert covering_for(covered, 14, {10, 11}) == 10  # with A's authority
    assert covering_for(covered, 14, {10}) is None  # B is there: the cover is not acting
    assert acting_holder(covered, {10, 11, 14}) is None
    assert uncovered([covered], {10, 11}) == []
    assert cover_for([covered], 10, {11}) == 14  # A's work goes to the cover


@pytest.mark.parametrize(
    ("a", "b", "words"),
    [
        (10, None, "both an A and a B"),
        (None, 11, "both an A and a B"),
        (10, 10, "two people"),
        (10, 12, "B holder 12 is of metering"),
        (13, 11, "A holder 13 is of None"),
    ],
)
def test_a_post_needs_an_a_and_a_b_of_its_department(a, b, words):
    departments = {10: "marketing", 11: "marketing", 12: "metering", 13: None}
    with pytest.raises(HolderRuleError, match=words):
        check_holders("marketing", a, b, departments)


def test_a_post_with_two_holders_of_its_department_is_kept():
    assert check_holders("marketing", 10, 11, {10: "marketing", 11: "marketing"}) is None


def test_no_duty_is_asked_of_days_before_the_install():
    grace = timedelta(minutes=30)
    assert rota.days_overdue(at(2026, 2, 14, 18, 0), grace, installed_on=date(2026, 2, 12)) == [
        date(2026, 2, 12), date(2026, 2, 13), date(2026, 2, 14)]
    assert rota.days_overdue(at(2026, 2, 12, 18, 0), grace, installed_on=date(2026, 2, 12)) == [
        date(2026, 2, 12)]
    assert rota.days_overdue(at(2026, 2, 12, 17, 0), grace, installed_on=date(2026, 2, 12)) == []


def test_the_receiving_window_confirms_the_handover():
    assert rota.may_confirm(W1, 10, set())
    assert rota.may_confirm(W1, 11, set())  # B is a holder of the receiving window too
    assert not rota.may_confirm(W1, 11, {11})  # away: not there to count
    assert not rota.may_confirm(W1, 12, set())  # another window's holder
    covered = PostView(1, "W01", "window", "marketing", a_holder=10, b_holder=11, cover=14)
    assert rota.may_confirm(covered, 14, {10, 11})
    assert not rota.may_confirm(covered, 14, {10})
