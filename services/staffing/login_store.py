"""Storage of logins and tokens (issue 10): failures counted per (username, address) pair,
username and address, pair locks and known addresses, rotating refresh tokens, token
revocations. The rules are in throttle.py; staffing owns the accounts, so it keeps
these durably (the gateway keeps nothing but a cache)."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.staffing import throttle
from services.staffing.models import (
    LoginPair,
    LoginThrottle,
    RefreshToken,
    StaffMember,
    TokenRevocation,
)

USER, ADDRESS = throttle.USER, throttle.ADDRESS


def _counted(session: Session, kind: str, key: str) -> throttle.State:
    row = session.get(LoginThrottle, (kind, key))
    if row is None:
        return throttle.State()
    return throttle.State(row.failures, row.last_failure_at)


def standing(session: Session, username: str, address: str) -> throttle.Standing:
    """What is remembered of this username, this address and the two together (the same
    statements for a known and an unknown username)."""
    pair = session.get(LoginPair, (username, address))
    return throttle.Standing(
        pair=throttle.State(pair.failures, pair.last_failure_at, pair.locked_at) if pair
        else throttle.State(),
        user=_counted(session, USER, username),
        address=_counted(session, ADDRESS, address),
        signed_in_at=pair.signed_in_at if pair else None,
    )


def waits(session: Session, username: str, address: str, now: datetime,
          policy: throttle.Policy) -> tuple[bool, dict[str, int]]:
    """May this username try a password from this address now? (locked, seconds each key must
    still wait, whole seconds rounded up, only the keys that must wait)."""
    decision = throttle.decide(standing(session, username, address), now, policy)
    return decision.locked, {kind: max(1, math.ceil(wait.total_seconds()))
                             for kind, wait in decision.waits.items()}


def record_failure(session: Session, username: str, address: str, now: datetime,
                   policy: throttle.Policy) -> bool:
    """Count a failed login against the pair, the username and the address. Counted *before*
    the password is hashed, so that concurrent attempts see each other (record_success takes
    it back). True when this failure locked the pair."""
    locked = _count(session, LoginPair, (username, address), policy.pair, now,
                    lambda: LoginPair(username=username, address=address))
    for kind, key in ((USER, username), (ADDRESS, address)):
        _count(session, LoginThrottle, (kind, key), policy.of(kind), now,
               lambda kind=kind, key=key: LoginThrottle(kind=kind, key=key))
    return locked


def _count(session: Session, model: type, key: tuple[str, str], schedule: throttle.Schedule,
           now: datetime, new: Callable[[], LoginPair | LoginThrottle]) -> bool:
    """One more failure on ``model``'s row ``key`` (made if missing), counted in the database
    so that concurrent failures all count; locked when the schedule says so (True: by this
    failure)."""
    row = session.get(model, key)
    if row is None:
        try:
            with session.begin_nested():
                row = new()
                row.failures, row.last_failure_at = 1, now
                row.locked_at = now if schedule.lockout_after == 1 else None
                session.add(row)
            return row.locked_at is not None
        except IntegrityError:  # a concurrent first failure: count on the row it made
            row = session.get(model, key)
    state = throttle.current(throttle.State(row.failures, row.last_failure_at, row.locked_at),
                             now, schedule)
    if state.failures == 0:  # the earlier run is forgotten: start again
        row.failures, row.last_failure_at = 1, now
    else:
        session.execute(update(model).where(*_where(model, key))
                        .values(failures=model.failures + 1, last_failure_at=now))
        session.refresh(row)
    if (schedule.lockout_after is not None and row.locked_at is None
            and row.failures >= schedule.lockout_after):
        row.locked_at = now
        return True
    return False


def _where(model: type, key: tuple[str, str]) -> tuple:
    if model is LoginPair:
        return LoginPair.username == key[0], LoginPair.address == key[1]
    return LoginThrottle.kind == key[0], LoginThrottle.key == key[1]


def take_back(session: Session, username: str, address: str) -> None:
    """Undo the failure counted in advance for an attempt that was not tried (no hashing
    slot) or that succeeded."""
    for model, key in ((LoginPair, (username, address)), (LoginThrottle, (USER, username)),
                       (LoginThrottle, (ADDRESS, address))):
        session.execute(update(model).where(*_where(model, key), model.failures > 0)
                        .values(failures=model.failures - 1))


def record_success(session: Session, username: str, address: str, now: datetime) -> bool:
    """A correct login: the advance counts are taken back, the pair's run of failures is
    cleared and its address is known from now on. The username's run stays: a success here
    says nothing of the guesses made from elsewhere. A lock of the pair goes too: it was
    checked open before this attempt, so it came from the attempt counted in advance (or a
    concurrent one from the same address, where the password is known). True when a lock
    went."""
    take_back(session, username, address)
    pair = session.get(LoginPair, (username, address))  # counted in advance: it is there
    if pair is None:  # pruned meanwhile
        pair = LoginPair(username=username, address=address, locked_at=None)
        session.add(pair)
    unlocked = pair.locked_at is not None
    pair.failures, pair.last_failure_at, pair.signed_in_at = 0, None, now
    pair.locked_at = None
    return unlocked


def lift_lockout(session: Session, member: StaffMember) -> bool:
    """Lift everything that keeps a member out: every locked or slowed pair of her username
    (its known addresses stay known) and her username's delays. True when a pair was locked."""
    pairs = LoginPair.username == member.username
    locked = session.scalar(select(func.count()).select_from(LoginPair)
                            .where(pairs, LoginPair.locked_at.is_not(None))) > 0
    session.execute(delete(LoginPair).where(pairs, LoginPair.signed_in_at.is_(None)))
    session.execute(update(LoginPair).where(pairs)
                    .values(failures=0, last_failure_at=None, locked_at=None))
    session.execute(delete(LoginThrottle).where(LoginThrottle.kind == USER,
                                                LoginThrottle.key == member.username))
    return locked


def prune(session: Session, now: datetime, policy: throttle.Policy) -> int:
    """Forget runs of failures past their window and addresses no longer known (locks stay
    until lifted)."""
    removed = 0
    for kind in (USER, ADDRESS):
        result = session.execute(delete(LoginThrottle).where(
            LoginThrottle.kind == kind,
            LoginThrottle.last_failure_at < now - policy.of(kind).window))
        removed += result.rowcount or 0
    stale = or_(LoginPair.last_failure_at.is_(None),
                LoginPair.last_failure_at < now - policy.pair.window)
    unknown = or_(LoginPair.signed_in_at.is_(None),
                  LoginPair.signed_in_at < now - policy.known_for)
    result = session.execute(delete(LoginPair).where(LoginPair.locked_at.is_(None), stale,
                                                     unknown))
    return removed + (result.rowcount or 0)


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
