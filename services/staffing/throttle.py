"""Login throttling (issue 10): growing delays after failed logins, and a lockout.

A pure rule: no storage. A *key* is either a username or a client address; each has its own
:class:`Schedule`. After ``free`` failures in a row, each further failure makes the key wait
``base * 2**(n-1)`` (n counts the failures beyond ``free``), capped at ``max_delay``. A
username with ``lockout_after`` failures is locked until HR or the hall director lifts it (the
staff records are theirs, S1.17, S1.21). A run of failures is forgotten ``window`` after the
last one (a lockout is not). A known and an unknown username follow the same schedule, so the
answers never tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Schedule:
    free: int  # failures allowed in a row before any delay
    base: timedelta  # the first delay
    max_delay: timedelta
    window: timedelta  # failures older than this (from the last one) are forgotten
    lockout_after: int | None = None  # failures in a row that lock the key; None: never

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Schedule:
        """From the service config (seconds and counts); raises ValueError on bad values."""
        lockout = data.get("lockout_after")
        schedule = cls(
            free=int(data.get("free", 3)),
            base=timedelta(seconds=float(data.get("base_seconds", 1))),
            max_delay=timedelta(seconds=float(data.get("max_delay_seconds", 300))),
            window=timedelta(seconds=float(data.get("window_seconds", 900))),
            lockout_after=int(lockout) if lockout not in (None, "", 0, "0") else None,
        )
        if schedule.free < 0 or schedule.base <= timedelta(0) or schedule.window <= timedelta(0):
            raise ValueError(f"bad login throttle schedule: {data}")
        if schedule.max_delay < schedule.base:
            raise ValueError("max_delay_seconds must be at least base_seconds")
        if schedule.lockout_after is not None and schedule.lockout_after < 1:
            raise ValueError("lockout_after must be at least 1")
        return schedule


USER_SCHEDULE = Schedule(3, timedelta(seconds=1), timedelta(minutes=5), timedelta(minutes=15), 10)
ADDRESS_SCHEDULE = Schedule(20, timedelta(seconds=1), timedelta(minutes=1),
                            timedelta(minutes=15), None)


@dataclass(frozen=True)
class State:
    """What is remembered of a key's recent failures."""

    failures: int = 0
    last_failure_at: datetime | None = None
    locked_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    locked: bool = False
    retry_after: timedelta = timedelta(0)


def delay(failures: int, schedule: Schedule) -> timedelta:
    """How long a key waits after its ``failures``-th failure in a row."""
    beyond = failures - schedule.free
    if beyond <= 0:
        return timedelta(0)
    seconds = schedule.base.total_seconds() * 2 ** min(beyond - 1, 40)
    return min(timedelta(seconds=seconds), schedule.max_delay)


def current(state: State, now: datetime, schedule: Schedule) -> State:
    """The state with a run of failures older than the window forgotten (a lock stays)."""
    if state.locked_at is not None or state.last_failure_at is None:
        return state
    if now - state.last_failure_at >= schedule.window:
        return State()
    return state


def check(state: State, now: datetime, schedule: Schedule) -> Verdict:
    """May the key try a password now? Decided before any hashing."""
    state = current(state, now, schedule)
    if state.locked_at is not None:
        return Verdict(False, locked=True)
    if state.last_failure_at is None:
        return Verdict(True)
    wait = state.last_failure_at + delay(state.failures, schedule) - now
    return Verdict(True) if wait <= timedelta(0) else Verdict(False, retry_after=wait)


def after_failure(state: State, now: datetime, schedule: Schedule) -> State:
    """The state once one more failure is counted."""
    state = current(state, now, schedule)
    failures = state.failures + 1
    locked = state.locked_at
    if locked is None and schedule.lockout_after is not None and failures >= schedule.lockout_after:
        locked = now
    return State(failures, now, locked)
