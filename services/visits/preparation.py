"""A visit's preparation and its completion (S5.3.2, S5.3.3). Pure.

A visit is marked done only when it was approved in the plan, the customer was contacted
beforehand and the person to meet is named (S5.3.2 (2), (3)). Gifts and hosting need approval
before the visit date (S5.3.3 (3)); one without it does not stop the visit being recorded (it
happened) but flags it, and the flag counts in the evaluation (S5.3.4 (3)).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.visits.deadlines import local_day
from services.visits.refusals import Conflict
from services.visits.vocabulary import ExpenseKind

UNAPPROVED_EXPENSE = "expense_unapproved"


@dataclass(frozen=True)
class ExpenseFact:
    id: int
    kind: ExpenseKind
    status: str  # applied, approved, rejected
    decided_at: datetime | None


def require_ready(approved: bool, contacted_at: datetime | None, person_to_meet: str,
                  done_on: date) -> None:
    """Refuse marking a visit done that was not prepared (S5.3.2)."""
    missing = []
    if not approved:
        missing.append("the visit is not in an approved plan (S5.3.1)")
    if contacted_at is None:
        missing.append("the customer was not contacted beforehand (S5.3.2 (2))")
    elif local_day(contacted_at) > done_on:
        missing.append("the customer was contacted only after the visit day (S5.3.2 (2))")
    if not person_to_meet.strip():
        missing.append("the person to meet is not named (S5.3.2 (3))")
    if missing:
        raise Conflict("the visit cannot be marked done: " + "; ".join(missing))


def approved_in_time(expense: ExpenseFact, visit_day: date) -> bool:
    """S5.3.3 (3): other expenses need no approval; a gift or hosting must have been approved
    before the visit date (decided on an earlier day)."""
    if not expense.kind.needs_approval:
        return True
    return (expense.status == "approved" and expense.decided_at is not None
            and local_day(expense.decided_at) < visit_day)


def flags(expenses: Iterable[ExpenseFact], visit_day: date) -> list[str]:
    """What the visit is flagged with when it is marked done on ``visit_day``."""
    unapproved = [e.id for e in expenses if not approved_in_time(e, visit_day)]
    return [UNAPPROVED_EXPENSE] if unapproved else []


def unapproved_detail(expenses: Iterable[ExpenseFact], visit_day: date) -> str:
    wrong = [f"{e.kind.value} #{e.id} ({e.status})" for e in expenses
             if not approved_in_time(e, visit_day)]
    return ("gifts or hosting without approval before the visit date (S5.3.3 (3)): "
            + ", ".join(wrong))


def require_open(done: bool) -> None:
    """Expenses are applied for before the visit (S5.3.2 (5)), not after it is done."""
    if done:
        raise Conflict("expenses are applied for before the visit, not after it is done "
                       "(S5.3.2 (5))")
