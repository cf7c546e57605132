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
from nameko.events import BROADCAST, event_handler
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from gateway import tokens
from gateway.auth import AuthError, Principal, issue_token, principal_from_header
from gateway.csvout import to_csv
from gateway.tokens import TokenGuard
from svckit.metrics import EntrypointMetrics, metrics_response

log = logging.getLogger(__name__)

CALLBACK_STATES = ("due", "overdue")
CALLER_NUMBER = re.compile(r"^[0-9+*#-]{1,64}$")
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
            result = handler(self, request, *args, **kwargs)
            return result if isinstance(result, Response) else json_response(200, result)
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
    # Requests without publisher confirms: a lost request times out as a 503 anyway, and the
    # broker's confirm was a round trip on every read (issue 10, bench/api_reads.py).
    staffing = RpcProxy("staffing", use_confirms=False)
    calls = RpcProxy("calls", use_confirms=False)
    metrics = EntrypointMetrics()
    tokens = TokenGuard()

    # --- tokens (issue 10): the OAuth2 token endpoint and revocations (gateway/tokens.py) ------

    @http("POST", "/api/auth/token")
    def create_token(self, request: Request) -> Response:
        """RFC 6749 password and refresh_token grants, form-encoded or JSON."""
        try:
            params = tokens.grant_parameters(request)
            if params["grant_type"] == "password":
                granted = self._password_grant(params["username"], params["password"],
                                               (request.remote_addr or "unknown")[:64])
            else:
                granted = self._ask(self.staffing.refresh_login, params["refresh_token"])
                if not granted["ok"]:
                    reused = granted.get("error") == "reused"
                    raise tokens.OAuthError(400, "invalid_grant", "the refresh token is not "
                                            "valid (expired, revoked or used)",
                                            "refresh_reused" if reused else "invalid_refresh")
        except tokens.OAuthError as exc:
            return exc.response()
        except (eventlet.Timeout, UnknownService):
            return tokens.OAuthError(503, "temporarily_unavailable",
                                     "service staffing is not running or did not answer",
                                     "busy", 1).response()
        ttl = self.tokens.access_ttl_seconds
        access = issue_token(granted["staff"], self._secret(), timedelta(seconds=ttl))
        return tokens.token_reply(access, ttl, granted)

    def _password_grant(self, username: str, password: str, address: str) -> dict:
        refusals = self.tokens.refusals
        keys = (("user", username), ("address", address))
        if (known := refusals.refusal(*keys)) is not None:
            # staffing said so a moment ago: no RPC, no hashing; a client that does not wait
            # as told is answered slowly (a green sleep), so a flood cannot spin on us
            eventlet.sleep(min(float(known.retry_after or 1), tokens.TARPIT_SECONDS))
            raise known
        granted = self._ask(self.staffing.login, username, password, address)
        for kind, key in keys:
            refusals.remember(kind, key, (granted.get("waits") or {}).get(kind, 0))
        if granted.get("error") == "busy":  # staffing is saturated: spare it for a second
            refusals.remember("address", address, 1.0)
        if granted.get("error") == "locked":
            refusals.remember("user", username, tokens.LOCKED_CACHE_SECONDS, locked=True)
        if not granted["ok"]:
            raise tokens.refusal(granted)
        return granted

    @event_handler("staffing", "staff.left", handler_type=BROADCAST, reliable_delivery=False)
    def on_staff_left(self, event: dict) -> None:
        self.tokens.revocations.revoke(int(event["payload"]["staff_id"]))

    @event_handler("staffing", "staff.transferred", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_staff_transferred(self, event: dict) -> None:
        self.tokens.revocations.revoke(int(event["payload"]["staff_id"]))

    @event_handler("staffing", "staff.role_changed", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_staff_role_changed(self, event: dict) -> None:
        self.tokens.revocations.revoke(int(event["payload"]["staff_id"]))

    @http("POST", "/api/org/staff/<int:staff_id>/unlock")
    @api
    def org_staff_unlock(self, request: Request, staff_id: int) -> dict:
        """HR or the hall director lift a login lockout (staffing decides who may)."""
        lifted = self._org(request, "lift_login_lockout", staff_id)
        self.tokens.refusals.forget("user", lifted["username"])  # other gateways: in seconds
        return lifted

    @http("POST", "/api/org/staff/<int:staff_id>/role")
    @api
    def org_staff_role(self, request: Request, staff_id: int) -> dict:
        """``{hotline_role: seat_agent|duty_leader|deputy_team_lead|null}`` (HR, hall director)."""
        return self._org(request, "staff_change_role", staff_id,
                         _json_body(request).get("hotline_role"))

    @http("GET", "/api/work-orders/overdue")
    @api
    def overdue_work_orders(self, request: Request) -> dict:
        """Orders with a clock past due (issue 3): a seat agent's own, or all for a leader."""
        return {"items": self._ask(self.calls.list_overdue, self._caller(request))}

    @http("GET", "/api/callbacks")
    @api
    def callbacks(self, request: Request) -> dict:
        """Promised callbacks not answered yet (S1.10), ``?state=due`` (default) or ``overdue``."""
        caller = self._caller(request)
        state = _choice(request, "state", CALLBACK_STATES)
        items = self._ask(self.calls.list_callbacks, state, caller)
        return {"state": state, "items": items}

    @http("GET", "/api/work-orders/<string:work_order_id>")
    @api
    def get_work_order(self, request: Request, work_order_id: str) -> dict:
        order = self._ask(self.calls.get_work_order, work_order_id, self._caller(request))
        if order is None:
            raise ApiError(404, f"work order {work_order_id} not found")
        return order

    @http("POST", "/api/work-orders/<string:work_order_id>/<string:action>")
    @api
    def act_on_work_order(self, request: Request, work_order_id: str, action: str) -> dict:
        """A lifecycle action (assign, dispatch, start, ..., classify); fields in the body."""
        caller = self._caller(request)
        fields = _json_body(request)
        return self._ask(self.calls.act_on_work_order, work_order_id, action, caller, fields)

    @http("GET", "/api/queues/mine")
    @api
    def my_queue(self, request: Request) -> dict:
        return {"items": self._ask(self.calls.list_queue, self._caller(request))}

    @http("GET", "/api/queues/departments/<string:department>")
    @api
    def department_queue(self, request: Request, department: str) -> dict:
        """What a handling department must act on: its own staff, or the hotline (calls
        decides, services/calls/access.py)."""
        return {"items": self._ask(self.calls.list_queue, self._caller(request), department)}

    @http("GET", "/api/work-orders")
    @api
    def list_work_orders(self, request: Request) -> dict:
        reader = self._caller(request)
        caller = request.args.get("caller", "")
        if not CALLER_NUMBER.match(caller):
            raise ApiError(400, "query parameter 'caller' must be a phone number")
        return {"items": self._ask(self.calls.list_work_orders, caller, reader)}

    # --- the customer registry (S1.10; S3.2): hotline staff search, register and update ------

    @http("GET", "/api/customers")
    @api
    def search_customers(self, request: Request) -> dict:
        """?q= (a number prefix or part of a name) &page= &per_page= (at most 100)."""
        args = request.args
        return self._ask(
            self.calls.search_customers, self._caller(request), args.get("q", ""),
            args.get("page", "1"), args.get("per_page", "20"),
        )

    @http("POST", "/api/customers")
    @api
    def register_customer(self, request: Request) -> dict:
        """``{number, name, work_unit?, contact?, address?}``"""
        caller = self._caller(request)
        return self._ask(self.calls.register_customer, _json_body(request), caller)

    @http("GET", "/api/customers/<string:number>")
    @api
    def get_customer(self, request: Request, number: str) -> dict:
        """A customer with their work orders and calls as history."""
        return self._ask(self.calls.get_customer, self._caller(request), number)

    @http("PUT,PATCH", "/api/customers/<string:number>")
    @api
    def update_customer(self, request: Request, number: str) -> dict:
        """Set the fields given (name, work_unit, contact, address); the number stays."""
        caller = self._caller(request)
        return self._ask(self.calls.update_customer, number, _json_body(request), caller)

    @http("GET", "/api/calls/<string:uniqueid>")
    @api
    def get_call(self, request: Request, uniqueid: str) -> dict:
        call = self._ask(self.calls.get_call, uniqueid, self._caller(request))
        if call is None:
            raise ApiError(404, f"call {uniqueid} not found")
        return call

    @http("GET", "/api/evaluations/<string:month>")
    @api
    def monthly_evaluation(self, request: Request, month: str) -> dict | Response:
        """The month's evaluation (S3.2) as JSON, or as CSV with ``?format=csv``; staffing
        decides who reads what (the hotline's leaders and HR in full, S1.21; an agent her own)."""
        principal = self._authenticated(request)
        rows = self._ask(self.staffing.monthly_evaluation, month, principal.staff_id)
        if request.args.get("format") == "csv":
            return csv_download(to_csv(rows), f"evaluation-{month}.csv")
        return {"month": month, "items": rows}

    @http("PUT", "/api/evaluations/<string:month>/<int:staff_id>")
    @api
    def score_evaluation(self, request: Request, month: str, staff_id: int) -> dict:
        """The duty leader's score (0-100) and comment for one person's month."""
        principal = self._authenticated(request)  # staffing decides who scores whom
        body = _json_body(request)
        return self._ask(
            self.staffing.score_evaluation,
            month, staff_id, body.get("score"), body.get("comment", ""), principal.staff_id,
        )

    # --- attendance (S1.16) and the staffing plan (S3.3) ------------------------------------

    @http("POST", "/api/attendance/clock-in")
    @api
    def clock_in(self, request: Request) -> dict:
        """Any authenticated staff member clocks in, for themselves only."""
        return self._clock(self.staffing.clock_in, request)

    @http("POST", "/api/attendance/clock-out")
    @api
    def clock_out(self, request: Request) -> dict:
        return self._clock(self.staffing.clock_out, request)

    @http("GET", "/api/attendance/report")
    @api
    def attendance_report(self, request: Request) -> dict | Response:
        """?month=YYYY-MM [&department=] [&format=json|csv] [&by=person|department]"""
        principal = self._authenticated(request)  # staffing decides who reads what
        fmt = _choice(request, "format", ("json", "csv"))
        by = _choice(request, "by", ("person", "department"))
        month, department = request.args.get("month", ""), request.args.get("department")
        report = self._ask(
            self.staffing.attendance_report, principal.staff_id, month, department or None
        )
        if fmt == "json":
            return report
        rows = report["people"] if by == "person" else report["departments"]
        table = to_csv({"month": report["month"], **row} for row in rows)
        return csv_download(table, f"attendance-{month}-by-{by}.csv")

    @http("GET", "/api/staffing-plan")
    @api
    def staffing_plan(self, request: Request) -> dict:
        """?date=YYYY-MM-DD [&target_level=0.8] [&target_seconds=20] [&shrinkage=0.3] ..."""
        caller = self._caller(request)  # staffing decides: the hotline's leaders (S3.2)
        overrides = {key: request.args[key] for key in PLAN_OVERRIDES if key in request.args}
        return self._ask(
            self.staffing.staffing_plan, request.args.get("date", ""), overrides, caller)

    def _clock(self, method, request: Request) -> dict:
        principal = self._authenticated(request)
        record = self._ask(method, principal.staff_id)
        if record is None:
            raise ApiError(404, f"staff member {principal.staff_id} not found")
        return record

    # --- organisation, leave, duty rota: staffing decides authority from the caller's id ----
    # Any authenticated staff member may call these (not only hotline roles); the staffing
    # service decides authority from the caller's staff id and refuses by raising one of its
    # refusals, mapped to 4xx here (REFUSALS).

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

    @http("POST", "/api/leave/<int:leave_id>/cover")
    @api
    def leave_cover(self, request: Request, leave_id: int) -> dict:
        """``{post, staff_id}``: who acts for the leaver's post while nobody else is there."""
        return self._org(request, "name_leave_cover", leave_id, _json_body(request))

    @http("GET", "/api/rota")
    @api
    def rota_day(self, request: Request) -> dict:
        return self._org(request, "rota", request.args.get("day"))

    @http("POST", "/api/rota/handover")
    @api
    def rota_handover(self, request: Request) -> dict:
        return self._org(request, "record_rota_handover", _json_body(request).get("items"))

    # --- the hotline roster (S3.2) and attendance corrections (S1.16, S1.19): staffing decides
    # who may plan, approve or correct from the caller's id.

    @http("GET", "/api/roster/templates")
    @api
    def roster_templates(self, request: Request) -> dict:
        return self._org(request, "shift_templates")

    @http("POST", "/api/roster/templates")
    @api
    def roster_add_template(self, request: Request) -> dict:
        return self._org(request, "add_shift_template", _json_body(request))

    @http("POST", "/api/roster/plan")
    @api
    def roster_plan(self, request: Request) -> dict:
        """``{from, days, assignments: [{staff_id, pattern: [template | "rest"]}]}``."""
        return self._org(request, "plan_roster", _json_body(request))

    @http("GET", "/api/roster")
    @api
    def roster_shifts(self, request: Request) -> dict:
        """?from=YYYY-MM-DD&days=28 [&staff_id=<id>|all (a duty leader)]: the shifts."""
        query = {key: request.args[key] for key in ("from", "days", "staff_id")
                 if key in request.args}
        return self._org(request, "roster_shifts", query)

    @http("GET", "/api/roster/coverage")
    @api
    def roster_coverage(self, request: Request) -> dict:
        """?date=YYYY-MM-DD: seats needed against seats rostered per half hour (S3.3)."""
        return self._org(request, "roster_coverage", request.args.get("date", ""))

    @http("GET", "/api/roster/swaps")
    @api
    def roster_swaps(self, request: Request) -> dict:
        return self._org(request, "shift_swaps")

    @http("POST", "/api/roster/swaps")
    @api
    def roster_request_swap(self, request: Request) -> dict:
        """``{partner_id, day, partner_day?, reason?}``; the duty leader decides."""
        return self._org(request, "request_shift_swap", _json_body(request))

    @http("POST", "/api/roster/swaps/<int:swap_id>/<string:decision>")
    @api
    def roster_decide_swap(self, request: Request, swap_id: int, decision: str) -> dict:
        if decision not in ("approve", "reject"):
            raise ApiError(404, f"no endpoint POST /api/roster/swaps/{swap_id}/{decision}")
        note = _json_body(request).get("note", "") if request.get_data() else ""
        if not isinstance(note, str):
            raise ApiError(400, "note must be a string")
        return self._org(request, "decide_shift_swap", swap_id, decision == "approve", note)

    @http("POST", "/api/attendance/corrections")
    @api
    def attendance_correct(self, request: Request) -> dict:
        """``{staff_id, day, status: present|absent|excused, reason}`` (HR, hall director)."""
        return self._org(request, "correct_attendance", _json_body(request))

    @http("GET", "/api/attendance/history/<int:staff_id>")
    @api
    def attendance_history(self, request: Request, staff_id: int) -> dict:
        """A person's attendance corrections and absences, with how each absence ended."""
        return self._org(request, "attendance_history", staff_id)
    @http("POST", "/api/rota/handover/<string:day>/confirm")
    @api
    def rota_handover_confirm(self, request: Request, day: str) -> dict:
        """The next window confirms the handover it received (S1.9); optional ``{note}``."""
        note = _json_body(request).get("note") if request.get_data() else None
        return self._org(request, "confirm_rota_handover", day, note)

    def _org(self, request: Request, method: str, *args):
        """Call staffing's ``method(caller_staff_id, *args)``; its refusals become 4xx (api)."""
        principal = self._authenticated(request)
        return self._ask(getattr(self.staffing, method), principal.staff_id, *args)

    @http("GET", "/api/outages")
    @api
    def list_outages(self, request: Request) -> dict:
        """Active outages and open storms: any hotline role (calls decides)."""
        return self._ask(self.calls.list_outages, self._caller(request))

    @http("POST", "/api/outages")
    @api
    def declare_outage(self, request: Request) -> dict:
        """Declare an outage: ``{area, description, expected_restore_at?, address_keywords?}``."""
        caller = self._caller(request)  # calls decides: a duty leader and up (S3.2)
        body = _json_body(request)
        area, description = body.get("area"), body.get("description", "")
        keywords = body.get("address_keywords")
        if not isinstance(area, str) or not area.strip():
            raise ApiError(400, "area (the name of an area) is required")
        if not isinstance(description, str):
            raise ApiError(400, "description must be text")
        if keywords is not None and (
            not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords)
        ):
            raise ApiError(400, "address_keywords must be a list of strings")
        return self._ask(
            self.calls.declare_outage, area, description, caller,
            body.get("expected_restore_at"), keywords,
        )

    @http("POST", "/api/outages/<string:outage_id>/lift")
    @api
    def lift_outage(self, request: Request, outage_id: str) -> dict:
        return self._ask(self.calls.lift_outage, outage_id, self._caller(request))

    @http("GET", "/metrics")
    def metrics_page(self, request: Request) -> Response:
        return metrics_response()

    @http("GET,POST,PUT,PATCH,DELETE", "/<path:path>")
    @api
    def unknown(self, request: Request, path: str) -> dict:
        raise ApiError(404, f"no endpoint {request.method} /{path}")

    def _authenticated(self, request: Request) -> Principal:
        try:
            principal = principal_from_header(request.headers.get("Authorization"),
                                              self._secret())
        except AuthError as exc:
            raise ApiError(401, str(exc)) from exc
        revocations = self.tokens.revocations
        if not revocations.loaded:  # first use: who was revoked within a token's life
            revocations.load(self._ask(self.staffing.token_revocations, revocations.ttl))
        if revocations.revoked(principal.staff_id, principal.issued_at):
            raise ApiError(401, "the token was revoked (the member left, moved or changed "
                           "role): sign in again")
        return principal

    def _caller(self, request: Request) -> int:
        """The authenticated caller's staff id: the services decide what they may do from their
        current record (issue 10), never from the token's role or department."""
        return self._authenticated(request).staff_id

    def _ask(self, method, *args):
        """An RPC with the gateway's time bound (eventlet.Timeout becomes a 503)."""
        with eventlet.Timeout(self.config.get("GATEWAY", {}).get("rpc_timeout_seconds", 5)):
            return method(*args)

    def _secret(self) -> str:
        return self.config["GATEWAY"]["token_secret"]


# Settings of the staffing plan a leader may change for one request (S3.3).
PLAN_OVERRIDES = ("target_level", "target_seconds", "shrinkage", "max_occupancy",
                  "handling_time_seconds")


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, allowed[0])
    if value not in allowed:
        raise ApiError(400, f"query parameter '{name}' must be one of {', '.join(allowed)}")
    return value


def csv_download(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _json_body(request: Request) -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body
