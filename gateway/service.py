"""The HTTP gateway: authenticated JSON over the services' RPC interfaces."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

import eventlet
from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from contracts.events import Role
from gateway.auth import AuthError, Principal, issue_token, principal_from_header
from svckit.metrics import EntrypointMetrics, metrics_response

log = logging.getLogger(__name__)

HOTLINE_ROLES = {role.value for role in Role}
CALLBACK_STATES = ("due", "overdue")
CALLER_NUMBER = re.compile(r"^[0-9+*#-]{1,64}$")
# Refusals the services raise on purpose (nameko RemoteError.exc_type) → HTTP status.
REFUSALS = {
    "WorkOrderNotFound": 404,
    "IllegalTransition": 409,
    "NotAllowed": 403,
    "InvalidFields": 400,
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(status: int, body: Any) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def api(handler: Callable) -> Callable:
    """Turn ApiError and backend failures into JSON error responses."""

    @wraps(handler)
    def wrapper(self, request: Request, *args, **kwargs) -> Response:
        try:
            return json_response(200, handler(self, request, *args, **kwargs))
        except ApiError as exc:
            return json_response(exc.status, {"error": exc.message})
        except eventlet.Timeout:
            return json_response(503, {"error": "a backend service did not answer in time"})
        except UnknownService as exc:
            return json_response(503, {"error": f"service {exc} is not running"})
        except RemoteError as exc:
            if exc.exc_type in REFUSALS:
                return json_response(REFUSALS[exc.exc_type], {"error": exc.value})
            log.exception("a backend service failed")
            return json_response(502, {"error": "a backend service failed; see its log"})

    return wrapper


class GatewayService:
    name = "gateway"

    config = Config()
    staffing = RpcProxy("staffing")
    calls = RpcProxy("calls")
    metrics = EntrypointMetrics()

    @http("POST", "/api/auth/token")
    @api
    def create_token(self, request: Request) -> dict:
        body = _json_body(request)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise ApiError(400, "username and password (strings) are required")
        staff = self._ask(self.staffing.authenticate, username, password)
        if staff is None:
            raise ApiError(401, "wrong username or password")
        token = issue_token(staff, self._secret(), timedelta(hours=self._ttl_hours()))
        return {"token": token, "token_type": "Bearer", "staff": staff}

    @http("GET", "/api/work-orders/overdue")
    @api
    def overdue_work_orders(self, request: Request) -> dict:
        """Orders with a clock past due (issue 3): a seat agent's own, or all for a leader."""
        principal = self._principal(request)
        return {"items": self._ask(self.calls.list_overdue, _own(principal))}

    @http("GET", "/api/callbacks")
    @api
    def callbacks(self, request: Request) -> dict:
        """Promised callbacks not answered yet (S1.10), ``?state=due`` (default) or ``overdue``."""
        principal = self._principal(request)
        state = request.args.get("state", "due")
        if state not in CALLBACK_STATES:
            raise ApiError(400, f"query parameter 'state' must be due or overdue, not {state!r}")
        items = self._ask(self.calls.list_callbacks, state, _own(principal))
        return {"state": state, "items": items}

    @http("GET", "/api/work-orders/<string:work_order_id>")
    @api
    def get_work_order(self, request: Request, work_order_id: str) -> dict:
        actor = self._actor(request)
        order = self._ask(self.calls.get_work_order, work_order_id, actor)
        if order is None:
            raise ApiError(404, f"work order {work_order_id} not found")
        return order

    @http("POST", "/api/work-orders/<string:work_order_id>/<string:action>")
    @api
    def act_on_work_order(self, request: Request, work_order_id: str, action: str) -> dict:
        """A lifecycle action (assign, dispatch, start, ..., classify); fields in the body."""
        actor = self._actor(request)
        fields = _json_body(request)
        return self._ask(self.calls.act_on_work_order, work_order_id, action, actor, fields)

    @http("GET", "/api/queues/mine")
    @api
    def my_queue(self, request: Request) -> dict:
        principal = self._principal(request)
        return {"items": self._ask(self.calls.list_queue, principal.staff_id)}

    @http("GET", "/api/queues/departments/<string:department>")
    @api
    def department_queue(self, request: Request, department: str) -> dict:
        """What a handling department must act on: its own staff, or any hotline role."""
        actor = self._actor(request)
        if actor["role"] not in HOTLINE_ROLES and actor["department"] != department:
            raise ApiError(403, f"only {department}'s staff or the hotline can see its queue")
        return {"items": self._ask(self.calls.list_queue, None, department)}

    @http("GET", "/api/work-orders")
    @api
    def list_work_orders(self, request: Request) -> dict:
        self._principal(request)
        caller = request.args.get("caller", "")
        if not CALLER_NUMBER.match(caller):
            raise ApiError(400, "query parameter 'caller' must be a phone number")
        return {"items": self._ask(self.calls.list_work_orders, caller)}

    @http("GET", "/api/calls/<string:uniqueid>")
    @api
    def get_call(self, request: Request, uniqueid: str) -> dict:
        self._principal(request)
        call = self._ask(self.calls.get_call, uniqueid)
        if call is None:
            raise ApiError(404, f"call {uniqueid} not found")
        return call

    @http("GET", "/metrics")
    def metrics_page(self, request: Request) -> Response:
        return metrics_response()

    @http("GET,POST,PUT,PATCH,DELETE", "/<path:path>")
    @api
    def unknown(self, request: Request, path: str) -> dict:
        raise ApiError(404, f"no endpoint {request.method} /{path}")

    def _authenticated(self, request: Request) -> Principal:
        try:
            return principal_from_header(request.headers.get("Authorization"), self._secret())
        except AuthError as exc:
            raise ApiError(401, str(exc)) from exc

    def _principal(self, request: Request) -> Principal:
        """A staff member of the hotline (S3.2 roles)."""
        principal = self._authenticated(request)
        if principal.role not in HOTLINE_ROLES:
            raise ApiError(403, "this needs a hotline role")
        return principal

    def _actor(self, request: Request) -> dict:
        """Who acts on work orders: a hotline role, or the staff of a handling department."""
        principal = self._authenticated(request)
        role = principal.role if principal.role in HOTLINE_ROLES else "department"
        if role == "department" and not principal.department:
            raise ApiError(403, "this needs a hotline role or a handling department")
        return {
            "id": str(principal.staff_id),
            "role": role,
            "name": principal.username,
            "department": principal.department,
        }

    def _ask(self, method, *args):
        """An RPC with the gateway's time bound (eventlet.Timeout becomes a 503)."""
        with eventlet.Timeout(self.config.get("GATEWAY", {}).get("rpc_timeout_seconds", 5)):
            return method(*args)

    def _secret(self) -> str:
        return self.config["GATEWAY"]["token_secret"]

    def _ttl_hours(self) -> float:
        return float(self.config["GATEWAY"].get("token_ttl_hours", 8))


def _own(principal: Principal) -> int | None:
    """Whose orders a list shows: a seat agent her own (S1.6), a leader everyone's (S3.2)."""
    return principal.staff_id if principal.role == Role.SEAT_AGENT else None


def _json_body(request: Request) -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body
