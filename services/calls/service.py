"""The calls service: the 95598 line over FastAGI, call records and work orders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import eventlet
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy import select

from contracts.events import (
    CallEnded,
    Category,
    Envelope,
    OutageDeclared,
    OutageLifted,
    WorkOrderRouted,
    WorkOrdersHandoverRequested,
)
from services.calls import orders, outage_store
from services.calls.hotline import HotlineSettings, OpenedOrder, hears_outage_notice, take_call
from services.calls.ivr import Prompts
from services.calls.lifecycle import Action, LifecycleError
from services.calls.models import Base, Call, WorkOrder
from services.calls.outage_store import ActiveOutages, OutageSettings
from services.calls.outages import OutageError, parse_time
from services.calls.views import call_view, history_view, outage_view, work_order_view
from svckit.agi import AgiChannel, fastagi
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.metrics import EntrypointMetrics, metrics_response

log = logging.getLogger(__name__)

CALLS = Counter("csc_calls_total", "Hotline calls, by IVR category.", ["category"])
WORK_ORDERS_CREATED = Counter(
    "csc_work_orders_created_total", "Work orders opened from calls.", ["category"]
)
ROUTING_FALLBACKS = Counter(
    "csc_routing_fallbacks_total",
    "Calls sent to the fallback queue because staffing did not answer in time.",
)
OUTAGE_NOTICES = Counter(
    "csc_outage_notices_total", "Calls that heard the outage notice before the menu."
)
FAULT_REPORTS_LINKED = Counter(
    "csc_fault_reports_linked_total",
    "Fault reports linked to a parent: an outage's, a storm's, or none found.",
    ["to"],
)


class CallsService:
    name = "calls"

    config = Config()
    db = Database(Base.metadata)
    staffing = RpcProxy("staffing")
    metrics = EntrypointMetrics()
    active_outages = ActiveOutages()

    @fastagi("95598")
    def hotline(self, channel: AgiChannel) -> None:
        call = take_call(channel, self.db, self._route, self._settings(), self._in_outage)
        CALLS.labels(call.category.value if call.category else "none").inc()
        if call.work_order_id and call.category:
            WORK_ORDERS_CREATED.labels(call.category.value).inc()

    @reliable_event_handler("staffing", "work_order.routed")
    def on_work_order_routed(self, event: Envelope, routed: WorkOrderRouted) -> None:
        with self.db.transaction() as session:
            fresh = first_delivery(session, "calls.on_work_order_routed", str(event.id))
            if fresh and not orders.record_routing(session, routed):
                raise LookupError(f"work order {routed.work_order_id} not found")

    @reliable_event_handler("staffing", "work_orders.handover_requested")
    def on_handover_requested(self, event: Envelope, handover: WorkOrdersHandoverRequested) -> None:
        """A leaver's open orders go to the B holder, or are routed again (S1.19, S1.5)."""
        targets = {
            order.id: self._handover_target(order, handover)
            for order in orders.owned(self.db.session, handover.from_staff_id)
        }
        self.db.session.rollback()  # the read above ends here; the hand-over is one transaction
        note = f"handed over: {handover.reason.value} of staff {handover.from_staff_id}"
        with self.db.transaction() as session:
            if first_delivery(session, "calls.on_handover_requested", str(event.id)):
                orders.hand_over(session, handover.from_staff_id, targets, note, event.occurred_at)

    @reliable_event_handler("calls", "call.ended")
    def link_fault_report(self, event: Envelope, ended: CallEnded) -> None:
        """A fault report joins its outage's or storm's parent: after the call, once.

        On call.ended, not work_order.created: a queue of ours on work_order.created would make
        that event routable before staffing's queue exists, and staffing would miss it.
        """
        if ended.category is not Category.FAULT_REPORT or ended.work_order_id is None:
            return
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            if not first_delivery(session, "calls.link_fault_report", str(event.id)):
                return
            parent = outage_store.link_report(session, ended.work_order_id, settings)
        FAULT_REPORTS_LINKED.labels("parent" if parent else "none").inc()

    @reliable_event_handler("grid", "outage.declared")
    def on_outage_declared(self, event: Envelope, declared: OutageDeclared) -> None:
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            if first_delivery(session, "calls.on_outage_declared", str(event.id)):
                outage_store.declare_from_grid(session, declared, settings)
        self.active_outages.invalidate()

    @reliable_event_handler("grid", "outage.lifted")
    def on_outage_lifted(self, event: Envelope, lifted: OutageLifted) -> None:
        with self.db.transaction() as session:
            if first_delivery(session, "calls.on_outage_lifted", str(event.id)):
                outage_store.lift_from_grid(session, lifted)
        self.active_outages.invalidate()

    @rpc(expected_exceptions=(OutageError,))
    def declare_outage(
        self,
        area: str,
        description: str,
        actor: dict,
        expected_restore_at: str | None = None,
        address_keywords: list[str] | None = None,
    ) -> dict:
        """Declare an outage of a configured area (or one given by its address keywords)."""
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        where = settings.area(area, address_keywords)
        restore = parse_time(expected_restore_at, "expected_restore_at")
        with self.db.transaction() as session:
            outage = outage_store.declare(
                session, where, description, actor["name"], datetime.now(UTC), restore
            )
            view = outage_view(outage)
        self.active_outages.invalidate()
        return view

    @rpc(expected_exceptions=(OutageError,))
    def lift_outage(self, outage_id: str, actor: dict) -> dict:
        with self.db.transaction() as session:
            view = outage_view(
                outage_store.lift(session, outage_id, actor["name"], datetime.now(UTC))
            )
        self.active_outages.invalidate()
        return view

    @rpc
    def list_outages(self) -> dict:
        """Active outages, and open storms a duty leader may want to declare."""
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            return outage_store.listing(session, datetime.now(UTC), settings.storm)

    @rpc
    def get_work_order(self, work_order_id: str, actor: dict | None = None) -> dict | None:
        """The order with its history, and the actions ``actor`` may take on it now."""
        order = self.db.session.get(WorkOrder, work_order_id)
        if order is None:
            return None
        view = work_order_view(order)
        view["history"] = [history_view(h) for h in orders.history(self.db.session, order.id)]
        if actor is not None:
            view["allowed_actions"] = orders.actions_for(order, orders.actor_from(actor))
        return view

    @rpc(expected_exceptions=(LifecycleError, orders.WorkOrderNotFound))
    def act_on_work_order(
        self, work_order_id: str, action: str, actor: dict, fields: dict
    ) -> dict:
        """Take a lifecycle action; refusals are raised with a message for the person."""
        who = orders.actor_from(actor)
        assignee = self._staff(fields.get("assignee")) if action == Action.ASSIGN else None
        with self.db.transaction() as session:
            order = orders.act(
                session, work_order_id, action, who, datetime.now(UTC), fields, assignee
            )
            return work_order_view(order)

    @rpc
    def list_queue(self, assignee_id: int | None = None, department: str | None = None) -> list:
        """Open orders of one owner (my queue) or dispatched to one department."""
        return [work_order_view(o) for o in orders.queue(self.db.session, assignee_id, department)]

    @rpc
    def list_work_orders(self, caller_number: str, limit: int = 50) -> list[dict]:
        orders = self.db.session.scalars(
            select(WorkOrder)
            .where(WorkOrder.caller_number == caller_number)
            .order_by(WorkOrder.created_at.desc())
            .limit(min(limit, 200))
        )
        return [work_order_view(order) for order in orders]

    @rpc
    def get_call(self, uniqueid: str) -> dict | None:
        call = self.db.session.get(Call, uniqueid)
        return call_view(call) if call else None

    @http("GET", "/metrics")
    def metrics_page(self, request):
        return metrics_response()

    def _route(self, order: OpenedOrder) -> WorkOrderRouted | None:
        """Ask staffing, but never keep the caller waiting past the configured bound."""
        bound = self.config.get("HOTLINE", {}).get("route_timeout_ms", 300) / 1000
        try:
            with eventlet.Timeout(bound):
                reply = self.staffing.route_work_order.call_async(
                    order.id, order.caller_number, order.category
                )
                return WorkOrderRouted.model_validate(reply.result())
        except eventlet.Timeout:
            log.warning("staffing did not answer for %s within %.0f ms", order.id, bound * 1000)
        except Exception:
            log.warning("routing %s failed; fallback queue", order.id, exc_info=True)
        ROUTING_FALLBACKS.inc()
        return None

    def _handover_target(
        self, order: WorkOrder, handover: WorkOrdersHandoverRequested
    ) -> dict | None:
        if handover.to_staff_id is not None:
            return self._staff(handover.to_staff_id)
        category = order.ivr_category or Category.UNCLASSIFIED.value
        routed = WorkOrderRouted.model_validate(
            self.staffing.reroute_work_order(order.id, order.caller_number, category)
        )
        return orders.assignee_of(routed)

    def _in_outage(self, caller_number: str) -> bool:
        heard = hears_outage_notice(self.db, caller_number, self.active_outages.get)
        if heard:
            OUTAGE_NOTICES.inc()
        return heard

    def _staff(self, staff_id: object) -> dict | None:
        """The staff member an assignment names, as staffing knows them."""
        try:
            return self.staffing.get_staff(int(staff_id))
        except (TypeError, ValueError):
            return None

    def _settings(self) -> HotlineSettings:
        hotline = self.config.get("HOTLINE") or {}
        return HotlineSettings(
            prompts=Prompts(**(hotline.get("prompts") or {})),
            fallback_target=hotline.get("fallback_target", "Queue(95598)"),
        )
