"""Attendance storage (S1.16): clocking in and out, excused days, the monthly report.

The rules are in ``attendance.py``; this module reads and writes staffing's tables only.
Absence is not stored: the report computes it from the expected schedule, so it is the same
however often it is asked for (idempotent by construction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.staffing import absence_store, attendance, roster_store
from services.staffing import organisation as org
from services.staffing.attendance import Schedule, Totals
from services.staffing.models import (
    Absence,
    AttendanceCorrection,
    AttendanceRecord,
    ExcusedDay,
    StaffMember,
    WorkProof,
)
from services.staffing.refusals import Forbidden, Invalid
from services.staffing.roster import RosterView
from svckit import paging, workdays

UNASSIGNED = "(none)"


def schedule_of(
    person: StaffMember, zone: tzinfo, roster: RosterView
) -> Callable[[date], Schedule | None]:
    """The person's expected schedule by day: nothing before they joined or after they left;
    hotline staff by the roster (``roster_store``), office staff by the calendar (S1.7)."""

    def expected(day: date) -> Schedule | None:
        if person.joined_on is not None and day < person.joined_on:
            return None
        if person.left_on is not None and day >= person.left_on:
            return None
        return attendance.expected_schedule(day, person.role, roster.shifts(person.id, day), zone)

    return expected


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
    local = at.astimezone(zone).date()
    expected = schedule_of(person, zone, roster_store.load(
        session, local - timedelta(days=2), local + timedelta(days=1), [staff_id]))
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
    if clocking_in:  # proof of work: an absence of that day ends (S1.19)
        absence_store.clear(session, staff_id, day, "clocked in", at, zone)
    clock_in, clock_out = record.clock_in, record.clock_out
    result = attendance.classify(
        day, expected(day), clock_in, clock_out, is_excused(session, staff_id, day), at, grace,
        session.get(WorkProof, (staff_id, day)) is not None,
    )
    return {
        "staff_id": staff_id,
        "clock_in": clock_in.isoformat() if clock_in else None,
        "clock_out": clock_out.isoformat() if clock_out else None,
        **result.as_dict(),
    }


def record_work(session: Session, staff_id: int, at: datetime, zone: tzinfo) -> None:
    """An action ``staff_id`` took on a work order at ``at``: proof of work on that local day
    (S1.16); an absence of that day ends (S1.19)."""
    at = at.astimezone(UTC)
    day = at.astimezone(zone).date()
    proof = session.get(WorkProof, (staff_id, day))
    if proof is None:
        if session.get(StaffMember, staff_id) is None:
            return
        session.add(WorkProof(staff_id=staff_id, day=day, first_at=at, last_at=at, actions=1))
    else:
        proof.first_at, proof.last_at = min(proof.first_at, at), max(proof.last_at, at)
        proof.actions += 1
    session.flush()
    absence_store.clear(session, staff_id, day, "worked a work order", at, zone)


def correct(session: Session, caller: int, data: dict, now: datetime, zone: tzinfo) -> dict:
    """HR or the hall director corrects a person's day (S1.16, S1.21): ``{staff_id, day,
    status: present|absent|excused, reason}``. Kept in history; the latest counts. A day
    corrected to present or excused also ends that day's absence (S1.19)."""
    if not org.is_hr_or_hall_director(session, caller, org.away_at(session, now, zone)):
        raise Forbidden("only the HR section or the hall director corrects attendance")
    data = data if isinstance(data, dict) else {}
    person = org.person(session, data.get("staff_id")) if isinstance(
        data.get("staff_id"), int) else None
    if person is None:
        raise Invalid("staff_id must be a staff id")
    try:
        day = date.fromisoformat(data.get("day"))
    except (TypeError, ValueError) as exc:
        raise Invalid("day must be a date written YYYY-MM-DD") from exc
    status, reason = data.get("status"), data.get("reason")
    if status not in attendance.CORRECTABLE:
        raise Invalid(f"status must be one of {', '.join(attendance.CORRECTABLE)}")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise Invalid("a reason (text, at most 500 characters) is required")
    if day > workdays.local_date(now, zone):
        raise Invalid(f"{day} has not come yet: only past days and today are corrected")
    session.add(AttendanceCorrection(staff_id=person.id, day=day, status=status,
                                     reason=reason.strip(), corrected_by=caller,
                                     corrected_at=now))
    session.flush()
    if status != attendance.Status.ABSENT:
        absence_store.clear(session, person.id, day, f"corrected: {reason.strip()}", now, zone,
                            by=caller)
    return history(session, person.id, day)


def history(session: Session, staff_id: int, day: date | None = None) -> dict:
    """A person's corrections (newest first), and absences with how each ended."""
    corrections = select(AttendanceCorrection).where(AttendanceCorrection.staff_id == staff_id)
    absences = select(Absence).where(Absence.staff_id == staff_id)
    if day is not None:
        corrections = corrections.where(AttendanceCorrection.day == day)
        absences = absences.where(Absence.day == day)
    return {
        "staff_id": staff_id,
        "corrections": [
            {"id": c.id, "day": c.day.isoformat(), "status": c.status, "reason": c.reason,
             "corrected_by": c.corrected_by, "corrected_at": c.corrected_at.isoformat()}
            for c in session.scalars(corrections.order_by(AttendanceCorrection.id.desc()))
        ],
        "absences": [absence_store.view(a) for a in session.scalars(absences.order_by(
            Absence.day.desc()))],
    }


def read_history(session: Session, caller: int, staff_id: int, now: datetime,
                 zone: tzinfo) -> dict:
    """A person's own history, or anyone's for those who read their department's attendance."""
    person = org.person(session, staff_id)
    if caller != staff_id:
        scope = org.attendance_scope(session, caller, person.department, now, zone)
        if scope is not None and scope != person.department:
            raise Forbidden("that person's attendance is not yours to read")
    return history(session, staff_id)


def monthly_report(
    session: Session,
    month: date,
    now: datetime,
    zone: tzinfo,
    department: str | None = None,
    grace: timedelta = timedelta(0),
    cursor: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
) -> dict:
    """The month's attendance up to today (S1.16): a page of people by id (``items``,
    ``next_cursor``: svckit.paging) and, on every page, the totals of every department."""
    today = now.astimezone(zone).date()
    days = [day for day in attendance.month_days(month) if day <= today]
    query = select(StaffMember)
    if department is not None:
        query = query.where(StaffMember.department == department)
    people = list(session.scalars(query.order_by(StaffMember.id)))
    page_query = paging.keyset(query, (StaffMember.id,), cursor, limit)
    shown, after = paging.page(list(session.scalars(page_query)), limit, lambda p: (p.id,))
    shown_ids = {person.id for person in shown}
    first = month.replace(day=1)
    roster = roster_store.load(session, first - timedelta(days=1), days[-1] if days else first)
    facts = _month_facts(session, days)
    rows, by_department = [], {}
    for person in people:
        results = _person_days(person, days, facts, roster, now, zone, grace)
        totals = attendance.totals_of(results)
        by_department.setdefault(person.department or UNASSIGNED, Totals()).merge(totals)
        if person.id in shown_ids:
            rows.append(_person_row(person, totals, results))
    return {
        "month": month.strftime("%Y-%m"),
        "department": department,
        "generated_at": now.isoformat(),
        "items": rows,
        "next_cursor": after,
        "departments": [
            {"department": name, "totals": totals.as_dict()}
            for name, totals in sorted(by_department.items())
        ],
    }


def _month_facts(session: Session, days: list[date]) -> dict:
    if not days:
        return {"records": {}, "excused": set(), "proofs": [], "corrections": {}}
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
    proofs = list(session.scalars(select(WorkProof).where(
        WorkProof.day.between(first, last + timedelta(days=1)))))
    corrections = {
        (c.staff_id, c.day): attendance.Correction(c.status, c.reason, c.corrected_by)
        for c in session.scalars(select(AttendanceCorrection).where(
            AttendanceCorrection.day.between(first, last)).order_by(AttendanceCorrection.id))
    }  # the latest correction of a day wins
    return {"records": records, "excused": excused, "proofs": proofs,
            "corrections": corrections}


def _person_days(person, days, facts, roster, now, zone, grace) -> list:
    expected = schedule_of(person, zone, roster)
    records, excused = facts["records"], facts["excused"]
    worked = {
        attendance.proof_day(at, expected, zone)
        for proof in facts["proofs"] if proof.staff_id == person.id
        for at in (proof.first_at, proof.last_at)
    }
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
            day in worked,
        )
        result = attendance.corrected(result, day, facts["corrections"].get((person.id, day)))
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
        "joined_on": person.joined_on.isoformat() if person.joined_on else None,
        "totals": totals.as_dict(),
        "days": [result.as_dict() for result in results],
    }
