"""Live push to the console (issue 11): Server-Sent Events on streams that hold no worker.

Each gateway instance keeps a :class:`StreamHub` of its open streams (a green queue each). The
``GET /api/stream`` worker only authenticates, asks who the viewer is and subscribes; it returns
a response whose body generator (:func:`event_stream`) then runs in the connection's own green
thread (nameko's HttpRequestHandler hands the response to eventlet's WSGI server after the
worker ended), so open streams never take one of the service's ``max_workers``. The instance's
BROADCAST queues (gateway/routes_console.py) put each event on the queues of its recipients.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
QUEUE_BOUND = 1000  # messages waiting for one slow client; beyond: the stream closes

OPEN_STREAMS = Gauge("csc_gateway_open_streams", "Event streams open on this gateway.")
PUSHED = Counter("csc_gateway_pushed_total", "Messages pushed on event streams, by event.",
                 ["event"])


def sse(event: str, data: Any, event_id: str | int | None = None) -> bytes:
    """One Server-Sent Events message (``event``, ``id``, one ``data`` line of JSON)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass(eq=False)
class Subscriber:
    """One open stream: whose it is, whether outages reach it, its queue."""

    staff_id: int
    hotline: bool
    queue: LightQueue = field(default_factory=lambda: LightQueue(QUEUE_BOUND))
    overflowed: bool = False

    def offer(self, message: bytes) -> None:
        if self.queue.full():
            self.overflowed = True  # too slow a client: closed, it reconnects and reads the inbox
            return
        self.queue.put_nowait(message)


class StreamHub:
    """The open streams of one gateway instance, by staff id."""

    def __init__(self) -> None:
        self.by_staff: dict[int, set[Subscriber]] = {}

    def subscribe(self, staff_id: int, hotline: bool) -> Subscriber:
        subscriber = Subscriber(staff_id, hotline)
        self.by_staff.setdefault(staff_id, set()).add(subscriber)
        OPEN_STREAMS.inc()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        streams = self.by_staff.get(subscriber.staff_id)
        if streams and subscriber in streams:
            streams.discard(subscriber)
            OPEN_STREAMS.dec()
            if not streams:
                del self.by_staff[subscriber.staff_id]

    def to_person(self, staff_id: int, event: str, data: Any, event_id=None) -> int:
        """Push to every open stream of ``staff_id``; how many."""
        streams = list(self.by_staff.get(staff_id, ()))
        message = sse(event, data, event_id)
        for subscriber in streams:
            subscriber.offer(message)
        PUSHED.labels(event).inc(len(streams))
        return len(streams)

    def to_hotline(self, event: str, data: Any, event_id=None) -> int:
        """Push to every open stream of a hotline member."""
        streams = [s for group in self.by_staff.values() for s in group if s.hotline]
        message = sse(event, data, event_id)
        for subscriber in streams:
            subscriber.offer(message)
        PUSHED.labels(event).inc(len(streams))
        return len(streams)


class EventStream:
    """The body of one stream: a first comment at once (the headers and it flush), then its
    messages as they come, ``: keep-alive`` after ``keepalive`` quiet seconds; it ends when the
    token expires or is revoked, or the client is too slow. Closing it (the server does, when
    the client went away, even before it was read) unsubscribes. Wall time, not the service
    clock: a token's ``exp`` is wall time."""

    def __init__(self, hub: StreamHub, subscriber: Subscriber, expires_at: float,
                 still_valid: Callable[[], bool], keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.hub, self.subscriber = hub, subscriber
        self.expires_at, self.still_valid, self.keepalive = expires_at, still_valid, keepalive

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield b": connected\n\n"
            while not self.subscriber.overflowed:
                left = self.expires_at - time.time()
                if left <= 0 or not self.still_valid():
                    return
                try:
                    yield self.subscriber.queue.get(timeout=min(self.keepalive, left))
                except Empty:
                    if time.time() < self.expires_at:
                        yield b": keep-alive\n\n"
        finally:
            self.close()

    def close(self) -> None:
        self.hub.unsubscribe(self.subscriber)


class PushHub(DependencyProvider):
    """The container's :class:`StreamHub`."""

    def setup(self) -> None:
        self.hub = StreamHub()

    def get_dependency(self, worker_ctx) -> StreamHub:
        return self.hub
