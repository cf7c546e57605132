"""Click-to-call callbacks (S1.10, issue 16): from a work order, the hotline member asks the
platform to call the customer back. Staffing (which holds the AMI connection) has Asterisk ring
her phone, then the customer; the outcome comes back as ``callback.attempted`` and is kept here.
The order's promised ``callback`` clock stops only when the customer was reached.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import CallbackAttempted, CallbackOutcome
from services.calls import clock_store
from services.calls.models import CallbackCall, WorkOrder
from svckit import paging

# stops the callback clock (deadline_policies.yaml; clocks.EXTERNAL_STOPS)
REACHED_ACTION = "callback_reached"


def number_of(session: Session, order: WorkOrder) -> str:
    """Whom to call back: the contact the promise recorded, else the order's, else the line."""
    promise = session.get(clock_store.Callback, order.id)
    return ((promise.contact if promise else "") or order.contact or order.caller_number or "")


def open_attempt(session: Session, order: WorkOrder, by: int, number: str,
                 now: datetime) -> CallbackCall:
    attempt = CallbackCall(id=str(uuid.uuid4()), work_order_id=order.id, requested_by=by,
                           number=number[:24], requested_at=now)
    session.add(attempt)
    session.flush()
    return attempt


def record(session: Session, told: CallbackAttempted) -> bool:
    """The outcome, once (a repeat changes nothing); reached stops the callback clock."""
    attempt = session.get(CallbackCall, told.attempt_id, with_for_update=True)
    if attempt is None or attempt.outcome is not None:
        return False
    attempt.outcome, attempt.ended_at = told.outcome.value, told.at
    if told.outcome is CallbackOutcome.REACHED:
        order = session.get(WorkOrder, attempt.work_order_id)
        clock_store.stop_on(session, order, REACHED_ACTION, told.at)
    return True


def view(attempt: CallbackCall) -> dict:
    return {"id": attempt.id, "work_order_id": attempt.work_order_id,
            "requested_by": attempt.requested_by, "number": attempt.number,
            "requested_at": attempt.requested_at.isoformat(), "outcome": attempt.outcome,
            "ended_at": attempt.ended_at.isoformat() if attempt.ended_at else None}


def attempts(session: Session, order_id: str, cursor: str | None, limit: int) -> dict:
    """The order's callback calls, newest first, a page."""
    query = paging.keyset(select(CallbackCall).where(CallbackCall.work_order_id == order_id),
                          [CallbackCall.requested_at, CallbackCall.id], cursor, limit,
                          descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit,
                              lambda a: (a.requested_at, a.id))
    return {"items": [view(a) for a in rows], "next_cursor": after}
