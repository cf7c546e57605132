"""Alerts that ask a person to act, each raised once (the ``alerts`` table), as events that
name their recipients' staff ids (the inbox delivers them):

- ``visit_plan.missing``: next month's plan not submitted by the end of the last working day
  (S5.3.1), to the salesperson and the department head; only for someone on a sales position
  before that time;
- ``visit.report_overdue``: a report not filed within its working days (S5.3.4 (1)), to the
  salesperson and the supervisor (the department head);
- ``follow_up.reminder``: a promise due soon, then overdue (S5.3.4 (2)), to its owner (and the
  department head when overdue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import (
    FollowUpReminder,
    VisitPlanMissing,
    VisitReportOverdue,
    make_event,
)
from services.visits.deadlines import local_day, month_of, next_month, plan_due, reminder_due
from services.visits.models import Alert, Customer, FollowUp, Plan, Salesperson, Visit
from svckit.outbox import emit

PRODUCER = "visits"
HeadOf = Callable[[str], int | None]


@dataclass
class SweepReport:
    plans_missing: int = 0
    reports_overdue: int = 0
    follow_up_reminders: int = 0
    raised: list[str] = field(default_factory=list)


def _once(session: Session, kind: str, subject: str, now: datetime) -> bool:
    """Record the alert; False when it was raised before."""
    found = session.scalar(select(Alert.id).where(Alert.kind == kind, Alert.subject == subject))
    if found is not None:
        return False
    session.add(Alert(kind=kind, subject=subject, raised_at=now))
    session.flush()
    return True


def _recipients(*ids: int | None) -> list[int]:
    return list(dict.fromkeys(i for i in ids if i))


def sweep(session: Session, now: datetime, head_of: HeadOf, remind_before_days: int) -> SweepReport:
    report = SweepReport()
    _plans_missing(session, now, head_of, report)
    _reports_overdue(session, now, head_of, report)
    _follow_ups(session, now, head_of, remind_before_days, report)
    return report


def _plans_missing(session: Session, now: datetime, head_of: HeadOf, report: SweepReport) -> None:
    this_month = month_of(local_day(now))
    for month in (this_month, next_month(this_month)):
        due = plan_due(month)
        if now < due:
            continue
        for seller in session.scalars(select(Salesperson).where(
                Salesperson.active, Salesperson.updated_at <= due)):
            plan = session.scalar(select(Plan).where(Plan.staff_id == seller.staff_id,
                                                     Plan.month == month))
            if plan is not None and plan.first_submitted_at and plan.first_submitted_at <= due:
                continue
            if not _once(session, "plan_missing", f"{seller.staff_id}:{month}", now):
                continue
            emit(session, make_event(PRODUCER, VisitPlanMissing(
                staff_id=seller.staff_id, month=month, due_at=due,
                notify=_recipients(seller.staff_id, head_of(seller.department)), at=now,
            ), occurred_at=now))
            report.plans_missing += 1
            report.raised.append("plan_missing")


def _reports_overdue(session: Session, now: datetime, head_of: HeadOf,
                     report: SweepReport) -> None:
    late = session.execute(
        select(Visit, Customer.department).join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.status == "done", Visit.reported_at.is_(None), Visit.report_due_at < now)
    ).all()
    for visit, department in late:
        if not _once(session, "report_overdue", str(visit.id), now):
            continue
        emit(session, make_event(PRODUCER, VisitReportOverdue(
            visit_id=visit.id, staff_id=visit.staff_id, due_at=visit.report_due_at,
            notify=_recipients(visit.staff_id, head_of(department)), at=now,
        ), occurred_at=now))
        report.reports_overdue += 1
        report.raised.append("report_overdue")


def _follow_ups(session: Session, now: datetime, head_of: HeadOf, before_days: int,
                report: SweepReport) -> None:
    open_ones = session.execute(
        select(FollowUp, Customer.department)
        .join(Visit, Visit.id == FollowUp.visit_id).join(Customer, Customer.id == Visit.customer_id)
        .where(FollowUp.done_at.is_(None))
    ).all()
    for follow_up, department in open_ones:
        phase = reminder_due(follow_up.due_on, now, before_days)
        if phase is None or not _once(session, f"follow_up_{phase}", str(follow_up.id), now):
            continue
        head = head_of(department) if phase == "overdue" else None
        emit(session, make_event(PRODUCER, FollowUpReminder(
            follow_up_id=follow_up.id, visit_id=follow_up.visit_id, owner_id=follow_up.owner_id,
            phase=phase, due_on=follow_up.due_on, what=follow_up.what,
            notify=_recipients(follow_up.owner_id, head), at=now,
        ), occurred_at=now))
        report.follow_up_reminders += 1
        report.raised.append(f"follow_up_{phase}")
