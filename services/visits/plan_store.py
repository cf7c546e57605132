"""Storage of the monthly plans and their visits (S5.3.1); the rules are in plans.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import VisitPlanReviewed, VisitPlanSubmitted, make_event
from services.visits import directory, plans
from services.visits.authority import Caller, may_read, require_head, require_salesperson
from services.visits.deadlines import local_day, month_days, month_of, parse_month
from services.visits.models import Plan, Visit
from services.visits.plans import PlanState, PlanStatus
from services.visits.refusals import Conflict, Forbidden, Invalid, NotFound
from services.visits.vocabulary import Purpose, choice
from svckit import paging
from svckit.outbox import emit

PRODUCER = "visits"


def _state(plan: Plan) -> PlanState:
    return PlanState(PlanStatus(plan.status), plan.revision, plan.changed_after_approval)


def _apply(plan: Plan, state: PlanState) -> None:
    plan.status, plan.revision = state.status.value, state.revision
    plan.changed_after_approval = state.changed_after_approval


def plan_of(session: Session, caller: Caller, month: str, now: datetime) -> Plan:
    """The caller's plan for ``month``, begun as a draft if she has none (S5.3.1)."""
    seller = directory.salesperson(session, caller.id)
    require_salesperson(caller, seller.department if seller else None, "a visit plan")
    try:
        first = parse_month(month)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if month_of(first) < month_of(local_day(now)):
        raise Invalid(f"{month} is over; plans are made for this month or later (S5.3.1)")
    plan = session.scalar(select(Plan).where(Plan.staff_id == caller.id, Plan.month == month))
    if plan is None:
        plan = Plan(staff_id=caller.id, department=seller.department, month=month,
                    status=PlanStatus.DRAFT.value, revision=0, comment="",
                    changed_after_approval=False, created_at=now)
        session.add(plan)
        session.flush()
    return plan


def load(session: Session, plan_id: int, caller: Caller, lock: bool = False) -> Plan:
    query = select(Plan).where(Plan.id == plan_id)
    plan = session.scalar(query.with_for_update() if lock else query)
    if plan is None:
        raise NotFound(f"visit plan {plan_id} not found")
    if not may_read(caller, plan.staff_id, plan.department):
        raise Forbidden(f"visit plan {plan_id} is not yours: a salesperson reads her own plans, "
                        "the department head the department's (S5.3.1)")
    return plan


def visits_of(session: Session, plan_id: int) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.plan_id == plan_id)
                                .order_by(Visit.planned_on, Visit.id)))


def add_visit(session: Session, caller: Caller, month: str, data: dict, now: datetime) -> Visit:
    """A visit in the caller's plan for ``month``: customer, purpose (S5.2.1), person to meet,
    date; a change to an approved plan sends it back for review (S5.3.1)."""
    plan = plan_of(session, caller, month, now)
    target = directory.customer(session, int(data["customer_id"]), plan.department)
    try:
        purpose = choice(Purpose, data.get("purpose"), "purpose", "S5.2.1")
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    planned_on = date.fromisoformat(str(data["planned_on"]))
    first, last = month_days(month)
    if not first <= planned_on <= last:
        raise Invalid(f"planned_on {planned_on} is not in the plan's month {month} (S5.3.1)")
    _apply(plan, plans.change(_state(plan)))
    visit = Visit(
        plan_id=plan.id, staff_id=caller.id, customer_id=target.id, purpose=purpose.value,
        person_to_meet=data.get("person_to_meet") or "", planned_on=planned_on,
        status="planned", approved=False, materials=[],
        business_trip=bool(data.get("business_trip")),
        trip_destination=data.get("trip_destination") or "", flags=[], outcome="",
        review_comment="",
    )
    session.add(visit)
    session.flush()
    return visit


def cancel_visit(session: Session, caller: Caller, visit: Visit) -> Plan:
    """Cancel a visit not done yet: a change of the plan (S5.3.1)."""
    if visit.staff_id != caller.id:
        raise Forbidden(f"visit {visit.id} is not yours to cancel")
    if visit.status != "planned":
        raise Conflict(f"visit {visit.id} is {visit.status}; only a planned visit is cancelled")
    plan = session.get(Plan, visit.plan_id)
    _apply(plan, plans.change(_state(plan)))
    visit.status = "cancelled"
    return plan


def submit(session: Session, caller: Caller, plan_id: int, head_id: int | None,
           now: datetime) -> Plan:
    """S5.3.1: the salesperson submits; the department head is told (``visit_plan.submitted``)."""
    plan = load(session, plan_id, caller, lock=True)
    if plan.staff_id != caller.id:
        raise Forbidden("only the plan's salesperson submits it (S5.3.1)")
    live = [v for v in visits_of(session, plan.id) if v.status != "cancelled"]
    _apply(plan, plans.submit(_state(plan), len(live)))
    plan.submitted_at = now
    plan.first_submitted_at = plan.first_submitted_at or now
    emit(session, make_event(PRODUCER, VisitPlanSubmitted(
        plan_id=plan.id, staff_id=plan.staff_id, month=plan.month, revision=plan.revision,
        visits=len(live), changed_after_approval=plan.changed_after_approval,
        notify=[head_id] if head_id else [], at=now,
    ), occurred_at=now))
    return plan


def review(session: Session, caller: Caller, plan_id: int, approve: bool, comment: str,
           now: datetime) -> Plan:
    """S5.3.1: the department head approves (the plan's visits become approved) or returns the
    plan with comments; the salesperson is told (``visit_plan.reviewed``)."""
    plan = load(session, plan_id, caller, lock=True)
    require_head(caller, plan.department, "reviewing a visit plan")
    if plan.staff_id == caller.id:
        raise Forbidden("a head does not review her own plan")
    _apply(plan, plans.review(_state(plan), approve, comment))
    plan.reviewed_at, plan.reviewed_by, plan.comment = now, caller.id, comment
    if approve:
        for visit in visits_of(session, plan.id):
            if visit.status == "planned":
                visit.approved = True
    emit(session, make_event(PRODUCER, VisitPlanReviewed(
        plan_id=plan.id, staff_id=plan.staff_id, month=plan.month, revision=plan.revision,
        approved=approve, comment=comment, reviewed_by=caller.id, notify=[plan.staff_id],
        at=now,
    ), occurred_at=now))
    return plan


def listing(session: Session, caller: Caller, month: str | None, cursor: str | None,
            limit: int) -> tuple[list[Plan], str | None]:
    """The caller's plans, and those of the departments she heads."""
    mine = Plan.staff_id == caller.id
    query = select(Plan).where(mine | Plan.department.in_(sorted(caller.heads)))
    if month:
        query = query.where(Plan.month == month)
    rows = list(session.scalars(paging.keyset(query, (Plan.id,), cursor, limit,
                                              descending=True)))
    return paging.page(rows, limit, lambda p: (p.id,))
