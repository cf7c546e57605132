"""Presence in storage (issue 11): ``staff.away`` with its reason and time, and the
``staff.presence_changed`` event in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from contracts.events import AwayReason, PresenceState, StaffPresenceChanged, make_event
from services.staffing import organisation as org
from services.staffing.models import StaffMember
from services.staffing.presence import Presence, PresenceError, may_set, wanted
from services.staffing.refusals import Forbidden, Invalid
from svckit.outbox import emit


def of(member: StaffMember) -> Presence:
    state = PresenceState.AWAY if member.away else PresenceState.READY
    reason = AwayReason(member.away_reason) if member.away and member.away_reason else None
    return Presence(member.id, state, reason, member.presence_since)


def get(session: Session, staff_id: int) -> Presence:
    return of(org.person(session, staff_id))


def set_presence(session: Session, staff_id: int, state: object, reason: object,
                 now: datetime) -> Presence:
    """The member sets her own presence; a change is published, a repeat is not."""
    member = org.person(session, staff_id)
    refusal = may_set(member.role, member.left_on is not None)
    if refusal:
        raise Forbidden(refusal)
    try:
        chosen, why = wanted(state, reason)
    except PresenceError as exc:
        raise Invalid(str(exc)) from None
    before = of(member)
    if (before.state, before.reason) == (chosen, why):
        return before
    member.away = chosen is PresenceState.AWAY
    member.away_reason = why.value if why else None
    member.presence_since = now
    emit(session, make_event(org.PRODUCER, StaffPresenceChanged(
        staff_id=staff_id, state=chosen, reason=why, since=now), occurred_at=now))
    session.flush()
    return of(member)
