"""The monthly evaluation of the hotline's people (S3.2: the duty leader evaluates the agents;
S1.21: efficiency, attitude and quality), computed from the calls service's events.

Staffing never reads the calls database: each relevant event becomes a :class:`Fact` kept in
staffing's own table, and :func:`evaluate` turns a month's facts into one row per person.

Figures per person (the owner of the work order when the event happened):
- ``orders_assigned``: orders assigned to them (by routing or by hand);
- ``orders_handled``: replies given on orders they owned (a reopened order replied twice
  counts twice: each reply is work);
- ``on_time_rate`` per clock: of the deadline clocks that stopped or went overdue on their
  orders, the share met on time; a clock counts once, late if it ever went overdue or stopped
  late; ``callback_on_time_rate`` is that of the ``callback`` clock (S1.10);
- ``average_hours_to_reply``: from the order's creation to each reply;
- ``escalations``: their orders that went up the line;
- ``satisfaction``: mean revisit score (1-5) and how many revisits; ``unsolved`` revisits;
- the duty leader's manual ``score`` (0-100) and ``comment``.
A fact belongs to the month of its local time (Asia/Shanghai by default).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from statistics import fmean
from typing import Any

from contracts.events import Role, above, at_least, hotline_role

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CALLBACK_CLOCK = "callback"


class InvalidMonth(ValueError):
    """Not a month written as YYYY-MM."""


class Kind(StrEnum):
    ASSIGNED = "assigned"
    REPLIED = "replied"
    REVISITED = "revisited"
    CLOCK_STOPPED = "clock_stopped"
    OVERDUE = "overdue"
    ESCALATED = "escalated"


@dataclass(frozen=True)
class Fact:
    """One event as the evaluation needs it."""

    kind: Kind
    work_order_id: str
    staff_id: int
    at: datetime
    clock: str | None = None
    on_time: bool | None = None
    hours: float | None = None
    satisfaction: int | None = None
    solved: bool | None = None


@dataclass(frozen=True)
class Score:
    """The duty leader's manual part of the evaluation."""

    score: int
    comment: str
    by: int


@dataclass
class Evaluation:
    staff_id: int
    name: str
    role: str
    orders_assigned: int = 0
    orders_handled: int = 0
    on_time_rate: dict[str, float | None] = field(default_factory=dict)
    callback_on_time_rate: float | None = None
    average_hours_to_reply: float | None = None
    escalations: int = 0
    satisfaction: float | None = None
    revisits: int = 0
    unsolved: int = 0
    score: int | None = None
    comment: str = ""
    scored_by: int | None = None


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in ``zone``."""
    match = MONTH.match(month)
    if not match:
        raise InvalidMonth(f"month must be written YYYY-MM, got {month!r}")
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=zone)
    following = date(year + number // 12, number % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


def evaluate(
    facts: Iterable[Fact],
    people: Mapping[int, tuple[str, str]],
    scores: Mapping[int, Score] | None = None,
) -> list[Evaluation]:
    """One evaluation per person in ``people`` (id → (name, role)) or with facts, by id."""
    by_person: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_person[fact.staff_id].append(fact)
    scores = scores or {}
    ids = sorted(set(people) | set(by_person))
    return [
        _evaluate(staff_id, people.get(staff_id, ("", "")), by_person[staff_id], scores)
        for staff_id in ids
    ]


def _evaluate(
    staff_id: int, person: tuple[str, str], facts: list[Fact], scores: Mapping[int, Score]
) -> Evaluation:
    of = defaultdict(list)
    for fact in facts:
        of[fact.kind].append(fact)
    rates = _on_time_rates(of[Kind.CLOCK_STOPPED] + of[Kind.OVERDUE])
    satisfaction = [f.satisfaction for f in of[Kind.REVISITED] if f.satisfaction is not None]
    reply_hours = [f.hours for f in of[Kind.REPLIED] if f.hours is not None]
    score = scores.get(staff_id)
    return Evaluation(
        staff_id=staff_id,
        name=person[0],
        role=person[1],
        orders_assigned=len({f.work_order_id for f in of[Kind.ASSIGNED]}),
        orders_handled=len(of[Kind.REPLIED]),
        on_time_rate=rates,
        callback_on_time_rate=rates.get(CALLBACK_CLOCK),
        average_hours_to_reply=_mean(reply_hours),
        escalations=len(of[Kind.ESCALATED]),
        satisfaction=_mean(satisfaction),
        revisits=len(of[Kind.REVISITED]),
        unsolved=sum(1 for f in of[Kind.REVISITED] if f.solved is False),
        score=score.score if score else None,
        comment=score.comment if score else "",
        scored_by=score.by if score else None,
    )


def _on_time_rates(clock_facts: list[Fact]) -> dict[str, float | None]:
    """Per clock: the share of (order, clock) pairs met on time; overdue once is late."""
    met: dict[tuple[str, str], bool] = {}
    for fact in clock_facts:
        key = (fact.work_order_id, fact.clock or "")
        on_time = fact.kind is Kind.CLOCK_STOPPED and bool(fact.on_time)
        met[key] = met.get(key, True) and on_time
    per_clock: dict[str, list[bool]] = defaultdict(list)
    for (_, clock), on_time in met.items():
        per_clock[clock].append(on_time)
    return {clock: round(sum(v) / len(v), 4) for clock, v in sorted(per_clock.items())}


def _mean(values: list[float] | list[int]) -> float | None:
    return round(fmean(values), 2) if values else None


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def as_dict(row: Evaluation) -> dict[str, Any]:
    return asdict(row)


def fact_from(event_type: str, payload: Any) -> Fact | None:
    """The fact an event of the calls service records, or None (no owner, not relevant)."""
    owner = getattr(payload, "assignee_id", None)
    if owner is None:
        return None
    common = {"work_order_id": payload.work_order_id, "staff_id": owner}
    match event_type:
        case "work_order.assigned":
            return Fact(Kind.ASSIGNED, at=payload.at, **common)
        case "work_order.replied":
            hours = hours_between(payload.created_at, payload.at)
            return Fact(Kind.REPLIED, at=payload.at, hours=hours, **common)
        case "work_order.revisited":
            data = payload.data
            return Fact(
                Kind.REVISITED, at=payload.at, satisfaction=data.get("satisfaction"),
                solved=data.get("solved"), **common,
            )
        case "work_order.clock_stopped" if not payload.cancelled:  # not a commitment met
            return Fact(
                Kind.CLOCK_STOPPED, at=payload.stopped_at, clock=payload.clock,
                on_time=payload.on_time, **common,
            )
        case "work_order.deadline_warning" if payload.percent >= 100:
            return Fact(Kind.OVERDUE, at=payload.at, clock=payload.clock, **common)
        case "work_order.escalated":
            return Fact(Kind.ESCALATED, at=payload.at, clock=payload.clock, **common)
    return None


def scoring_refusal(scorer_id: int, scorer_role: str, target_id: int, target_role: str,
                    target_on_hotline: bool = True) -> str | None:
    """Why ``scorer`` may not score ``target``'s month, or None (issue 10). The evaluation is the
    duty leader's work over the agents below her (S3.2: each role includes the one below, so the
    deputy team lead scores duty leaders and agents): only a strictly lower hotline role is
    scored; never oneself, an equal, a superior, or anyone outside the hotline (the hall
    director, a window clerk: HR supervises them, S1.21)."""
    if not at_least(scorer_role, Role.DUTY_LEADER):
        return "only a duty leader or the deputy team lead scores the evaluation (S3.2)"
    if scorer_id == target_id:
        return "nobody scores their own evaluation"
    if not target_on_hotline or hotline_role(target_role) is None:
        return (f"staff member {target_id} is not in the hotline's evaluation (a "
                f"{target_role}); only hotline roles below the scorer are scored")
    if not above(scorer_role, target_role):
        return (f"a {scorer_role.replace('_', ' ')} scores only roles below her; staff member "
                f"{target_id} is a {target_role.replace('_', ' ')}")
    return None
