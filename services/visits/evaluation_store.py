"""The month's evaluation (S5.3.4 (3)) and progress against the requirement (S5.2.3), from the
visits service's own data; the rule is evaluation.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.visits import directory
from services.visits.deadlines import end_of, month_days, plan_due
from services.visits.evaluation import Evaluation, FollowUpFact, VisitFact, evaluate
from services.visits.models import Expense, FollowUp, Plan, Salesperson, Visit
from services.visits.preparation import approved_in_time
from services.visits.visit_store import facts


def evaluate_person(session: Session, seller: Salesperson, month: str,
                    now: datetime) -> Evaluation:
    first, last = month_days(month)
    plan = session.scalar(select(Plan).where(Plan.staff_id == seller.staff_id,
                                             Plan.month == month))
    visits = list(session.scalars(select(Visit).where(
        Visit.staff_id == seller.staff_id, Visit.status == "done",
        Visit.done_on.between(first, last))))
    visit_facts, applied, approved = [], 0, 0
    for visit in visits:
        expenses = list(session.scalars(select(Expense).where(Expense.visit_id == visit.id)))
        unapproved = sum(1 for e in facts(expenses) if not approved_in_time(e, visit.done_on))
        applied += sum(e.amount_cents for e in expenses)
        approved += sum(e.amount_cents for e in expenses if e.status == "approved")
        visit_facts.append(VisitFact(True, visit.report_due_at, visit.reported_at, unapproved))
    follow_ups = [FollowUpFact(end_of(f.due_on), f.done_at) for f in session.scalars(
        select(FollowUp).where(FollowUp.owner_id == seller.staff_id,
                               FollowUp.due_on.between(first, last)))]
    return evaluate(
        staff_id=seller.staff_id, name=seller.name, position=seller.position, month=month,
        required=directory.required(session, seller),
        plan_first_submitted=plan.first_submitted_at if plan else None,
        plan_due=plan_due(month), visits=visit_facts, follow_ups=follow_ups,
        applied_cents=applied, approved_cents=approved, now=now,
    )


def progress(session: Session, seller: Salesperson, month: str) -> dict:
    """Visits done so far in ``month`` against the position's requirement (S5.2.3)."""
    first, last = month_days(month)
    done = session.scalar(select(func.count(Visit.id)).where(
        Visit.staff_id == seller.staff_id, Visit.status == "done",
        Visit.done_on.between(first, last)))
    planned = session.scalar(select(func.count(Visit.id)).where(
        Visit.staff_id == seller.staff_id, Visit.status == "planned",
        Visit.planned_on.between(first, last)))
    required = directory.required(session, seller)
    return {"staff_id": seller.staff_id, "name": seller.name, "position": seller.position,
            "month": month, "required_visits": required, "visits_done": done,
            "visits_planned_open": planned, "visits_to_go": max(0, required - done)}
