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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Consumer, Exchange, Producer, Queue

log = logging.getLogger(__name__)

ARCHIVE_QUEUE = "events.archive"
# A stream declared a moment ago may not have started its replica on this node yet: RabbitMQ
# refuses a consumer with this, so the reader tries again for a few seconds.
STREAM_STARTING = "does not have a replica on the local node"
STREAM_START_SECONDS = 10.0
# A replay's end mark on the stream (a header: every reader skips it). Its body reads, to a
# reader of an older release, as an event of no type that occurred before any replay's start.
MARKER_HEADER = "x-csc-archive-marker"
MARKER_BODY = json.dumps({"type": "", "occurred_at": "1970-01-01T00:00:00+00:00"})


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
    returns how many.

    A stream has no end, so the replay first appends a marker of its own to it and reads from
    ``since`` up to that marker: what was archived before the replay began. Waiting for a pause
    instead never ended under steady traffic (a catch-up of ``call.ended`` read live events
    for ever, and a broker restart meanwhile killed its service: issue 15). ``idle_seconds``
    without anything new ends it too, should the marker never come. Every publication into
    ``into_queue`` is confirmed before its archived copy is acknowledged."""
    replayed, marker, reached = 0, uuid4().hex, False

    def on_message(_body, message) -> None:
        nonlocal replayed, reached
        mark = (message.headers or {}).get(MARKER_HEADER)
        if mark is not None:  # our end, or another replay's
            reached = reached or mark == marker
        else:
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
    confirming = {"confirm_publish": True}
    with Connection(amqp_uri) as reading, \
            Connection(amqp_uri, transport_options=confirming) as writing:
        producer = Producer(writing.default_channel)
        producer.publish(MARKER_BODY, exchange="", routing_key=ARCHIVE_QUEUE, delivery_mode=2,
                         headers={MARKER_HEADER: marker}, content_type="application/json",
                         retry=True)
        _read_stream(reading, archive, on_message, idle_seconds, lambda: reached)
    log.info("replayed %d archived %s events since %s into %s", replayed, event_types,
             since.isoformat(), into_queue)
    return replayed


def _read_stream(reading: Connection, archive: Queue, on_message, idle_seconds: float,
                 done: Callable[[], bool]) -> None:
    """Consume ``archive`` until ``done()`` or ``idle_seconds`` pass with nothing new, once its
    local replica has started."""
    deadline = time.monotonic() + STREAM_START_SECONDS
    while True:
        channel = reading.channel()
        try:
            # a stream is read only with a prefetch limit and acknowledgements
            with Consumer(channel, queues=[archive], callbacks=[on_message], no_ack=False,
                          prefetch_count=500, accept=["json"]):
                while not done():
                    try:
                        reading.drain_events(timeout=idle_seconds)
                    except TimeoutError:
                        return
                return
        except PreconditionFailed as exc:  # refused before any message was read
            if STREAM_STARTING not in str(exc) or time.monotonic() > deadline:
                raise
            log.info("the event archive is starting on this node; reading again shortly")
            time.sleep(0.2)
        finally:
            channel.close()
