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
CALLER_NUMBER = re.compile(r"^[0-9+*#-]{1,64}$")
# The staffing service's refusals (services/staffing/refusals.py) by exception name.
REFUSAL_STATUS = {"Invalid": 400, "Forbidden": 403, "NotFound": 404, "Conflict": 409}


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
        except RemoteError:
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

    @http("GET", "/api/work-orders/<string:work_order_id>")
    @api
    def get_work_order(self, request: Request, work_order_id: str) -> dict:
        self._principal(request)
        order = self._ask(self.calls.get_work_order, work_order_id)
        if order is None:
            raise ApiError(404, f"work order {work_order_id} not found")
        return order

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

    # --- Organisation, leave, duty rota (issue 4) -------------------------------------------
    # Any authenticated staff member may call these (not only hotline roles); the staffing
    # service decides authority from the caller's staff id and refuses by raising one of its
    # refusals, mapped to 4xx here (REFUSAL_STATUS).

    @http("GET", "/api/org")
    @api
    def org_overview(self, request: Request) -> dict:
        return self._org(request, "org_overview")

    @http("GET", "/api/org/on-duty")
    @api
    def org_on_duty(self, request: Request) -> dict:
        return self._org(request, "on_duty", request.args.get("at"))

    @http("POST", "/api/org/staff")
    @api
    def org_staff_join(self, request: Request) -> dict:
        return self._org(request, "staff_join", _json_body(request))

    @http("POST", "/api/org/staff/<int:staff_id>/transfer")
    @api
    def org_staff_transfer(self, request: Request, staff_id: int) -> dict:
        return self._org(request, "staff_transfer", staff_id,
                         _json_body(request).get("department"))

    @http("POST", "/api/org/staff/<int:staff_id>/departure")
    @api
    def org_staff_depart(self, request: Request, staff_id: int) -> dict:
        return self._org(request, "staff_depart", staff_id, _json_body(request).get("reason"))

    @http("PUT", "/api/org/posts/<string:code>")
    @api
    def org_assign_post(self, request: Request, code: str) -> dict:
        return self._org(request, "assign_post", code, _json_body(request))

    @http("POST", "/api/leave")
    @api
    def leave_request(self, request: Request) -> dict:
        return self._org(request, "request_leave", _json_body(request))

    @http("GET", "/api/leave")
    @api
    def leave_list(self, request: Request) -> dict:
        return self._org(request, "list_leave")

    @http("GET", "/api/leave/<int:leave_id>")
    @api
    def leave_get(self, request: Request, leave_id: int) -> dict:
        return self._org(request, "get_leave", leave_id)

    @http("POST", "/api/leave/<int:leave_id>/<string:decision>")
    @api
    def leave_decide(self, request: Request, leave_id: int, decision: str) -> dict:
        if decision == "back":
            return self._org(request, "leave_back", leave_id)
        if decision not in ("approve", "reject"):
            raise ApiError(404, f"no endpoint POST /api/leave/{leave_id}/{decision}")
        note = _json_body(request).get("note", "") if request.get_data() else ""
        if not isinstance(note, str):
            raise ApiError(400, "note must be a string")
        return self._org(request, "decide_leave", leave_id, decision == "approve", note)

    @http("GET", "/api/rota")
    @api
    def rota_day(self, request: Request) -> dict:
        return self._org(request, "rota", request.args.get("day"))

    @http("POST", "/api/rota/handover")
    @api
    def rota_handover(self, request: Request) -> dict:
        return self._org(request, "record_rota_handover", _json_body(request).get("items"))

    def _staff_principal(self, request: Request) -> Principal:
        """Any authenticated staff member, whatever their role."""
        try:
            return principal_from_header(request.headers.get("Authorization"), self._secret())
        except AuthError as exc:
            raise ApiError(401, str(exc)) from exc

    def _org(self, request: Request, method: str, *args):
        """Call staffing's ``method(caller_staff_id, *args)``; its refusals become 4xx."""
        principal = self._staff_principal(request)
        try:
            return self._ask(getattr(self.staffing, method), principal.staff_id, *args)
        except RemoteError as exc:
            status = REFUSAL_STATUS.get(exc.exc_type)
            if status is None:
                raise
            raise ApiError(status, str(exc.value)) from exc

    # --- end of organisation, leave, duty rota ---------------------------------------------

    @http("GET", "/metrics")
    def metrics_page(self, request: Request) -> Response:
        return metrics_response()

    @http("GET,POST,PUT,PATCH,DELETE", "/<path:path>")
    @api
    def unknown(self, request: Request, path: str) -> dict:
        raise ApiError(404, f"no endpoint {request.method} /{path}")

    def _principal(self, request: Request) -> Principal:
        try:
            principal = principal_from_header(request.headers.get("Authorization"), self._secret())
        except AuthError as exc:
            raise ApiError(401, str(exc)) from exc
        if principal.role not in HOTLINE_ROLES:
            raise ApiError(403, "this needs a hotline role")
        return principal

    def _ask(self, method, *args):
        """An RPC with the gateway's time bound (eventlet.Timeout becomes a 503)."""
        with eventlet.Timeout(self.config.get("GATEWAY", {}).get("rpc_timeout_seconds", 5)):
            return method(*args)

    def _secret(self) -> str:
        return self.config["GATEWAY"]["token_secret"]

    def _ttl_hours(self) -> float:
        return float(self.config["GATEWAY"].get("token_ttl_hours", 8))


def _json_body(request: Request) -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body
