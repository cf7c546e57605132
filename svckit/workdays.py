"""The one working-day calendar every service uses (S1.7, issue 3 deadlines, issue 4 office hours).

Working days follow the Chinese statutory calendar: Monday-Friday, minus the statutory holidays,
plus the make-up working days (调休) of the State Council's yearly arrangement. The calendar never
refuses a date; for each year it takes the first of these that has the year:

1. the ``chinese-calendar`` package: the published arrangements, exact (it wins over the file
   below for any year it has: it is maintained and reviewed, and a newer release is an upgrade);
2. the operator's YAML file named by ``CSC_HOLIDAY_ARRANGEMENTS``, for a year the State Council
   has published and the installed package does not have yet: exact too;
3. otherwise the year is *provisional*: the statutory holidays as the law fixes them (New Year,
   Spring Festival, Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day, lunar dates
   computed) from the ``holidays`` package, weekends off, no make-up working days. Anything
   computed over such a year says so (:func:`provisional_between`), and is recomputed once the
   year's arrangement arrives (:func:`refresh` notices a new or changed operator's file; a
   package upgrade arrives with the restart).

Conventions (all datetimes must be timezone-aware; results are in ``zone``, Asia/Shanghai unless
given, and the calendar day of an instant is its local day in ``zone``):

- Working time: every instant on a working day counts (the whole local day, 00:00-24:00);
  non-working days count nothing. ``working_time_between`` measures it, in local wall-clock time.
- ``add_working_days(start, n)``: the deadline falls at the same local clock time on the n-th
  working day after the start day. A start on a non-working day starts the clock at 00:00 of the
  next working day (so the deadline is 00:00 of the n-th working day after that one, i.e. the
  end of the n-th working day counting that one as the first). This is exactly the moment at which
  n days of working time have elapsed; where that moment is a day's end followed by non-working
  days, the latest such instant (00:00 of the next working day) is taken, so that "overdue"
  (now > due) always means "more than n days of working time have elapsed".
- Office hours (S1.7): 08:30-12:00 and 14:30-17:30 local, on working days, each session
  half-open (open at 08:30, closed at 12:00).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from holidays import China as ChinaByRule

log = logging.getLogger(__name__)

DEFAULT_ZONE: tzinfo = ZoneInfo("Asia/Shanghai")
OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 30), time(17, 30)),
)
_ONE_DAY = timedelta(days=1)
ARRANGEMENTS_ENV = "CSC_HOLIDAY_ARRANGEMENTS"

Sessions = Sequence[tuple[time, time]]
Arrangement = tuple[frozenset[date], frozenset[date]]  # (holidays, make-up working days)


@dataclass(frozen=True)
class HolidaySource:
    """Where each year's statutory holidays and make-up working days come from.

    ``years``: the package's exact years; ``added``: years an operator published (year →
    (holidays, make-up working days)) that the package lacks. Any other year is provisional.
    """

    name: str
    version: str
    years: range
    added: Mapping[int, Arrangement] = field(default_factory=dict)

    def is_exact(self, year: int) -> bool:
        """Whether ``year``'s official arrangement is known (else the year is provisional)."""
        return year in self.years or year in self.added

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (weekday not on holiday, or a make-up working day)."""
        if day.year in self.years:
            return _package_is_workday(day)
        if day.year in self.added:
            off, on = self.added[day.year]
            return day in on or (day.weekday() < 5 and day not in off)
        return day.weekday() < 5 and day not in _statutory(day.year)


@lru_cache(maxsize=8192)
def _package_is_workday(day: date) -> bool:
    # Cached: the package scans its whole table on every call, and sweeps ask about the same days.
    return bool(chinese_calendar.is_workday(day))


@cache
def _statutory(year: int) -> frozenset[date]:
    """The statutory holidays of a year computed by rule (provisional: no make-up days)."""
    return frozenset(ChinaByRule(years=year))


def _package_source() -> HolidaySource:
    known = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    first, last = min(d.year for d in known), max(d.year for d in known)
    return HolidaySource("chinese-calendar", chinese_calendar.__version__, range(first, last + 1))


def read_arrangements(path: str) -> dict[int, Arrangement]:
    """``{year: {holidays: [dates], workdays: [make-up dates]}}`` from a YAML file, checked."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    years = {}
    for year, days in data.items():
        holidays = frozenset(days.get("holidays") or ())
        workdays = frozenset(days.get("workdays") or ())
        stray = [d for d in holidays | workdays if not isinstance(d, date) or d.year != year]
        if stray or not holidays:
            raise ValueError(f"{path}: year {year} needs its holidays, all dates of {year}")
        years[int(year)] = (holidays, workdays)
    return years


def _source(path: str | None) -> HolidaySource:
    package = _package_source()
    if not path:
        return package
    added = {y: v for y, v in read_arrangements(path).items() if y not in package.years}
    return HolidaySource(package.name, package.version, package.years, added)


def _file_stamp(path: str | None) -> tuple | None:
    """What identifies the operator's file as read: its path, size and modification time."""
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return (path, None)
    return (path, stat.st_size, stat.st_mtime_ns)


_stamp = _file_stamp(os.environ.get(ARRANGEMENTS_ENV))
SOURCE: HolidaySource = _source(os.environ.get(ARRANGEMENTS_ENV))


def refresh() -> bool:
    """Re-read the operator's arrangement file if it (or ``CSC_HOLIDAY_ARRANGEMENTS``) changed;
    each service's sweep calls this. True when the calendar changed.

    A file that cannot be read or does not validate is logged once and the calendar kept.
    """
    global SOURCE, _stamp
    path = os.environ.get(ARRANGEMENTS_ENV)
    stamp = _file_stamp(path)
    if stamp == _stamp:
        return False
    _stamp = stamp
    try:
        source = _source(path)
    except (OSError, ValueError, yaml.YAMLError):
        log.exception("holiday arrangement file %s not used; the calendar is unchanged", path)
        return False
    changed, SOURCE = source != SOURCE, source
    if changed:
        log.info("holiday calendar now exact for %s", sorted({*SOURCE.years, *SOURCE.added}))
    return changed


def is_provisional(day: date) -> bool:
    """Whether ``day`` falls in a year the calendar knows only provisionally."""
    return not SOURCE.is_exact(day.year)


def provisional_between(
    a: date | datetime, b: date | datetime, zone: tzinfo = DEFAULT_ZONE
) -> bool:
    """Whether any day from ``a`` to ``b`` (either order) is in a provisional year."""
    lo, hi = sorted((_wall(a, zone).date(), _wall(b, zone).date()))
    return any(not SOURCE.is_exact(year) for year in range(lo.year, hi.year + 1))


def require_aware(at: datetime) -> datetime:
    """Return ``at`` unchanged, or raise ``ValueError`` if it is naive."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} is naive: give a timezone-aware datetime")
    return at


def local_date(at: datetime, zone: tzinfo = DEFAULT_ZONE) -> date:
    """The calendar day of ``at`` in ``zone``."""
    return require_aware(at).astimezone(zone).date()


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in the Chinese statutory calendar (never refused)."""
    if isinstance(day, datetime):
        raise TypeError("pass a calendar date, e.g. local_date(at, zone), not a datetime")
    return SOURCE.is_working_day(day)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += _ONE_DAY
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def _wall(at: date | datetime, zone: tzinfo) -> datetime:
    """Naive local wall-clock time of ``at``; a bare date means 00:00 local of that day."""
    if isinstance(at, datetime):
        return require_aware(at).astimezone(zone).replace(tzinfo=None)
    return datetime.combine(at, time(0))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0))


def add_working_days(start: datetime, n: int, zone: tzinfo = DEFAULT_ZONE) -> datetime:
    """Deadline ``n`` working days after ``start``: same local clock time on the n-th working day.

    A start on a non-working day counts from 00:00 of the next working day. See the module
    docstring; ``n == 0`` returns the moment the clock starts.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    wall = _wall(start, zone)
    day, clock = wall.date(), wall.time()
    if not is_working_day(day):
        day, clock = next_working_day(day), time(0)
    for _ in range(n):
        day = next_working_day(day)
    return datetime.combine(day, clock, tzinfo=zone)


def advance_working_time(
    start: datetime, amount: timedelta, zone: tzinfo = DEFAULT_ZONE
) -> datetime:
    """The latest instant at which ``amount`` of working time has elapsed since ``start``.

    ``advance_working_time(start, timedelta(days=n))`` equals ``add_working_days(start, n)``;
    fractions of a day give the early-warning points of a working-day deadline.
    """
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    wall = _wall(start, zone)
    day = wall.date()
    if not is_working_day(day):
        day = next_working_day(day)
        wall = _midnight(day)
    remaining = amount
    while True:
        left_today = _midnight(day + _ONE_DAY) - wall
        if remaining < left_today:
            return (wall + remaining).replace(tzinfo=zone)
        remaining -= left_today
        day = next_working_day(day)
        wall = _midnight(day)


def working_time_between(
    a: date | datetime, b: date | datetime, zone: tzinfo = DEFAULT_ZONE
) -> timedelta:
    """Working time from ``a`` to ``b`` (negative if ``b`` is earlier); a date means 00:00 local."""
    lo, hi = _wall(a, zone), _wall(b, zone)
    if hi < lo:
        return -working_time_between(b, a, zone)
    total = timedelta(0)
    day = lo.date()
    while _midnight(day) < hi:
        if is_working_day(day):
            total += min(hi, _midnight(day + _ONE_DAY)) - max(lo, _midnight(day))
        day += _ONE_DAY
    return total


def working_days_between(
    a: date | datetime, b: date | datetime, zone: tzinfo = DEFAULT_ZONE
) -> float:
    """Working time from ``a`` to ``b`` in working days; for two dates: working days in [a, b)."""
    return working_time_between(a, b, zone) / _ONE_DAY


def office_hours_open(
    at: datetime, zone: tzinfo = DEFAULT_ZONE, sessions: Sessions = OFFICE_HOURS
) -> bool:
    """Whether the hall is open at ``at`` (S1.7): a working day and inside a half-open session."""
    local = require_aware(at).astimezone(zone)
    clock = local.time()
    return is_working_day(local.date()) and any(
        opens <= clock < closes for opens, closes in sessions
    )


def next_office_open(
    at: datetime, zone: tzinfo = DEFAULT_ZONE, sessions: Sessions = OFFICE_HOURS
) -> datetime:
    """The earliest instant at or after ``at`` when the hall is open (``at`` itself if open)."""
    local = require_aware(at).astimezone(zone)
    if office_hours_open(local, zone, sessions):
        return local
    ordered = sorted(sessions)
    day = local.date()
    if is_working_day(day):
        for opens, _ in ordered:
            if local.time() < opens:
                return datetime.combine(day, opens, tzinfo=zone)
    return datetime.combine(next_working_day(day), ordered[0][0], tzinfo=zone)
