"""The HTTP gateway: authenticated JSON over the services' RPC interfaces.

Each route declares its inputs (gateway/models.py); the edge (gateway/edge.py) validates them
before a worker is taken and maps every error to a problem; the OpenAPI description
(gateway/openapi.py) is generated from these routes and served at /api/openapi.json."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import quote, urlencode

import eventlet
from nameko.dependency_providers import Config
from nameko.events import BROADCAST
from nameko.exceptions import UnknownService
from werkzeug.wrappers import Request, Response

from contracts.events import TRANSITION_TYPES
from gateway import models as m
from gateway import replies as r
from gateway import tokens
from gateway.auth import Principal, issue_token
from gateway.clients import client_address
from gateway.console import ConsoleAssets
from gateway.csvout import csv_download, to_csv
from gateway.edge import ApiError, BackendTimeout, route
from gateway.openapi import docs_page, openapi_document
from gateway.order_reads import OrderReads, remembered_view
from gateway.routes_assets import AssetsRoutes
from gateway.routes_board import BoardRoutes
from gateway.routes_console import ConsoleRoutes
from gateway.routes_cti import CtiRoutes
from gateway.routes_visits import VisitsRoutes
from gateway.shapes import fields_given, paged
from gateway.tokens import TokenGuard
from svckit import paging
from svckit.events import event_handler, event_types_handler
from svckit.health import live_response, ready_response
from svckit.heap import FrozenHeap
from svckit.metrics import metrics_response
from svckit.rpc import RpcProxy
from svckit.service import Observed

log = logging.getLogger(__name__)

CSV = ("application/json", "text/csv")
# Every calls event that changes how an order looks; not work_order.created (nothing was shown
# of an order before it existed, and the outbox holds that one for staffing: svckit/events.py).
# Actions that change other orders too (a parent's close or reopening carries its merged
# orders; a merge changes the parent): this gateway forgets every order it shows after one.
REACHES_OTHER_ORDERS = frozenset({"close", "reopen", "merge"})
ORDER_CHANGES = (*TRANSITION_TYPES, "work_order.escalated", "work_order.clock_started",
                 "work_order.clock_stopped", "work_order.deadline_replanned",
                 "work_order.deadline_warning")


class GatewayService(Observed, ConsoleRoutes, BoardRoutes, CtiRoutes, ConsoleAssets, VisitsRoutes,
                     AssetsRoutes):
    name = "gateway"

    config = Config()
    # Requests with publisher confirms (nameko's default): without them a request to a service
    # that is not running is dropped unseen and waits for its time-out, and the broker's late
    # return of it fails the next request on the channel with the wrong "unknown service".
    # Reads of an order mostly skip the RPC anyway (gateway/order_reads.py).
    staffing = RpcProxy("staffing")
    calls = RpcProxy("calls")
    tokens = TokenGuard()
    order_views = OrderReads()
    heap = FrozenHeap()  # full collections walk only what was made after start (svckit/heap.py)

    # --- tokens (issue 10): the OAuth2 token endpoint and revocations (gateway/tokens.py) ------

    @route("POST", "/api/auth/token", auth=False,
           consumes=("application/json", "application/x-www-form-urlencoded"),
           described_body=m.TokenGrant, reply=r.TokenReply,
           summary="OAuth2 token: grant_type=password (username, password) or refresh_token; "
                   "errors as RFC 6749 says")
    def create_token(self, request: Request) -> Response:
        """RFC 6749 password and refresh_token grants, form-encoded or JSON."""
        try:
            params = tokens.grant_parameters(request)
            if params["grant_type"] == "password":
                address = client_address(request.remote_addr,
                                         request.headers.get("X-Forwarded-For"),
                                         self.tokens.trusted_proxies)
                granted = self._password_grant(params["username"], params["password"], address)
            else:
                granted = self._ask(self.staffing.refresh_login, params["refresh_token"])
                if not granted["ok"]:
                    reused = granted.get("error") == "reused"
                    raise tokens.OAuthError(400, "invalid_grant", "the refresh token is not "
                                            "valid (expired, revoked or used)",
                                            "refresh_reused" if reused else "invalid_refresh")
        except tokens.OAuthError as exc:
            return exc.response()
        except (BackendTimeout, UnknownService):
            return tokens.OAuthError(503, "temporarily_unavailable",
                                     "service staffing is not running or did not answer",
                                     "busy", 1).response()
        ttl = self.tokens.access_ttl_seconds
        access = issue_token(granted["staff"], self._secret(), timedelta(seconds=ttl))
        return tokens.token_reply(access, ttl, granted)

    def _password_grant(self, username: str, password: str, address: str) -> dict:
        refusals = self.tokens.refusals
        by_address, by_pair = tokens.refusal_keys(username, address)
        if (known := refusals.refusal(by_address, by_pair)) is not None:
            # staffing said so a moment ago: no RPC, no hashing; a client that does not wait
            # as told is answered slowly (a green sleep), so a flood cannot spin on us
            eventlet.sleep(min(float(known.retry_after or 1), tokens.TARPIT_SECONDS))
            raise known
        granted = self._ask(self.staffing.login, username, password, address)
        waits = granted.get("waits") or {}
        refusals.remember(by_address, waits.get("address", 0))
        refusals.remember(by_pair, max(waits.get("user", 0), waits.get("pair", 0)))
        if granted.get("error") == "busy":  # staffing is saturated: spare it for a second
            refusals.remember(by_address, 1.0)
        if granted.get("error") == "locked":
            refusals.remember(by_pair, tokens.LOCKED_CACHE_SECONDS, locked=True)
        if not granted["ok"]:
            raise tokens.refusal(granted)
        return granted

    @event_handler("staffing", "staff.left", handler_type=BROADCAST, reliable_delivery=False)
    def on_staff_left(self, event: dict) -> None:
        self._staff_changed(int(event["payload"]["staff_id"]))

    @event_handler("staffing", "staff.transferred", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_staff_transferred(self, event: dict) -> None:
        self._staff_changed(int(event["payload"]["staff_id"]))

    @event_handler("staffing", "staff.role_changed", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_staff_role_changed(self, event: dict) -> None:
        self._staff_changed(int(event["payload"]["staff_id"]))

    def _staff_changed(self, staff_id: int) -> None:
        """Her tokens issued so far are void, and what she may read is asked again."""
        self.tokens.revocations.revoke(staff_id)
        self.order_views.forget_member(staff_id)

    @event_types_handler("calls", ORDER_CHANGES, label="work_order.changed",
                         handler_type=BROADCAST, reliable_delivery=False)
    def on_work_order_changed(self, event: dict) -> None:
        """Something happened to an order: forget how it looked (gateway/order_reads.py)."""
        self.order_views.forget_order(str(event["payload"]["work_order_id"]))

    @event_handler("staffing", "work_order.routed", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_work_order_routed(self, event: dict) -> None:
        self.order_views.forget_order(str(event["payload"]["work_order_id"]))

    @route("GET", "/api/org/lockouts", query=m.Page, reply=r.LockedLoginPage)
    def org_lockouts(self, request: Request, query: m.Page) -> dict:
        """Members locked out, by address, newest lock first (HR, hall director: staffing
        decides who may)."""
        return paged(request, self._org(request, "locked_logins", query.cursor, query.limit))

    @route("POST", "/api/org/staff/<int:staff_id>/unlock", reply=r.LockLifted)
    def org_staff_unlock(self, request: Request, staff_id: int) -> dict:
        """HR or the hall director lift a login lockout (staffing decides who may)."""
        lifted = self._org(request, "lift_login_lockout", staff_id)
        self.tokens.refusals.forget_username(lifted["username"])  # other gateways: in seconds
        return lifted

    @route("POST", "/api/org/staff/<int:staff_id>/role", body=m.RoleChange, reply=r.StaffView)
    def org_staff_role(self, request: Request, staff_id: int, body: m.RoleChange) -> dict:
        """``{hotline_role: seat_agent|duty_leader|deputy_team_lead|null}`` (HR, hall director)."""
        return self._org(request, "staff_change_role", staff_id,
                         body.hotline_role.value if body.hotline_role else None)

    # --- the contract ---------------------------------------------------------------------

    @route("GET", "/api/openapi.json", auth=False,
           reply=r.OpenApiDocument, summary="This API's OpenAPI 3.1 description")
    def openapi(self, request: Request) -> dict:
        return openapi_document(type(self))

    @route("GET", "/api/docs", auth=False, produces=("text/html",),
           summary="The API's documentation page (self-contained, works offline)")
    def docs(self, request: Request) -> Response:
        return Response(docs_page(), mimetype="text/html")

    # --- work orders ----------------------------------------------------------------------

    @route("GET", "/api/work-orders/overdue", query=m.Page, reply=r.OverduePage)
    def overdue_work_orders(self, request: Request, query: m.Page) -> dict:
        """Orders with a clock past due (issue 3): a seat agent's own, or all for a leader."""
        page = self._ask(self.calls.list_overdue, self._caller(request), query.cursor,
                         query.limit)
        return paged(request, page)

    @route("GET", "/api/callbacks", query=m.CallbackQuery, reply=r.CallbackPage)
    def callbacks(self, request: Request, query: m.CallbackQuery) -> dict:
        """Promised callbacks not answered yet (S1.10), ``?state=due`` (default) or ``overdue``."""
        page = self._ask(self.calls.list_callbacks, query.state, self._caller(request),
                         query.cursor, query.limit)
        return {"state": query.state, **paged(request, page)}

    @route("GET", "/api/work-orders/<string:work_order_id>", reply=r.WorkOrderDetail,
           remembered=remembered_view)
    def get_work_order(self, request: Request, work_order_id: str) -> Response:
        """A work order with its history, clocks and the actions the reader may take now.
        Calls decides and shows; its answer is served again for a moment (order_reads)."""
        caller = self._caller(request)

        def ask() -> bytes | None:
            order = self._ask(self.calls.get_work_order, work_order_id, caller)
            return None if order is None else json.dumps(order, ensure_ascii=False).encode()

        body = self.order_views.load(caller, work_order_id, ask)
        if body is None:
            raise ApiError(404, f"work order {work_order_id} not found", "work_order_not_found")
        return Response(body, mimetype="application/json")

    @route("POST", "/api/work-orders/<string:work_order_id>/<string:action>",
           body=m.WorkOrderFields, reply=r.WorkOrderView)
    def act_on_work_order(self, request: Request, work_order_id: str, action: str,
                          body: m.WorkOrderFields) -> dict:
        """A lifecycle action (assign, dispatch, start, ..., classify); fields in the body."""
        caller = self._caller(request)
        fields = body.model_dump(mode="json", exclude_unset=True)
        try:
            return self._ask(self.calls.act_on_work_order, work_order_id, str(action), caller,
                             fields)
        finally:  # read-your-writes here; other gateways forget on the orders' events
            if action in REACHES_OTHER_ORDERS:
                self.order_views.forget_all()
            else:
                self.order_views.forget_order(work_order_id)

    @route("GET", "/api/queues/mine", query=m.Page, reply=r.WorkOrderPage)
    def my_queue(self, request: Request, query: m.Page) -> dict:
        """The caller's own work orders, newest first."""
        page = self._ask(self.calls.list_queue, self._caller(request), None,
                         query.cursor, query.limit)
        return paged(request, page)

    @route("GET", "/api/queues/departments/<string:department>", query=m.Page,
           reply=r.WorkOrderPage)
    def department_queue(self, request: Request, department: str, query: m.Page) -> dict:
        """What a handling department must act on: its own staff, or the hotline (calls
        decides, services/calls/access.py)."""
        page = self._ask(self.calls.list_queue, self._caller(request), department,
                         query.cursor, query.limit)
        return paged(request, page)

    @route("GET", "/api/work-orders", query=m.CallerQuery, reply=r.WorkOrderPage)
    def list_work_orders(self, request: Request, query: m.CallerQuery) -> dict:
        """A caller's work orders, newest first."""
        page = self._ask(self.calls.list_work_orders, query.caller, self._caller(request),
                         query.limit, query.cursor)
        return paged(request, page)

    # --- the customer registry (S1.10; S3.2): hotline staff search, register and update ------

    @route("GET", "/api/customers", query=m.CustomerSearch, reply=r.CustomerSearchPage)
    def search_customers(self, request: Request, query: m.CustomerSearch) -> dict:
        """?q= (a number prefix or part of a name) &page= &per_page= (at most 100)."""
        return self._ask(self.calls.search_customers, self._caller(request), query.q,
                         query.page, query.per_page)

    @route("POST", "/api/customers", body=m.NewCustomer, reply=r.CustomerView,
           links={"get_customer": {"number": "$response.body#/number"},
                  "customer_work_orders": {"number": "$response.body#/number"}})
    def register_customer(self, request: Request, body: m.NewCustomer) -> dict:
        """``{number, name, work_unit?, contact?, address?}``"""
        return self._ask(self.calls.register_customer, fields_given(body), self._caller(request))

    @route("GET", "/api/customers/<string:number>", query=m.FirstPage, reply=r.CustomerPage)
    def get_customer(self, request: Request, number: str, query: m.FirstPage) -> dict:
        """A customer with the first page of their work orders and of their calls as history,
        newest first; each list's ``next`` link reads on."""
        found = self._ask(self.calls.get_customer, self._caller(request), number, query.limit)
        for kind, path in (("work_orders", "work-orders"), ("calls", "calls")):
            cursor = found[kind].pop("next_cursor", None)
            found[kind]["next"] = cursor and (
                f"/api/customers/{quote(number, safe='')}/{path}?"
                f"{urlencode({'cursor': cursor, 'limit': query.limit})}")
        return found

    @route("GET", "/api/customers/<string:number>/work-orders", query=m.Page,
           reply=r.WorkOrderPage)
    def customer_work_orders(self, request: Request, number: str, query: m.Page) -> dict:
        """A customer's work orders that the reader may read, newest first."""
        page = self._ask(self.calls.customer_history, self._caller(request), number,
                         "work_orders", query.cursor, query.limit)
        return paged(request, page)

    @route("GET", "/api/customers/<string:number>/calls", query=m.Page, reply=r.CallPage)
    def customer_calls(self, request: Request, number: str, query: m.Page) -> dict:
        """A customer's calls that opened an order the reader may read, newest first."""
        page = self._ask(self.calls.customer_history, self._caller(request), number,
                         "calls", query.cursor, query.limit)
        return paged(request, page)

    @route("PUT,PATCH", "/api/customers/<string:number>", body=m.CustomerFields,
           reply=r.CustomerView)
    def update_customer(self, request: Request, number: str, body: m.CustomerFields) -> dict:
        """Set the fields given (name, work_unit, contact, address); the number stays."""
        return self._ask(self.calls.update_customer, number, fields_given(body),
                         self._caller(request))

    @route("GET", "/api/calls/<string:uniqueid>", reply=r.CallView)
    def get_call(self, request: Request, uniqueid: str) -> dict:
        """A call record: the hotline's (a seat agent's when its order is one she may read)."""
        call = self._ask(self.calls.get_call, uniqueid, self._caller(request))
        if call is None:
            raise ApiError(404, f"call {uniqueid} not found", "call_not_found")
        return call

    @route("GET", "/api/evaluations/<string:month>", query=m.EvaluationQuery, produces=CSV,
           reply=r.Evaluation)
    def monthly_evaluation(self, request: Request, month: str,
                           query: m.EvaluationQuery) -> dict | Response:
        """The month's evaluation (S3.2) as JSON, or as CSV with ``?format=csv``; staffing
        decides who reads what (the hotline's leaders and HR in full, S1.21; an agent her own)."""
        principal = self._authenticated(request)
        rows = self._ask(self.staffing.monthly_evaluation, month, principal.staff_id)
        if query.format == "csv":
            return csv_download(to_csv(rows), f"evaluation-{month}.csv")
        return {"month": month, "items": rows}

    @route("PUT", "/api/evaluations/<string:month>/<int:staff_id>", body=m.Score, reply=r.ScoreView)
    def score_evaluation(self, request: Request, month: str, staff_id: int,
                         body: m.Score) -> dict:
        """The duty leader's score (0-100) and comment for one person's month."""
        principal = self._authenticated(request)  # staffing decides who scores whom
        return self._ask(
            self.staffing.score_evaluation,
            month, staff_id, body.score, body.comment, principal.staff_id,
        )

    # --- attendance (S1.16) and the staffing plan (S3.3) ------------------------------------

    @route("POST", "/api/attendance/clock-in", reply=r.ClockRecord)
    def clock_in(self, request: Request) -> dict:
        """Any authenticated staff member clocks in, for themselves only."""
        return self._clock(self.staffing.clock_in, request)

    @route("POST", "/api/attendance/clock-out", reply=r.ClockRecord)
    def clock_out(self, request: Request) -> dict:
        """The caller clocks out, for themselves only (the day's last clock-out counts)."""
        return self._clock(self.staffing.clock_out, request)

    @route("GET", "/api/attendance/report", query=m.AttendanceQuery, produces=CSV,
           reply=r.AttendanceReport)
    def attendance_report(self, request: Request, query: m.AttendanceQuery) -> dict | Response:
        """?month=YYYY-MM [&department=] [&format=json|csv] [&by=person|department]: JSON pages
        people (``cursor``, ``limit``) with every department's totals on each page; CSV holds
        every row (the gateway reads all the pages)."""
        principal = self._authenticated(request)  # staffing decides who reads what

        def report_page(cursor: str | None, limit: int) -> dict:
            return self._ask(self.staffing.attendance_report, principal.staff_id, query.month,
                             query.department, cursor, limit)

        if query.format == "json":
            return paged(request, report_page(query.cursor, query.limit))
        report = report_page(None, paging.MAX_LIMIT)
        rows = report["departments"]
        if query.by == "person":
            rows = list(report["items"])
            while report["next_cursor"]:
                report = report_page(report["next_cursor"], paging.MAX_LIMIT)
                rows += report["items"]
        table = to_csv({"month": report["month"], **row} for row in rows)
        return csv_download(table, f"attendance-{query.month}-by-{query.by}.csv")

    @route("GET", "/api/staffing-plan", query=m.PlanQuery, reply=r.StaffingPlan)
    def staffing_plan(self, request: Request, query: m.PlanQuery) -> dict:
        """?date=YYYY-MM-DD [&target_level=0.8] [&target_seconds=20] [&shrinkage=0.3] ..."""
        caller = self._caller(request)  # staffing decides: the hotline's leaders (S3.2)
        overrides = query.model_dump(exclude={"date"}, exclude_none=True)
        return self._ask(self.staffing.staffing_plan, query.date, overrides, caller)

    def _clock(self, method, request: Request) -> dict:
        principal = self._authenticated(request)
        record = self._ask(method, principal.staff_id)
        if record is None:
            raise ApiError(404, f"staff member {principal.staff_id} not found")
        return record

    # --- organisation, leave, duty rota: staffing decides authority from the caller's id ----
    # Any authenticated staff member may call these (not only hotline roles); the staffing
    # service decides authority from the caller's staff id and refuses by raising one of its
    # refusals, mapped to 4xx by the edge (gateway/edge.py REFUSALS).

    @route("GET", "/api/org", query=m.Page, reply=r.OrgOverview)
    def org_overview(self, request: Request, query: m.Page) -> dict:
        """Departments, the posts and windows (a page, by code) with who acts for each now,
        and who is away now."""
        return paged(request, self._org(request, "org_overview", query.cursor, query.limit))

    @route("GET", "/api/org/on-duty", query=m.OnDutyQuery, reply=r.OnDuty)
    def org_on_duty(self, request: Request, query: m.OnDutyQuery) -> dict:
        """Who is on duty at ``at`` (now if omitted): windows, covers, the hotline (S1.7)."""
        return self._org(request, "on_duty", query.at)

    @route("POST", "/api/org/staff", body=m.NewStaff, reply=r.StaffView)
    def org_staff_join(self, request: Request, body: m.NewStaff) -> dict:
        """A member joins (HR or the hall director); ``staff.joined``."""
        return self._org(request, "staff_join", fields_given(body))

    @route("POST", "/api/org/staff/<int:staff_id>/transfer", body=m.Transfer, reply=r.StaffMoved)
    def org_staff_transfer(self, request: Request, staff_id: int, body: m.Transfer) -> dict:
        """A member moves to another department: posts released, tokens revoked."""
        return self._org(request, "staff_transfer", staff_id, body.department)

    @route("POST", "/api/org/staff/<int:staff_id>/departure", body=m.Departure, reply=r.StaffMoved)
    def org_staff_depart(self, request: Request, staff_id: int, body: m.Departure) -> dict:
        """A member leaves (S1.19): orders handed over, posts released, tokens revoked."""
        return self._org(request, "staff_depart", staff_id, body.reason)

    @route("PUT", "/api/org/posts/<string:code>", body=m.PostHolders, reply=r.PostView)
    def org_assign_post(self, request: Request, code: str, body: m.PostHolders) -> dict:
        """Set a post's A and B holders (S1.5): HR or the hall director."""
        return self._org(request, "assign_post", code, fields_given(body))

    @route("POST", "/api/leave", body=m.LeaveRequestBody, reply=r.LeaveView,
           links={"leave_get": {"leave_id": "$response.body#/id"},
                  "leave_decide": {"leave_id": "$response.body#/id"}})
    def leave_request(self, request: Request, body: m.LeaveRequestBody) -> dict:
        """Request leave (S1.17-18): the approval chain follows from type and length."""
        return self._org(request, "request_leave", fields_given(body))

    @route("GET", "/api/leave", query=m.Page, reply=r.LeavePage)
    def leave_list(self, request: Request, query: m.Page) -> dict:
        """The caller's leave requests, those awaiting the caller's decision, or all (HR)."""
        page = self._org(request, "list_leave", query.cursor, query.limit)
        return paged(request, page)

    @route("GET", "/api/leave/<int:leave_id>", reply=r.LeaveView)
    def leave_get(self, request: Request, leave_id: int) -> dict:
        """A leave request with its chain, who decides now and the posts it leaves uncovered."""
        return self._org(request, "get_leave", leave_id)

    @route("POST", "/api/leave/<int:leave_id>/<string:decision>", body=m.NoteBody,
           reply=r.LeaveDecided)
    def leave_decide(self, request: Request, leave_id: int, decision: str,
                     body: m.NoteBody) -> dict:
        """approve, reject (with an optional note) or back (the leaver is back)."""
        if decision == m.LeaveDecision.BACK:
            return self._org(request, "leave_back", leave_id)
        return self._org(request, "decide_leave", leave_id,
                         decision == m.LeaveDecision.APPROVE, body.note)

    @route("POST", "/api/leave/<int:leave_id>/cover", body=m.Cover, reply=r.LeaveView)
    def leave_cover(self, request: Request, leave_id: int, body: m.Cover) -> dict:
        """``{post, staff_id}``: who acts for the leaver's post while nobody else is there."""
        return self._org(request, "name_leave_cover", leave_id, fields_given(body))

    @route("GET", "/api/rota", query=m.DayQuery, reply=r.RotaDay)
    def rota_day(self, request: Request, query: m.DayQuery) -> dict:
        """The equipment duty rota of a day (S1.9), today if ``day`` is omitted."""
        return self._org(request, "rota", query.day)

    @route("POST", "/api/rota/handover", body=m.Handover, reply=r.RotaDay)
    def rota_handover(self, request: Request, body: m.Handover) -> dict:
        """The window on duty records today's equipment count and hands over (S1.9)."""
        return self._org(request, "record_rota_handover", body.items)

    @route("POST", "/api/rota/handover/<string:day>/confirm", body=m.OptionalNote, reply=r.RotaDay)
    def rota_handover_confirm(self, request: Request, day: str, body: m.OptionalNote) -> dict:
        """The next window confirms the handover it received (S1.9); optional ``{note}``."""
        return self._org(request, "confirm_rota_handover", day, body.note)

    # --- the hotline roster (S3.2) and attendance corrections (S1.16, S1.19): staffing decides
    # who may plan, approve or correct from the caller's id.

    @route("GET", "/api/roster/templates", reply=r.ShiftTemplates)
    def roster_templates(self, request: Request) -> dict:
        """The shift templates the roster is planned from."""
        return self._org(request, "shift_templates")

    @route("POST", "/api/roster/templates", body=m.ShiftTemplate, reply=r.ShiftTemplateView)
    def roster_add_template(self, request: Request, body: m.ShiftTemplate) -> dict:
        """Add a shift template (a duty leader and up)."""
        return self._org(request, "add_shift_template", fields_given(body))

    @route("POST", "/api/roster/plan", body=m.RosterPlan, reply=r.PlannedRoster)
    def roster_plan(self, request: Request, body: m.RosterPlan) -> dict:
        """``{from, days, assignments: [{staff_id, pattern: [template | "rest"]}]}``."""
        return self._org(request, "plan_roster", fields_given(body))

    @route("GET", "/api/roster", query=m.RosterQuery, reply=r.Roster)
    def roster_shifts(self, request: Request, query: m.RosterQuery) -> dict:
        """?from=YYYY-MM-DD&days=28 [&staff_id=<id>|all (a duty leader)]: the shifts."""
        wanted = {k: str(v) for k, v in fields_given(query).items()}
        return self._org(request, "roster_shifts", wanted)

    @route("GET", "/api/roster/coverage", query=m.CoverageQuery, reply=r.Coverage)
    def roster_coverage(self, request: Request, query: m.CoverageQuery) -> dict:
        """?date=YYYY-MM-DD: seats needed against seats rostered per half hour (S3.3)."""
        return self._org(request, "roster_coverage", query.date)

    @route("GET", "/api/roster/swaps", query=m.Page, reply=r.SwapPage)
    def roster_swaps(self, request: Request, query: m.Page) -> dict:
        """The caller's shift swaps, newest first (every swap for a duty leader and up)."""
        page = self._org(request, "shift_swaps", query.cursor, query.limit)
        return paged(request, page)

    @route("POST", "/api/roster/swaps", body=m.SwapRequest, reply=r.SwapView,
           links={"roster_decide_swap": {"swap_id": "$response.body#/id"}})
    def roster_request_swap(self, request: Request, body: m.SwapRequest) -> dict:
        """``{partner_id, day, partner_day?, reason?}``; the duty leader decides."""
        return self._org(request, "request_shift_swap", fields_given(body))

    @route("POST", "/api/roster/swaps/<int:swap_id>/<string:decision>", body=m.NoteBody,
           reply=r.SwapView)
    def roster_decide_swap(self, request: Request, swap_id: int, decision: str,
                           body: m.NoteBody) -> dict:
        """approve or reject a shift swap, with an optional note (a duty leader)."""
        if decision == m.LeaveDecision.BACK:
            raise ApiError(404, f"no endpoint POST /api/roster/swaps/{swap_id}/{decision}")
        return self._org(request, "decide_shift_swap", swap_id,
                         decision == m.LeaveDecision.APPROVE, body.note)

    @route("POST", "/api/attendance/corrections", body=m.Correction, reply=r.AttendanceHistory)
    def attendance_correct(self, request: Request, body: m.Correction) -> dict:
        """``{staff_id, day, status: present|absent|excused, reason}`` (HR, hall director)."""
        return self._org(request, "correct_attendance", fields_given(body))

    @route("GET", "/api/attendance/history/<int:staff_id>", reply=r.AttendanceHistory)
    def attendance_history(self, request: Request, staff_id: int) -> dict:
        """A person's attendance corrections and absences, with how each absence ended."""
        return self._org(request, "attendance_history", staff_id)

    def _org(self, request: Request, method: str, *args):
        return self._as_caller(self.staffing, request, method, *args)

    # --- outages (S3.2) -------------------------------------------------------------------

    @route("GET", "/api/outages", query=m.Page, reply=r.OutagePage)
    def list_outages(self, request: Request, query: m.Page) -> dict:
        """Active outages (a page) and open storms: any hotline role (calls decides)."""
        page = self._ask(self.calls.list_outages, self._caller(request), query.cursor,
                         query.limit)
        return paged(request, page)

    @route("POST", "/api/outages", body=m.NewOutage, reply=r.OutageView,
           links={"lift_outage": {"outage_id": "$response.body#/id"}})
    def declare_outage(self, request: Request, body: m.NewOutage) -> dict:
        """Declare an outage: ``{area, description, expected_restore_at?, address_keywords?}``."""
        caller = self._caller(request)  # calls decides: a duty leader and up (S3.2)
        if not body.area.strip():
            raise ApiError(400, "area (the name of an area) is required")
        return self._ask(
            self.calls.declare_outage, body.area, body.description, caller,
            body.expected_restore_at, body.address_keywords,
        )

    @route("POST", "/api/outages/<string:outage_id>/lift", reply=r.OutageView)
    def lift_outage(self, request: Request, outage_id: str) -> dict:
        """Lift an outage: a duty leader and up (calls decides)."""
        return self._ask(self.calls.lift_outage, outage_id, self._caller(request))

    @route("GET", "/metrics", auth=False, produces=("text/plain",),
           summary="Prometheus metrics")
    def metrics_page(self, request: Request) -> Response:
        return metrics_response()

    @route("GET", "/health/live", auth=False, reply=r.Liveness,
           summary="Liveness: the process answers")
    def health_live(self, request: Request) -> Response:
        return live_response(self.name)

    @route("GET", "/health/ready", auth=False, reply=r.Readiness,
           summary="Readiness: the broker accepts a connection (503 otherwise)")
    def health_ready(self, request: Request) -> Response:
        return ready_response(self.name, self.health)

    # --- who is asking ----------------------------------------------------------------------

    def _authenticated(self, request: Request) -> Principal:
        revocations = self.tokens.revocations
        if not revocations.loaded:  # first use: who was revoked within a token's life
            revocations.load(self._ask(self.staffing.token_revocations, revocations.ttl))
        return tokens.authenticate(request.headers.get("Authorization"), self._secret(),
                                   revocations, self.tokens.verified)

    def _caller(self, request: Request) -> int:
        """The authenticated caller's staff id: the services decide what they may do from their
        current record (issue 10), never from the token's role or department."""
        return self._authenticated(request).staff_id

    def _as_caller(self, service: RpcProxy, request: Request, method: str, *args):
        """Call ``service``'s ``method(caller_staff_id, *args)``: the service decides what the
        caller may do; its refusals become 4xx."""
        return self._ask(getattr(service, method), self._caller(request), *args)

    def _ask(self, method, *args):
        """An RPC with the gateway's time bound: a 503 when it passes. eventlet.Timeout is a
        BaseException, which nameko's http entrypoint does not catch (the connection would hang
        with no answer): it becomes the edge's ApiError here."""
        bound = self.config.get("GATEWAY", {}).get("rpc_timeout_seconds", 5)
        try:
            with eventlet.Timeout(bound):
                return method(*args)
        except eventlet.Timeout:
            raise BackendTimeout() from None

    def _secret(self) -> str:
        return self.config["GATEWAY"]["token_secret"]

