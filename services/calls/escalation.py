"""Who may escalate a work order to whom (S1.6, S1.10, S3.2): pure rules, each with an id.

An escalation sends an order up the hotline's line without taking it from its owner: the seat
agent keeps it and keeps following it (S3.2a, S1.6: first-contact responsibility), while the
leader it reaches holds it too (``escalated_to``) and sees it in her queue. Who is on duty at
the level is staffing's answer (its roster); these rules only say which level.

- ESC-1: a seat agent escalates to the duty leader on duty. S1.6: major matters are
  escalated at once to leaders; S1.10: report major matters upward; S3.2: the duty leader
  takes what an agent cannot handle or answer.
- ESC-2: a duty leader escalates to the deputy team lead. S3.2: the deputy team lead answers
  for every request's whole process and coordinates with other departments.
- ESC-3: the system (the deadline sweep, services/calls/clocks.py) escalates an overdue or idle
  order to the duty leader or the deputy team lead (S1.22, S3.2).
- ESC-4: never down nor sideways: a level at or below the one reached is refused (the order is
  already with that leader or above her).
- ESC-5: a reason is required, at most 200 characters.

The deputy team lead is the top of the hotline's line (S3.2): she has no one to escalate to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.events import LEADER_ROLES, Role

LEVELS: tuple[Role, ...] = LEADER_ROLES  # escalations reach a duty leader or above (S1.6)
REASON_MAX = 200
SYSTEM = "system"  # lifecycle.Party.SYSTEM's value (kept here so this module stands alone)


@dataclass(frozen=True)
class EscalationRule:
    id: str
    by: str
    to: tuple[Role, ...]
    basis: str


RULES: Mapping[str, EscalationRule] = MappingProxyType(
    {
        Role.SEAT_AGENT.value: EscalationRule(
            "ESC-1", Role.SEAT_AGENT.value, (Role.DUTY_LEADER,),
            "S1.6, S1.10: a seat agent escalates a major matter to the duty leader on duty",
        ),
        Role.DUTY_LEADER.value: EscalationRule(
            "ESC-2", Role.DUTY_LEADER.value, (Role.DEPUTY_TEAM_LEAD,),
            "S3.2: a duty leader escalates to the deputy team lead",
        ),
        SYSTEM: EscalationRule(
            "ESC-3", SYSTEM, LEVELS,
            "S1.22, S3.2: the deadline sweep escalates overdue or idle orders",
        ),
    }
)


def level_for(by: str, requested: Role | str | None = None) -> Role:
    """The level ``by`` escalates to: the one asked for, or the rule's first.

    Raises ValueError with a message for the person (ESC-1..3).
    """
    rule = RULES.get(str(by))
    if rule is None:
        raise ValueError(
            "a deputy team lead is the top of the hotline's line (S3.2); she has no one to "
            "escalate to" if by == Role.DEPUTY_TEAM_LEAD
            else f"{by} cannot escalate a work order (ESC-1..3)"
        )
    if requested is None:
        return rule.to[0]
    try:
        level = Role(requested)
    except ValueError:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {requested!r}") from None
    if level not in rule.to:
        allowed = " or ".join(rule.to)
        raise ValueError(f"{rule.id}: a {by.replace('_', ' ')} escalates to {allowed}, not {level}")
    return level


def refusal(level: Role, reached: Role | None) -> str | None:
    """ESC-4: why ``level`` may not be reached now, given the highest ``reached``; else None."""
    if reached is None:
        return None
    if LEVELS.index(level) <= LEVELS.index(Role(reached)):
        return (
            f"ESC-4: the work order is already escalated to the "
            f"{Role(reached).replace('_', ' ')}; an escalation goes only up the line"
        )
    return None


def next_level(by: str, reached: Role | None) -> Role | None:
    """The level ``by`` could escalate to now, or None (for the actions a person is offered)."""
    try:
        level = level_for(by)
    except ValueError:
        return None
    return None if refusal(level, reached) else level


def check_reason(reason: object) -> str:
    """ESC-5: the reason, stripped; ValueError when missing or too long."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("an escalation needs a reason (non-empty text)")
    if len(reason.strip()) > REASON_MAX:
        raise ValueError(f"reason is at most {REASON_MAX} characters, got {len(reason.strip())}")
    return reason.strip()
