"""The work-order figures an operator asks for first (issue 17), as Prometheus gauges: orders by
state, overdue and escalated orders, running deadline clocks by the warning level they reached,
provisional clocks (clock_store's gauge). Counted from the calls database when metrics are
scraped, at most once per ``REFRESH_SECONDS`` (a few aggregate queries, whatever the scrape
rate)."""

from __future__ import annotations

from datetime import datetime
from time import monotonic

from prometheus_client import Gauge
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from contracts.events import WorkOrderStatus
from services.calls import clock_store
from services.calls.models import DeadlineWarningSent, WorkOrder, WorkOrderClock

REFRESH_SECONDS = 10.0
NO_WARNING = "none"

WORK_ORDERS = Gauge("csc_work_orders", "Work orders, by state.", ["status"])
WORK_ORDERS_OVERDUE = Gauge(
    "csc_work_orders_overdue", "Work orders with a running deadline clock past its due time."
)
WORK_ORDERS_ESCALATED = Gauge(
    "csc_work_orders_escalated", "Work orders not closed that were escalated to a leader."
)
CLOCKS_OPEN = Gauge(
    "csc_deadline_clocks_open",
    "Running deadline clocks, by the highest warning sent (percent of the limit; none).",
    ["warning"],
)

_next_refresh = 0.0


def refresh(session: Session, now: datetime, warning_levels: list[int] = ()) -> None:
    """Set the gauges from the database, unless they were set less than a while ago."""
    global _next_refresh
    if monotonic() < _next_refresh:
        return
    _next_refresh = monotonic() + REFRESH_SECONDS
    count(session, now, warning_levels)


def count(session: Session, now: datetime, warning_levels: list[int] = ()) -> None:
    by_status = dict(
        session.execute(select(WorkOrder.status, func.count()).group_by(WorkOrder.status)).all()
    )
    for status in WorkOrderStatus:
        WORK_ORDERS.labels(status.value).set(by_status.get(status.value, 0))
    running = WorkOrderClock.stopped_at.is_(None)
    WORK_ORDERS_OVERDUE.set(session.execute(
        select(func.count(func.distinct(WorkOrderClock.work_order_id)))
        .where(running, WorkOrderClock.due_at < now)
    ).scalar_one())
    WORK_ORDERS_ESCALATED.set(session.execute(
        select(func.count()).select_from(WorkOrder).where(
            WorkOrder.escalation_level.is_not(None),
            WorkOrder.status != WorkOrderStatus.CLOSED.value,
        )
    ).scalar_one())
    clock_store.count_provisional(session)  # csc_deadline_clocks_provisional
    highest = (
        select(func.max(DeadlineWarningSent.percent))
        .where(and_(DeadlineWarningSent.work_order_id == WorkOrderClock.work_order_id,
                    DeadlineWarningSent.clock == WorkOrderClock.clock))
        .scalar_subquery()
    )
    by_level = dict(session.execute(
        select(highest, func.count()).select_from(WorkOrderClock).where(running).group_by(highest)
    ).all())
    CLOCKS_OPEN.labels(NO_WARNING).set(by_level.get(None, 0))
    for level in sorted({*warning_levels, *(k for k in by_level if k is not None)}):
        CLOCKS_OPEN.labels(str(level)).set(by_level.get(level, 0))
