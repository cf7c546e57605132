"""The hotline's members by state for the leaders' board (issue 11), read by a duty leader and
up (S3.2: they arrange the agents' daily work).

A member is ``on_leave`` when away this half day (approved leave, or an absence not ended,
organisation.away_at), ``off_shift`` when the roster puts them on no shift now (roster.py;
yesterday's night shift included), and otherwise ``ready`` or ``away`` as they set their own
presence (presence.py, issue 11), or, once Asterisk reports her phone (issue 16,
agent_line.py), ``ringing``, ``on_call``, ``wrap_up`` or ``offline`` (paused is ``away``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import ROLE_LADDER, AgentState, Role, at_least
from services.staffing import agent_line, roster_store
from services.staffing import organisation as org
from services.staffing.models import StaffMember
from services.staffing.refusals import Forbidden
from services.staffing.routing import on_shift

READY, AWAY, ON_LEAVE, OFF_SHIFT = "ready", "away", "on_leave", "off_shift"
ON_THE_PHONE = (AgentState.RINGING.value, AgentState.ON_CALL.value, AgentState.WRAP_UP.value,
                AgentState.OFFLINE.value)
STATES = (READY, AWAY, ON_LEAVE, OFF_SHIFT, *ON_THE_PHONE)


def phone_state(line: str | None, away: bool, wrapup_end: datetime | None,
                now: datetime) -> str:
    """Her presence, or what her phone says (paused reads as away, as she set it)."""
    state = agent_line.state_of(line, away, wrapup_end, now)
    return AWAY if state is AgentState.PAUSED else state.value


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
        select(StaffMember.id, StaffMember.name, StaffMember.role, StaffMember.away,
               StaffMember.line_state, StaffMember.wrapup_until)
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
    phones = {m.id: phone_state(m.line_state, bool(m.away), m.wrapup_until, now)
              for m in members}

    def present(staff_id: int) -> str:
        return phones[staff_id]

    items = [{"staff_id": m.id, "name": m.name, "role": m.role,
              "state": state_of(m.id, on_leave, working, present)} for m in members]
    return {"items": items, "counts": counts([item["state"] for item in items])}
