"""Orders left with no routing recorded are asked of staffing again by calls' sweep (issue 15:
after a cluster node was lost, a quorum queue's at-least-once dead-lettering stalled and held
`work_order.routed` events in their delay queue; the orders stayed new and unassigned)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.calls import orders
from services.calls.lifecycle import Status
from services.calls.models import WorkOrder
from services.staffing.models import RoutingDecision
from tests.integration import harness

OPENED = datetime(2026, 3, 2, 9, 29, tzinfo=UTC)


def test_only_new_orders_unrouted_long_enough_are_listed_oldest_first(stores):
    store = stores["calls"]
    ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(5)]
    harness.open_work_order(store, ids[0], OPENED + timedelta(seconds=1))
    harness.open_work_order(store, ids[1], OPENED)
    harness.open_work_order(store, ids[2], OPENED, routed_at=OPENED,
                            routing_reason="nobody_on_shift")
    harness.open_work_order(store, ids[3], OPENED,
                            status=Status.ASSIGNED.value)  # a leader's hand came first
    harness.open_work_order(store, ids[4], OPENED + timedelta(minutes=5))  # too young
    with store.transaction() as session:
        listed = orders.unrouted(session, OPENED + timedelta(minutes=1), limit=10)
        first_page = orders.unrouted(session, OPENED + timedelta(minutes=1), limit=1)
    assert [row[0] for row in listed] == [ids[1], ids[0]]
    assert listed[0] == (ids[1], "13900000001", "inquiry")
    assert [row[0] for row in first_page] == [ids[1]]


def test_the_sweep_records_staffing_decision_of_an_order_nobody_routed(
    stores, hotline_staff, run_service
):
    order_id = "00000000-0000-4000-8000-0000000000aa"
    # its call's RPC reply and its routing event both lost
    harness.open_work_order(stores["calls"], order_id, OPENED)
    run_service("staffing")
    run_service("calls", UNROUTED={"sweep_seconds": 0.2, "after_seconds": 0})

    def recorded() -> WorkOrder | None:
        with stores["calls"].transaction() as session:
            row = session.get(WorkOrder, order_id)
            return row if row.routed_at is not None else None

    row = harness.wait_for(recorded, timeout=20)
    with stores["staffing"].transaction() as session:
        decisions = session.scalars(select(RoutingDecision).where(
            RoutingDecision.work_order_id == order_id)).all()
    assert len(decisions) == 1  # decided once, by staffing
    assert row.routing_reason == decisions[0].reason
    assert row.assignee_id == decisions[0].assignee_id
    assert row.status == (Status.ASSIGNED.value if decisions[0].assignee_id else Status.NEW.value)
