"""Storage of logins and tokens (issue 10): throttle and lockout records, rotating refresh
tokens, token revocations. The rules are in throttle.py; staffing owns the accounts, so it keeps
these durably (the gateway keeps nothing but a cache)."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.staffing import throttle
from services.staffing.models import LoginThrottle, RefreshToken, StaffMember, TokenRevocation

USER, ADDRESS = "user", "address"


@dataclass(frozen=True)
class Schedules:
    user: throttle.Schedule = throttle.USER_SCHEDULE
    address: throttle.Schedule = throttle.ADDRESS_SCHEDULE

    def of(self, kind: str) -> throttle.Schedule:
        return self.user if kind == USER else self.address


def _state(session: Session, kind: str, key: str) -> throttle.State:
    row = session.get(LoginThrottle, (kind, key))
    if row is None:
        return throttle.State()
    return throttle.State(row.failures, row.last_failure_at, row.locked_at)


def waits(session: Session, username: str, address: str, now: datetime,
          schedules: Schedules) -> tuple[bool, dict[str, int]]:
    """May this username try a password from this address now? (locked, seconds each key must
    still wait, whole seconds rounded up, only the keys that must wait)."""
    locked, waiting = False, {}
    for kind, key in ((USER, username), (ADDRESS, address)):
        verdict = throttle.check(_state(session, kind, key), now, schedules.of(kind))
        locked = locked or verdict.locked
        if not verdict.allowed and not verdict.locked:
            waiting[kind] = max(1, math.ceil(verdict.retry_after.total_seconds()))
    return locked, waiting


def record_failure(session: Session, username: str, address: str, now: datetime,
                   schedules: Schedules) -> None:
    """Count a failed login against both keys. Counted *before* the password is hashed, so
    that concurrent attempts see each other (record_success takes it back)."""
    for kind, key in ((USER, username), (ADDRESS, address)):
        schedule = schedules.of(kind)
        row = session.get(LoginThrottle, (kind, key))
        if row is None:
            try:
                with session.begin_nested():
                    session.add(LoginThrottle(kind=kind, key=key, failures=1,
                                              last_failure_at=now,
                                              locked_at=now if schedule.lockout_after == 1
                                              else None))
                continue
            except IntegrityError:  # a concurrent first failure: count on the row it made
                row = session.get(LoginThrottle, (kind, key))
        state = throttle.current(throttle.State(row.failures, row.last_failure_at,
                                                row.locked_at), now, schedule)
        if state.failures == 0:  # the earlier run is forgotten: start again
            row.failures, row.last_failure_at = 1, now
        else:  # counted in the database, so concurrent failures all count
            session.execute(update(LoginThrottle)
                            .where(LoginThrottle.kind == kind, LoginThrottle.key == key)
                            .values(failures=LoginThrottle.failures + 1, last_failure_at=now))
            session.refresh(row)
        if (schedule.lockout_after is not None and row.locked_at is None
                and row.failures >= schedule.lockout_after):
            row.locked_at = now


def take_back(session: Session, username: str, address: str) -> None:
    """Undo the failure counted in advance for an attempt that was not tried (no hashing
    slot) or that succeeded."""
    for kind, key in ((USER, username), (ADDRESS, address)):
        session.execute(update(LoginThrottle)
                        .where(LoginThrottle.kind == kind, LoginThrottle.key == key,
                               LoginThrottle.failures > 0)
                        .values(failures=LoginThrottle.failures - 1))


def record_success(session: Session, username: str, address: str) -> None:
    """A correct login: the address's advance count is taken back and the username's run of
    failures (and lock) is cleared."""
    take_back(session, username, address)
    session.execute(delete(LoginThrottle).where(LoginThrottle.kind == USER,
                                                LoginThrottle.key == username))


def lift_lockout(session: Session, member: StaffMember) -> bool:
    """Unlock a member's username; True when it was locked."""
    row = session.get(LoginThrottle, (USER, member.username))
    locked = row is not None and row.locked_at is not None
    if row is not None:
        session.delete(row)
    return locked


def prune(session: Session, now: datetime, schedules: Schedules) -> int:
    """Forget runs of failures past their window (locks stay until lifted)."""
    removed = 0
    for kind in (USER, ADDRESS):
        result = session.execute(delete(LoginThrottle).where(
            LoginThrottle.kind == kind, LoginThrottle.locked_at.is_(None),
            LoginThrottle.last_failure_at < now - schedules.of(kind).window))
        removed += result.rowcount or 0
    return removed


# --- refresh tokens ---------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh(session: Session, staff_id: int, now: datetime, ttl: timedelta,
                  family: str | None = None) -> str:
    """A new refresh token (random, 256 bits); only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=_digest(token), family=family or uuid.uuid4().hex,
                             staff_id=staff_id, issued_at=now, expires_at=now + ttl))
    return token


@dataclass(frozen=True)
class Refreshed:
    staff_id: int | None  # None: refused
    family: str | None = None
    reused: bool = False  # a used token came back: its family is revoked


def use_refresh(session: Session, token: str, now: datetime) -> Refreshed:
    """Spend a refresh token once. A token used already revokes its whole family (whoever
    holds the newer one loses it too: one of the two copies is stolen)."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return Refreshed(None)
    spent = session.execute(update(RefreshToken)
                            .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:  # used before (or just now by a concurrent request)
        revoke_family(session, row.family, now)
        return Refreshed(None, row.family, reused=True)
    return Refreshed(row.staff_id, row.family)


def revoke_family(session: Session, family: str, now: datetime) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def revoke_member(session: Session, staff_id: int, now: datetime, reason: str) -> None:
    """Record that ``staff_id``'s tokens issued until ``now`` are void (the gateways learn it
    from the event published in the same transaction) and revoke every refresh-token family of
    theirs: after leaving, a transfer or a role change they sign in again (issue 10)."""
    row = session.get(TokenRevocation, staff_id)
    if row is None:
        session.add(TokenRevocation(staff_id=staff_id, revoked_at=now, reason=reason))
    else:
        row.revoked_at, row.reason = now, reason
    session.execute(update(RefreshToken)
                    .where(RefreshToken.staff_id == staff_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def revoked_since(session: Session, since: datetime) -> list[int]:
    """Members whose tokens were revoked at or after ``since``."""
    return list(session.scalars(select(TokenRevocation.staff_id)
                                .where(TokenRevocation.revoked_at >= since)
                                .order_by(TokenRevocation.staff_id)))
