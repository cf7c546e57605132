"""Liveness and readiness over HTTP, the same for every service (issue 17).

Liveness (``/health/live``): the process answers HTTP, so its eventlet hub runs; nothing else is
checked (a broker or database outage must not get every pod restarted). Readiness
(``/health/ready``): the broker accepts a connection, the service's database answers and its
schema is at the newest migration. Each check is bounded in time; the answer is JSON naming
each check, 200 when all pass, 503 otherwise.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import eventlet
from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import text
from werkzeug.wrappers import Response

from svckit.broker import node_uris
from svckit.db import Database, ServiceStore
from svckit.migrations import head

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
CHECK_SECONDS = 2.0


def broker_reachable(amqp_uri: str) -> bool:
    """One of the broker's nodes answers (each of ``AMQP_URI``'s is tried once)."""
    with Connection(amqp_uri, connect_timeout=CHECK_SECONDS) as connection:
        connection.ensure_connection(max_retries=max(1, len(node_uris(amqp_uri)) - 1))
        return connection.connected


def database_reachable(store: ServiceStore) -> bool:
    with store.engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one() == 1


def schema_current(store: ServiceStore, newest: str | None) -> bool:
    with store.engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return newest in set(current)


class Health(DependencyProvider):
    """What a service's probes ask. The newest migration is read once from the service's
    Alembic tree (``services/<name>/migrations``); a service without one (the gateway) has no
    database checks.

    ``serves_degraded``: the service answers with its broker or database down (calls takes
    calls and keeps them in its spool, issue 15), so an outage makes it ``degraded``, still
    ready (taking it out of service would send every caller to the dialplan's fallback,
    unrecorded); only a database that answers with an old schema makes it unready.
    """

    def __init__(self, serves_degraded: bool = False) -> None:
        self.serves_degraded = serves_degraded

    def ready(self, checks: dict[str, bool]) -> bool:
        if not self.serves_degraded:
            return all(checks.values())
        return not checks.get("database", False) or checks.get("migrations", True)

    def setup(self) -> None:
        folder = ROOT / "services" / self.container.service_name
        self.newest = head(folder) if (folder / "migrations").is_dir() else None

    def _store(self) -> ServiceStore | None:
        for dependency in self.container.dependencies:
            if isinstance(dependency, Database):
                return dependency.store
        return None

    def checks(self) -> dict[str, bool]:
        store = self._store()
        checks = {"broker": lambda: broker_reachable(self.container.config["AMQP_URI"])}
        if store is not None:
            checks["database"] = lambda: database_reachable(store)
            if self.newest:
                checks["migrations"] = lambda: schema_current(store, self.newest)
        return {name: _passes(name, check) for name, check in checks.items()}

    def get_dependency(self, worker_ctx) -> Health:
        return self


def _passes(name: str, check) -> bool:
    try:
        with eventlet.Timeout(CHECK_SECONDS):
            return bool(check())
    except (Exception, eventlet.Timeout):
        log.warning("readiness check %s failed", name, exc_info=True)
        return False


def live_response(service: str) -> Response:
    return _json(200, {"status": "live", "service": service})


def ready_response(service: str, health: Health) -> Response:
    checks = health.checks()
    ready = health.ready(checks)
    status = "not ready" if not ready else "ready" if all(checks.values()) else "degraded"
    body = {"status": status, "service": service, "checks": checks}
    return _json(200 if ready else 503, body)


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
