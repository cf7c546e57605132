"""Each work order's call with an agent (issue 16): staffing hears Asterisk (AMI) and
publishes ``call.answered``, ``call.abandoned``, ``call.completed`` and
``call.ring_no_answer``; here they land on the work order the call opened, found by its
``work_order_id`` (the channel variable the IVR set) or by the call's uniqueid (the FastAGI
session's ``agi_uniqueid``). Applying one twice writes the same values: idempotent. An end
staffing inferred (its AMI line was down at the hang-up) is marked so: its times are bounds.
A call the queue put through whose order nobody owned gives the order to the agent who answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.events import CallAbandoned, CallAnswered, CallCompleted, CallRingNoAnswer
from services.calls import orders
from services.calls.lifecycle import Action, Status
from services.calls.models import WorkOrder

Outcome = CallAnswered | CallAbandoned | CallCompleted | CallRingNoAnswer
#: the reason an order goes to whoever answered its call from the queue
ANSWERED_FROM_QUEUE = "answered_from_queue"
DIRECT = "direct"  # staffing's queue label of a call dialled to the routed phone (call_facts)


def order_of(session: Session, fact: Outcome, lock: bool = True) -> WorkOrder | None:
    keys = {fact.call_uniqueid, fact.linkedid} - {""}
    found = session.get(WorkOrder, fact.work_order_id, with_for_update=lock) \
        if fact.work_order_id else None
    query = select(WorkOrder).where(or_(*(WorkOrder.call_uniqueid == key for key in keys)))
    return found or session.scalar((query.with_for_update() if lock else query).limit(1))


def _unowned(order: WorkOrder | None) -> bool:
    return order is not None and order.status == Status.NEW and order.assignee_id is None


def answerer_wanted(session: Session, fact: Outcome) -> bool:
    """Whether a queue's call was answered while its order has no owner: the queue put it
    through because nobody was free (or staffing did not answer in time). A call dialled to
    the routed phone (queue ``direct``) is left to the routing, whose event may come later."""
    return isinstance(fact, CallAnswered | CallCompleted) and fact.staff_id is not None \
        and fact.queue != DIRECT and _unowned(order_of(session, fact, lock=False))


def give_to_answerer(session: Session, fact: CallAnswered | CallCompleted,
                     answerer: Mapping[str, Any]) -> bool:
    """The agent who answered from the queue takes the order nobody owned, as the system's
    assignment (her queue, her notice); an order someone took meanwhile keeps its owner."""
    order = order_of(session, fact)
    if not _unowned(order) or answerer.get("id") != fact.staff_id:
        return False
    orders.act(session, order.id, Action.ASSIGN, orders.SYSTEM, fact.answered_at,
               {"assignee": str(fact.staff_id), "note": ANSWERED_FROM_QUEUE}, answerer)
    order.routing_reason, order.routed_at = ANSWERED_FROM_QUEUE, fact.answered_at
    return True


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
