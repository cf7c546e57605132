"""Who takes a work order (S3.2): a pure decision over the people on shift.

Rules, in order:
1. complaints and unclassified calls need a duty leader, everything else a seat agent;
2. a caller with an open work order goes back to that order's owner when the owner is on shift
   and holds the needed role (a complaint about an agent's order still reaches a duty leader);
3. the least-loaded person (fewest open work orders) of the needed role takes it;
4. with nobody of that role on shift, the next role up takes it
   (seat agent → duty leader → deputy team lead): each role can do the work of those below it;
5. nobody away (presence, issue 11: a break, a meal, training) is ever picked, not even as the
   caller's owner: the call goes to the next choice; nor anybody Asterisk reports ringing, on a
   call, paused or offline (issue 16, agent_line.py);
6. among equally loaded people, one ready goes before one in wrap-up, and then the one idle
   longest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from contracts.events import ROLE_LADDER, AgentState, Category, Role, roles_from
from services.staffing.agent_line import BUSY

__all__ = ["ROLE_LADDER"]  # the one ladder (contracts.events), re-exported for old imports
NEEDS_DUTY_LEADER = {Category.COMPLAINT, Category.UNCLASSIFIED}


class Reason:
    """Why a decision was made: a small, fixed vocabulary (also a metric label)."""

    CALLER_OPEN_ORDER_OWNER = "caller_open_order_owner"
    LEAST_LOADED_SEAT_AGENT = "least_loaded_seat_agent"
    COMPLAINT_TO_DUTY_LEADER = "complaint_to_duty_leader"
    UNCLASSIFIED_TO_DUTY_LEADER = "unclassified_to_duty_leader"
    NO_SEAT_AGENT_ON_SHIFT = "no_seat_agent_on_shift"
    NO_DUTY_LEADER_ON_SHIFT = "no_duty_leader_on_shift"
    NOBODY_ON_SHIFT = "nobody_on_shift"


@dataclass(frozen=True)
class Candidate:
    """A person on shift and not on leave, with their current load and presence."""

    staff_id: int
    name: str
    role: Role
    extension: str
    open_orders: int
    away: bool = False
    state: AgentState | None = None  # from Asterisk (issue 16); None: not reported
    idle_since: datetime | None = None


NEVER_SEEN = datetime.min.replace(tzinfo=UTC)


def present(candidates: list[Candidate]) -> list[Candidate]:
    """Those who may be given work now: not away, not busy on the phone (rule 5)."""
    return [c for c in candidates if not c.away and c.state not in BUSY]


def preference(candidate: Candidate) -> tuple:
    """Least loaded, then ready before wrap-up, then idle longest (rules 3 and 6)."""
    return (candidate.open_orders, candidate.state is AgentState.WRAP_UP,
            candidate.idle_since or NEVER_SEEN, candidate.staff_id)


@dataclass(frozen=True)
class Decision:
    assignee: Candidate | None
    reason: str


def on_shift(starts: time, ends: time, at: time) -> bool:
    """Whether ``at`` falls in a daily shift; ``ends <= starts`` runs past midnight,
    ``ends == starts`` is the whole day."""
    if starts == ends:
        return True
    if starts < ends:
        return starts <= at < ends
    return at >= starts or at < ends


def required_role(category: Category) -> Role:
    return Role.DUTY_LEADER if category in NEEDS_DUTY_LEADER else Role.SEAT_AGENT


def route(
    category: Category, candidates: list[Candidate], caller_order_owner: int | None = None
) -> Decision:
    """Choose the assignee for a new work order from ``candidates`` (all on shift)."""
    needed = required_role(category)
    ladder = roles_from(needed)
    candidates = present(candidates)
    for candidate in candidates:
        if candidate.staff_id == caller_order_owner and candidate.role in ladder:
            return Decision(candidate, Reason.CALLER_OPEN_ORDER_OWNER)
    for step, role in enumerate(ladder):
        pool = [c for c in candidates if c.role == role]
        if pool:
            chosen = min(pool, key=preference)
            reason = _first_choice_reason(category) if step == 0 else _missing(ladder[step - 1])
            return Decision(chosen, reason)
    return Decision(None, Reason.NOBODY_ON_SHIFT)


def _first_choice_reason(category: Category) -> str:
    if category == Category.COMPLAINT:
        return Reason.COMPLAINT_TO_DUTY_LEADER
    if category == Category.UNCLASSIFIED:
        return Reason.UNCLASSIFIED_TO_DUTY_LEADER
    return Reason.LEAST_LOADED_SEAT_AGENT


def _missing(role: Role) -> str:
    return f"no_{role.value}_on_shift"


def dial_string(extension: str, technology: str = "PJSIP") -> str:
    """The Asterisk dial string for a seat's extension."""
    return f"{technology}/{extension}"
