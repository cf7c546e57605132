"""FastAGI metrics on prometheus_client's default registry; labels take fixed values only.

Defined once at import; importing this module again (reload, a second import path) reuses the
collectors already registered instead of raising a duplicate-registration error.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

OUTCOMES = ("completed", "hangup", "error", "rejected", "timeout")
PROTOCOL_ERROR_KINDS = (
    "oversize_line",
    "too_many_env_lines",
    "env_timeout",
    "env_incomplete",
    "unknown_script",
    "bad_response",
    "response_timeout",
    "unsolicited_data",
    "command_too_long",
)
#: 10 ms to 10 min: IVR sessions are mostly seconds to a few minutes.
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)


def _existing(name: str):
    return REGISTRY._names_to_collectors.get(name)  # noqa: SLF001 - no public lookup exists


SESSIONS_IN_PROGRESS = _existing("csc_agi_sessions_in_progress") or Gauge(
    "csc_agi_sessions_in_progress", "FastAGI connections open now (accept to close)."
)
SESSION_DURATION = _existing("csc_agi_session_duration_seconds") or Histogram(
    "csc_agi_session_duration_seconds",
    "FastAGI sessions handed to a service method: accept to close.",
    buckets=DURATION_BUCKETS,
)
SESSIONS = _existing("csc_agi_sessions_total") or Counter(
    "csc_agi_sessions_total", "FastAGI sessions by how they ended.", ["outcome"]
)
PROTOCOL_ERRORS = _existing("csc_agi_protocol_errors_total") or Counter(
    "csc_agi_protocol_errors_total",
    "FastAGI protocol violations and refusals, by kind.",
    ["kind"],
)

for _outcome in OUTCOMES:
    SESSIONS.labels(_outcome)
for _kind in PROTOCOL_ERROR_KINDS:
    PROTOCOL_ERRORS.labels(_kind)


def count_session(outcome: str) -> None:
    if outcome not in OUTCOMES:
        outcome = "error"
    SESSIONS.labels(outcome).inc()


def count_protocol_error(kind: str) -> None:
    if kind not in PROTOCOL_ERROR_KINDS:
        kind = "bad_response"
    PROTOCOL_ERRORS.labels(kind).inc()
