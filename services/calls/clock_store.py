"""Deadline clocks in storage (issue 3): started, replanned and stopped in the transaction of the
action that causes it, each change published through the outbox. A clock whose due time was
computed over a provisional year (svckit.workdays) is flagged, and recomputed once when the
year's published arrangement arrives (issue 8).

The decisions are :mod:`clocks` (pure); this module turns rows into :class:`clocks.Clock` and
back. Promised callbacks (S1.10) are kept here too: a callback row and its ``callback`` clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contracts.events import ClockStarted, ClockStopped, DeadlineReplanned, make_event
from contracts.events import WorkOrderStatus as Status
from services.calls import clocks
from services.calls.deadlines import WARNING_PERCENTS, Unit, clocks_for, due_at
from services.calls.lifecycle import (
    Action,
    HistoryEntry,
    IllegalTransition,
    InvalidFields,
)
from services.calls.models import (
    Callback,
    DeadlineWarningSent,
    WorkOrder,
    WorkOrderClock,
    WorkOrderEscalation,
)
from svckit import paging, workdays
from svckit.outbox import emit

log = logging.getLogger(__name__)
_Row = TypeVar("_Row", WorkOrderClock, WorkOrderEscalation)

PRODUCER = "calls"
CALLBACK = "callback"
CLOCKS_STOPPED = Counter(
    "csc_deadline_clocks_stopped_total", "Deadline clocks stopped, by outcome.", ["outcome"]
)
CLOCKS_PROVISIONAL = Gauge(
    "csc_deadline_clocks_provisional",
    "Running deadline clocks whose due time rests on a year without its published holiday "
    "arrangement (recomputed when the arrangement is loaded).",
)
CLOCKS_REPLANNED = Counter(
    "csc_deadline_clocks_replanned_total",
    "Provisional deadline clocks recomputed once the year's holiday arrangement arrived.",
)


def as_clock(row: WorkOrderClock, sent: frozenset[int] = frozenset()) -> clocks.Clock:
    return clocks.Clock(
        row.clock, row.policy_key, Unit(row.unit), row.started_at, row.due_at,
        row.stopped_at if row.stopped_at else None, sent, row.starts_on,
    )


def _of_order(session: Session, model: type[_Row], order_id: str) -> list[_Row]:
    """An order's rows of ``model``, oldest first."""
    query = select(model).where(model.work_order_id == order_id).order_by(model.id)
    return list(session.scalars(query))


def rows_of(session: Session, order_id: str) -> list[WorkOrderClock]:
    return _of_order(session, WorkOrderClock, order_id)


def sent_of(session: Session, order_id: str) -> dict[str, frozenset[int]]:
    """The thresholds already sent, by clock name."""
    sent: dict[str, set[int]] = {}
    query = select(DeadlineWarningSent.clock, DeadlineWarningSent.percent).where(
        DeadlineWarningSent.work_order_id == order_id
    )
    for clock, percent in session.execute(query):
        sent.setdefault(clock, set()).add(percent)
    return {clock: frozenset(percents) for clock, percents in sent.items()}


# --- start and stop --------------------------------------------------------------------------


def start_opening(
    session: Session, order_id: str, category: str, opened_at: datetime
) -> None:
    """An order opened from a call: the clocks of its IVR category (S1.22)."""
    for clock in clocks.opening_clocks(category, None, None, opened_at):
        _start(session, order_id, category, None, clock, None)


def after_action(session: Session, row: WorkOrder, entry: HistoryEntry) -> None:
    """Start, replan or stop the order's clocks for the action just recorded."""
    if entry.action is Action.CLASSIFY:
        _replan(session, row, entry)
    elif entry.action is Action.PROMISE_CALLBACK:
        _promise_callback(session, row, entry)
    elif _reopened(row, entry):
        _restart(session, row, entry)
    else:
        _stop(session, row, entry.action.value, entry.at)


def _reopened(row: WorkOrder, entry: HistoryEntry) -> bool:
    """A leader's reopening, or an unsolved revisit that sent the order back (S1.22)."""
    return entry.action is Action.REOPEN or (
        entry.action is Action.REVISIT and row.status == Status.ASSIGNED
    )


def _replan(session: Session, row: WorkOrder, entry: HistoryEntry) -> None:
    existing = {r.clock: r for r in rows_of(session, row.id)}
    plan = clocks.replan(
        [as_clock(r) for r in existing.values()], row.category, row.sub_type, row.area,
        row.created_at,
    )
    for clock in plan.cancel:
        _end(session, row, existing[clock.clock], entry.at, entry.action.value, cancelled=True)
    for clock in plan.start:
        _start(session, row.id, row.category, row.assignee_id, clock, existing.get(clock.clock))


def _restart(session: Session, row: WorkOrder, entry: HistoryEntry) -> None:
    """A reopened order's clocks run afresh (clocks.restart); their sent warnings are forgotten."""
    existing = {r.clock: r for r in rows_of(session, row.id)}
    plan = clocks.restart(
        [as_clock(r) for r in existing.values()], row.category, row.sub_type, row.area, entry.at
    )
    for clock in plan.start:
        session.execute(delete(DeadlineWarningSent).where(
            DeadlineWarningSent.work_order_id == row.id, DeadlineWarningSent.clock == clock.clock
        ))
        _start(session, row.id, row.category, row.assignee_id, clock, existing.get(clock.clock))
    for clock in plan.cancel:
        _end(session, row, existing[clock.clock], entry.at, entry.action.value, cancelled=True)


def stop_on(session: Session, row: WorkOrder, action: str, at: datetime) -> None:
    """Stop the clocks whose policy ``action`` fulfils, for an event that is not a lifecycle
    action (a callback that reached the customer, issue 16)."""
    _stop(session, row, action, at)


def _stop(session: Session, row: WorkOrder, action: str, at: datetime) -> None:
    by_name = {r.clock: r for r in rows_of(session, row.id)}
    fulfilled, cancelled = clocks.stopped_by([as_clock(r) for r in by_name.values()], action)
    for clock in fulfilled:
        _end(session, row, by_name[clock.clock], at, action)
    for clock in cancelled:
        _end(session, row, by_name[clock.clock], at, action, cancelled=True)


def _start(
    session: Session, order_id: str, category: str, assignee_id: int | None,
    clock: clocks.Clock, existing: WorkOrderClock | None, promised: bool = False,
) -> None:
    """Start ``clock``, in place of a stored clock of the same name if there is one.

    ``promised``: the due time is one a person promised, not computed: never provisional.
    """
    stored = existing or WorkOrderClock(work_order_id=order_id, clock=clock.clock)
    stored.provisional = not promised and _rests_on_provisional(clock)
    stored.policy_key, stored.unit, stored.starts_on = clock.policy_key, clock.unit, clock.starts_on
    stored.started_at, stored.due_at = clock.started_at, clock.due_at
    stored.stopped_at = stored.stopped_by = stored.on_time = None
    stored.cancelled = False
    stored.next_check_at = clocks.point(clock, min(WARNING_PERCENTS))
    session.add(stored)
    started = ClockStarted(
        work_order_id=order_id, clock=clock.clock, policy_key=clock.policy_key,
        category=category, assignee_id=assignee_id, started_at=clock.started_at,
        due_at=clock.due_at, provisional=stored.provisional,
    )
    emit(session, make_event(PRODUCER, started, occurred_at=clock.started_at))


def _rests_on_provisional(clock: clocks.Clock) -> bool:
    """Whether the calendar decided this due time over a year known only provisionally."""
    return clock.unit is Unit.WORKING_DAYS and workdays.provisional_between(
        clock.started_at, clock.due_at
    )


def _end(
    session: Session, row: WorkOrder, stored: WorkOrderClock, at: datetime,
    action: str | None, cancelled: bool = False,
) -> None:
    due = stored.due_at
    stored.stopped_at, stored.stopped_by, stored.cancelled = at, action, cancelled
    on_time = at <= due
    stored.on_time = None if cancelled else on_time
    stored.next_check_at = None
    outcome = "cancelled" if cancelled else ("on_time" if stored.on_time else "late")
    CLOCKS_STOPPED.labels(outcome).inc()
    stopped = ClockStopped(
        work_order_id=row.id, clock=stored.clock, policy_key=stored.policy_key,
        category=row.category, assignee_id=row.assignee_id, due_at=due, stopped_at=at,
        on_time=on_time, cancelled=cancelled,
    )
    emit(session, make_event(PRODUCER, stopped, occurred_at=at))


# --- the published arrangement arrives (issue 8) ------------------------------------------------


def replan_provisional(session: Session, now: datetime) -> int:
    """Recompute, once, every running provisional clock whose years are all published now.

    Each keeps its start and the warnings already sent; its due time (and a promised callback's
    reply time) follows the exact calendar, the sweep looks at it again at once, and
    ``work_order.deadline_replanned`` tells subscribers the old and new due times. The flag is
    cleared in the same transaction, so nothing is replanned or announced twice.
    """
    replanned = 0
    for stored in session.scalars(_running_provisional().with_for_update()):
        if workdays.provisional_between(stored.started_at, stored.due_at):
            continue  # its year is still unpublished
        policy = clocks.policy_by_key(stored.policy_key)
        if policy is None:
            log.warning("clock %s of %s: policy %s is gone; due time kept",
                        stored.clock, stored.work_order_id, stored.policy_key)
            stored.provisional = False
            continue
        _replan_clock(session, stored, due_at(policy, stored.started_at), now)
        replanned += 1
    CLOCKS_REPLANNED.inc(replanned)
    return replanned


def _replan_clock(session: Session, stored: WorkOrderClock, new_due: datetime, now: datetime):
    old_due, stored.due_at = stored.due_at, new_due
    stored.provisional = _rests_on_provisional(as_clock(stored))
    stored.next_check_at = now  # the sweep re-plans its warnings against the new due time
    if stored.clock == CALLBACK and (promise := session.get(Callback, stored.work_order_id)):
        promise.reply_by = new_due
    order = session.get(WorkOrder, stored.work_order_id)
    replanned = DeadlineReplanned(
        work_order_id=stored.work_order_id, clock=stored.clock, policy_key=stored.policy_key,
        assignee_id=order.assignee_id, started_at=stored.started_at, old_due_at=old_due,
        new_due_at=new_due, provisional=stored.provisional, replanned_at=now,
    )
    emit(session, make_event(PRODUCER, replanned, occurred_at=now))


def count_provisional(session: Session) -> int:
    """Running clocks on the provisional calendar, for the operators' gauge."""
    count = session.scalar(select(func.count()).select_from(_running_provisional().subquery()))
    CLOCKS_PROVISIONAL.set(count)
    return count


def _running_provisional():
    return select(WorkOrderClock).where(
        WorkOrderClock.provisional.is_(True), WorkOrderClock.stopped_at.is_(None)
    )


# --- callbacks (S1.10) -------------------------------------------------------------------------


def _promise_callback(session: Session, row: WorkOrder, entry: HistoryEntry) -> None:
    """Keep the promise and start the ``callback`` clock, due when promised or by the policy."""
    policy = next((p for p in clocks_for(row.category, row.sub_type, row.area)
                   if p.clock == CALLBACK), None)
    if policy is None:
        raise IllegalTransition(
            f"work order {row.id} is a {row.category}: a callback is promised on an inquiry "
            "(S1.10); classify it as an inquiry first"
        )
    if session.get(Callback, row.id) is not None:
        raise IllegalTransition(
            f"a callback is already promised on work order {row.id}; reply by its time"
        )
    data: Mapping[str, Any] = entry.data
    reply_by = datetime.fromisoformat(data["reply_by"]) if "reply_by" in data else None
    if reply_by is not None and reply_by <= entry.at:
        raise InvalidFields(f"reply_by {data['reply_by']} is not in the future")
    clock = clocks.clock_of(policy, entry.at, reply_by)
    session.add(
        Callback(
            work_order_id=row.id, matter=data["matter"],
            caller_name=data.get("caller_name", row.caller_name),
            work_unit=data.get("work_unit", row.work_unit),
            contact=data.get("contact", row.contact),
            promised_by=entry.actor.id, promised_at=entry.at, reply_by=clock.due_at,
        )
    )
    existing = next((r for r in rows_of(session, row.id) if r.clock == CALLBACK), None)
    _start(session, row.id, row.category, row.assignee_id, clock, existing,
           promised=reply_by is not None)


# --- what people see ---------------------------------------------------------------------------

def escalations_of(session: Session, order_id: str) -> list[WorkOrderEscalation]:
    return _of_order(session, WorkOrderEscalation, order_id)


def overdue(
    session: Session, now: datetime, assignee_id: int | None = None,
    cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT,
) -> tuple[list[tuple[WorkOrder, WorkOrderClock]], str | None]:
    """Running clocks past their due time with their orders, most overdue first; a page after
    ``cursor`` and the next page's cursor (svckit.paging)."""
    query = (
        select(WorkOrder, WorkOrderClock)
        .join(WorkOrderClock, WorkOrderClock.work_order_id == WorkOrder.id)
        .where(WorkOrderClock.stopped_at.is_(None), WorkOrderClock.due_at < now)
    )
    if assignee_id is not None:
        query = query.where(WorkOrder.assignee_id == assignee_id)
    query = paging.keyset(query, (WorkOrderClock.due_at, WorkOrderClock.id), cursor, limit)
    pairs = [tuple(pair) for pair in session.execute(query)]
    return paging.page(pairs, limit, lambda pair: (pair[1].due_at, pair[1].id))


CALLBACK_STATES = ("due", "overdue")


def callbacks(
    session: Session, now: datetime, state: str, assignee_id: int | None = None,
    cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT,
) -> tuple[list[tuple[Callback, WorkOrder]], str | None]:
    """Promised callbacks not answered yet: ``due`` (time not passed) or ``overdue``; a page
    after ``cursor`` and the next page's cursor (svckit.paging)."""
    if state not in CALLBACK_STATES:
        raise InvalidFields(f"state must be due or overdue, not {state!r}")
    passed = Callback.reply_by < now
    query = (
        select(Callback, WorkOrder)
        .join(WorkOrder, WorkOrder.id == Callback.work_order_id)
        .join(
            WorkOrderClock,
            (WorkOrderClock.work_order_id == Callback.work_order_id)
            & (WorkOrderClock.clock == CALLBACK),
        )
        .where(WorkOrderClock.stopped_at.is_(None), passed if state == "overdue" else ~passed)
    )
    if assignee_id is not None:
        query = query.where(WorkOrder.assignee_id == assignee_id)
    query = paging.keyset(query, (Callback.reply_by, Callback.work_order_id), cursor, limit)
    pairs = [tuple(pair) for pair in session.execute(query)]
    return paging.page(pairs, limit, lambda pair: (pair[0].reply_by, pair[0].work_order_id))
