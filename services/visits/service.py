"""The visits service: sales staff visiting customers (S5, issue 14).

A thin nameko class: who is asking comes from staffing (authority.py says why by RPC), the rules
from plans.py, preparation.py, deadlines.py and evaluation.py, storage from the *_store modules.
"""

from __future__ import annotations

import logging
from datetime import datetime

import eventlet
from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy import select

from contracts.events import Envelope, Payload, WorkOrderCreated
from services.visits import (
    authority,
    directory,
    evaluation_store,
    plan_store,
    sweeps,
    visit_store,
    work_orders,
)
from services.visits.authority import Caller
from services.visits.deadlines import local_day, month_of, parse_month
from services.visits.models import Base, Customer, Visit
from services.visits.refusals import REFUSALS, Forbidden, Invalid, StaffingUnavailable
from services.visits.views import (
    customer_view,
    expense_view,
    follow_up_view,
    matter_view,
    plan_view,
    quota_view,
    salesperson_view,
    visit_view,
    work_order_view,
)
from svckit import paging
from svckit.clock import Clock, ClockNotSettable, configured_timer
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.metrics import metrics_response
from svckit.rpc import RpcProxy, rpc
from svckit.service import ObservedService
from svckit.workdays import require_aware

log = logging.getLogger(__name__)

VISITS_DONE = Counter("csc_visits_done_total", "Customer visits marked done (S5.3).")
VISITS_FLAGGED = Counter(
    "csc_visits_flagged_total", "Visits done with gifts or hosting not approved beforehand.")
VISIT_ALERTS = Counter(
    "csc_visit_alerts_total", "Alerts raised: plan missing, report overdue, follow-up reminders.",
    ["kind"])
VISIT_MATTERS = Counter(
    "csc_visit_matters_total", "Customer matters raised during visits, sent to the hotline.",
    ["category"])
PAGE = paging.DEFAULT_LIMIT
ASKS = (*REFUSALS, paging.BadCursor)


class VisitsService(ObservedService):
    name = "visits"

    config = Config()
    db = Database(Base.metadata)
    staffing = RpcProxy("staffing")
    clock = Clock()

    # --- customers (S5.2.2) -------------------------------------------------------------

    @rpc(expected_exceptions=ASKS)
    def register_customer(self, caller: int, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            department = self._department(session, who, "registering a customer")
            row = directory.register_customer(session, who, department, data, self.clock.now())
            return customer_view(row)

    @rpc(expected_exceptions=ASKS)
    def list_customers(self, caller: int, kind: str | None = None, cursor: str | None = None,
                       limit: int = PAGE) -> dict:
        who = self._caller(caller)
        session = self.db.session
        department = self._department(session, who, "the customer list")
        rows, after = directory.customers(session, department, kind, cursor, limit)
        return {"items": [customer_view(c) for c in rows], "next_cursor": after}

    @rpc(expected_exceptions=ASKS)
    def get_customer(self, caller: int, customer_id: int) -> dict:
        """The customer, the visits to them and their open 95598 work orders (from calls'
        events)."""
        who = self._caller(caller)
        session = self.db.session
        department = self._department(session, who, "a customer's page")
        row = directory.customer(session, customer_id, department)
        visits = session.scalars(select(Visit).where(Visit.customer_id == row.id).order_by(
            Visit.planned_on.desc(), Visit.id.desc()).limit(50))
        return {**customer_view(row),
                "visits": [visit_view(v) for v in visits
                           if authority.may_read(who, v.staff_id, department)],
                "open_work_orders": [work_order_view(o)
                                     for o in work_orders.open_orders(session, row.id)]}

    # --- quotas and salespeople (S5.2.3) ------------------------------------------------

    @rpc(expected_exceptions=ASKS)
    def set_quota(self, caller: int, position: str, required_per_month: int) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            department = self._head_department(who)
            return quota_view(directory.set_quota(session, who, department, position,
                                                  required_per_month, self.clock.now()))

    @rpc(expected_exceptions=ASKS)
    def list_quotas(self, caller: int) -> dict:
        who = self._caller(caller)
        session = self.db.session
        department = self._department(session, who, "the sales positions")
        return {"department": department,
                "items": [quota_view(q) for q in directory.quotas(session, department)]}

    @rpc(expected_exceptions=ASKS)
    def put_salesperson(self, caller: int, staff_id: int, position: str | None) -> dict:
        who = self._caller(caller)
        member = self._staff(staff_id)
        if member is None:
            raise Invalid(f"there is no staff member {staff_id}")
        with self.db.transaction() as session:
            return salesperson_view(directory.put_salesperson(session, who, member, position,
                                                              self.clock.now()))

    @rpc(expected_exceptions=ASKS)
    def progress(self, caller: int, month: str | None = None) -> dict:
        """Visits done against the requirement (S5.2.3), at any time: a salesperson's own, the
        head's whole department."""
        who = self._caller(caller)
        month = self._month(month)
        session = self.db.session
        people = self._people(session, who, "progress against the required visits")
        return {"month": month,
                "items": [evaluation_store.progress(session, p, month) for p in people]}

    # --- the monthly plan (S5.3.1) -------------------------------------------------------

    @rpc(expected_exceptions=ASKS)
    def add_visit(self, caller: int, month: str, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            visit = plan_store.add_visit(session, who, month, data, self.clock.now())
            return visit_view(visit)

    @rpc(expected_exceptions=ASKS)
    def cancel_visit(self, caller: int, visit_id: int) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            visit = visit_store.load(session, visit_id, who, lock=True)
            plan = plan_store.cancel_visit(session, who, visit)
            return plan_view(plan, plan_store.visits_of(session, plan.id))

    @rpc(expected_exceptions=ASKS)
    def get_plan(self, caller: int, plan_id: int) -> dict:
        who = self._caller(caller)
        plan = plan_store.load(self.db.session, plan_id, who)
        return plan_view(plan, plan_store.visits_of(self.db.session, plan.id))

    @rpc(expected_exceptions=ASKS)
    def list_plans(self, caller: int, month: str | None = None, cursor: str | None = None,
                   limit: int = PAGE) -> dict:
        who = self._caller(caller)
        rows, after = plan_store.listing(self.db.session, who, month, cursor, limit)
        return {"items": [plan_view(p) for p in rows], "next_cursor": after}

    @rpc(expected_exceptions=ASKS)
    def submit_plan(self, caller: int, plan_id: int) -> dict:
        who = self._caller(caller)
        head = self._head_of(who.department)
        with self.db.transaction() as session:
            plan = plan_store.submit(session, who, plan_id, head, self.clock.now())
            return plan_view(plan, plan_store.visits_of(session, plan.id))

    @rpc(expected_exceptions=ASKS)
    def review_plan(self, caller: int, plan_id: int, approve: bool, comment: str = "") -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            plan = plan_store.review(session, who, plan_id, approve, comment, self.clock.now())
            return plan_view(plan, plan_store.visits_of(session, plan.id))

    # --- a visit: preparation, expenses, done, report, follow-ups (S5.3.2-S5.3.4) --------

    @rpc(expected_exceptions=ASKS)
    def get_visit(self, caller: int, visit_id: int) -> dict:
        who = self._caller(caller)
        session = self.db.session
        visit = visit_store.load(session, visit_id, who)
        return self._visit_page(session, visit)

    @rpc(expected_exceptions=ASKS)
    def prepare_visit(self, caller: int, visit_id: int, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            visit = visit_store.prepare(session, who, visit_id, data, self.clock.now())
            return self._visit_page(session, visit)

    @rpc(expected_exceptions=ASKS)
    def apply_expense(self, caller: int, visit_id: int, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            return expense_view(visit_store.apply_expense(session, who, visit_id, data,
                                                          self.clock.now()))

    @rpc(expected_exceptions=ASKS)
    def decide_expense(self, caller: int, expense_id: int, approve: bool) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            return expense_view(visit_store.decide_expense(session, who, expense_id, approve,
                                                           self.clock.now()))

    @rpc(expected_exceptions=ASKS)
    def mark_visit_done(self, caller: int, visit_id: int, data: dict) -> dict:
        who = self._caller(caller)
        head = self._head_of(who.department)
        days = int((self.config.get("REPORTS") or {}).get("due_working_days", 2))
        with self.db.transaction() as session:
            visit = visit_store.mark_done(session, who, visit_id, data, self.clock.now(), head,
                                          days)
            page = self._visit_page(session, visit)
        VISITS_DONE.inc()
        if page["flags"]:
            VISITS_FLAGGED.inc()
        return page

    @rpc(expected_exceptions=ASKS)
    def file_report(self, caller: int, visit_id: int, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            visit, _ = visit_store.file_report(session, who, visit_id, data, self.clock.now())
            return self._visit_page(session, visit)

    @rpc(expected_exceptions=ASKS)
    def review_report(self, caller: int, visit_id: int, comment: str = "") -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            visit = visit_store.review_report(session, who, visit_id, comment, self.clock.now())
            return self._visit_page(session, visit)

    @rpc(expected_exceptions=ASKS)
    def raise_matter(self, caller: int, visit_id: int, data: dict) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            matter = visit_store.raise_matter(session, who, visit_id, data, self.clock.now())
            view = matter_view(matter)
        VISIT_MATTERS.labels(view["category"]).inc()
        return view

    @rpc(expected_exceptions=ASKS)
    def list_follow_ups(self, caller: int, state: str | None = None, cursor: str | None = None,
                        limit: int = PAGE) -> dict:
        who = self._caller(caller)
        rows, after = visit_store.follow_ups(self.db.session, who, state, cursor, limit)
        return {"items": [follow_up_view(f) for f in rows], "next_cursor": after}

    @rpc(expected_exceptions=ASKS)
    def finish_follow_up(self, caller: int, follow_up_id: int, result: str) -> dict:
        who = self._caller(caller)
        with self.db.transaction() as session:
            return follow_up_view(visit_store.finish_follow_up(session, who, follow_up_id,
                                                               result, self.clock.now()))

    # --- the month's evaluation (S5.3.4 (3)) ----------------------------------------------

    @rpc(expected_exceptions=ASKS)
    def evaluation(self, caller: int, month: str) -> list[dict]:
        """One row per salesperson: the head's department, or a salesperson's own."""
        who = self._caller(caller)
        month = self._month(month)
        session, now = self.db.session, self.clock.now()
        people = self._people(session, who, "the visits evaluation")
        return [evaluation_store.evaluate_person(session, p, month, now).row() for p in people]

    # --- alerts ---------------------------------------------------------------------------

    @configured_timer("SWEEPS", "interval_seconds", 60)
    def alert_sweep(self) -> None:
        try:
            self._sweep(self.clock.now())
        except StaffingUnavailable:  # nothing raised, nothing lost: the next pass tries again
            log.warning("alert sweep skipped: staffing did not say who heads the departments")

    @rpc(expected_exceptions=(ClockNotSettable, StaffingUnavailable))
    def sweep(self, now_iso: str | None = None) -> dict:
        """Raise due alerts now, or at ``now_iso`` (tests only: ``TEST_CLOCK: true``)."""
        now = self.clock.now()
        if now_iso is not None:
            if not self.clock.settable:
                raise ClockNotSettable("a sweep at a given time is for tests (TEST_CLOCK: true)")
            now = require_aware(datetime.fromisoformat(now_iso))
        return vars(self._sweep(now))

    @rpc(expected_exceptions=(ClockNotSettable,))
    def set_test_clock(self, now_iso: str | None) -> str:
        """Fix the service's time (tests only: ``TEST_CLOCK: true``); None: the real time."""
        self.clock.set(datetime.fromisoformat(now_iso) if now_iso else None)
        return self.clock.now().isoformat()

    # --- the hotline's work orders of our customers (calls' events) ---------------------

    @reliable_event_handler("calls", "work_order.created", catch_up=True)
    def on_work_order_created(self, event: Envelope, order: WorkOrderCreated) -> None:
        with self.db.transaction() as session:
            if first_delivery(session, "visits.on_work_order_created", str(event.id)):
                work_orders.opened(session, order)

    @reliable_event_handler("calls", "work_order.closed", catch_up=True)
    def on_work_order_closed(self, event: Envelope, payload: Payload) -> None:
        self._moved(event, payload, still_open=False)

    @reliable_event_handler("calls", "work_order.merged", catch_up=True)
    def on_work_order_merged(self, event: Envelope, payload: Payload) -> None:
        self._moved(event, payload, still_open=False)

    @reliable_event_handler("calls", "work_order.reopened", catch_up=True)
    def on_work_order_reopened(self, event: Envelope, payload: Payload) -> None:
        self._moved(event, payload, still_open=True)

    @http("GET", "/metrics")
    def metrics_page(self, request):
        return metrics_response()

    # --- helpers --------------------------------------------------------------------------

    def _moved(self, event: Envelope, payload: Payload, still_open: bool) -> None:
        with self.db.transaction() as session:
            if first_delivery(session, f"visits.work_order.{event.type}", str(event.id)):
                work_orders.moved(session, payload.work_order_id, still_open, payload.at)

    def _sweep(self, now: datetime) -> sweeps.SweepReport:
        before = int((self.config.get("FOLLOW_UPS") or {}).get("remind_before_days", 1))
        heads = self._heads()
        with self.db.transaction() as session:
            report = sweeps.sweep(session, now, lambda d: authority.head_of(d, heads), before)
        for kind in report.raised:
            VISIT_ALERTS.labels(kind).inc()
        return report

    def _visit_page(self, session, visit: Visit) -> dict:
        return {**visit_view(visit),
                "customer": customer_view(session.get(Customer, visit.customer_id)),
                "expenses": [expense_view(e) for e in visit_store.expenses_of(session, visit.id)],
                "follow_ups": [follow_up_view(f)
                               for f in visit_store.follow_ups_of(session, visit.id)],
                "matters": [matter_view(m) for m in visit_store.matters_of(session, visit.id)]}

    def _people(self, session, who: Caller, what: str) -> list:
        """The salespeople whose figures ``who`` reads: her department's as head, else her own."""
        if who.heads:
            department = self._head_department(who)
            return directory.salespeople(session, department)
        seller = directory.salesperson(session, who.id)
        authority.require_salesperson(who, seller.department if seller else None, what)
        return [seller]

    def _department(self, session, who: Caller, what: str) -> str:
        """The department whose customers ``who`` works with: the one she heads, or hers as a
        salesperson."""
        if who.heads:
            return self._head_department(who)
        seller = directory.salesperson(session, who.id)
        authority.require_salesperson(who, seller.department if seller else None, what)
        return seller.department

    @staticmethod
    def _head_department(who: Caller) -> str:
        if not who.heads:
            raise Forbidden("this is for a department head (S5.3.1)")
        return who.department if who.department in who.heads else sorted(who.heads)[0]

    def _month(self, month: str | None) -> str:
        if month is None:
            return month_of(local_day(self.clock.now()))
        try:
            parse_month(month)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        return month

    def _timeout(self) -> float:
        return float((self.config.get("STAFF") or {}).get("timeout_seconds", 3))

    def _staff(self, staff_id: int) -> dict | None:
        with eventlet.Timeout(self._timeout(), StaffingUnavailable(
                "staffing did not say in time who this is; try again")):
            return self.staffing.get_staff(int(staff_id))

    def _heads(self) -> dict[str, int | None]:
        """Who acts as each department's head now (staffing decides, S1.5)."""
        with eventlet.Timeout(self._timeout(), StaffingUnavailable(
                "staffing did not say in time who heads the department; try again")):
            return self.staffing.department_heads()

    def _caller(self, staff_id: object) -> Caller:
        try:
            wanted = int(staff_id)
        except (TypeError, ValueError):
            raise Forbidden(f"not a staff id: {staff_id!r}") from None
        self._request_heads = self._heads()  # a worker serves one request: kept for it
        return authority.caller_from(self._staff(wanted), wanted, self._request_heads)

    def _head_of(self, department: str | None) -> int | None:
        """Who acts as head of ``department`` now, as read for this request."""
        heads = getattr(self, "_request_heads", None) or self._heads()
        return authority.head_of(department, heads) if department else None
