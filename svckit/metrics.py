"""Prometheus metrics shared by every service, and the dependency that times entrypoints.

Names follow Prometheus conventions (``csc_`` prefix, ``_total``, ``_seconds``); every label has
a small, fixed set of values: service, entrypoint method, entrypoint kind, consumer, queue.

A worker ends one of three ways: it succeeded, it *refused* (a 4xx: not allowed, not found, an
illegal transition: the caller's mistake, the service working as meant), or it *failed* (a 5xx:
a bug, a backend that failed or did not answer). Refusals and failures are counted apart, so an
error rate means failures only (issue 17).
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
    "Entrypoint invocations that failed (a 5xx at the gateway: 500, 502, 503; an unexpected "
    "exception elsewhere).",
    ["service", "entrypoint", "kind"],
)
ENTRYPOINT_REFUSALS = Counter(
    "csc_entrypoint_refusals_total",
    "Entrypoint invocations that refused the request (4xx: not allowed, not found, illegal "
    "transition, invalid fields); not failures.",
    ["service", "entrypoint", "kind"],
)
ENTRYPOINT_DURATION = Histogram(
    "csc_entrypoint_duration_seconds",
    "Entrypoint duration.",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_BACKLOG = Gauge(
    "csc_outbox_backlog",
    "Events committed and waiting for the relay (not parked), not yet confirmed by the broker.",
    ["service"],
)
OUTBOX_PARKED = Gauge(
    "csc_outbox_parked",
    "Events parked in the outbox (unroutable too long): unpublished until an operator releases "
    "them. Unpublished events = backlog + parked.",
    ["service"],
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
DEAD_LETTER_DEPTH = Gauge(
    "csc_dead_letter_messages",
    "Messages waiting in a handler's dead-letter queue (<queue>.dlq), read from the broker.",
    ["service", "consumer"],
)
EVENTS_RETRIED = Counter(
    "csc_events_retried_total",
    "Failed event deliveries scheduled for retry.",
    ["service", "consumer"],
)

# Agents' states (issue 16): staffing sets it from Asterisk's manager interface
# (services/staffing/agent_store.refresh_gauge), every state named.
AGENTS_BY_STATE = Gauge("csc_agents", "Hotline agents by state, from Asterisk (AMI).", ["state"])

_KINDS = {
    "Rpc": "rpc",
    "HttpRequestHandler": "http",
    "ApiRoute": "http",
    "ReliableEventHandler": "event",
    "EventHandler": "event",
    "FastAgiEntrypoint": "agi",
    "AmiEventEntrypoint": "ami",
    "Timer": "timer",
    "ConfiguredTimer": "timer",
}


def entrypoint_kind(entrypoint: object) -> str:
    """By the entrypoint's class or the nearest it derives from (svckit's steady ``Rpc``)."""
    for cls in type(entrypoint).__mro__:
        if cls.__name__ in _KINDS:
            return _KINDS[cls.__name__]
    return "other"


def outcome(entrypoint: object, error: BaseException | None, result: object = None) -> str:
    """``ok``, ``refused`` or ``failed``. An HTTP handler's answer says it by its status (a
    handler may return its own 4xx or 5xx). An entrypoint may classify errors itself
    (``status_of(error)``, an HTTP status: the gateway's mapping, where a 502 or 503 is a failure
    although expected); otherwise an exception it declares expected is a refusal."""
    if error is None:
        status = getattr(result, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return "failed" if status >= 500 else "refused"
        return "ok"
    status_of = getattr(entrypoint, "status_of", None)
    if status_of is not None:
        return "failed" if status_of(error) >= 500 else "refused"
    expected = getattr(entrypoint, "expected_exceptions", ()) or ()
    return "refused" if isinstance(error, expected) else "failed"


class EntrypointMetrics(DependencyProvider):
    """Counts and times every worker of the service it is declared on."""

    def __init__(self) -> None:
        self._started: WeakKeyDictionary = WeakKeyDictionary()

    def setup(self) -> None:
        """Every entrypoint's counters exist from the start, at 0: a rate of failures reads 0,
        not "no data", until the first one."""
        for entrypoint in self.container.entrypoints:
            labels = (self.container.service_name, entrypoint.method_name,
                      entrypoint_kind(entrypoint))
            for counter in (ENTRYPOINT_CALLS, ENTRYPOINT_ERRORS, ENTRYPOINT_REFUSALS):
                counter.labels(*labels)

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
        ENTRYPOINT_CALLS.labels(*labels).inc()
        ended = outcome(entrypoint, exc_info[1] if exc_info else None, result)
        if ended == "failed":
            ENTRYPOINT_ERRORS.labels(*labels).inc()
        elif ended == "refused":
            ENTRYPOINT_REFUSALS.labels(*labels).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(*labels).observe(time.perf_counter() - started)


def metrics_response() -> Response:
    """The `/metrics` page in Prometheus text format."""
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST.split(";")[0])
