"""Events nobody subscribes to yet are archived, not parked, and a late subscriber replays them
(svckit/archive.py)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pika
from sqlalchemy import select

from contracts.events import Caller, Category, WorkOrderCreated, make_event
from svckit.archive import ArchiveSettings, replay
from svckit.broker import pika_parameters
from svckit.outbox import OutboxRelay, emit

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def created(at: datetime):
    return make_event("calls", WorkOrderCreated(
        work_order_id=str(uuid.uuid4()), call_uniqueid="17641.1", category=Category.INQUIRY,
        caller=Caller(number="13800138000", name="张三"), created_at=at,
    ), occurred_at=at)


def test_an_event_nobody_subscribes_to_is_archived_and_replayed_to_a_late_subscriber(
    stores, amqp_uri
):
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls", archive=ArchiveSettings("1D", 10**8))
    early, late = created(AT - timedelta(hours=1)), created(AT)
    with store.transaction() as session:
        emit(session, early)
        emit(session, late)
    assert relay.relay_once() == 2  # no subscriber, yet routable: the archive took them
    with store.transaction() as session:
        rows = session.execute(select(store.outbox)).all()
    assert all(row.published_at is not None and row.attempts == 0 for row in rows)

    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        connection.channel().queue_declare("late-subscriber", durable=True)
    assert replay(amqp_uri, "late-subscriber", AT - timedelta(minutes=1), "call.*") == 0
    assert replay(amqp_uri, "late-subscriber", AT - timedelta(minutes=1), "work_order.*") == 1

    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        method, properties, body = channel.basic_get("late-subscriber", auto_ack=True)
        assert json.loads(body)["id"] == str(late.id) == properties.message_id
        assert channel.basic_get("late-subscriber", auto_ack=True)[0] is None


def test_a_replay_under_steady_traffic_ends_at_what_was_archived_when_it_began(stores, amqp_uri):
    """A stream is never idle while events flow: the replay stops at its own marker (a catch-up
    of call.ended read live events for ever, issue 15), and markers are never replayed."""
    store = stores["calls"]
    relay = OutboxRelay(store, amqp_uri, service="calls", archive=ArchiveSettings("1D", 10**8))
    with store.transaction() as session:
        for _ in range(3):
            emit(session, created(AT))
    assert relay.relay_once() == 3
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        connection.channel().queue_declare("late-subscriber", durable=True)
    assert replay(amqp_uri, "late-subscriber", AT, "*") == 3  # a first marker now archived

    flowing = eventlet.spawn(_keep_publishing, store, relay)
    try:
        with eventlet.Timeout(20):  # idle_seconds never passes: one event every 0.2 s
            assert 3 <= replay(amqp_uri, "late-subscriber", AT, "*", idle_seconds=1.0) <= 10
    finally:
        flowing.kill()


def _keep_publishing(store, relay) -> None:
    while True:
        with store.transaction() as session:
            emit(session, created(AT))
        relay.relay_once()
        eventlet.sleep(0.2)
