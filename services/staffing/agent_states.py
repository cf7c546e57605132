"""The hotline's members by state for the leaders' board (issue 11), read by a duty leader and
up (S3.2: they arrange the agents' daily work).

A member is ``on_leave`` when away this half day (approved leave, or an absence not ended,
organisation.away_at), ``off_shift`` when the roster puts them on no shift now (roster.py;
yesterday's night shift included), and otherwise ``ready`` or ``away`` as they set their own
presence (presence.py, issue 11).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import ROLE_LADDER, Role, at_least
from services.staffing import organisation as org
from services.staffing import roster_store
from services.staffing.models import StaffMember
from services.staffing.refusals import Forbidden
from services.staffing.routing import on_shift

READY, AWAY, ON_LEAVE, OFF_SHIFT = "ready", "away", "on_leave", "off_shift"
STATES = (READY, AWAY, ON_LEAVE, OFF_SHIFT)


def state_of(staff_id: int, on_leave: set[int], working: set[int],
             present: Callable[[int], str]) -> str:
    """Leave first (a member on leave is not expected even when rostered), then the roster,
    then her own presence."""
    if staff_id in on_leave:
        return ON_LEAVE
    if staff_id not in working:
        return OFF_SHIFT
    return present(staff_id)


def counts(states: list[str]) -> dict[str, int]:
    """How many in each state, every state named (0 when none)."""
    seen = Counter(states)
    return {state: seen[state] for state in STATES}


# --- from storage ---------------------------------------------------------------------------


def members_by_state(session: Session, caller: int, now: datetime,
                     zone: ZoneInfo) -> dict[str, Any]:
    """``{items: [{staff_id, name, role, state}], counts: {state: n}}`` of the hotline's
    members on staff, by name; for a duty leader and up only."""
    reader = session.get(StaffMember, caller)
    if reader is None or reader.left_on is not None or not at_least(reader.role, Role.DUTY_LEADER):
        raise Forbidden("the leaders' board is for a duty leader or the deputy team lead (S3.2)")
    members = list(session.execute(
        select(StaffMember.id, StaffMember.name, StaffMember.role, StaffMember.away)
        .where(StaffMember.role.in_([role.value for role in ROLE_LADDER]),
               StaffMember.left_on.is_(None))
        .order_by(StaffMember.name, StaffMember.id)
    ))
    local = now.astimezone(zone)
    day = local.date()
    roster = roster_store.load(session, day - timedelta(days=1), day, [m.id for m in members])
    working = {m.id for m in members if any(
        on_shift(starts, ends, local.time()) for starts, ends in roster.cover(m.id, day))}
    on_leave = org.away_at(session, now, zone)
    set_away = {m.id for m in members if m.away}

    def present(staff_id: int) -> str:
        return AWAY if staff_id in set_away else READY

    items = [{"staff_id": m.id, "name": m.name, "role": m.role,
              "state": state_of(m.id, on_leave, working, present)} for m in members]
    return {"items": items, "counts": counts([item["state"] for item in items])}
