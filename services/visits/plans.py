"""The monthly visit plan's life (S5.3.1). Pure.

draft → submitted (by the salesperson) → approved, or returned with comments (by the department
head) → submitted again. A change to an approved plan (a visit added or cancelled) makes it a
draft again, marked ``changed_after_approval``, to be submitted and reviewed again; visits
approved before stay approved meanwhile, new ones wait for the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.visits.refusals import Conflict


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


@dataclass(frozen=True)
class PlanState:
    status: PlanStatus
    revision: int
    changed_after_approval: bool


def submit(state: PlanState, visits: int) -> PlanState:
    """S5.3.1: the salesperson submits the plan for review; a plan with no visits is refused."""
    if state.status is PlanStatus.SUBMITTED:
        raise Conflict("the plan is submitted already and waits for the department head (S5.3.1)")
    if state.status is PlanStatus.APPROVED:
        raise Conflict("the plan is approved; change it (add or cancel a visit) to submit it "
                       "again for review (S5.3.1)")
    if visits == 0:
        raise Conflict("a plan needs at least one visit to be submitted (S5.3.1)")
    return PlanState(PlanStatus.SUBMITTED, state.revision + 1, state.changed_after_approval)


def review(state: PlanState, approve: bool, comment: str) -> PlanState:
    """S5.3.1: the department head approves, or returns with comments (a comment is required)."""
    if state.status is not PlanStatus.SUBMITTED:
        raise Conflict(f"only a submitted plan is reviewed; this one is {state.status} (S5.3.1)")
    if not approve and not comment.strip():
        raise Conflict("a returned plan needs comments saying what to change (S5.3.1)")
    if approve:
        return PlanState(PlanStatus.APPROVED, state.revision, False)
    return PlanState(PlanStatus.RETURNED, state.revision, state.changed_after_approval)


def change(state: PlanState) -> PlanState:
    """A visit added or cancelled: an approved plan is reviewed again (S5.3.1); a submitted one
    cannot change under its reviewer."""
    if state.status is PlanStatus.SUBMITTED:
        raise Conflict("the plan waits for review; it cannot change until the department head "
                       "approves or returns it (S5.3.1)")
    if state.status is PlanStatus.APPROVED:
        return PlanState(PlanStatus.DRAFT, state.revision, True)
    return state
