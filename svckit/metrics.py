"""Prometheus metrics shared by every service, and the dependency that times entrypoints.

Names follow Prometheus conventions (``csc_`` prefix, ``_total``, ``_seconds``); every label has
a small, fixed set of values: service, entrypoint method, entrypoint kind, consumer.
"""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from werkzeug.wrappers import Response

ENTRYPOINT_CALLS = Counter(
    "csc_entrypoint_calls_total", "Entrypoint invocations.", ["service", "entrypoint", "kind"]
)
ENTRYPOINT_ERRORS = Counter(
    "csc_entrypoint_errors_total",
    "Entrypoint invocations that raised.",
    ["service", "entrypoint", "kind"],
)
ENTRYPOINT_DURATION = Histogram(
    "csc_entrypoint_duration_seconds",
    "Entrypoint duration.",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_BACKLOG = Gauge(
    "csc_outbox_backlog", "Events committed but not yet confirmed by the broker.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "csc_outbox_published_total", "Events published with a broker confirm.", ["service"]
)
OUTBOX_UNROUTABLE = Counter(
    "csc_outbox_unroutable_total",
    "Publish attempts returned by the broker as unroutable (kept and retried).",
    ["service"],
)
DEAD_LETTERED = Counter(
    "csc_messages_dead_lettered_total",
    "Messages parked in a dead-letter queue after their retries ran out.",
    ["service", "consumer"],
)
EVENTS_REJECTED = Counter(
    "csc_events_rejected_total",
    "Received messages that were not valid catalogued events (parked, not processed).",
    ["service", "consumer"],
)
EVENTS_RETRIED = Counter(
    "csc_events_retried_total",
    "Failed event deliveries scheduled for retry.",
    ["service", "consumer"],
)

_KINDS = {
    "Rpc": "rpc",
    "HttpRequestHandler": "http",
    "ApiRoute": "http",
    "ReliableEventHandler": "event",
    "EventHandler": "event",
    "FastAgiEntrypoint": "agi",
    "Timer": "timer",
    "ConfiguredTimer": "timer",
}


def entrypoint_kind(entrypoint: object) -> str:
    return _KINDS.get(type(entrypoint).__name__, "other")


class EntrypointMetrics(DependencyProvider):
    """Counts and times every worker of the service it is declared on."""

    def __init__(self) -> None:
        self._started: WeakKeyDictionary = WeakKeyDictionary()

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
        ENTRYPOINT_CALLS.labels(*labels).inc()
        if exc_info is not None:
            ENTRYPOINT_ERRORS.labels(*labels).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(*labels).observe(time.perf_counter() - started)


def metrics_response() -> Response:
    """The `/metrics` page in Prometheus text format."""
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST.split(";")[0])
