"""Deadline clocks of a work order (issue 3, S1.22): start, stop, warn, urge and escalate.

Pure decisions over plain data; :mod:`clock_store` keeps them, :mod:`sweeps` runs them. The
policies (limits, which action starts and stops each clock) are data in deadline_policies.yaml.

The rules, as chosen here:

- Start: an order opened from a call gets the clocks of its IVR category (``starts_on: open``),
  each counted from the order's opening. A classification plans the clocks of the refined
  category, sub-type and area, also from the opening (re-classifying never buys time): a running
  clock of the same name takes the new policy in place (a new ``clock_started``); a running clock
  the new kind does not have is cancelled; a stopped clock stays stopped (its commitment was
  met); a new clock name starts. Clocks started by an action (the callback) are left alone.
- Reopen (a leader's reopening, or an unsolved revisit sending the order back): every clock of
  the order's kind starts afresh from then, a fresh span with its warnings to send again.
- Stop: a clock stops on the actions its policy lists (``stops_on``); ``on_time`` is
  ``stopped_at <= due_at``. Merging or closing an order cancels its running clocks
  (``cancelled``: neither on time nor late; the parent's clocks carry a merged matter).
- Warnings at 50, 75, 90 and 100 % of the limit, measured in the limit's own time
  (:mod:`deadlines`); a sweep sends every threshold passed and not yet sent, ascending, so a
  sweep after an outage catches up, each threshold once.
- Urging (催办, S3.2a): a sweep that sends a warning at one of ``urge_at`` (75, 90, 100) on an
  order at a department (dispatched or in progress) urges it once, as a system ``urge``.
- Escalation (S3.2, S1.6), each level at most once per order and never below one reached:
  overdue (100 %) → duty leader; overdue by ``further_overdue_percent`` of the limit (default
  50 %, i.e. 150 %) → deputy team lead; no action by a person for ``idle`` while a clock runs →
  deputy team lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from contracts.events import LEADER_ROLES, Role
from contracts.events import WorkOrderStatus as Status
from services.calls.deadlines import (
    OPEN,
    WARNING_PERCENTS,
    Policy,
    Unit,
    clocks_for,
    default_policies,
    due_at,
)
from svckit import workdays

CANCELLED_BY = frozenset({"merge", "close"})
# Stops that are not lifecycle actions: what Asterisk reports (issue 16): a click-to-call
# callback that reached the customer (services/calls/click_to_call.py).
EXTERNAL_STOPS = frozenset({"callback_reached"})
AT_DEPARTMENT = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})
LEVELS: tuple[Role, ...] = LEADER_ROLES


@dataclass(frozen=True)
class SweepSettings:
    """The sweep's configurable choices (services/calls/config.yaml, ``DEADLINES``)."""

    urge_at: frozenset[int] = frozenset({75, 90, 100})
    further_overdue_percent: int = 50
    idle: timedelta = timedelta(hours=24)
    percents: tuple[int, ...] = WARNING_PERCENTS

    @classmethod
    def from_config(cls, raw: dict | None) -> SweepSettings:
        raw = raw or {}
        return cls(
            urge_at=frozenset(int(p) for p in raw.get("urge_at_percents", (75, 90, 100))),
            further_overdue_percent=int(raw.get("further_overdue_percent", 50)),
            idle=timedelta(hours=float(raw.get("idle_escalation_hours", 24))),
        )


@dataclass(frozen=True)
class Clock:
    """One clock of an order as stored: its policy, times and the thresholds already sent."""

    clock: str
    policy_key: str
    unit: Unit
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None = None
    sent: frozenset[int] = frozenset()
    starts_on: str = OPEN

    @property
    def running(self) -> bool:
        return self.stopped_at is None


def clock_of(policy: Policy, started_at: datetime, due: datetime | None = None) -> Clock:
    """A new clock of ``policy`` from ``started_at``; ``due`` overrides the policy's due time."""
    return Clock(
        policy.clock, policy.key, policy.unit, started_at,
        due or due_at(policy, started_at), starts_on=policy.starts_on,
    )


def policy_by_key(key: str, policies: Sequence[Policy] | None = None) -> Policy | None:
    return next((p for p in policies or default_policies() if p.key == key), None)


# --- start and stop --------------------------------------------------------------------------


def opening_clocks(
    category: str, sub_type: str | None, area: str | None, opened_at: datetime,
    policies: Sequence[Policy] | None = None,
) -> list[Clock]:
    """The clocks an order of this kind starts with (``starts_on: open``)."""
    return [
        clock_of(policy, opened_at)
        for policy in clocks_for(category, sub_type, area, policies)
        if policy.starts_on == OPEN
    ]


@dataclass(frozen=True)
class Replan:
    """What a classification does to an order's clocks."""

    start: tuple[Clock, ...] = ()  # new clock names, and running clocks under a new policy
    cancel: tuple[Clock, ...] = ()  # running clocks the new kind does not have


def replan(
    existing: Iterable[Clock], category: str, sub_type: str | None, area: str | None,
    opened_at: datetime, policies: Sequence[Policy] | None = None,
) -> Replan:
    """The classification rule (see the module docstring)."""
    have = {clock.clock: clock for clock in existing if clock.starts_on == OPEN}
    planned = {c.clock: c for c in opening_clocks(category, sub_type, area, opened_at, policies)}
    start = [
        clock for name, clock in planned.items()
        if name not in have or (have[name].running and have[name].policy_key != clock.policy_key)
    ]
    cancel = [clock for name, clock in have.items() if clock.running and name not in planned]
    return Replan(tuple(start), tuple(cancel))


def restart(
    existing: Iterable[Clock], category: str, sub_type: str | None, area: str | None,
    reopened_at: datetime, policies: Sequence[Policy] | None = None,
) -> Replan:
    """The reopening rule (issue 8): the matter is open again and owed its whole limit, so
    every clock of its kind starts afresh from the reopening (warnings may be sent again);
    a running clock the kind does not have is cancelled; a callback clock is left alone."""
    planned = opening_clocks(category, sub_type, area, reopened_at, policies)
    names = {clock.clock for clock in planned}
    cancel = [c for c in existing if c.starts_on == OPEN and c.running and c.clock not in names]
    return Replan(tuple(planned), tuple(cancel))


def stopped_by(
    clocks: Iterable[Clock], action: str, policies: Sequence[Policy] | None = None
) -> tuple[list[Clock], list[Clock]]:
    """(clocks ``action`` fulfils, clocks it cancels), among the running ones."""
    running = [clock for clock in clocks if clock.running]
    if action in CANCELLED_BY:
        return [], running
    fulfilled = []
    for clock in running:
        policy = policy_by_key(clock.policy_key, policies)
        if policy is not None and action in policy.stops_on:
            fulfilled.append(clock)
    return fulfilled, []


def assignment_stops_a_clock(category: str, policies: Sequence[Policy] | None = None) -> bool:
    """Whether assigning a new order of ``category`` stops one of the clocks it opened with
    (the routing of a call is then recorded through the clocks, not beside them)."""
    if "assign" in CANCELLED_BY:
        return True
    return any("assign" in policy.stops_on
               for policy in clocks_for(category, None, None, policies)
               if policy.starts_on == OPEN)


# --- warning points ---------------------------------------------------------------------------


def point(clock: Clock, percent: int, zone: tzinfo = workdays.DEFAULT_ZONE) -> datetime:
    """When ``percent`` % of the clock's span (start to due) has elapsed, in the limit's time.

    For a policy's own due time this is :func:`deadlines.warning_points`; for an explicit due
    time (a promised callback) the span is measured the same way. 100 % is ``due_at`` exactly;
    beyond it, the share of the span is counted on from ``due_at``.
    """
    if clock.unit is Unit.WORKING_DAYS:
        span = workdays.working_time_between(clock.started_at, clock.due_at, zone)
        advance = workdays.advance_working_time
    else:
        span = clock.due_at - clock.started_at
        advance = _wall_advance
    if percent == 100:
        return clock.due_at
    if percent > 100:
        return advance(clock.due_at, span * (percent - 100) / 100, zone)
    return min(advance(clock.started_at, span * percent / 100, zone), clock.due_at)


def _wall_advance(start: datetime, amount: timedelta, zone: tzinfo) -> datetime:
    return (start + amount).astimezone(zone)


# --- the sweep's decision ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFacts:
    """What the sweep knows of an order besides its clocks."""

    status: Status
    escalated: frozenset[Role] = frozenset()
    last_action_at: datetime | None = None  # the last action by a person, or the opening


@dataclass(frozen=True)
class Escalation:
    level: Role
    reason: str
    clock: str | None = None


@dataclass(frozen=True)
class Decision:
    """What one sweep does to one order: warnings, at most one urge, escalations."""

    warnings: tuple[tuple[Clock, int], ...] = ()
    urge: str | None = None  # the urge's note
    escalations: tuple[Escalation, ...] = ()
    next_check: dict[str, datetime | None] = field(default_factory=dict)


def decide(
    order: OrderFacts, clocks: Sequence[Clock], now: datetime,
    settings: SweepSettings = SweepSettings(), zone: tzinfo = workdays.DEFAULT_ZONE,
) -> Decision:
    """Warnings, urging and escalation due at ``now`` for an order's running clocks."""
    workdays.require_aware(now)
    running = [clock for clock in clocks if clock.running]
    warnings = [(c, p) for c in running for p in _crossed(c, now, settings, zone)]
    escalations = _escalations(order, running, now, settings, zone)
    return Decision(
        tuple(warnings),
        _urge(order, warnings, settings, zone),
        tuple(escalations),
        {c.clock: _next_check(order, c, now, settings, zone, escalations) for c in running},
    )


def _crossed(clock: Clock, now: datetime, settings: SweepSettings, zone: tzinfo) -> list[int]:
    return [
        p for p in sorted(settings.percents)
        if p not in clock.sent and point(clock, p, zone) <= now
    ]


def _urge(
    order: OrderFacts, warnings: list[tuple[Clock, int]], settings: SweepSettings, zone: tzinfo
) -> str | None:
    urging = [(p, c) for c, p in warnings if p in settings.urge_at]
    if order.status not in AT_DEPARTMENT or not urging:
        return None
    percent, clock = max(urging, key=lambda item: item[0])
    due = clock.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    state = "overdue" if percent >= 100 else f"{percent}% of its time limit used"
    return f"催办 (system): the {clock.clock} clock is {state}; due {due}"


def _escalations(
    order: OrderFacts, running: Sequence[Clock], now: datetime, settings: SweepSettings,
    zone: tzinfo,
) -> list[Escalation]:
    wanted: dict[Role, Escalation] = {}
    further = 100 + settings.further_overdue_percent
    for clock in running:
        if point(clock, 100, zone) <= now:
            wanted.setdefault(Role.DUTY_LEADER, Escalation(
                Role.DUTY_LEADER, f"the {clock.clock} clock is overdue", clock.clock))
        if point(clock, further, zone) <= now:
            wanted.setdefault(Role.DEPUTY_TEAM_LEAD, Escalation(
                Role.DEPUTY_TEAM_LEAD,
                f"the {clock.clock} clock is overdue by {settings.further_overdue_percent}% "
                "of its limit", clock.clock))
    if running and _idle_until(order, settings) is not None and _idle_until(order, settings) <= now:
        hours = settings.idle.total_seconds() / 3600
        wanted.setdefault(Role.DEPUTY_TEAM_LEAD, Escalation(
            Role.DEPUTY_TEAM_LEAD, f"no action on the order for {hours:g} h"))
    reached = max((LEVELS.index(level) for level in order.escalated), default=-1)
    return [wanted[level] for level in LEVELS[reached + 1:] if level in wanted]


def _idle_until(order: OrderFacts, settings: SweepSettings) -> datetime | None:
    return order.last_action_at + settings.idle if order.last_action_at else None


def _next_check(
    order: OrderFacts, clock: Clock, now: datetime, settings: SweepSettings, zone: tzinfo,
    escalating: list[Escalation],
) -> datetime | None:
    """The earliest future instant at which this clock may need the sweep again."""
    top = {*order.escalated, *(e.level for e in escalating)}
    candidates = [point(clock, p, zone) for p in settings.percents if p not in clock.sent]
    if Role.DEPUTY_TEAM_LEAD not in top:
        candidates.append(point(clock, 100 + settings.further_overdue_percent, zone))
        idle = _idle_until(order, settings)
        if idle is not None:
            candidates.append(idle)
    future = [instant for instant in candidates if instant > now]
    return min(future, default=None)
