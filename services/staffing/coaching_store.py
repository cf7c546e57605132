"""Coaching in storage (S3.2, issue 16): the audit trail of every attempt, and the pages of it
the hotline's leaders read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import Role, at_least
from services.staffing import agent_line
from services.staffing import organisation as org
from services.staffing.coaching import Mode, refusal
from services.staffing.models import CoachingSession
from services.staffing.refusals import Forbidden, Invalid
from svckit import paging


def mode_of(value: object) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise Invalid("mode must be listen or whisper") from None


def check(session: Session, leader_id: int, agent_id: int,
          now: datetime) -> tuple[str | None, str, str]:
    """(why the leader may not coach the agent now or None, the leader's extension, the
    agent's); the attempt is recorded either way (:func:`record`)."""
    leader, agent = org.person(session, leader_id), org.person(session, agent_id)
    state = agent_line.state_of(agent.line_state, bool(agent.away), agent.wrapup_until, now) \
        if agent.line_state else None
    why = refusal(leader.role, leader.left_on is not None, agent.role,
                  agent.left_on is not None, state,
                  leader.id == agent.id)
    return why, leader.extension, agent.extension


def record(session: Session, leader_id: int, agent_id: int, mode: Mode, now: datetime,
           outcome: str, note: str = "") -> dict:
    entry = CoachingSession(leader_id=leader_id, agent_id=agent_id, mode=mode.value, at=now,
                            outcome=outcome, note=note[:200])
    session.add(entry)
    session.flush()
    return view(entry)


def view(entry: CoachingSession) -> dict:
    return {"id": entry.id, "leader_id": entry.leader_id, "agent_id": entry.agent_id,
            "mode": entry.mode, "at": entry.at.isoformat(), "outcome": entry.outcome,
            "note": entry.note}


def trail(session: Session, caller: int, cursor: str | None, limit: int) -> dict:
    """The audit trail, newest first, a page: for the hotline's leaders (S3.2)."""
    reader = org.person(session, caller)
    if reader.left_on is not None or not at_least(reader.role, Role.DUTY_LEADER):
        raise Forbidden("the coaching trail is for a duty leader or the deputy team lead (S3.2)")
    query = paging.keyset(select(CoachingSession), [CoachingSession.id], cursor, limit,
                          descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda e: (e.id,))
    return {"items": [view(e) for e in rows], "next_cursor": after}



