"""What every service class inherits (issue 17): entrypoint metrics, the log context of each
worker, and liveness and readiness. nameko finds dependencies and entrypoints on base classes,
so a new service gets all of it by inheriting :class:`ObservedService` (the gateway, whose
routes have their own web server, inherits :class:`Observed` and declares the two routes)."""

from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Response

from svckit.health import Health, live_response, ready_response
from svckit.logs import LogContext
from svckit.metrics import EntrypointMetrics


class Observed:
    name: str
    metrics = EntrypointMetrics()
    log_context = LogContext()
    health = Health()


class ObservedService(Observed):
    """A service with nameko's web server: ``/health/live`` and ``/health/ready`` beside its
    ``/metrics``."""

    @http("GET", "/health/live")
    def health_live(self, request) -> Response:
        return live_response(self.name)

    @http("GET", "/health/ready")
    def health_ready(self, request) -> Response:
        return ready_response(self.name, self.health)
