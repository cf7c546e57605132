"""Login lockouts as the staff office sees them (issue 10 follow-up): announced to those who
may lift them when a (username, address) pair locks, announced lifted, and listed for the
console. The rule (when a pair locks) is in throttle.py, the counting in login_store.py.

Only a member's username is announced or listed: a lock on an unknown username keeps nobody
out, and nobody could lift it by staff id.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import (
    LockoutLiftReason,
    LoginLockedOut,
    LoginLockoutLifted,
    PostKind,
    Recipient,
    make_event,
)
from services.staffing import organisation as org
from services.staffing.models import LoginPair, StaffMember
from svckit import paging
from svckit.outbox import emit

LIFTERS = (PostKind.HR_HEAD, PostKind.HALL_DIRECTOR)  # who keeps the staff records (S1.17, S1.21)


def lifters(session: Session, staff_id: int, now: datetime, zone: tzinfo) -> list[Recipient]:
    """Who is told of a member's lockout: the acting HR head and the acting hall director (any
    HR member may lift it; the head answers for the section), each once, never the member."""
    away = org.away_at(session, now, zone) | {staff_id}
    told: list[Recipient] = []
    for kind in LIFTERS:
        who = org.acting(session, kind, away)
        if who is not None and who != staff_id and all(r.staff_id != who for r in told):
            told.append(Recipient(staff_id=who, post=kind))
    return told


def announce_lock(session: Session, member: StaffMember, address: str, now: datetime,
                  zone: tzinfo) -> None:
    """``login.locked_out`` in the transaction that locked the pair."""
    pair = session.get(LoginPair, (member.username, address))
    emit(session, make_event(org.PRODUCER, LoginLockedOut(
        staff_id=member.id, username=member.username, address=address,
        failures=max(1, pair.failures if pair else 1), locked_at=now,
        notify=lifters(session, member.id, now, zone)), occurred_at=now))


def announce_lifted(session: Session, member: StaffMember, reason: LockoutLiftReason,
                    by: int | None, now: datetime) -> None:
    """``login.lockout_lifted``: the member's lockout notices are done."""
    emit(session, make_event(org.PRODUCER, LoginLockoutLifted(
        staff_id=member.id, username=member.username, reason=reason, lifted_by=by,
        lifted_at=now), occurred_at=now))


def listing(session: Session, cursor: str | None, limit: int) -> dict[str, Any]:
    """Members' locked addresses, the newest lock first: ``{items, next_cursor}``."""
    query = (select(LoginPair, StaffMember)
             .join(StaffMember, StaffMember.username == LoginPair.username)
             .where(LoginPair.locked_at.is_not(None)))
    key = (LoginPair.locked_at, LoginPair.username, LoginPair.address)
    rows = session.execute(paging.keyset(query, key, cursor, limit, descending=True)).all()
    kept, after = paging.page(rows, limit,
                              lambda row: (row[0].locked_at, row[0].username, row[0].address))
    return {"items": [_view(pair, member) for pair, member in kept], "next_cursor": after}


def _view(pair: LoginPair, member: StaffMember) -> dict[str, Any]:
    return {"staff_id": member.id, "username": member.username, "name": member.name,
            "department": member.department, "address": pair.address,
            "failures": pair.failures, "locked_at": pair.locked_at.isoformat()}
