"""When things are due (S5.3.1, S5.3.4). Pure; China local time, the statutory calendar.

- A month's plan is due by the end of the last working day of the month before (S5.3.1:
  "每月底提出次月拜访计划书"); a plan not submitted then raises one alert.
- A visit report is due within ``report_days`` *working* days after the visit day (S5.3.4 (1):
  "两天内"), by the end of the last of them. Working days, not calendar days: the rules are the
  sales department's office work, which stops on weekends and statutory holidays; counted in
  calendar days a Friday visit's report would fall due on Sunday, and a visit before the
  National Day week would be late before anyone was back at work. A setting
  (``REPORTS.due_working_days``, default 2).
- A follow-up is reminded ``remind_before_days`` calendar days before its due day (the owner's
  own promise to the customer runs on the customer's calendar) and once when it is overdue.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta

from svckit import workdays

ZONE = workdays.DEFAULT_ZONE
MONTH = re.compile(r"^20\d{2}-(0[1-9]|1[0-2])$")


def parse_month(month: str) -> date:
    """The first day of ``month`` (YYYY-MM); ValueError otherwise."""
    if not isinstance(month, str) or not MONTH.match(month):
        raise ValueError(f"a month is YYYY-MM in 2000-2099, not {str(month)[:20]!r}")
    return date(int(month[:4]), int(month[5:]), 1)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    first = parse_month(month)
    return month_of(first + timedelta(days=monthrange(first.year, first.month)[1]))


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of ``month``."""
    first = parse_month(month)
    return first, first.replace(day=monthrange(first.year, first.month)[1])


def end_of(day: date) -> datetime:
    """The end of ``day``, local time (00:00 of the next day)."""
    return datetime.combine(day + timedelta(days=1), time(0), ZONE)


def plan_due(month: str) -> datetime:
    """S5.3.1: the end of the last working day of the month before ``month``."""
    day = parse_month(month) - timedelta(days=1)
    while not workdays.is_working_day(day):
        day -= timedelta(days=1)
    return end_of(day)


def report_due(visit_day: date, working_days: int = 2) -> datetime:
    """S5.3.4 (1): the end of the ``working_days``-th working day after the visit day."""
    return workdays.add_working_days(end_of(visit_day), working_days, ZONE)


def local_day(at: datetime) -> date:
    return workdays.local_date(at, ZONE)


def reminder_due(due_on: date, now: datetime, remind_before_days: int) -> str | None:
    """Which reminder of a follow-up due on ``due_on`` is due at ``now``: ``overdue`` after its
    day, ``due_soon`` from ``remind_before_days`` days before, else None."""
    if now >= end_of(due_on):
        return "overdue"
    if local_day(now) >= due_on - timedelta(days=remind_before_days):
        return "due_soon"
    return None
