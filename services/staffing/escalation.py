"""Who an escalation reaches (S1.6, S3.2): the leader on duty at a level, a pure choice.

The calls service decides the level (its escalation rules, ESC-1..5); staffing, which keeps the
roster, answers who holds it now: someone of that level on shift, not on leave and not away,
else the next level up (each hotline role does the work of those below it, S3.2), the least
loaded first (fewest open work orders, then the lowest staff id, as routing chooses).
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.events import LEADER_ROLES, Role, roles_from
from services.staffing.routing import Candidate, present

LEVELS = LEADER_ROLES  # an escalation reaches a duty leader or above (S1.6, S3.2)


def leader_on_duty(level: Role, on_duty: Iterable[Candidate]) -> Candidate | None:
    """The person an escalation to ``level`` reaches among ``on_duty``; None: nobody."""
    if level not in LEVELS:
        raise ValueError(f"an escalation goes to a {' or a '.join(LEVELS)}, not to {level}")
    people = present(list(on_duty))
    for role in roles_from(level):
        pool = [c for c in people if c.role == role]
        if pool:
            return min(pool, key=lambda c: (c.open_orders, c.staff_id))
    return None
