"""When an absence (S1.19) ends: proof of work that day, reporting back, or HR's correction.

An absence row is never deleted: ``cleared_at`` ends it (the sweep's unique key then keeps it
from being found again), and ``cleared_reason`` says why. While it is open the person counts as
away (``organisation.away_in``): their post is covered by its B holder (S1.5) and routing passes
them over; clearing it updates both at once."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.staffing import organisation as org
from services.staffing.models import Absence, AttendanceRecord, ExcusedDay, WorkProof
from svckit import workdays


def worked_on(session: Session, staff_id: int, day: date) -> bool:
    """Proof of work on ``day``: a clock-in, or an action taken on a work order."""
    clocked = session.scalar(select(AttendanceRecord.id).where(
        AttendanceRecord.staff_id == staff_id, AttendanceRecord.day == day,
        AttendanceRecord.clock_in.is_not(None)))
    return clocked is not None or session.get(WorkProof, (staff_id, day)) is not None


def clear(session: Session, staff_id: int, day: date | None, reason: str, now: datetime,
          zone: tzinfo, by: int | None = None) -> int:
    """End the person's open absence of ``day`` (every open one when None); how many ended.
    Their post's cover and routing's on-leave flag follow at once."""
    query = select(Absence).where(Absence.staff_id == staff_id, Absence.cleared_at.is_(None))
    if day is not None:
        query = query.where(Absence.day == day)
    ended = 0
    for absence in session.scalars(query):
        absence.cleared_at, absence.cleared_by, absence.cleared_reason = now, by, reason[:500]
        ended += 1
    if ended:
        session.flush()
        org.update_on_leave(session, now, zone)
    return ended


def back_at_work(session: Session, staff_id: int, leave_id: int, now: datetime,
                 zone: tzinfo) -> int:
    """The leaver reported back (S1.19): today's absence ends, and the leave's days still to
    come are no longer excused (attendance expects them again); the cover ends at once."""
    today = workdays.local_date(now, zone)
    session.execute(delete(ExcusedDay).where(
        ExcusedDay.staff_id == staff_id, ExcusedDay.day > today,
        ExcusedDay.source == f"leave:{leave_id}"))
    ended = clear(session, staff_id, today, "reported back", now, zone)
    session.flush()
    org.update_on_leave(session, now, zone)
    return ended


def view(absence: Absence) -> dict:
    return {
        "staff_id": absence.staff_id, "day": absence.day.isoformat(),
        "leave_id": absence.leave_id, "detected_at": absence.detected_at.isoformat(),
        "cleared_at": absence.cleared_at.isoformat() if absence.cleared_at else None,
        "cleared_by": absence.cleared_by, "cleared_reason": absence.cleared_reason,
    }
