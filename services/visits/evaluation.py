"""The month's evaluation of a salesperson (S5.3.4 (3)). Pure: facts in, one row out.

Counted for the month: visits done (done in the month) against the position's requirement
(S5.2.3); whether the month's plan was submitted on time (S5.3.1); reports of the month's
visits on time, late, or still missing past due (S5.3.4 (1)); follow-ups due in the month done
on time (S5.3.4 (2)); expenses: gifts or hosting without approval before the visit
(S5.3.3 (3)) and the amounts applied and approved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class VisitFact:
    done: bool
    report_due_at: datetime | None
    reported_at: datetime | None
    unapproved_expenses: int  # gifts or hosting without approval before the visit


@dataclass(frozen=True)
class FollowUpFact:
    due_end: datetime  # the end of its due day
    done_at: datetime | None


@dataclass(frozen=True)
class Evaluation:
    staff_id: int
    name: str
    position: str
    month: str
    required_visits: int
    visits_done: int
    visits_short: int
    requirement_met: bool
    plan_submitted: bool
    plan_on_time: bool
    reports_on_time: int
    reports_late: int
    reports_missing: int
    follow_ups_due: int
    follow_ups_on_time: int
    follow_ups_late: int
    expenses_applied_cents: int
    expenses_approved_cents: int
    expenses_without_approval: int
    expenses_within_approval: bool

    def row(self) -> dict:
        return asdict(self)


def evaluate(
    *, staff_id: int, name: str, position: str, month: str, required: int,
    plan_first_submitted: datetime | None, plan_due: datetime,
    visits: list[VisitFact], follow_ups: list[FollowUpFact],
    applied_cents: int, approved_cents: int, now: datetime,
) -> Evaluation:
    done = [v for v in visits if v.done]
    on_time = sum(1 for v in done if v.reported_at and v.report_due_at
                  and v.reported_at <= v.report_due_at)
    late = sum(1 for v in done if v.reported_at and v.report_due_at
               and v.reported_at > v.report_due_at)
    missing = sum(1 for v in done if v.reported_at is None and v.report_due_at
                  and now > v.report_due_at)
    fu_on_time = sum(1 for f in follow_ups if f.done_at and f.done_at <= f.due_end)
    fu_late = sum(1 for f in follow_ups
                  if (f.done_at and f.done_at > f.due_end) or (not f.done_at and now > f.due_end))
    flagged = sum(v.unapproved_expenses for v in done)
    return Evaluation(
        staff_id=staff_id, name=name, position=position, month=month,
        required_visits=required, visits_done=len(done),
        visits_short=max(0, required - len(done)), requirement_met=len(done) >= required,
        plan_submitted=plan_first_submitted is not None,
        plan_on_time=plan_first_submitted is not None and plan_first_submitted <= plan_due,
        reports_on_time=on_time, reports_late=late, reports_missing=missing,
        follow_ups_due=len(follow_ups), follow_ups_on_time=fu_on_time, follow_ups_late=fu_late,
        expenses_applied_cents=applied_cents, expenses_approved_cents=approved_cents,
        expenses_without_approval=flagged, expenses_within_approval=flagged == 0,
    )
