"""Staffing-plan storage (S3.3): the calls staffing learnt from ``call.ended``, and the roster.

Staffing never reads the calls database: each ``call.ended`` event is copied into its own
``call_arrivals`` table (once per call, however often the event is delivered).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from contracts.events import CallEnded
from services.staffing import plan
from services.staffing.models import CallArrival, ExcusedDay, StaffMember

# call.ended outcomes of calls that were put through to a seat (routed to a person, or to the
# queue when staffing was slow): the calls offered to agents. Hang-ups in the menu are not.
OFFERED_TO_AGENTS = ("routed", "fallback_queue")


def record_call(session: Session, ended: CallEnded) -> None:
    """Keep one row per call; a second session for the same call widens it to both."""
    row = session.scalar(
        select(CallArrival).where(CallArrival.call_uniqueid == ended.call_uniqueid)
    )
    if row is None:
        session.add(
            CallArrival(
                call_uniqueid=ended.call_uniqueid,
                started_at=ended.started_at,
                ended_at=ended.ended_at,
                outcome=ended.outcome,
                category=ended.category.value if ended.category else None,
            )
        )
        return
    row.started_at = min(row.started_at, ended.started_at)
    if ended.ended_at >= row.ended_at:
        row.ended_at, row.outcome = ended.ended_at, ended.outcome
        row.category = ended.category.value if ended.category else row.category


def measured_calls(
    session: Session, day: date, lookback_days: int, zone: tzinfo
) -> list[plan.Call]:
    """Calls offered to agents in the ``lookback_days`` local days before ``day``."""
    until = datetime.combine(day, time(0), tzinfo=zone)
    since = until - timedelta(days=lookback_days)
    rows = session.execute(
        select(CallArrival.started_at, CallArrival.ended_at).where(
            CallArrival.started_at >= since,
            CallArrival.started_at < until,
            CallArrival.outcome.in_(OFFERED_TO_AGENTS),
        )
    )
    return [plan.Call(started, (ended - started).total_seconds()) for started, ended in rows]


def roster_for(session: Session, day: date) -> list[plan.Rostered]:
    """Everyone with shifts, on the staff and not excused (on leave) on ``day``."""
    excused = select(ExcusedDay.staff_id).where(ExcusedDay.day == day)
    people = session.scalars(
        select(StaffMember)
        .options(selectinload(StaffMember.shifts))
        .where(
            StaffMember.id.not_in(excused),
            or_(StaffMember.left_on.is_(None), StaffMember.left_on > day),
            or_(StaffMember.joined_on.is_(None), StaffMember.joined_on <= day),
        )
    )
    return [
        plan.Rostered(person.role, tuple((s.starts, s.ends) for s in person.shifts))
        for person in people
        if person.shifts
    ]


def staffing_plan(session: Session, day: date, settings: plan.PlanSettings, zone: tzinfo) -> dict:
    """The plan for ``day`` (see ``plan.py``)."""
    calls = measured_calls(session, day, settings.lookback_days, zone)
    forecast = plan.forecast(calls, day, zone, settings)
    rostered = plan.rostered_per_interval(roster_for(session, day))
    return plan.plan_day(day, forecast, rostered, zone, settings)
