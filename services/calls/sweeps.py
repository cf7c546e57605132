"""The deadline sweep (issue 3): warnings, urging (催办) and escalation for clocks that are due.

Run by a nameko timer (services/calls/config.yaml, ``DEADLINES``) with the service's clock; the
decisions are :func:`clocks.decide`. Each order is swept in its own transaction: the thresholds
sent and escalations reached are rows with unique constraints, written with their events' outbox
rows, so a warning is sent once whatever the sweeps, restarts or outages in between; a sweep
after downtime catches up on every threshold passed meanwhile (each once).

Each sweep first looks for a newly published holiday arrangement (the operator's file; a package
upgrade arrives with a restart, i.e. this process's first sweep) and, when the calendar changed,
recomputes the provisional clocks once (:func:`clock_store.replan_provisional`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.events import DeadlineWarning, Role, make_event
from contracts.events import WorkOrderStatus as Status
from services.calls import clock_store, clocks, orders
from services.calls.escalation import LEVELS as ESCALATION_LEVELS
from services.calls.lifecycle import Action, Party
from services.calls.models import (
    DeadlineWarningSent,
    WorkOrder,
    WorkOrderClock,
    WorkOrderEscalation,
    WorkOrderHistory,
)
from svckit import workdays
from svckit.db import WorkerDatabase
from svckit.outbox import emit

# The leader on duty at a level (staffing's escalation_target), or None: nobody is.
Recipients = Callable[[Role], dict | None]

log = logging.getLogger(__name__)

WARNINGS_SENT = Counter(
    "csc_deadline_warnings_total", "Deadline warnings sent, by percent of the limit.", ["percent"]
)
ESCALATIONS = Counter("csc_escalations_total", "Work orders escalated, by level.", ["level"])
for _level in ESCALATION_LEVELS:  # every level shown from the start, at 0
    ESCALATIONS.labels(_level.value)
URGED = Counter("csc_system_urges_total", "System urges (催办) of handling departments.")
SWEEP_FAILURES = Counter(
    "csc_deadline_sweep_failures_total", "Orders whose deadline sweep failed (retried later)."
)
SWEEP_BATCH = 500
_replanned_on: workdays.HolidaySource | None = None  # the calendar this process replanned on


@dataclass
class SweepReport:
    orders: int = 0
    warnings: int = 0
    urges: int = 0
    escalations: int = 0
    failed: int = 0
    replanned: int = 0

    def add(self, decision: clocks.Decision) -> None:
        self.orders += 1
        self.warnings += len(decision.warnings)
        self.urges += decision.urge is not None
        self.escalations += len(decision.escalations)


def sweep(
    db: WorkerDatabase, now: datetime, settings: clocks.SweepSettings,
    recipients: Recipients = lambda level: None,
) -> SweepReport:
    """Sweep every order with a clock due for a look at ``now``, one transaction each."""
    global _replanned_on
    report = SweepReport()
    workdays.refresh()
    calendar = workdays.SOURCE
    if calendar is not _replanned_on:  # set only once the replanning has committed
        with db.transaction() as session:
            report.replanned = clock_store.replan_provisional(session, now)
        _replanned_on = calendar
    with db.transaction() as session:
        clock_store.count_provisional(session)
        due = session.scalars(
            select(WorkOrderClock.work_order_id)
            .where(WorkOrderClock.stopped_at.is_(None), WorkOrderClock.next_check_at <= now)
            .group_by(WorkOrderClock.work_order_id)
            .order_by(func.min(WorkOrderClock.next_check_at))
            .limit(SWEEP_BATCH)
        ).all()
    for order_id in due:
        try:
            with db.transaction() as session:
                report.add(sweep_order(session, order_id, now, settings, recipients))
        except IntegrityError:
            # another sweep got there first and sent what this one would have: nothing kept
            report.failed += 1
            log.info("deadline sweep of %s lost a race; the other sweep sent it", order_id)
        except Exception:  # one bad order (e.g. a corrupt row) must not stop all the others
            report.failed += 1
            SWEEP_FAILURES.inc()
            log.exception("deadline sweep of %s failed; retried next sweep", order_id)
    return report


def sweep_order(
    session: Session, order_id: str, now: datetime, settings: clocks.SweepSettings,
    recipients: Recipients = lambda level: None,
) -> clocks.Decision:
    """Decide and apply warnings, urging and escalation for one order, in ``session``."""
    row = orders.load(session, order_id)
    stored = {
        r.clock: r for r in clock_store.rows_of(session, order_id) if r.stopped_at is None
    }
    sent = clock_store.sent_of(session, order_id)
    running = [clock_store.as_clock(r, sent.get(name, frozenset())) for name, r in
               stored.items()]
    decision = clocks.decide(_facts(session, row), running, now, settings)
    for clock, percent in decision.warnings:
        _warn(session, row, clock, percent, now)
    if decision.urge is not None:
        orders.act(session, order_id, Action.URGE, orders.SYSTEM, now, {"note": decision.urge})
        URGED.inc()
    for escalation in decision.escalations:
        _escalate(session, row, escalation, now, recipients)
    for name, next_check in decision.next_check.items():
        stored[name].next_check_at = next_check
    return decision


def _facts(session: Session, row: WorkOrder) -> clocks.OrderFacts:
    levels = session.scalars(
        select(WorkOrderEscalation.level).where(WorkOrderEscalation.work_order_id == row.id)
    )
    last_by_person = session.scalar(
        select(func.max(WorkOrderHistory.at)).where(
            WorkOrderHistory.work_order_id == row.id,
            WorkOrderHistory.actor_role != Party.SYSTEM.value,
        )
    )
    last = last_by_person or row.created_at
    return clocks.OrderFacts(Status(row.status), frozenset(Role(v) for v in levels), last)


def _warn(session: Session, row: WorkOrder, clock: clocks.Clock, percent: int, now: datetime):
    session.add(
        DeadlineWarningSent(
            work_order_id=row.id, clock=clock.clock, percent=percent,
            due_at=clock.due_at, sent_at=now,
        )
    )
    warning = DeadlineWarning(
        work_order_id=row.id, clock=clock.clock, policy_key=clock.policy_key, percent=percent,
        due_at=clock.due_at, assignee_id=row.assignee_id, department=row.department, at=now,
    )
    emit(session, make_event(orders.PRODUCER, warning, occurred_at=now))
    WARNINGS_SENT.labels(str(percent)).inc()


def _escalate(
    session: Session, row: WorkOrder, escalation: clocks.Escalation, now: datetime,
    recipients: Recipients,
) -> None:
    """The same path as a person's escalation (ESC-3): the leader on duty holds the order."""
    orders.escalate(
        session, row.id, orders.SYSTEM, now, escalation.reason, recipients(escalation.level),
        escalation.level.value, escalation.clock,
    )
    ESCALATIONS.labels(escalation.level.value).inc()
