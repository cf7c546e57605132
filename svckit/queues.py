"""Operator's tool: turn a broker's queues of an older release into the quorum queues this
release declares (issue 17; issue 15 added the RPC queues and the retry queues' at-least-once
dead-lettering), keeping their messages. Raw AMQP (pika), with the services stopped: RabbitMQ
refuses to redeclare a queue with other arguments (``x-queue-type``, ``x-overflow``...).

The queues are found from the services' own declarations (each service's RPC queue, each
reliable event handler's queue, its ``.retry`` and ``.dlq``), not from the broker. For each that
exists with other arguments: its messages move (confirmed, then acked) into a temporary quorum
queue, the old queue is deleted, the queue is declared again as this release declares it and
bound as its service binds it, and the messages move back. A queue already as declared is left
alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

import pika
from nameko.rpc import Rpc
from pika.exceptions import ChannelClosedByBroker

from svckit.broker import QUORUM, pika_parameters
from svckit.events import ReliableEventHandler, retry_arguments
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
    """Every shared queue the platform declares: each service's RPC queue (bound as nameko
    binds it) and its reliable event handlers' queues."""
    for service in SERVICES:
        module, _, cls_name = service.entry.partition(":")
        cls = getattr(import_module(module), cls_name)
        if any(isinstance(entrypoint, Rpc) for method in vars(cls).values()
               for entrypoint in getattr(method, "nameko_entrypoints", ())):
            yield EventQueue(f"rpc-{cls.name}", dict(QUORUM), "nameko-rpc", f"{cls.name}.*")
        for method in vars(cls).values():
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if not isinstance(entrypoint, ReliableEventHandler):
                    continue
                source, event_type = entrypoint.source_service, entrypoint.event_type
                name = f"evt-{source}-{event_type}--{cls.name}.{method.__name__}"
                yield EventQueue(name, dict(QUORUM), f"{source}.events", event_type)
                yield EventQueue(f"{name}.retry", retry_arguments(name, QUORUM))
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


def _declared_otherwise(connection, queue: EventQueue) -> bool:
    """Declares ``queue`` as this release does; True when one of that name with other
    arguments is in the way (a classic queue, an at-most-once retry queue: the broker
    refuses, which closes the channel)."""
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
    """Convert every queue declared otherwise; returns (queue, messages kept) for each."""
    converted = []
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        for queue in event_queues():
            if not _declared_otherwise(connection, queue):
                continue
            holding = f"{queue.name}.quorum-migration"
            channel = _confirming(connection)
            channel.queue_declare(holding, durable=True, arguments=QUORUM)
            kept = _move(channel, queue.name, holding)
            channel.queue_delete(queue.name)
            channel.close()
            # a fresh channel: RabbitMQ 3.10 crashes a channel that published to the old
            # queue and then publishes to the new queue of the same name
            channel = _confirming(connection)
            channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
            if queue.exchange:  # it was bound: its exchange exists
                channel.queue_bind(queue.name, queue.exchange, queue.routing_key)
            _move(channel, holding, queue.name)
            channel.queue_delete(holding)
            channel.close()
            converted.append((queue.name, kept))
    return converted
