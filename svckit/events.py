"""Reliable event consumption: envelopes validated against the catalogue, bounded retries with
backoff, then a dead-letter (parking) queue. Nothing is acked away silently or looped forever.
A handler whose own database is unreachable spends no attempt: the event waits out the outage.

Per handler queue ``Q`` (nameko's ``evt-<source>-<type>--<service>.<method>``):
``Q.retry`` holds a failed message for its backoff, then dead-letters it back to ``Q``;
``Q.dlq`` parks messages whose retries ran out and messages that are not valid events.
A delayed handler (``delayed=(section, key, default seconds)``) receives its events that long
after they were published: ``Q.delay`` is bound to the exchange in ``Q``'s place and holds each
message for that time (``x-message-ttl``), then dead-letters it into ``Q``.

All three are quorum queues (replicated over the cluster's nodes: one node can fail without
losing a message); nameko declares ``Q`` from the handler's ``queue``, so the handler gives it
``x-queue-type: quorum`` before the consumer starts. Broadcast queues (exclusive or
auto-delete, per instance) cannot be quorum queues and stay classic.
A shared :class:`DeadLetterWatch` reads each ``Q.dlq``'s depth from the broker for the metrics.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from datetime import UTC, datetime
from functools import partial

import eventlet
from amqp.exceptions import AMQPError, NotFound
from eventlet.event import Event
from kombu import Connection, Queue, binding
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import ProviderCollector, SharedExtension
from nameko.messaging import QueueConsumer

from contracts.events import InvalidEvent, parse_event
from svckit.archive import ARCHIVE_QUEUE, replay
from svckit.broker import for_cluster, pooled_connection, queue_kind
from svckit.db import DATABASE_DOWN
from svckit.metrics import DEAD_LETTER_DEPTH, DEAD_LETTERED, EVENTS_REJECTED, EVENTS_RETRIED
from svckit.rpc import BROKER_GONE

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-csc-attempts"
ERROR_HEADER = "x-csc-error"
DEFAULTS = {"max_attempts": 5, "base_delay_seconds": 0.5}
DEAD_LETTER_WATCH_SECONDS = 15.0
CATCH_UP_PAUSE_SECONDS = 5.0


class DeadLetterWatch(ProviderCollector, SharedExtension):
    """Reads the depth of every reliable handler's dead-letter queue every
    ``DEAD_LETTER_WATCH_SECONDS`` (a passive declare: nothing is created or consumed).

    It also watches the handlers' own queues: one that holds ready messages and has no consumer
    at two reads in a row has lost ours, and the consumer's connection is made again. After
    failing over to another node before the quorum queues had new leaders, calls' consumer
    stayed connected and received nothing, with no error, until calls restarted (issue 15)."""

    def __init__(self) -> None:
        super().__init__()
        self._stopped = Event()
        self._unconsumed: set[str] = set()  # queues seen ready and without a consumer

    def start(self) -> None:
        self.container.spawn_managed_thread(self._run, identifier="dead_letter_watch")

    def stop(self) -> None:
        if not self._stopped.ready():
            self._stopped.send(True)
        super().stop()

    def _run(self) -> None:
        while not self._stopped.ready():
            try:
                self.measure()
            except Exception:  # the broker is away: the readiness probe says so; try later
                log.warning("could not read dead-letter queue depths", exc_info=True)
            with eventlet.Timeout(DEAD_LETTER_WATCH_SECONDS, False):
                self._stopped.wait()

    def measure(self) -> None:
        if not self._providers:
            return
        # a connection of its own each time: a pooled one closed by a broker restart stayed
        # closed, and the depths were never read again (issue 15)
        with Connection(self.container.config["AMQP_URI"], connect_timeout=5) as connection:
            channel = connection.channel()
            unconsumed = set()
            for handler in list(self._providers):
                _, depth, _ = channel.queue_declare(handler.dead_letter_queue.name, passive=True)
                DEAD_LETTER_DEPTH.labels(handler.container.service_name,
                                         handler.consumer_name).set(depth)
                try:
                    _, ready, consumers = channel.queue_declare(handler.queue.name, passive=True)
                except NotFound:  # not declared yet (its consumer is starting): next time
                    channel = connection.channel()
                    continue
                if ready and not consumers:
                    unconsumed.add(handler.queue.name)
        lost = unconsumed & self._unconsumed
        self._unconsumed = unconsumed - lost
        if lost:
            log.warning("no consumer on %s though messages wait: connecting again",
                        ", ".join(sorted(lost)))
            for consumer in {handler.queue_consumer for handler in self._providers}:
                consumer.connect_again()


def retry_arguments(queue: str, kind: dict) -> dict:
    """Arguments of a queue whose messages wait, then dead-letter into ``queue`` when their
    time expires (``queue``'s retry queue, a delayed handler's delay queue). A quorum queue
    dead-letters at most once by default: a message expiring while ``queue`` has no leader (a
    cluster node lost) was dropped, silently (issue 15). At least once, the waiting queue keeps
    it until ``queue`` confirms it (RabbitMQ 3.10+; that strategy requires ``x-overflow:
    reject-publish``)."""
    arguments = {**kind, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
    if kind.get("x-queue-type") == "quorum":
        arguments |= {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    return arguments


class ClusterEventHandler(EventHandler):
    """nameko's event handler with its queue made to outlive a lost cluster node
    (svckit/broker.py): a quorum queue when shared and kept, transient when a broadcast or
    auto-delete queue of one instance. Use it (``event_handler``) instead of nameko's."""

    def setup(self) -> None:
        super().setup()
        for_cluster(self.queue, queue_kind(self.container.config))


event_handler = ClusterEventHandler.decorator


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a body that cannot even be decoded is parked by
    the handler it was meant for (kombu's default logs it and acks it away), and that it can be
    told to connect again (:class:`DeadLetterWatch`)."""

    _amqp = None  # the connection its consumers were last set up on

    def get_consumers(self, consumer_cls, channel):
        self._amqp = channel.connection
        return super().get_consumers(consumer_cls, channel)

    def connect_again(self) -> None:
        """Shut the connection's socket: kombu's consuming loop sees the connection lost, opens
        another and sets the consumers up again there."""
        transport = getattr(self._amqp, "transport", None)
        if transport is not None and transport.sock is not None:
            with contextlib.suppress(OSError):
                transport.sock.shutdown(socket.SHUT_RDWR)

    def on_decode_error(self, message, exc) -> None:
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in self._consumers.items():
            if tag in consumer._active_tags.values() and isinstance(provider, ReliableEventHandler):
                provider.reject(message, f"undecodable body: {exc}")
                return
        super().on_decode_error(message, exc)


class ReliableEventHandler(ClusterEventHandler):
    """An event handler whose method receives ``(envelope, payload)``.

    Config ``EVENT_RETRY: {max_attempts, base_delay_seconds}`` bounds the retries.

    ``catch_up=True``: a subscription new to the broker (its queue did not exist) first
    receives what the event archive holds of its type (svckit/archive.py), when the service
    keeps one (``EVENT_ARCHIVE``): the events published before it first subscribed. For the
    handlers whose work must not miss an event (routing every work order, a projection of
    orders), not for notices (a week of old screen pops would help nobody). Handlers are
    idempotent, so an event that also arrived directly has no second effect.

    ``delayed=(section, key, default)``: each event reaches the handler ``config[section][key]``
    seconds (else ``default``; 0: at once) after it was published, the broker holding it
    meanwhile (``Q.delay``): for a safety net that should act only on what the direct path
    (an RPC) has not done by then, without holding a worker while it waits.
    """

    queue_consumer = ParkingQueueConsumer()
    dead_letter_watch = DeadLetterWatch()

    def __init__(self, *args, catch_up: bool = False,
                 delayed: tuple[str, str, float] | None = None, **kwargs) -> None:
        self.wants_catch_up = catch_up
        self.delayed = delayed
        self.delay_queue: Queue | None = None
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        super().setup()
        kind = queue_kind(self.container.config)
        name = self.queue.name
        amqp_uri = self.container.config["AMQP_URI"]
        self.catch_up = (self.wants_catch_up and bool(self.container.config.get("EVENT_ARCHIVE"))
                         and not queue_exists(amqp_uri, name))
        self.retry_queue = Queue(f"{name}.retry", durable=True,
                                 queue_arguments=retry_arguments(name, kind))
        self.dead_letter_queue = Queue(f"{name}.dlq", durable=True, queue_arguments=kind)
        self.dead_letter_watch.register_provider(self)
        for counter in (EVENTS_RETRIED, DEAD_LETTERED, EVENTS_REJECTED):  # shown from the start
            counter.labels(self.container.service_name, self.consumer_name)
        settings = {**DEFAULTS, **(self.container.config.get("EVENT_RETRY") or {})}
        self.max_attempts = int(settings["max_attempts"])
        self.base_delay = float(settings["base_delay_seconds"])
        self._delay(kind)
        with pooled_connection(amqp_uri) as connection:
            channel = connection.channel()
            for queue in (self.retry_queue, self.dead_letter_queue):
                queue.bind(channel).declare()
            if self.delay_queue is not None:
                self._route_through_delay(channel)
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)

    def _delay(self, kind: dict) -> None:
        """A delayed handler's ``Q.delay``, bound in ``Q``'s place (``Q`` is fed from it)."""
        if self.delayed is None:
            return
        section, key, default = self.delayed
        seconds = float((self.container.config.get(section) or {}).get(key, default))
        if seconds <= 0:
            return
        name = self.queue.name
        self.delay_queue = Queue(
            f"{name}.delay", exchange=self.queue.exchange, routing_key=self.event_type,
            durable=True, queue_arguments={
                **retry_arguments(name, kind), "x-message-ttl": int(seconds * 1000)},
        )
        self.queue = Queue(name, durable=True, queue_arguments=self.queue.queue_arguments)

    def _route_through_delay(self, channel) -> None:
        """``Q`` first (what the delay lets through must find it), then ``Q.delay`` bound to
        the exchange, then ``Q``'s own binding of an earlier, undelayed version removed."""
        self.queue.bind(channel).declare()
        self.delay_queue.bind(channel).declare()
        channel.queue_unbind(self.queue.name, self.delay_queue.exchange.name, self.event_type)

    def start(self) -> None:
        super().start()
        if self.catch_up:
            self.container.spawn_managed_thread(self._catch_up, identifier="archive_catch_up")

    def _catch_up(self) -> None:
        """Replay the archive into the new queue; a broker lost meanwhile (a restart, a node)
        means a pause and a replay from the start again (handlers are idempotent), never the
        death of the service, which nameko would bring about for a thread that raised."""
        amqp_uri = self.container.config["AMQP_URI"]
        while True:
            try:
                with pooled_connection(amqp_uri) as connection:  # it must exist before the replay
                    self.queue.bind(connection.channel()).declare()
                replay(amqp_uri, self.queue.name, ARCHIVE_START, self.event_type)
                return
            except NotFound as missing:
                if f"no queue '{ARCHIVE_QUEUE}'" in str(missing):
                    log.warning("%s: no event archive on the broker to catch up from",
                                self.consumer_name)
                    return
                self._catch_up_later()
            except (*BROKER_GONE, AMQPError):
                self._catch_up_later()

    def _catch_up_later(self) -> None:
        log.warning("%s: catching up from the archive failed; again in %.0f s",
                    self.consumer_name, CATCH_UP_PAUSE_SECONDS, exc_info=True)
        eventlet.sleep(CATCH_UP_PAUSE_SECONDS)

    def stop(self) -> None:
        self.dead_letter_watch.unregister_provider(self)
        super().stop()

    def kill(self) -> None:
        self.dead_letter_watch.unregister_provider(self)
        super().kill()

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def handle_message(self, body, message) -> None:
        try:
            envelope, payload = parse_event(body)
            if envelope.type != self.event_type:
                raise InvalidEvent(f"{envelope.type} arrived on a {self.event_type} queue")
        except InvalidEvent as exc:
            self.reject(message, str(exc))
            return
        context_data = self.unpack_message_headers(message)
        try:
            self.container.spawn_worker(
                self,
                (envelope, payload),
                {},
                context_data=context_data,
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def reject(self, message, reason: str) -> None:
        """Park a message that is not a valid event: counted, logged, kept, not processed."""
        EVENTS_REJECTED.labels(self.container.service_name, self.consumer_name).inc()
        log.warning("%s rejected a message: %s", self.consumer_name, reason)
        self._forward(message, self.dead_letter_queue.name, attempts=0, error=reason)
        message.ack()

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        try:
            if exc_info is not None:
                try:
                    self._after_failure(message, exc_info[1])
                except Exception:  # could not copy it for a retry or parking: keep it queued
                    log.exception("%s could not retry or park a message; requeued",
                                  self.consumer_name)
                    self.queue_consumer.requeue_message(message)
                    return
            self.queue_consumer.ack_message(message)
        except BROKER_GONE:
            # nameko would kill the service; the broker delivers the unacknowledged message
            # again once it is back, and handlers are idempotent (issue 15)
            log.warning("%s could not acknowledge a message: the broker is unreachable; it "
                        "will be delivered again", self.consumer_name, exc_info=True)

    def _after_failure(self, message, error: BaseException) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
        service = self.container.service_name
        if isinstance(error, DATABASE_DOWN):
            # the handler's own database is unreachable: not the event's fault, so no attempt
            # is spent; it waits, at the longest backoff, for as long as the outage lasts (a
            # 30 s outage parked every event in flight after 5 quick tries: issue 15)
            EVENTS_RETRIED.labels(service, self.consumer_name).inc()
            delay_ms = int(1000 * self.base_delay * 2 ** (self.max_attempts - 2))
            self._forward(message, self.retry_queue.name, attempts, repr(error), delay_ms)
            return
        attempts += 1
        if attempts < self.max_attempts:
            EVENTS_RETRIED.labels(service, self.consumer_name).inc()
            delay_ms = int(1000 * self.base_delay * 2 ** (attempts - 1))
            self._forward(message, self.retry_queue.name, attempts, repr(error), delay_ms)
            return
        DEAD_LETTERED.labels(service, self.consumer_name).inc()
        log.error(
            "%s parked message %s after %d attempts: %r",
            self.consumer_name, message.properties.get("message_id"), attempts, error,
        )
        self._forward(message, self.dead_letter_queue.name, attempts, repr(error))

    def _forward(
        self, message, queue: str, attempts: int, error: str, delay_ms: int | None = None
    ) -> None:
        """Copy ``message`` to ``queue`` (confirmed) before the original is acked."""
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ERROR_HEADER: error[:500]})
        self.publisher.publish(
            message.body,
            exchange="",
            routing_key=queue,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            message_id=message.properties.get("message_id"),
            expiration=None if delay_ms is None else delay_ms / 1000,
        )


reliable_event_handler = ReliableEventHandler.decorator
ARCHIVE_START = datetime(2000, 1, 1, tzinfo=UTC)  # all the archive holds


def queue_exists(amqp_uri: str, name: str) -> bool:
    with pooled_connection(amqp_uri) as connection:
        try:
            connection.channel().queue_declare(name, passive=True)
        except NotFound:
            return False
    return True


class EventTypesHandler(ClusterEventHandler):
    """nameko's event handler on several event types of one source, on one queue of its own.

    ``@event_types_handler("calls", ("work_order.urged", "work_order.closed"), label="changes",
    handler_type=BROADCAST, reliable_delivery=False)``: the queue is named after ``label`` and
    bound once per type. Explicit types, not a ``#`` pattern: a queue on every type would make
    events routable that the outbox must hold for their real subscriber (``work_order.created``
    waits, unroutable, for staffing's queue: svckit/outbox.py)."""

    def __init__(self, source_service: str, event_types: tuple[str, ...], label: str,
                 **kwargs) -> None:
        self.event_types = tuple(event_types)
        super().__init__(source_service, label, **kwargs)

    def setup(self) -> None:
        super().setup()
        self.queue.routing_key = self.event_types[0]
        self.queue.bindings = {binding(self.queue.exchange, routing_key=event_type)
                               for event_type in self.event_types[1:]}


event_types_handler = EventTypesHandler.decorator
