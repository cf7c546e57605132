"""Staffing-plan storage (S3.3): the calls staffing learnt from ``call.ended``, and the roster
(``roster_store``, the one the duty leader plans, S3.2).

Staffing never reads the calls database: each ``call.ended`` event is copied into its own
``call_arrivals`` table (once per call, however often the event is delivered).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.events import CallEnded
from services.staffing import plan, roster_store
from services.staffing.models import AgentCall, CallArrival, ExcusedDay, StaffMember

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


def measured_outcomes(session: Session, since: datetime, until: datetime
                      ) -> list[plan.Outcome]:
    """Calls offered to agents between ``since`` and ``until`` (AMI, issue 16)."""
    rows = session.execute(select(AgentCall.offered_at, AgentCall.hold_seconds,
                                  AgentCall.answered_at, AgentCall.abandoned_at)
                           .where(AgentCall.offered_at >= since, AgentCall.offered_at < until))
    return [plan.Outcome(offered, hold if answered else None, abandoned is not None)
            for offered, hold, answered, abandoned in rows]


def measured_handling(session: Session, since: datetime, until: datetime) -> list[float]:
    """Talk + wrap-up of the answered calls whose wrap-up is over (call.completed); not those
    whose end was inferred (their talk time runs to a reconciliation, not to the hang-up)."""
    rows = session.execute(select(AgentCall.talk_seconds, AgentCall.wrapup_seconds).where(
        AgentCall.offered_at >= since, AgentCall.offered_at < until,
        AgentCall.wrapup_seconds.is_not(None), AgentCall.end_inferred.is_(False)))
    return [(talk or 0.0) + wrapup for talk, wrapup in rows]


def roster_for(session: Session, day: date) -> list[plan.Rostered]:
    """Everyone the roster (``roster_store``) puts to work on ``day``, on the staff and not
    excused (on leave) that day; a night shift rostered the day before counts for its hours."""
    excused = select(ExcusedDay.staff_id).where(ExcusedDay.day == day)
    view = roster_store.load(session, day - timedelta(days=1), day)
    people = session.execute(
        select(StaffMember.id, StaffMember.role).where(
            StaffMember.id.not_in(excused),
            StaffMember.id.in_(view.people()),
            or_(StaffMember.left_on.is_(None), StaffMember.left_on > day),
            or_(StaffMember.joined_on.is_(None), StaffMember.joined_on <= day),
        )
    )
    return [
        plan.Rostered(person.role, tuple(cover))
        for person in people
        if (cover := view.cover(person.id, day))
    ]


def staffing_plan(session: Session, day: date, settings: plan.PlanSettings, zone: tzinfo) -> dict:
    """The plan for ``day`` (see ``plan.py``)."""
    calls = measured_calls(session, day, settings.lookback_days, zone)
    starts = datetime.combine(day, time(0), tzinfo=zone)
    handled = measured_handling(session, starts - timedelta(days=settings.lookback_days), starts)
    forecast = plan.forecast(calls, day, zone, settings, handled)
    rostered = plan.rostered_per_interval(roster_for(session, day))
    outcomes = measured_outcomes(session, starts, starts + timedelta(days=1))
    actuals = plan.actuals_per_interval(outcomes, day, zone, settings.target_seconds)
    return plan.plan_day(day, forecast, rostered, zone, settings, actuals)
