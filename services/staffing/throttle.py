"""Login throttling (issue 10): growing delays after failed logins, and a lockout that a
stranger cannot turn against a member.

A pure rule: no storage. Three keys count failures, each on its own :class:`Schedule` (after
``free`` failures in a row, each further one makes the key wait ``base * 2**(n-1)``, n counting
the failures beyond ``free``, capped at ``max_delay``; a run is forgotten ``window`` after its
last failure, a lock is not):

- the *pair* (username, client address): delays, then locked after ``lockout_after`` failures
  until HR or the hall director lifts it (the staff records are theirs, S1.17, S1.21);
- the *username* from any address: bounded delays, never a lock, and none at all for an
  address the member signed in from within ``known_for`` (a *known* address);
- the *address* across usernames: bounded delays, never a lock.

Why (OWASP authentication and credential-stuffing guidance, NIST SP 800-63B 5.2.2): a lock on
the bare username lets anyone who knows it keep the member out. Locking the pair stops the
guesser's address only; the username's delays still bound guessing spread over many addresses
(one guess per ``max_delay`` once warm), while the member's usual workstations, known from her
past sign-ins, are never slowed by them. A known and an unknown username follow the same
schedules, so the answers never tell them apart (an unknown one has no known address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PAIR, USER, ADDRESS = "pair", "user", "address"


@dataclass(frozen=True)
class Schedule:
    free: int  # failures allowed in a row before any delay
    base: timedelta  # the first delay
    max_delay: timedelta
    window: timedelta  # failures older than this (from the last one) are forgotten
    lockout_after: int | None = None  # failures in a row that lock the key; None: never

    @classmethod
    def from_mapping(cls, data: dict[str, Any], default: Schedule | None = None) -> Schedule:
        """From the service config (seconds and counts) over ``default``; raises ValueError
        on bad values."""
        default = default or PAIR_SCHEDULE
        lockout = data.get("lockout_after", default.lockout_after)
        schedule = cls(
            free=int(data.get("free", default.free)),
            base=timedelta(seconds=float(data.get("base_seconds", default.base.total_seconds()))),
            max_delay=timedelta(seconds=float(data.get("max_delay_seconds",
                                                       default.max_delay.total_seconds()))),
            window=timedelta(seconds=float(data.get("window_seconds",
                                                    default.window.total_seconds()))),
            lockout_after=int(lockout) if lockout not in (None, "", 0, "0") else None,
        )
        if schedule.free < 0 or schedule.base <= timedelta(0) or schedule.window <= timedelta(0):
            raise ValueError(f"bad login throttle schedule: {data}")
        if schedule.max_delay < schedule.base:
            raise ValueError("max_delay_seconds must be at least base_seconds")
        if schedule.lockout_after is not None and schedule.lockout_after < 1:
            raise ValueError("lockout_after must be at least 1")
        return schedule


PAIR_SCHEDULE = Schedule(3, timedelta(seconds=1), timedelta(minutes=5), timedelta(minutes=15), 10)
USER_SCHEDULE = Schedule(5, timedelta(seconds=1), timedelta(minutes=1), timedelta(minutes=15))
ADDRESS_SCHEDULE = Schedule(20, timedelta(seconds=1), timedelta(minutes=1),
                            timedelta(minutes=15))
KNOWN_FOR = timedelta(days=90)


@dataclass(frozen=True)
class Policy:
    """The three schedules and how long a sign-in keeps its address known."""

    pair: Schedule = PAIR_SCHEDULE
    user: Schedule = USER_SCHEDULE
    address: Schedule = ADDRESS_SCHEDULE
    known_for: timedelta = KNOWN_FOR

    @classmethod
    def from_config(cls, login: dict[str, Any]) -> Policy:
        """From staffing's ``LOGIN`` config (``per_pair``, ``per_username``, ``per_address``,
        ``known_address_days``); raises ValueError on bad values, and when a lockout is asked
        of a username or an address alone (a stranger could then lock a member out)."""
        for name in ("per_username", "per_address"):
            if (login.get(name) or {}).get("lockout_after") not in (None, "", 0, "0"):
                raise ValueError(f"LOGIN.{name}.lockout_after: only a (username, address) "
                                 "pair is locked (LOGIN.per_pair.lockout_after)")
        days = float(login.get("known_address_days", KNOWN_FOR.days))
        if days < 0:
            raise ValueError("LOGIN.known_address_days must not be negative")
        return cls(Schedule.from_mapping(login.get("per_pair") or {}, PAIR_SCHEDULE),
                   Schedule.from_mapping(login.get("per_username") or {}, USER_SCHEDULE),
                   Schedule.from_mapping(login.get("per_address") or {}, ADDRESS_SCHEDULE),
                   timedelta(days=days))

    def of(self, kind: str) -> Schedule:
        return {PAIR: self.pair, USER: self.user, ADDRESS: self.address}[kind]


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


@dataclass(frozen=True)
class Standing:
    """Everything remembered about one attempt's keys."""

    pair: State = State()
    user: State = State()
    address: State = State()
    signed_in_at: datetime | None = None  # the pair's last successful sign-in

    def of(self, kind: str) -> State:
        return {PAIR: self.pair, USER: self.user, ADDRESS: self.address}[kind]


@dataclass(frozen=True)
class Decision:
    locked: bool = False
    waits: dict[str, timedelta] = field(default_factory=dict)  # by kind, only keys that wait

    @property
    def allowed(self) -> bool:
        return not self.locked and not self.waits


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


def known(standing: Standing, now: datetime, policy: Policy) -> bool:
    """Did the member sign in from this address within ``known_for``?"""
    return (standing.signed_in_at is not None
            and now - standing.signed_in_at < policy.known_for)


def decide(standing: Standing, now: datetime, policy: Policy) -> Decision:
    """May this username try a password from this address now? Only the pair locks; the
    username's delays do not apply to a known address."""
    kinds = (PAIR, ADDRESS) if known(standing, now, policy) else (PAIR, USER, ADDRESS)
    locked, waits = False, {}
    for kind in kinds:
        verdict = check(standing.of(kind), now, policy.of(kind))
        locked = locked or verdict.locked
        if not verdict.allowed and not verdict.locked:
            waits[kind] = verdict.retry_after
    return Decision(locked, waits)
