"""Operator's tool: move messages parked in a handler's dead-letter queue back to its queue,
with a fresh retry budget, once the cause is mended. Raw AMQP (pika): no service involved."""

from __future__ import annotations

import pika

from svckit.broker import pika_parameters
from svckit.events import ATTEMPTS_HEADER, ERROR_HEADER


def replay_dead_letters(amqp_uri: str, queue: str, limit: int | None = None) -> int:
    """Move up to ``limit`` messages from ``<queue>.dlq`` to ``queue``; returns how many.

    Each is republished with confirms before it is acked in the dead-letter queue, so a crash
    in between leaves a copy in both places (handlers are idempotent), never in neither.
    """
    moved = 0
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue, passive=True)
        while limit is None or moved < limit:
            method, properties, body = channel.basic_get(f"{queue}.dlq")
            if method is None:
                break
            headers = {
                key: value
                for key, value in (properties.headers or {}).items()
                if key not in (ATTEMPTS_HEADER, ERROR_HEADER)
            }
            properties.headers = headers
            channel.basic_publish("", queue, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            moved += 1
    return moved
