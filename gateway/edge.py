"""The gateway's edge, the nameko way: one error mapping, bounded input, one route entrypoint.

- ``ApiRoute`` subclasses nameko's ``HttpRequestHandler``: it validates the path values, the
  query and the body against the models the route declares (gateway/models.py) *before* a
  worker is taken, turns a handler's dict into JSON, and maps every exception to an RFC 9457
  problem (``application/problem+json``: type, title, status, detail, code; ``error`` is kept as
  an alias of ``detail`` for older clients).
- ``EdgeServer`` subclasses nameko's ``WebServer``: its WSGI app answers unknown routes (404),
  wrong methods (405) and ``OPTIONS`` (204 with ``Allow``) as problems, and ``BoundedInput``
  reads each request body with a deadline and a size limit in the connection's own green
  thread, so a slow or huge upload never holds one of the service's ``max_workers`` workers.
- ``EdgeProtocol`` serves one request of a keep-alive connection per turn of the hub.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import eventlet
from eventlet import wsgi
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from pydantic import BaseModel, TypeAdapter, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT_SECONDS = 10.0
SOCKET_TIMEOUT_SECONDS = 60.0

TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
    413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}
# The stable machine-readable code of a status when nothing more precise is known.
CODES = {
    400: "invalid_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "body_timeout", 409: "conflict", 413: "body_too_large",
    415: "unsupported_media_type", 429: "too_many_requests", 500: "internal_error",
    502: "backend_failed", 503: "backend_unavailable",
}
# Refusals the services raise on purpose (nameko RemoteError.exc_type) → HTTP status.
REFUSALS = {
    "WorkOrderNotFound": 404,
    "IllegalTransition": 409,
    "InvalidFields": 400,
    "NotAllowed": 403,
    # the staffing service's organisation refusals (services/staffing/refusals.py)
    "Invalid": 400,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "OutageNotFound": 404,
    "OutageConflict": 409,
    "UnknownArea": 400,
    "InvalidOutage": 400,
    # the calls service's customer registry (services/calls/customers.py)
    "InvalidCustomer": 400,
    "CustomerNotFound": 404,
    "CustomerConflict": 409,
    "StaffingUnavailable": 503,
    # the inbox service (services/inbox): another person's notice is not found either
    "NoticeNotFound": 404,
    # a list's cursor or limit (svckit/paging.py)
    "BadCursor": 400,
}


class ApiError(Exception):
    """A refusal at the edge: an HTTP status, a message for the person, a stable code."""

    def __init__(
        self, status: int, message: str, code: str | None = None,
        headers: dict[str, str] | None = None, **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}
        self.extra = extra


class BackendTimeout(ApiError):
    """A backend service did not answer within the gateway's bound (503)."""

    def __init__(self) -> None:
        super().__init__(503, "a backend service did not answer in time", "backend_timeout")


def problem_body(status: int, detail: str, code: str | None = None, **extra: Any) -> dict:
    code = code or CODES.get(status, "error")
    return {
        "type": f"/api/docs#problem-{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "error": detail,  # the pre-issue-10 member, kept as an alias of detail
        **extra,
    }


def problem(status: int, detail: str, code: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = problem_body(status, detail, code, **extra)
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM,
        headers=headers or {},
    )


def json_response(status: int, body: Any) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def problem_from_exception(exc: BaseException) -> Response:
    """The one error mapping of the gateway."""
    if isinstance(exc, ApiError):
        if exc.status == 401:
            exc.headers.setdefault("WWW-Authenticate", 'Bearer realm="csc"')
        return problem(exc.status, exc.message, exc.code, exc.headers, **exc.extra)
    if isinstance(exc, ValidationError):
        return validation_problem(exc)
    if isinstance(exc, eventlet.Timeout):
        return problem(503, "a backend service did not answer in time", "backend_timeout")
    if isinstance(exc, UnknownService):
        return problem(503, f"service {exc} is not running", "backend_unavailable")
    if isinstance(exc, RemoteError):
        if exc.exc_type in REFUSALS:
            return problem(REFUSALS[exc.exc_type], str(exc.value), _snake(exc.exc_type))
        log.error("a backend service failed: %s", exc)
        return problem(502, "a backend service failed; see its log", "backend_failed")
    if isinstance(exc, HTTPException):
        return problem(exc.code or 500, exc.description or exc.name)
    log.error("the gateway failed", exc_info=exc)
    return problem(500, "the gateway failed; see its log", "internal_error")


def status_of(exc: BaseException) -> int:
    """The HTTP status :func:`problem_from_exception` answers ``exc`` with (for the metrics:
    a 5xx is a failure, a 4xx a refusal), without building or logging the answer."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, (ValidationError, _PartProblem)):
        return 400
    if isinstance(exc, (eventlet.Timeout, UnknownService)):
        return 503
    if isinstance(exc, RemoteError):
        return REFUSALS.get(exc.exc_type, 502)
    if isinstance(exc, HTTPException):
        return exc.code or 500
    return 500


def validation_problem(exc: ValidationError, where: str = "") -> Response:
    """A 400 naming each wrong value by where it is (``body.score``, ``query.limit``,
    ``path.month``) and why."""
    prefix = where.split(".") if where else []
    errors = [
        {
            "loc": [*prefix, *[str(part) for part in error["loc"]]],
            "msg": error["msg"].removeprefix("Value error, "),
            "type": error["type"],
        }
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ][:20]
    detail = "; ".join(f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors[:5])
    return problem(400, detail or "invalid request", "invalid_request", errors=errors)


class _PartProblem(Exception):
    """Validation of one part of the request (path, query or body) failed."""

    def __init__(self, where: str, error: ValidationError) -> None:
        super().__init__(where)
        self.where = where
        self.error = error


class ApiRoute(HttpRequestHandler):
    """An http entrypoint with declared inputs: ``path`` types come from
    gateway.models.PATH_TYPES by name, ``query`` and ``body`` are pydantic models whose
    validated instances reach the handler as the ``query`` and ``body`` keyword arguments.

    ``consumes`` are the accepted body media types (415 otherwise); ``produces`` and
    ``summary`` feed the OpenAPI description (gateway/openapi.py); ``auth`` says the route
    wants a bearer token (documented, and checked by the handler itself).

    Described only (gateway/openapi.py), never enforced at run time: ``reply``, the success
    answer's model (gateway/replies.py); ``links``, what the answer leads to (``{operationId:
    {parameter: runtime expression}}``, OpenAPI links); ``described_body``, the body of a route
    that parses its own (the token endpoint answers in RFC 6749 terms, not as a problem).

    ``remembered``: ``(container, request) -> Response | None``, asked before a worker is
    taken; an answer it has in memory is served at once (gateway/order_reads.py), None goes on
    to the handler as usual."""

    server = None  # set below, once EdgeServer exists

    def __init__(
        self, method: str, url: str, *, query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None, consumes: tuple[str, ...] = ("application/json",),
        produces: tuple[str, ...] = ("application/json",), auth: bool = True,
        summary: str | None = None, public: bool = True, reply: Any = None,
        links: dict[str, dict[str, str]] | None = None,
        described_body: type[BaseModel] | None = None,
        remembered: Callable[[Any, Request], Response | None] | None = None, **kwargs: Any,
    ) -> None:
        self.remembered = remembered
        self.query_model = query
        self.body_model = body
        self.reply = reply
        self.links = links or {}
        self.described_body = described_body
        self.consumes = consumes
        self.produces = produces
        self.auth = auth
        self.summary = summary
        self.public = public
        kwargs.setdefault("expected_exceptions", (ApiError, RemoteError))
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        if self.remembered is not None:
            try:
                answer = self.remembered(self.container, request)
            except Exception as exc:  # e.g. a bad token: the same problem the handler gives
                return self.response_from_exception(exc)
            if answer is not None:
                return answer
        return super().handle_request(request)

    def get_entrypoint_parameters(self, request: Request):
        from gateway.models import PATH_TYPES

        args, kwargs = super().get_entrypoint_parameters(request)
        path = {}
        for name, value in kwargs.items():
            try:
                path[name] = (_path_adapter(name).validate_python(value)
                              if name in PATH_TYPES else value)
            except ValidationError as exc:
                raise _PartProblem(f"path.{name}", exc) from None
        if self.query_model is not None:
            try:
                path["query"] = self.query_model.model_validate(
                    {key: request.args.get(key) for key in request.args}
                )
            except ValidationError as exc:
                raise _PartProblem("query", exc) from None
        if self.body_model is not None:
            path["body"] = self._body(request)
        return args, path

    def _body(self, request: Request) -> BaseModel:
        data = request.get_data(cache=True)
        if not data.strip():
            data = b"{}"
        else:
            kind = (request.mimetype or "application/json").lower()
            if kind not in self.consumes:
                raise ApiError(
                    415, f"the body must be {' or '.join(self.consumes)}, not {kind}",
                    headers={"Accept-Post": ", ".join(self.consumes)},
                )
            if kind == "application/x-www-form-urlencoded":
                form = {key: request.form.get(key) for key in request.form}
                try:
                    return self.body_model.model_validate(form)
                except ValidationError as exc:
                    raise _PartProblem("body", exc) from None
        try:
            return self.body_model.model_validate_json(data)
        except ValidationError as exc:
            raise _PartProblem("body", exc) from None

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        return json_response(200, result)

    def status_of(self, exc: BaseException) -> int:
        return status_of(exc)

    def response_from_exception(self, exc: BaseException) -> Response:
        if isinstance(exc, _PartProblem):
            return validation_problem(exc.error, exc.where)
        return problem_from_exception(exc)


route = ApiRoute.decorator


@functools.cache
def _path_adapter(name: str) -> TypeAdapter:
    """The validator of a path value, built once (building one costs a schema generation:
    more than a whole read served from memory)."""
    from gateway.models import PATH_TYPES

    return TypeAdapter(PATH_TYPES[name])


class EdgeWsgiApp(WsgiApp):
    """nameko's WsgiApp, with routing failures as problems and OPTIONS answered."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        if request.method == "OPTIONS":
            allowed = adapter.allowed_methods()
            if not allowed:
                return problem(404, f"no endpoint {request.path}")(environ, start_response)
            allow = ", ".join(sorted({*allowed, "OPTIONS"}))
            return Response(status=204, headers={"Allow": allow})(environ, start_response)
        try:
            provider, values = adapter.match()
        except MethodNotAllowed as exc:
            allow = ", ".join(sorted({*(exc.valid_methods or ()), "OPTIONS"}))
            response = problem(
                405, f"{request.method} is not allowed on {request.path}; allowed: {allow}",
                headers={"Allow": allow},
            )
            return response(environ, start_response)
        except NotFound:
            response = problem(404, f"no endpoint {request.method} {request.path}")
            return response(environ, start_response)
        except HTTPException as exc:
            return problem_from_exception(exc)(environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class BoundedInput:
    """WSGI middleware: the body read here, at most ``max_bytes`` and within ``timeout``
    seconds, before any worker is taken (413 and 408 otherwise, closing the connection)."""

    def __init__(self, app: Callable, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def __call__(self, environ, start_response):
        raw_length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not raw_length and not chunked:
            return self.app(environ, start_response)
        try:
            length = int(raw_length) if raw_length else None
        except ValueError:
            return self._refuse(environ, start_response, 400, "Content-Length is not a number")
        if length is not None and (length < 0 or length > self.max_bytes):
            return self._refuse(
                environ, start_response, 413,
                f"the body is {length} bytes; at most {self.max_bytes} are accepted",
                limit=self.max_bytes,
            )
        try:
            with eventlet.Timeout(self.timeout):
                body = environ["wsgi.input"].read(
                    length if length is not None else self.max_bytes + 1
                )
        except eventlet.Timeout:
            return self._refuse(
                environ, start_response, 408,
                f"the body did not arrive within {self.timeout:g} s", "body_timeout",
            )
        except (OSError, ValueError) as exc:
            return self._refuse(environ, start_response, 400, f"the body could not be read: {exc}")
        if len(body) > self.max_bytes:
            return self._refuse(
                environ, start_response, 413,
                f"the body is over {self.max_bytes} bytes", limit=self.max_bytes,
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(environ, start_response, status, detail, code=None, **extra):
        protocol = environ.get("csc.protocol")
        if protocol is not None:  # the rest of the body is not read: close, do not discard
            protocol.close_connection = 1
        return problem(status, detail, code, **extra)(environ, start_response)


class EdgeProtocol(HttpOnlyProtocol):
    """nameko's protocol, with itself in the environ so the edge can close a connection, and
    one request per turn on a keep-alive connection."""

    def get_environ(self):
        environ = super().get_environ()
        environ["csc.protocol"] = self
        return environ

    def handle_one_request(self):
        super().handle_one_request()
        # A green thread yields only when a read would block. A busy client's next request
        # is usually there already, so without this its connection was served again and
        # again while the others waited: under 50 readers, a fast median and a p99 of
        # hundreds of ms (the hub woke a 5 ms sleeper up to 450 ms late; bench/api_reads.py).
        eventlet.sleep(0)


class EdgeServer(WebServer):
    """nameko's WebServer with the gateway's edge (see the module docstring)."""

    def _settings(self) -> dict:
        return self.container.config.get("GATEWAY") or {}

    def get_wsgi_app(self):
        settings = self._settings()
        return BoundedInput(
            EdgeWsgiApp(self),
            int(settings.get("max_body_bytes", MAX_BODY_BYTES)),
            float(settings.get("body_timeout_seconds", BODY_TIMEOUT_SECONDS)),
        )

    def get_wsgi_server(self, sock, wsgi_app, protocol=EdgeProtocol, debug=False):
        # A log line per request (eventlet's access log) cost a third of a read served from
        # memory at LOG_LEVEL=INFO (bench/api_reads.py); the Ingress keeps access logs, the
        # gateway its metrics per route and its failures. GATEWAY.access_log turns it on.
        return wsgi.Server(
            sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
            log=logging.getLogger("nameko.web.server"),
            log_output=bool(self._settings().get("access_log", False)),  # YAML: true/false
            socket_timeout=float(
                self._settings().get("socket_timeout_seconds", SOCKET_TIMEOUT_SECONDS)
            ),
        )


ApiRoute.server = EdgeServer()

