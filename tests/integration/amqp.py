"""Raw AMQP (pika) for tests: publish like an outside system, listen like a subscriber."""

from __future__ import annotations

import json
import time

import pika

from svckit.broker import pika_parameters


def publish(amqp_uri: str, exchange: str, routing_key: str, body, message_id: str = "") -> None:
    """Publish one persistent JSON message with confirms (declaring the topic exchange)."""
    publish_many(amqp_uri, exchange, [(routing_key, body, message_id)])


def publish_many(amqp_uri: str, exchange: str, messages: list[tuple[str, object, str]]) -> None:
    """Publish (routing key, body, message id) messages, confirmed, over one connection."""
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        if exchange:
            channel.exchange_declare(exchange, "topic", durable=True)
        for routing_key, body, message_id in messages:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            channel.basic_publish(
                exchange,
                routing_key,
                payload,
                pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message_id or None,
                ),
            )


def publish_event(amqp_uri: str, event) -> None:
    """Publish an envelope as its producer's relay does: on ``<producer>.events``, keyed by
    type, with the envelope id as message id."""
    publish(amqp_uri, f"{event.producer}.events", event.type, event.body(), str(event.id))


class Listener:
    """A queue bound to an events exchange, read on demand."""

    def __init__(self, amqp_uri: str, exchange: str, routing_key: str = "#") -> None:
        self.connection = pika.BlockingConnection(pika_parameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, "topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key)

    def drain(self, expect: int = 1, timeout: float = 10.0) -> list[dict]:
        """Messages received until ``expect`` arrived or ``timeout`` passed."""
        received: list[dict] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(received) < expect:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.05)
                continue
            received.append(json.loads(body))
        return received

    def close(self) -> None:
        self.connection.close()


def queue_depth(amqp_uri: str, queue: str) -> int:
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
