"""Storage of a visit's preparation, expenses, completion, report, follow-ups and the matters
raised during it (S5.3.2-S5.3.4); the rules are in preparation.py and deadlines.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import Caller as CustomerContact
from contracts.events import VisitFlagged, VisitMatterRaised, make_event
from services.visits import preparation
from services.visits.authority import Caller, may_read, require_head
from services.visits.deadlines import end_of, local_day, report_due
from services.visits.models import Customer, Expense, FollowUp, Matter, Visit
from services.visits.preparation import ExpenseFact
from services.visits.refusals import Conflict, Forbidden, Invalid, NotFound
from services.visits.vocabulary import ExpenseKind, MatterCategory, choice
from svckit import paging
from svckit.outbox import emit

PRODUCER = "visits"


def load(session: Session, visit_id: int, caller: Caller, department: str | None = None,
         lock: bool = False) -> Visit:
    """The visit, if the caller may read it (her own, or her department's as head)."""
    query = select(Visit).where(Visit.id == visit_id)
    visit = session.scalar(query.with_for_update() if lock else query)
    if visit is None:
        raise NotFound(f"visit {visit_id} not found")
    owner_department = department or _department(session, visit)
    if not may_read(caller, visit.staff_id, owner_department):
        raise Forbidden(f"visit {visit_id} is not yours: a salesperson reads her own visits, "
                        "the department head the department's")
    return visit


def _department(session: Session, visit: Visit) -> str:
    return session.get(Customer, visit.customer_id).department


def _own(visit: Visit, caller: Caller, what: str) -> None:
    if visit.staff_id != caller.id:
        raise Forbidden(f"{what} is for the visit's salesperson")


def prepare(session: Session, caller: Caller, visit_id: int, data: dict, now: datetime) -> Visit:
    """S5.3.2: the customer contacted (now, when ``contacted`` is true), the person to meet,
    the materials to take, and whether it is a business trip (S5.3.3 (4))."""
    visit = load(session, visit_id, caller, lock=True)
    _own(visit, caller, "preparing a visit")
    if visit.status != "planned":
        raise Conflict(f"visit {visit.id} is {visit.status}; only a planned visit is prepared")
    if data.get("contacted") and visit.contacted_at is None:
        visit.contacted_at = now
    if "person_to_meet" in data:
        visit.person_to_meet = data["person_to_meet"] or ""
    if "materials" in data:
        visit.materials = list(data["materials"] or [])
    if "business_trip" in data:
        visit.business_trip = bool(data["business_trip"])
    if "trip_destination" in data:
        visit.trip_destination = data["trip_destination"] or ""
    if visit.business_trip and not visit.trip_destination.strip():
        raise Invalid("a business trip names its destination (S5.3.3 (4))")
    return visit


def apply_expense(session: Session, caller: Caller, visit_id: int, data: dict,
                  now: datetime) -> Expense:
    """S5.3.2 (5): an expense applied for; gifts and hosting wait for the head's approval."""
    visit = load(session, visit_id, caller, lock=True)
    _own(visit, caller, "applying for a visit's expenses")
    preparation.require_open(visit.status == "done")
    if visit.status == "cancelled":
        raise Conflict(f"visit {visit.id} is cancelled")
    try:
        kind = choice(ExpenseKind, data.get("kind"), "kind", "S5.3.2 (5)")
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    expense = Expense(visit_id=visit.id, kind=kind.value, amount_cents=int(data["amount_cents"]),
                      description=data.get("description") or "",
                      status="applied" if kind.needs_approval else "approved", applied_at=now,
                      decided_at=None if kind.needs_approval else now)
    session.add(expense)
    session.flush()
    return expense


def decide_expense(session: Session, caller: Caller, expense_id: int, approve: bool,
                   now: datetime) -> Expense:
    """S5.3.3 (3): the department head approves or rejects a gift or hosting."""
    expense = session.get(Expense, expense_id)
    if expense is None:
        raise NotFound(f"expense {expense_id} not found")
    visit = load(session, expense.visit_id, caller)
    require_head(caller, _department(session, visit), "approving gifts or hosting")
    if expense.status != "applied":
        raise Conflict(f"expense {expense_id} is {expense.status} already")
    expense.status = "approved" if approve else "rejected"
    expense.decided_at, expense.decided_by = now, caller.id
    return expense


def expenses_of(session: Session, visit_id: int) -> list[Expense]:
    return list(session.scalars(select(Expense).where(Expense.visit_id == visit_id)
                                .order_by(Expense.id)))


def facts(expenses: list[Expense]) -> list[ExpenseFact]:
    return [ExpenseFact(e.id, ExpenseKind(e.kind), e.status, e.decided_at) for e in expenses]


def mark_done(session: Session, caller: Caller, visit_id: int, data: dict, now: datetime,
              head_id: int | None, report_days: int) -> Visit:
    """The visit took place (S5.3.2 checks; unapproved gifts or hosting flagged, S5.3.3 (3));
    its report falls due (S5.3.4 (1))."""
    visit = load(session, visit_id, caller, lock=True)
    _own(visit, caller, "marking a visit done")
    if visit.status != "planned":
        raise Conflict(f"visit {visit.id} is {visit.status}")
    done_on = date.fromisoformat(str(data["done_on"])) if data.get("done_on") else local_day(now)
    if done_on > local_day(now):
        raise Invalid(f"done_on {done_on} is in the future")
    preparation.require_ready(visit.approved, visit.contacted_at, visit.person_to_meet, done_on)
    expenses = facts(expenses_of(session, visit.id))
    visit.flags = preparation.flags(expenses, done_on)
    visit.status, visit.done_on, visit.done_at = "done", done_on, now
    visit.outcome = data.get("outcome") or ""
    visit.report_due_at = report_due(done_on, report_days)
    if visit.flags:
        emit(session, make_event(PRODUCER, VisitFlagged(
            visit_id=visit.id, staff_id=visit.staff_id, flag=visit.flags[0],
            detail=preparation.unapproved_detail(expenses, done_on)[:500],
            notify=[head_id] if head_id else [], at=now,
        ), occurred_at=now))
    return visit


def file_report(session: Session, caller: Caller, visit_id: int, data: dict,
                now: datetime) -> tuple[Visit, list[FollowUp]]:
    """S5.3.4: the report, late after its due time; each promise becomes a follow-up with an
    owner (the salesperson unless named) and a due day."""
    visit = load(session, visit_id, caller, lock=True)
    _own(visit, caller, "filing a visit report")
    if visit.status != "done":
        raise Conflict(f"visit {visit.id} is {visit.status}; a report follows a visit done")
    if visit.reported_at is not None:
        raise Conflict(f"visit {visit.id} has its report already")
    visit.report, visit.reported_at = data["report"], now
    visit.report_late = now > visit.report_due_at
    made = []
    for promise in data.get("promises") or []:
        due_on = date.fromisoformat(str(promise["due_on"]))
        if due_on < visit.done_on:
            raise Invalid(f"a follow-up's due_on {due_on} is before the visit (S5.3.4 (2))")
        made.append(FollowUp(visit_id=visit.id, owner_id=int(promise.get("owner_id")
                                                              or visit.staff_id),
                             what=promise["what"], due_on=due_on, result="", created_at=now))
    session.add_all(made)
    session.flush()
    return visit, made


def review_report(session: Session, caller: Caller, visit_id: int, comment: str,
                  now: datetime) -> Visit:
    """S5.3.4 (1): the supervisor (the department head) reviews the report."""
    visit = load(session, visit_id, caller, lock=True)
    require_head(caller, _department(session, visit), "reviewing a visit report")
    if visit.reported_at is None:
        raise Conflict(f"visit {visit.id} has no report to review yet")
    visit.reviewed_by, visit.reviewed_at, visit.review_comment = caller.id, now, comment
    return visit


def finish_follow_up(session: Session, caller: Caller, follow_up_id: int, result: str,
                     now: datetime) -> FollowUp:
    """S5.3.4 (2): a promise kept; its owner says so."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"follow-up {follow_up_id} not found")
    if follow_up.owner_id != caller.id:
        raise Forbidden(f"follow-up {follow_up_id} is not yours: its owner finishes it")
    if follow_up.done_at is not None:
        raise Conflict(f"follow-up {follow_up_id} is done already")
    follow_up.done_at, follow_up.result = now, result
    return follow_up


def follow_ups(session: Session, caller: Caller, state: str | None, cursor: str | None,
               limit: int) -> tuple[list[FollowUp], str | None]:
    """The caller's follow-ups, and her department's as head."""
    query = select(FollowUp).join(Visit, Visit.id == FollowUp.visit_id).join(
        Customer, Customer.id == Visit.customer_id)
    query = query.where((FollowUp.owner_id == caller.id)
                        | Customer.department.in_(sorted(caller.heads)))
    if state == "open":
        query = query.where(FollowUp.done_at.is_(None))
    elif state == "done":
        query = query.where(FollowUp.done_at.is_not(None))
    rows = list(session.scalars(paging.keyset(query, (FollowUp.due_on, FollowUp.id), cursor,
                                              limit)))
    return paging.page(rows, limit, lambda f: (f.due_on, f.id))


def follow_ups_of(session: Session, visit_id: int) -> list[FollowUp]:
    return list(session.scalars(select(FollowUp).where(FollowUp.visit_id == visit_id)
                                .order_by(FollowUp.id)))


def raise_matter(session: Session, caller: Caller, visit_id: int, data: dict,
                 now: datetime) -> Matter:
    """A customer's fault, complaint or application raised during the visit: the hotline opens
    a work order for it (``visit.matter_raised``), the salesperson its first contact (S1.6)."""
    visit = load(session, visit_id, caller, lock=True)
    _own(visit, caller, "raising a customer's matter")
    if visit.status == "cancelled":
        raise Conflict(f"visit {visit.id} is cancelled")
    try:
        category = choice(MatterCategory, data.get("category"), "category", "S3.1")
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    customer = session.get(Customer, visit.customer_id)
    number = data.get("contact_number") or customer.phone
    if not number:
        raise Invalid("the customer has no phone number: give contact_number, so that the "
                      "hotline can reply (S1.10)")
    matter = Matter(visit_id=visit.id, category=category.value, description=data["description"],
                    raised_at=now)
    session.add(matter)
    session.flush()
    emit(session, make_event(PRODUCER, VisitMatterRaised(
        matter_id=matter.id, visit_id=visit.id, category=category,
        description=matter.description,
        customer=CustomerContact(number=number, name=customer.contact_person or customer.name,
                                 work_unit=customer.name, contact=number),
        address=customer.address, salesperson_id=caller.id, salesperson_name=caller.name[:100],
        raised_at=now,
    ), occurred_at=now))
    return matter


def matters_of(session: Session, visit_id: int) -> list[Matter]:
    return list(session.scalars(select(Matter).where(Matter.visit_id == visit_id)
                                .order_by(Matter.id)))


def visit_day_end(visit: Visit) -> datetime:
    return end_of(visit.done_on or visit.planned_on)
