"""The event archive: every service's events kept for a while on one RabbitMQ stream (issue 12).

Why: an event that no service subscribes to yet (``work_order.clock_started``, say) used to come
back from the broker as unroutable; the outbox retried it and parked it after ten minutes, and
rows piled up for nobody. Now each service's outbox relay binds the stream ``events.archive``
to its ``<service>.events`` exchange with ``#`` before publishing, so every event is routable
from the start and is kept ``max_age`` (7 days by default) or up to ``max_bytes``. A subscriber
that arrives later replays what it missed into its own queue (:func:`replay`, ``manage.py
events-replay``); its handlers are idempotent, so what it had already seen has no second effect.
The outbox's unroutable handling stays, as the safety net for a broker without the archive.

Settings (``EVENT_ARCHIVE`` in a service's config): ``max_age`` (RabbitMQ's ``x-max-age``,
e.g. ``7D``), ``max_bytes``. Every declarer must use the same values (the broker refuses a
queue declared twice with different arguments): keep them in step across services.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Consumer, Exchange, Producer, Queue

log = logging.getLogger(__name__)

ARCHIVE_QUEUE = "events.archive"
# A stream declared a moment ago may not have started its replica on this node yet: RabbitMQ
# refuses a consumer with this, so the reader tries again for a few seconds.
STREAM_STARTING = "does not have a replica on the local node"
STREAM_START_SECONDS = 10.0


@dataclass(frozen=True)
class ArchiveSettings:
    max_age: str = "7D"
    max_bytes: int = 5 * 1024**3

    @classmethod
    def from_config(cls, config: dict) -> ArchiveSettings | None:
        """The service's ``EVENT_ARCHIVE`` settings; None when the config has none (tests that
        need an unroutable event; a broker without streams)."""
        section = config.get("EVENT_ARCHIVE")
        if not section:
            return None
        return cls(str(section.get("max_age", cls.max_age)),
                   int(section.get("max_bytes", cls.max_bytes)))

    def queue(self, exchange: Exchange | None = None) -> Queue:
        return Queue(
            ARCHIVE_QUEUE, exchange=exchange, routing_key="#", durable=True,
            queue_arguments={"x-queue-type": "stream", "x-max-age": self.max_age,
                             "x-max-length-bytes": self.max_bytes},
        )


def bind_archive(amqp_uri: str, exchange_name: str, settings: ArchiveSettings) -> None:
    """Declare the archive stream and bind it to ``exchange_name`` (a topic exchange, as
    nameko declares event exchanges); idempotent."""
    exchange = Exchange(exchange_name, type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        exchange(channel).declare()
        settings.queue(exchange)(channel).declare()


def replay(amqp_uri: str, into_queue: str, since: datetime, event_types: str = "*",
           idle_seconds: float = 1.0) -> int:
    """Publish the archived events of types matching ``event_types`` (a shell pattern such as
    ``work_order.*``) that occurred at or after ``since`` into ``into_queue``, oldest first;
    returns how many. Reads the stream from ``since`` and stops once nothing new has arrived
    for ``idle_seconds`` (a stream has no end)."""
    replayed = 0

    def on_message(_body, message) -> None:
        nonlocal replayed
        event = json.loads(message.body)
        if (fnmatch.fnmatchcase(event.get("type", ""), event_types)
                and datetime.fromisoformat(event["occurred_at"]) >= since):
            producer.publish(
                message.body, exchange="", routing_key=into_queue, mandatory=True,
                message_id=message.properties.get("message_id"),
                content_type="application/json", content_encoding="utf-8",
                delivery_mode=2, retry=True,
            )
            replayed += 1
        message.ack()

    # read as it is (never re-declared with other arguments), from that instant on
    archive = Queue(ARCHIVE_QUEUE, no_declare=True,
                    consumer_arguments={"x-stream-offset": since})
    with Connection(amqp_uri) as reading, Connection(amqp_uri) as writing:
        producer = Producer(writing.default_channel)
        _read_stream(reading, archive, on_message, idle_seconds)
    log.info("replayed %d archived %s events since %s into %s", replayed, event_types,
             since.isoformat(), into_queue)
    return replayed


def _read_stream(reading: Connection, archive: Queue, on_message, idle_seconds: float) -> None:
    """Consume ``archive`` until ``idle_seconds`` pass with nothing new, once its local replica
    has started."""
    deadline = time.monotonic() + STREAM_START_SECONDS
    while True:
        channel = reading.channel()
        try:
            # a stream is read only with a prefetch limit and acknowledgements
            with Consumer(channel, queues=[archive], callbacks=[on_message], no_ack=False,
                          prefetch_count=500, accept=["json"]):
                while True:
                    try:
                        reading.drain_events(timeout=idle_seconds)
                    except TimeoutError:
                        return
        except PreconditionFailed as exc:  # refused before any message was read
            if STREAM_STARTING not in str(exc) or time.monotonic() > deadline:
                raise
            log.info("the event archive is starting on this node; reading again shortly")
            time.sleep(0.2)
        finally:
            channel.close()
