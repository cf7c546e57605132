"""At-least-once delivery made safe: outbox, idempotent handlers, bounded retries, parking."""

import uuid
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from contracts.events import Caller, Category, WorkOrderCreated, WorkOrderRouted, make_event
from services.calls.models import WorkOrder
from services.staffing.models import RoutingDecision, StaffMember
from svckit.deadletters import replay_dead_letters
from svckit.outbox import OutboxRelay, emit, outbox_status, release_parked
from tests.integration import amqp, harness

ROUTED_QUEUE = "evt-staffing-work_order.routed--calls.on_work_order_routed"
CREATED_QUEUE = "evt-calls-work_order.created--staffing.on_work_order_created"


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def created_event(work_order_id: str, category=Category.FAULT_REPORT):
    return make_event(
        "calls",
        WorkOrderCreated(
            work_order_id=work_order_id,
            call_uniqueid=f"17641.{uuid.uuid4().int % 10000}",
            category=category,
            caller=Caller(number="13800138000", name="张三"),
            created_at=datetime.now(UTC),
        ),
    )


def routed_to_agent(work_order_id: str, staff_id: int):
    return make_event(
        "staffing",
        WorkOrderRouted(
            work_order_id=work_order_id,
            assignee_id=staff_id,
            assignee_name=f"Agent{staff_id:02d}",
            role="seat_agent",
            extension=f"80{staff_id:02d}",
            dial_string=f"PJSIP/80{staff_id:02d}",
            reason="least_loaded_seat_agent",
            decided_at=datetime.now(UTC),
        ),
    )


def add_work_order(stores, work_order_id: str) -> None:
    with stores["calls"].transaction() as session:
        session.add(
            WorkOrder(
                id=work_order_id,
                call_uniqueid=f"1.{work_order_id}",
                category="inquiry",
                caller_number="1",
                caller_name="",
                created_at=datetime.now(UTC),
            )
        )


def test_a_redelivered_work_order_created_routes_once(stores, hotline_staff, run_service, amqp_uri):
    run_service("staffing")
    listener = amqp.Listener(amqp_uri, "staffing.events", "work_order.routed")
    event = created_event(str(uuid.uuid4()))
    for _ in range(3):  # the broker may deliver any message more than once
        amqp.publish_event(amqp_uri, event)

    routed = listener.drain(expect=2, timeout=3)
    assert len(routed) == 1
    assert routed[0]["payload"]["work_order_id"] == event.payload["work_order_id"]
    with stores["staffing"].transaction() as session:
        assert session.scalar(select(func.count(RoutingDecision.id))) == 1
        assert session.scalar(select(func.sum(StaffMember.open_orders))) == 1


def test_a_redelivered_routing_event_has_no_second_effect(stores, run_service, amqp_uri):
    run_service("calls")
    handled = {"service": "calls", "entrypoint": "on_work_order_routed", "kind": "event"}
    handled_before = metric("csc_entrypoint_calls_total", **handled)
    order_id = str(uuid.uuid4())
    add_work_order(stores, order_id)
    first = routed_to_agent(order_id, 1)
    amqp.publish_event(amqp_uri, first)
    harness.wait_for(lambda: _assignee(stores, order_id) == 1)

    with stores["calls"].transaction() as session:  # a later change the old event must not undo
        session.get(WorkOrder, order_id).assignee_id = 2
    amqp.publish_event(amqp_uri, first)
    harness.wait_for(lambda: metric("csc_entrypoint_calls_total", **handled) == handled_before + 2)
    assert _assignee(stores, order_id) == 2


def test_a_failing_handler_retries_then_parks_the_message(stores, run_service, amqp_uri):
    run_service("calls")
    labels = {"service": "calls", "consumer": "calls.on_work_order_routed"}
    parked_before = metric("csc_messages_dead_lettered_total", **labels)
    retried_before = metric("csc_events_retried_total", **labels)
    unknown_order = make_event(
        "staffing",
        WorkOrderRouted(
            work_order_id=str(uuid.uuid4()),
            assignee_id=None,
            assignee_name=None,
            role=None,
            extension=None,
            dial_string=None,
            reason="nobody_on_shift",
            decided_at=datetime.now(UTC),
        ),
    )
    amqp.publish(amqp_uri, "staffing.events", unknown_order.type, unknown_order.body())

    harness.wait_for(lambda: amqp.queue_depth(amqp_uri, f"{ROUTED_QUEUE}.dlq") == 1)
    assert metric("csc_messages_dead_lettered_total", **labels) == parked_before + 1
    assert metric("csc_events_retried_total", **labels) == retried_before + 2  # 3 attempts
    assert amqp.queue_depth(amqp_uri, ROUTED_QUEUE) == 0
    assert amqp.queue_depth(amqp_uri, f"{ROUTED_QUEUE}.retry") == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        {"id": "x", "type": "work_order.created"},
        {**created_event("wo").body(), "version": 99},
        {**created_event("wo").body(), "payload": {"work_order_id": "wo"}},
    ],
    ids=["garbage", "no-envelope", "unknown-version", "bad-payload"],
)
def test_an_invalid_event_is_counted_and_parked_untouched(
    body, stores, hotline_staff, run_service, amqp_uri
):
    run_service("staffing")
    labels = {"service": "staffing", "consumer": "staffing.on_work_order_created"}
    rejected_before = metric("csc_events_rejected_total", **labels)
    amqp.publish(amqp_uri, "calls.events", "work_order.created", body)

    harness.wait_for(lambda: amqp.queue_depth(amqp_uri, f"{CREATED_QUEUE}.dlq") == 1)
    assert metric("csc_events_rejected_total", **labels) == rejected_before + 1
    with stores["staffing"].transaction() as session:
        assert session.scalar(select(func.count(RoutingDecision.id))) == 0


def test_the_outbox_keeps_an_unroutable_event_and_delivers_it_once_a_queue_binds(stores, amqp_uri):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    event = created_event(str(uuid.uuid4()))
    with store.transaction() as session:
        emit(session, event)

    assert relay.relay_once() == 0  # nobody listens yet: returned by the broker, kept
    with store.transaction() as session:
        row = session.execute(select(store.outbox)).one()
    assert row.published_at is None and row.attempts == 1 and "unroutable" in row.last_error

    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    harness.wait_for(lambda: relay.relay_once() == 1, timeout=5, interval=0.2)
    assert [m["id"] for m in listener.drain()] == [str(event.id)]


def test_an_event_is_staged_only_if_its_transaction_commits(stores):
    store = stores["calls"]
    with pytest.raises(RuntimeError), store.transaction() as session:
        emit(session, created_event("wo-x"))
        raise RuntimeError("the state change failed")
    with store.transaction() as session:
        assert session.execute(select(func.count()).select_from(store.outbox)).scalar() == 0


def _assignee(stores, order_id):
    with stores["calls"].transaction() as session:
        return session.get(WorkOrder, order_id).assignee_id


def test_housekeeping_forgets_old_published_events_and_processed_records(stores, amqp_uri):
    store = stores["calls"]
    old, recent = datetime(2020, 1, 1, tzinfo=UTC), datetime.now(UTC)
    rows = [
        # event id, published_at, parked_at
        ("published-long-ago", old, None),
        ("published-just-now", recent, None),
        ("parked-long-ago", None, old),
        ("pending", None, None),
    ]
    with store.transaction() as session:
        for event_id, published_at, parked_at in rows:
            session.execute(
                store.outbox.insert(),
                {
                    "event_id": event_id,
                    "event_type": "call.ended",
                    "exchange": "calls.events",
                    "body": "{}",
                    "created_at": old,
                    "attempts": 0,
                    "published_at": published_at,
                    "parked_at": parked_at,
                },
            )
        for message_id, at in [("m-old", old), ("m-new", recent)]:
            session.execute(
                store.processed.insert(),
                {"consumer": "calls.x", "message_id": message_id, "processed_at": at},
            )

    OutboxRelay(store, amqp_uri, service="calls")._clean_up()

    with store.transaction() as session:
        kept = set(session.scalars(select(store.outbox.c.event_id)))
        remembered = set(session.scalars(select(store.processed.c.message_id)))
    assert kept == {"published-just-now", "parked-long-ago", "pending"}
    assert remembered == {"m-new"}


def test_an_operator_can_release_parked_events(stores, amqp_uri):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    event = created_event(str(uuid.uuid4()))
    with store.transaction() as session:
        emit(session, event)
        session.execute(store.outbox.update().values(parked_at=datetime.now(UTC)))
    assert outbox_status(store) == [("calls.events", "work_order.created", 0, 1)]
    assert relay.relay_once() == 0  # parked: the relay leaves it alone
    # ... and the gauges tell it apart from the backlog (issue 17)
    assert REGISTRY.get_sample_value("csc_outbox_parked", {"service": "calls"}) == 1
    assert REGISTRY.get_sample_value("csc_outbox_backlog", {"service": "calls"}) == 0

    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    assert release_parked(store, "call.ended") == 0
    assert release_parked(store, "work_order.created") == 1
    assert relay.relay_once() == 1
    assert [m["id"] for m in listener.drain()] == [str(event.id)]
    assert outbox_status(store) == []


def test_an_operator_can_replay_dead_letters_once_the_cause_is_mended(
    stores, run_service, amqp_uri
):
    run_service("calls")
    order_id = str(uuid.uuid4())
    routed = routed_to_agent(order_id, 7)
    amqp.publish_event(amqp_uri, routed)
    harness.wait_for(lambda: amqp.queue_depth(amqp_uri, f"{ROUTED_QUEUE}.dlq") == 1)

    add_work_order(stores, order_id)  # the cause: the order was missing
    assert replay_dead_letters(amqp_uri, ROUTED_QUEUE) == 1
    harness.wait_for(lambda: _assignee(stores, order_id) == 7)
    assert amqp.queue_depth(amqp_uri, f"{ROUTED_QUEUE}.dlq") == 0
