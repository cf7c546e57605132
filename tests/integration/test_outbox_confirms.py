"""The outbox relay's batch confirms (svckit/confirms.py): one wait for a batch's acks, nacks
and returns; only what the broker confirmed and routed is marked published."""

import contextlib
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from kombu import Connection
from sqlalchemy import select

from contracts.events import Caller, Category, WorkOrderCreated, WorkOrderRouted, make_event
from svckit.outbox import CONFIRM_TIMEOUT_SECONDS, OutboxRelay, emit
from svckit.rpc import BROKER_GONE
from tests.conftest import _rabbit
from tests.integration import amqp, harness

REFUSING_QUEUE = "refuses-every-message"


def created():
    return make_event("calls", WorkOrderCreated(
        work_order_id=str(uuid.uuid4()), call_uniqueid="17641.1", category=Category.INQUIRY,
        caller=Caller(number="13800138000", name="张三"), created_at=datetime.now(UTC),
    ))


def routed():
    return make_event("staffing", WorkOrderRouted(
        work_order_id=str(uuid.uuid4()), assignee_id=None, assignee_name=None, role=None,
        extension=None, dial_string=None, reason="no one on shift", decided_at=datetime.now(UTC),
    ))


def rows(store) -> dict[str, tuple]:
    with store.transaction() as session:
        found = session.execute(select(store.outbox)).all()
    return {row.event_id: (row.published_at is not None, row.attempts) for row in found}


def test_one_batch_marks_the_routed_events_published_and_keeps_the_returned_one(
    stores, amqp_uri
):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    first, nobodys, second = created(), routed(), created()
    with store.transaction() as session:
        for event in (first, nobodys, second):
            emit(session, event)

    assert relay.relay_once() == 2  # one pass, one confirm wait for all three
    assert rows(store) == {str(first.id): (True, 0), str(nobodys.id): (False, 1),
                           str(second.id): (True, 0)}
    # the returned one was on another exchange: the listener sees the two, in order
    assert [m["id"] for m in listener.drain(expect=2)] == [str(first.id), str(second.id)]


def test_a_nacked_event_stays_unpublished_and_goes_again(stores, amqp_uri):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        channel.exchange_declare("calls.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(REFUSING_QUEUE, auto_delete=False, arguments={  # nacks all it gets
            "x-max-length": 0, "x-overflow": "reject-publish"})
        channel.queue_bind(REFUSING_QUEUE, "calls.events", "work_order.created")
    event = created()
    with store.transaction() as session:
        emit(session, event)

    assert relay.relay_once() == 0
    assert rows(store) == {str(event.id): (False, 0)}  # not unroutable: kept, not counted

    with Connection(amqp_uri) as connection:
        connection.default_channel.queue_delete(REFUSING_QUEUE)
    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    assert relay.relay_once() == 1
    assert [m["id"] for m in listener.drain()] == [str(event.id)]


def test_a_batch_not_confirmed_in_time_is_published_again(stores, amqp_uri):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    event = created()
    with store.transaction() as session:
        emit(session, event)

    relay.publisher.confirm_timeout = 0  # sent, but its confirm is never awaited
    assert relay.relay_once() == 0
    assert rows(store) == {str(event.id): (False, 0)}

    relay.publisher.confirm_timeout = CONFIRM_TIMEOUT_SECONDS  # on a fresh connection
    assert relay.relay_once() == 1
    # at least once: the first copy may have reached the queue as well
    assert {m["id"] for m in listener.drain(expect=2, timeout=1)} == {str(event.id)}


def close_client_connections(vhost: str) -> int:
    """The broker closes every client connection to ``vhost``, as its restart does."""
    listed = lambda: _rabbit("GET", f"/vhosts/{quote(vhost, safe='')}/connections").json()  # noqa: E731
    harness.wait_for(listed, timeout=15)  # the management plugin lists them within seconds
    for connection in listed():
        _rabbit("DELETE", f"/connections/{quote(connection['name'], safe='')}")
    return len(listed())


def test_the_relay_publishes_again_once_the_broker_dropped_its_connection(stores, amqp_uri):
    """kombu's pooled connection closes for good when an error leaves its ``with`` and still
    goes back to the pool: the relay then never published again (a broker restart in
    `make faults`). svckit.broker.pooled_connection drops the socket instead."""
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls")
    subscriber = amqp.Listener(amqp_uri, "calls.events", "work_order.created")  # noqa: F841
    with store.transaction() as session:
        emit(session, created())
    assert relay.relay_once() == 1

    assert close_client_connections(unquote(amqp_uri.rsplit("/", 1)[1])) >= 1
    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    event = created()
    with store.transaction() as session:
        emit(session, event)
    published = 0
    for _ in range(3):  # the first finds the connection gone
        with contextlib.suppress(*BROKER_GONE):
            published += relay.relay_once()
    assert published == 1
    assert [m["id"] for m in listener.drain()] == [str(event.id)]
