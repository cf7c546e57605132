"""Attendance (S1.16: no lateness, early leave or absence), as pure functions.

- Expected schedule, from the joining day (and before the leaving day) only: office staff work
  the office hours (S1.7: 08:30-12:00 and 14:30-17:30) on working days of the Chinese statutory
  calendar (``svckit.workdays``, make-up days included); hotline staff (the S3.2 roles) work
  the shifts the roster gives them (``roster``: rest days are days off). A shift's work day is
  the day it starts.
- One clock-in and one clock-out per work day: the first clock-in and the last clock-out count.
  Late: clock-in after the first session starts (plus a grace); early leave: clock-out before
  the last session ends (minus the grace); absent: no clock at all once the day's schedule is
  over, unless the day is excused (approved leave, S1.17-19).
- Proof of work is presence: an action taken on a work order on the day (``proof_day``) makes
  it present even without a clock (the missing clock-in is still shown).
- A correction by HR or the hall director (S1.21) replaces the day's status; it is shown as
  corrected, with the reason, and kept in history.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from contracts.events import hotline_role
from svckit.workdays import OFFICE_HOURS, is_working_day

CLOCK_WINDOW = timedelta(hours=12)  # a clock this far from every schedule is on its own day
_ONE_DAY = timedelta(days=1)


class Status:
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"
    PENDING = "pending"  # the day's schedule is not over and nothing is wrong yet
    UNSCHEDULED = "unscheduled"  # clocked on a day off


CORRECTABLE = (Status.PRESENT, Status.ABSENT, Status.EXCUSED)
PROOF_SLACK = timedelta(hours=2)  # an action this near a shift belongs to its work day


@dataclass(frozen=True)
class Schedule:
    """The sessions a person is expected at work on ``day`` (aware datetimes, in order)."""

    day: date
    sessions: tuple[tuple[datetime, datetime], ...]

    @property
    def start(self) -> datetime:
        return self.sessions[0][0]

    @property
    def end(self) -> datetime:
        return self.sessions[-1][1]


def expected_schedule(
    day: date, role: str, shifts: Sequence[tuple[time, time]], zone: tzinfo
) -> Schedule | None:
    """The schedule of a person of ``role`` with daily ``shifts`` on ``day``; None: a day off."""
    if hotline_role(role) is not None:
        sessions = [_shift_session(day, starts, ends, zone) for starts, ends in shifts]
    elif is_working_day(day):
        sessions = [_at(day, opens, closes, zone) for opens, closes in OFFICE_HOURS]
    else:
        sessions = []
    return Schedule(day, tuple(sorted(sessions))) if sessions else None


def _at(day: date, opens: time, closes: time, zone: tzinfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, opens, tzinfo=zone), datetime.combine(day, closes, tzinfo=zone)


def _shift_session(day: date, starts: time, ends: time, zone: tzinfo) -> tuple[datetime, datetime]:
    """A daily shift on ``day``; ``ends <= starts`` runs past midnight (equal: 24 hours)."""
    begin, finish = _at(day, starts, ends, zone)
    return begin, finish if ends > starts else finish + _ONE_DAY


def work_day(
    at: datetime, clocking_in: bool, schedule_of: Callable[[date], Schedule | None], zone: tzinfo
) -> date:
    """The work day a clock belongs to: the day (of the local day before, of, or after ``at``)
    whose schedule starts (clock-in) or ends (clock-out) nearest to ``at``, within 12 hours;
    else the local day of ``at``. A night shift's clock-out thus lands on the day it started."""
    local = at.astimezone(zone).date()
    best: tuple[timedelta, date] | None = None
    for day in (local - _ONE_DAY, local, local + _ONE_DAY):
        schedule = schedule_of(day)
        if schedule is None:
            continue
        distance = abs(at - (schedule.start if clocking_in else schedule.end))
        if distance <= CLOCK_WINDOW and (best is None or distance < best[0]):
            best = (distance, day)
    return best[1] if best else local


@dataclass(frozen=True)
class DayResult:
    day: date
    status: str
    late_minutes: int = 0
    early_minutes: int = 0
    missing_clock_in: bool = False
    missing_clock_out: bool = False
    worked_orders: bool = False
    corrected: Correction | None = None

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "status": self.status,
            "late_minutes": self.late_minutes,
            "early_minutes": self.early_minutes,
            "missing_clock_in": self.missing_clock_in,
            "missing_clock_out": self.missing_clock_out,
            "worked_orders": self.worked_orders,
            "corrected": None if self.corrected is None else {
                "from": self.corrected.was, "reason": self.corrected.reason,
                "by": self.corrected.by,
            },
        }


@dataclass(frozen=True)
class Correction:
    """HR's word on a day: the status it stands at, why, by whom; ``was``: the computed one."""

    status: str
    reason: str
    by: int
    was: str | None = None


def corrected(result: DayResult | None, day: date, correction: Correction | None
              ) -> DayResult | None:
    """The day as HR corrected it (S1.16, S1.21); the computed result when not corrected."""
    if correction is None:
        return result
    was = result.status if result else None
    if result is None or correction.status != Status.PRESENT:
        return DayResult(day, correction.status, corrected=replace(correction, was=was))
    return replace(result, status=Status.PRESENT, corrected=replace(correction, was=was))


def classify(
    day: date,
    schedule: Schedule | None,
    clock_in: datetime | None,
    clock_out: datetime | None,
    excused: bool,
    now: datetime,
    grace: timedelta = timedelta(0),
    worked: bool = False,
) -> DayResult | None:
    """How a person did on ``day`` (S1.16); None for a day off without any clock or work.
    ``worked``: they took an action on a work order that day (proof of work)."""
    clocked = clock_in is not None or clock_out is not None
    if schedule is None:
        return DayResult(day, Status.UNSCHEDULED, worked_orders=worked) if clocked or worked \
            else None
    if excused and not clocked and not worked:
        return DayResult(day, Status.EXCUSED)
    over = now >= schedule.end
    if not clocked and not worked:
        return DayResult(day, Status.ABSENT if over else Status.PENDING)
    return DayResult(
        day,
        Status.PRESENT,
        late_minutes=_minutes_beyond(schedule.start, clock_in, grace),
        early_minutes=_minutes_beyond(clock_out, schedule.end, grace),
        missing_clock_in=clock_in is None,
        missing_clock_out=clock_out is None and over,
        worked_orders=worked,
    )


def proof_day(at: datetime, schedule_of: Callable[[date], Schedule | None], zone: tzinfo
              ) -> date:
    """The work day an action at ``at`` proves: the day before or of ``at`` whose schedule
    spans it (give or take two hours: a night shift's action after midnight counts for the day
    it started), else the local day of ``at``."""
    local = at.astimezone(zone).date()
    for day in (local, local - _ONE_DAY):
        schedule = schedule_of(day)
        if schedule and schedule.start - PROOF_SLACK <= at <= schedule.end + PROOF_SLACK:
            return day
    return local


def _minutes_beyond(reference: datetime | None, at: datetime | None, grace: timedelta) -> int:
    """Whole minutes (rounded up) by which ``at`` is after ``reference``, counted only when it
    is more than ``grace`` after; 0 otherwise or when either is missing."""
    if reference is None or at is None or at - reference <= grace:
        return 0
    return math.ceil((at - reference).total_seconds() / 60)


def month_days(month: date) -> list[date]:
    """Every day of the calendar month containing ``month``."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


@dataclass
class Totals:
    """A month's counts for one person or a department."""

    expected_days: int = 0
    present_days: int = 0
    late_days: int = 0
    late_minutes: int = 0
    early_leave_days: int = 0
    early_leave_minutes: int = 0
    absent_days: int = 0
    excused_days: int = 0
    missing_clock_in: int = 0
    missing_clock_out: int = 0
    pending_days: int = 0
    unscheduled_days: int = 0
    people: int = field(default=0)

    def add(self, result: DayResult) -> None:
        if result.status == Status.UNSCHEDULED:
            self.unscheduled_days += 1
            return
        self.expected_days += 1
        self.present_days += result.status == Status.PRESENT
        self.absent_days += result.status == Status.ABSENT
        self.excused_days += result.status == Status.EXCUSED
        self.pending_days += result.status == Status.PENDING
        self.late_days += result.late_minutes > 0
        self.late_minutes += result.late_minutes
        self.early_leave_days += result.early_minutes > 0
        self.early_leave_minutes += result.early_minutes
        self.missing_clock_in += result.missing_clock_in
        self.missing_clock_out += result.missing_clock_out

    def merge(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def totals_of(results: Iterable[DayResult]) -> Totals:
    totals = Totals(people=1)
    for result in results:
        totals.add(result)
    return totals

