"""Attendance storage (S1.16): clocking in and out, excused days, the monthly report.

The rules are in ``attendance.py``; this module reads and writes staffing's tables only.
Absence is not stored: the report computes it from the expected schedule, so it is the same
however often it is asked for (idempotent by construction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.staffing import attendance
from services.staffing.attendance import Schedule, Totals
from services.staffing.models import AttendanceRecord, ExcusedDay, StaffMember

UNASSIGNED = "(none)"


def schedule_of(person: StaffMember, zone: tzinfo) -> Callable[[date], Schedule | None]:
    shifts = [(shift.starts, shift.ends) for shift in person.shifts]
    return lambda day: attendance.expected_schedule(day, person.role, shifts, zone)


def excuse(
    session: Session, staff_id: int, days: Iterable[date], reason: str, source: str | None = None
) -> int:
    """Mark ``days`` as excused for a person (the seam for approved leave, S1.17-19); days
    already excused are kept as they are, so a redelivered approval changes nothing.
    Returns how many days were newly excused."""
    added = 0
    for day in days:
        if session.get(ExcusedDay, (staff_id, day)) is None:
            session.add(ExcusedDay(staff_id=staff_id, day=day, reason=reason, source=source))
            added += 1
    session.flush()
    return added


def is_excused(session: Session, staff_id: int, day: date) -> bool:
    """Whether the person is excused (e.g. on approved leave) on ``day``."""
    return session.get(ExcusedDay, (staff_id, day)) is not None


def clock(
    session: Session,
    staff_id: int,
    at: datetime,
    clocking_in: bool,
    zone: tzinfo,
    grace: timedelta = timedelta(0),
) -> dict | None:
    """Record a clock-in (the first of a work day counts) or clock-out (the last counts) at
    ``at``; returns the day as it stands, or None for an unknown person."""
    person = session.get(StaffMember, staff_id)
    if person is None:
        return None
    at = at.astimezone(UTC)  # stored as UTC: SQLite would drop any other offset
    expected = schedule_of(person, zone)
    day = attendance.work_day(at, clocking_in, expected, zone)
    record = session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.staff_id == staff_id, AttendanceRecord.day == day
        )
    )
    if record is None:
        record = AttendanceRecord(staff_id=staff_id, day=day)
        session.add(record)
    if clocking_in:
        record.clock_in = record.clock_in or at
    else:
        record.clock_out = at
    session.flush()
    clock_in, clock_out = record.clock_in, record.clock_out
    result = attendance.classify(
        day, expected(day), clock_in, clock_out, is_excused(session, staff_id, day), at, grace
    )
    return {
        "staff_id": staff_id,
        "clock_in": clock_in.isoformat() if clock_in else None,
        "clock_out": clock_out.isoformat() if clock_out else None,
        **result.as_dict(),
    }


def monthly_report(
    session: Session,
    month: date,
    now: datetime,
    zone: tzinfo,
    department: str | None = None,
    grace: timedelta = timedelta(0),
) -> dict:
    """Per person and per department, the month's attendance up to today (S1.16)."""
    today = now.astimezone(zone).date()
    days = [day for day in attendance.month_days(month) if day <= today]
    query = select(StaffMember).options(selectinload(StaffMember.shifts)).order_by(StaffMember.id)
    if department is not None:
        query = query.where(StaffMember.department == department)
    people = list(session.scalars(query))
    records, excused = _month_facts(session, days)
    rows, by_department = [], {}
    for person in people:
        results = _person_days(person, days, records, excused, now, zone, grace)
        totals = attendance.totals_of(results)
        by_department.setdefault(person.department or UNASSIGNED, Totals()).merge(totals)
        rows.append(_person_row(person, totals, results))
    return {
        "month": month.strftime("%Y-%m"),
        "department": department,
        "generated_at": now.isoformat(),
        "people": rows,
        "departments": [
            {"department": name, "totals": totals.as_dict()}
            for name, totals in sorted(by_department.items())
        ],
    }


def _month_facts(session: Session, days: list[date]) -> tuple[dict, set]:
    if not days:
        return {}, set()
    first, last = days[0], days[-1]
    records = {
        (r.staff_id, r.day): r
        for r in session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.day.between(first, last))
        )
    }
    excused = set(
        session.execute(
            select(ExcusedDay.staff_id, ExcusedDay.day).where(ExcusedDay.day.between(first, last))
        ).tuples()
    )
    return records, excused


def _person_days(person, days, records, excused, now, zone, grace) -> list:
    expected = schedule_of(person, zone)
    results = []
    for day in days:
        record = records.get((person.id, day))
        result = attendance.classify(
            day,
            expected(day),
            record.clock_in if record else None,
            record.clock_out if record else None,
            (person.id, day) in excused,
            now,
            grace,
        )
        if result is not None:
            results.append(result)
    return results


def _person_row(person: StaffMember, totals: Totals, results: list) -> dict:
    return {
        "staff_id": person.id,
        "username": person.username,
        "name": person.name,
        "role": person.role,
        "department": person.department,
        "totals": totals.as_dict(),
        "days": [result.as_dict() for result in results],
    }
