"""The calls side of the leaders' board (issue 11): what the hotline is carrying right now.

Read by a duty leader and up (S3.2: they arrange the agents' work and take what an agent
cannot; the deputy team lead answers for every request's whole process). Counts only: the board
shows figures, the lists behind them page elsewhere (overdue, queues, outages).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from services.calls.models import Call, WorkOrder, WorkOrderClock
from services.calls.orders import OPEN
from services.calls.outage_store import open_storms
from services.calls.outages import StormRule
from services.calls.views import _iso

RECENT = timedelta(minutes=15)
NO_CATEGORY = "none"  # a call that ended before the menu chose a category


def figures(session: Session, now: datetime, storms: StormRule) -> dict[str, Any]:
    """Calls of the last 15 minutes by IVR category, orders by state, open orders overdue
    (a running clock past due) and escalated (held by a leader beside the owner), open storms."""
    recent = dict(session.execute(
        select(Call.category, func.count()).where(Call.started_at > now - RECENT)
        .group_by(Call.category)
    ).all())
    by_category = {(category or NO_CATEGORY): n for category, n in recent.items()}
    by_state = dict(session.execute(
        select(WorkOrder.status, func.count()).group_by(WorkOrder.status)
    ).all())
    overdue = session.scalar(
        select(func.count(distinct(WorkOrderClock.work_order_id)))
        .where(WorkOrderClock.stopped_at.is_(None), WorkOrderClock.due_at < now)
    )
    escalated = session.scalar(
        select(func.count()).select_from(WorkOrder)
        .where(WorkOrder.escalation_level.is_not(None), WorkOrder.status.in_(OPEN))
    )
    return {
        "calls_last_15_min": {"by_category": by_category, "total": sum(by_category.values())},
        "orders_by_state": by_state,
        "overdue": overdue or 0,
        "escalated": escalated or 0,
        "open_storms": open_storms(session, now, storms),
        "at": _iso(now),
    }
