"""Each work order's call with an agent (issue 16): staffing hears Asterisk (AMI) and
publishes ``call.answered``, ``call.abandoned``, ``call.completed`` and
``call.ring_no_answer``; here they land on the work order the call opened, found by its
``work_order_id`` (the channel variable the IVR set) or by the call's uniqueid (the FastAGI
session's ``agi_uniqueid``). Applying one twice writes the same values: idempotent. An end
staffing inferred (its AMI line was down at the hang-up) is marked so: its times are bounds.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.events import CallAbandoned, CallAnswered, CallCompleted, CallRingNoAnswer
from services.calls.models import WorkOrder

Outcome = CallAnswered | CallAbandoned | CallCompleted | CallRingNoAnswer


def order_of(session: Session, fact: Outcome) -> WorkOrder | None:
    keys = {fact.call_uniqueid, fact.linkedid} - {""}
    found = session.get(WorkOrder, fact.work_order_id, with_for_update=True) \
        if fact.work_order_id else None
    return found or session.scalar(select(WorkOrder).where(
        or_(*(WorkOrder.call_uniqueid == key for key in keys))).with_for_update().limit(1))


def record(session: Session, fact: Outcome, first: bool) -> bool:
    """Apply a call fact to its work order; False when no order is known for the call (a
    call that never reached the IVR's order: an internal call, a test line)."""
    order = order_of(session, fact)
    if order is None:
        return False
    if isinstance(fact, CallAnswered | CallCompleted):
        order.answered_by_id, order.answered_at = fact.staff_id, fact.answered_at
        order.hold_seconds = fact.hold_seconds
    if isinstance(fact, CallCompleted):
        order.talk_seconds, order.wrapup_seconds = fact.talk_seconds, fact.wrapup_seconds
    if isinstance(fact, CallAbandoned):
        order.abandoned_after_seconds = fact.waited_seconds
    if isinstance(fact, CallCompleted | CallAbandoned):
        order.call_end_inferred = fact.end_inferred
    if isinstance(fact, CallRingNoAnswer) and first:
        order.ring_no_answers = (order.ring_no_answers or 0) + 1
    return True


def handling_view(order: WorkOrder) -> dict | None:
    """The call's handling for the order's page; None before Asterisk said anything."""
    if order.answered_at is None and order.abandoned_after_seconds is None \
            and not order.ring_no_answers:
        return None
    return {
        "answered_by": order.answered_by_id,
        "answered_at": order.answered_at.isoformat() if order.answered_at else None,
        "hold_seconds": order.hold_seconds,
        "talk_seconds": order.talk_seconds,
        "wrapup_seconds": order.wrapup_seconds,
        "abandoned_after_seconds": order.abandoned_after_seconds,
        "ring_no_answers": order.ring_no_answers or 0,
        "end_inferred": bool(order.call_end_inferred),
    }
