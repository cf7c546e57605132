"""Staffing's decision recorded from the RPC reply (orders.record_decision, in the call's own
transaction) and from ``work_order.routed`` (orders.record_routing) leave the same order, the
same history entry and the same ``work_order.assigned`` (issue 12); whichever comes second
changes nothing, and the handler then finds it recorded with one read."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from contracts.events import Category, WorkOrderRouted
from services.calls import orders
from services.calls.models import WorkOrder, WorkOrderHistory
from tests.integration import harness

DECIDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ORDER_COLUMNS = ("status", "assignee_id", "assignee_name", "assignee_role", "assignee_extension",
                 "routing_reason", "routed_at", "updated_at")
HISTORY_COLUMNS = ("action", "from_status", "to_status", "actor_id", "actor_role", "actor_name",
                   "actor_department", "at", "note", "data")


def decision(order_id: str, assignee_id: int | None = 1) -> WorkOrderRouted:
    return WorkOrderRouted(
        work_order_id=order_id, assignee_id=assignee_id,
        assignee_name="Agent01" if assignee_id else None,
        role="seat_agent" if assignee_id else None,
        extension="8001" if assignee_id else None,
        dial_string="PJSIP/8001" if assignee_id else None,
        reason="least_loaded_seat_agent" if assignee_id else "nobody_on_shift",
        decided_at=DECIDED, caller_number="13900000001", category=Category.INQUIRY,
    )


def recorded(store, order_id: str) -> tuple:
    """The order's routing columns, its history entries and its published payloads."""
    with store.transaction() as session:
        row = session.get(WorkOrder, order_id)
        history = session.scalars(select(WorkOrderHistory).where(
            WorkOrderHistory.work_order_id == order_id)).all()
        outbox = store.outbox
        bodies = [json.loads(body) for body in session.scalars(
            select(outbox.c.body).where(outbox.c.body.contains(order_id)))]
    payloads = [(body["type"], {k: v for k, v in body["payload"].items() if k != "work_order_id"})
                for body in bodies]
    return ({c: getattr(row, c) for c in ORDER_COLUMNS},
            [{c: getattr(h, c) for c in HISTORY_COLUMNS} for h in history], payloads)


@pytest.mark.parametrize("assignee_id", [1, None], ids=["assigned", "nobody"])
def test_the_reply_and_the_event_record_the_same_and_either_second_is_a_no_op(
    stores, assignee_id
):
    store = stores["calls"]
    by_reply, by_event = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2))
    for order_id in (by_reply, by_event):
        harness.open_work_order(store, order_id, DECIDED - timedelta(minutes=1))
    with store.transaction() as session:
        orders.record_decision(session, decision(by_reply, assignee_id))
        orders.record_routing(session, decision(by_event, assignee_id))
    first = recorded(store, by_reply)
    assert first == recorded(store, by_event)
    assert first[0]["routed_at"] is not None
    assert len(first[1]) == len(first[2]) == (1 if assignee_id else 0)

    with store.transaction() as session:  # each path again, after the other
        assert orders.routing_recorded(session, decision(by_reply, assignee_id))
        assert orders.record_routing(session, decision(by_reply, assignee_id))
        orders.record_decision(session, decision(by_event, assignee_id))
    assert recorded(store, by_reply) == first == recorded(store, by_event)
