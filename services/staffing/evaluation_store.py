"""The monthly evaluation in storage: facts kept from events, the duty leader's scores, reports."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import LEADER_ROLES, ROLE_LADDER
from services.staffing import evaluation
from services.staffing import organisation as org
from services.staffing.evaluation import Fact, Kind, Score
from services.staffing.models import EvaluationFact, EvaluationScore, StaffMember
from services.staffing.refusals import Forbidden, Invalid, NotFound

LEADERS = LEADER_ROLES
HOTLINE = ROLE_LADDER


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's bounds; a month not written YYYY-MM is refused."""
    try:
        return evaluation.month_bounds(month, zone)
    except evaluation.InvalidMonth as exc:
        raise Invalid(str(exc)) from exc


def record_fact(session: Session, event_id: str, fact: Fact | None) -> bool:
    """Keep the fact of an event (the caller makes sure it is the first delivery)."""
    if fact is None:
        return False
    session.add(
        EvaluationFact(
            event_id=event_id,
            kind=fact.kind.value,
            work_order_id=fact.work_order_id,
            staff_id=fact.staff_id,
            at=fact.at,
            clock=fact.clock,
            on_time=fact.on_time,
            hours=fact.hours,
            satisfaction=fact.satisfaction,
            solved=fact.solved,
        )
    )
    return True


def report(session: Session, month: str, viewer_id: int, zone: tzinfo) -> list[dict]:
    """The month's evaluation: everyone's for a duty leader or deputy and for the HR section,
    which supervises the staff's efficiency, attitude and quality (S1.21); her own for an agent."""
    start, end = month_bounds(month, zone)
    viewer = _person(session, viewer_id)
    in_full = viewer.role in LEADERS or org.is_hr(session, viewer.id)
    only = None if in_full else viewer.id
    if not in_full and viewer.role not in HOTLINE:
        raise Forbidden("the evaluation is the hotline's: duty leaders and HR see it, agents "
                        "their own")
    rows = session.scalars(
        select(EvaluationFact).where(EvaluationFact.at >= start, EvaluationFact.at < end)
    )
    facts = [_fact(row) for row in rows if only in (None, row.staff_id)]
    people = {
        person.id: (person.name, person.role)
        for person in session.scalars(select(StaffMember).where(StaffMember.role.in_(HOTLINE)))
        if only in (None, person.id)
    }
    return [evaluation.as_dict(row) for row in evaluation.evaluate(facts, people, _scores(
        session, month
    ))]


def set_score(
    session: Session, month: str, staff_id: int, score: object, comment: object, by: int,
    at: datetime, zone: tzinfo,
) -> dict:
    """Record (or change) the duty leader's score and comment for one person's month."""
    month_bounds(month, zone)
    scorer = _person(session, by)
    if scorer.left_on is not None or scorer.role not in LEADERS:
        raise Forbidden("only a duty leader or the deputy team lead scores the evaluation (S3.2)")
    if not isinstance(staff_id, int) or isinstance(staff_id, bool):
        raise Invalid(f"staff_id must be a staff id, got {staff_id!r}")
    target = _person(session, staff_id)
    refusal = evaluation.scoring_refusal(scorer.id, scorer.role, target.id, target.role)
    if refusal:
        raise Forbidden(refusal)
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise Invalid(f"score must be a whole number from 0 to 100, got {score!r}")
    if not isinstance(comment, str):
        raise Invalid(f"comment must be text, got {comment!r}")
    row = session.scalar(
        select(EvaluationScore).where(
            EvaluationScore.staff_id == staff_id, EvaluationScore.month == month
        )
    ) or EvaluationScore(staff_id=staff_id, month=month)
    row.score, row.comment, row.scored_by, row.scored_at = score, comment.strip(), by, at
    session.add(row)
    return {"staff_id": staff_id, "month": month, "score": score, "comment": row.comment}


def _person(session: Session, staff_id: int) -> StaffMember:
    person = session.get(StaffMember, staff_id)
    if person is None:
        raise NotFound(f"no staff member {staff_id}")
    return person


def _scores(session: Session, month: str) -> dict[int, Score]:
    rows = session.scalars(select(EvaluationScore).where(EvaluationScore.month == month))
    return {row.staff_id: Score(row.score, row.comment, row.scored_by) for row in rows}


def _fact(row: EvaluationFact) -> Fact:
    return Fact(
        Kind(row.kind), row.work_order_id, row.staff_id, row.at, row.clock, row.on_time,
        row.hours, row.satisfaction, row.solved,
    )
