"""Operator's tool: turn a broker's classic event queues of an older release into the quorum
queues svckit/events.py declares (issue 17), keeping their messages. Raw AMQP (pika), with the
services stopped: RabbitMQ refuses to redeclare a queue with another ``x-queue-type``.

The queues are found from the services' own declarations (each reliable event handler's queue,
its ``.retry`` and ``.dlq``), not from the broker. For each that exists as a classic queue: its
messages move (confirmed, then acked) into a temporary quorum queue, the classic queue is
deleted, the quorum queue of the same name is declared and bound as the handler binds it, and
the messages move back. A queue that is already a quorum queue is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

import pika
from pika.exceptions import ChannelClosedByBroker

from svckit.deadletters import connection_parameters
from svckit.events import QUORUM, ReliableEventHandler
from svckit.services import SERVICES

PRECONDITION_FAILED = 406
NOT_FOUND = 404


@dataclass(frozen=True)
class EventQueue:
    name: str
    arguments: dict = field(default_factory=dict)
    exchange: str | None = None  # the main queue is bound to its source's events exchange
    routing_key: str | None = None


def event_queues() -> Iterator[EventQueue]:
    """Every queue the platform's reliable event handlers declare."""
    for service in SERVICES:
        module, _, cls_name = service.entry.partition(":")
        cls = getattr(import_module(module), cls_name)
        for method in vars(cls).values():
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if not isinstance(entrypoint, ReliableEventHandler):
                    continue
                source, event_type = entrypoint.source_service, entrypoint.event_type
                name = f"evt-{source}-{event_type}--{cls.name}.{method.__name__}"
                yield EventQueue(name, dict(QUORUM), f"{source}.events", event_type)
                yield EventQueue(f"{name}.retry", {
                    **QUORUM, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
                yield EventQueue(f"{name}.dlq", dict(QUORUM))


def _move(channel, source: str, target: str) -> int:
    moved = 0
    while True:
        method, properties, body = channel.basic_get(source)
        if method is None:
            return moved
        channel.basic_publish("", target, body, properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        moved += 1


def _confirming(connection):
    channel = connection.channel()
    channel.confirm_delivery()
    return channel


def _is_classic(connection, queue: EventQueue) -> bool:
    """Declares ``queue`` as a quorum queue; True when a classic one of that name is in the
    way (the broker refuses, which closes the channel)."""
    channel = connection.channel()
    try:
        channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
    except ChannelClosedByBroker as refused:
        if refused.reply_code == PRECONDITION_FAILED:
            return True
        raise
    if queue.exchange:
        try:
            channel.queue_bind(queue.name, queue.exchange, queue.routing_key)
        except ChannelClosedByBroker as missing:  # no exchange yet: the service declares it
            if missing.reply_code != NOT_FOUND:
                raise
            return False
    channel.close()
    return False


def to_quorum(amqp_uri: str) -> list[tuple[str, int]]:
    """Convert every classic event queue; returns (queue, messages kept) for each converted."""
    converted = []
    with pika.BlockingConnection(connection_parameters(amqp_uri)) as connection:
        for queue in event_queues():
            if not _is_classic(connection, queue):
                continue
            holding = f"{queue.name}.quorum-migration"
            channel = _confirming(connection)
            channel.queue_declare(holding, durable=True, arguments=QUORUM)
            kept = _move(channel, queue.name, holding)
            channel.queue_delete(queue.name)
            channel.close()
            # a fresh channel: RabbitMQ 3.10 crashes a channel that published to the classic
            # queue and then publishes to the quorum queue of the same name
            channel = _confirming(connection)
            channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
            if queue.exchange:  # it was bound: its exchange exists
                channel.queue_bind(queue.name, queue.exchange, queue.routing_key)
            _move(channel, holding, queue.name)
            channel.queue_delete(holding)
            channel.close()
            converted.append((queue.name, kept))
    return converted
