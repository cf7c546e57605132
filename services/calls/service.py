"""The calls service: the 95598 line over FastAGI, call records and work orders."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import eventlet
from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.events import (
    CallAbandoned,
    CallAnswered,
    CallbackAttempted,
    CallCompleted,
    CallEnded,
    CallRingNoAnswer,
    Category,
    Envelope,
    OutageDeclared,
    OutageLifted,
    Payload,
    VisitMatterRaised,
    WorkOrderRouted,
    WorkOrdersHandoverRequested,
    WorkOrderTransitioned,
)
from services.calls import (
    access,
    board,
    call_outcomes,
    click_to_call,
    clock_store,
    customer_store,
    customers,
    escalation,
    figures,
    orders,
    outage_store,
    recovery,
    sweeps,
    visit_orders,
)
from services.calls.clocks import SweepSettings
from services.calls.hotline import (
    HotlineSettings,
    OpenedOrder,
    hears_outage_notice,
    store_spooled,
    take_call,
)
from services.calls.ivr import Prompts
from services.calls.lifecycle import Action, IllegalTransition, InvalidFields, LifecycleError
from services.calls.models import Base, Call, WorkOrder
from services.calls.orders import UnroutedSettings
from services.calls.outage_store import ActiveOutages, OutageSettings
from services.calls.outages import OutageError, parse_time
from services.calls.pop import screen_pop
from services.calls.recovery import Instance, RecoverySettings
from services.calls.spool import CallSpool, SpooledCall
from services.calls.views import (
    call_view,
    callback_view,
    clock_view,
    customer_view,
    escalation_view,
    history_view,
    outage_view,
    work_order_view,
)
from svckit import paging
from svckit.agi import AgiChannel, fastagi
from svckit.clock import Clock, ClockNotSettable, configured_timer
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.health import Health
from svckit.inbox import first_delivery
from svckit.metrics import metrics_response
from svckit.rpc import RpcProxy, rpc
from svckit.service import ObservedService
from svckit.staff_cache import StaffCacheProvider
from svckit.workdays import require_aware

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
UNROUTED_RECOVERED = Counter(
    "csc_unrouted_orders_recovered_total",
    "Orders found with no routing recorded after a while, routed by the calls sweep.",
)
FAULT_REPORTS_LINKED = Counter(
    "csc_fault_reports_linked_total",
    "Fault reports linked to a parent: an outage's, a storm's, or none found.",
    ["to"],
)


STAFFING_TIMEOUT_SECONDS = 3  # a question to staffing outside the call path (who is on duty)


class StaffingUnavailable(Exception):
    """Staffing did not say in time who is on duty (the gateway answers 503)."""


# What an RPC taking a caller's staff id may refuse with, besides its own errors.
CALLER = (access.NotAllowed, StaffingUnavailable)


class CallsService(ObservedService):
    name = "calls"

    config = Config()
    db = Database(Base.metadata)
    staffing = RpcProxy("staffing")
    # Routing under the caller's bound: a request is sent without waiting for the broker's
    # confirm. With confirms, requests queued for one of the process's few pooled producers
    # (one confirm round trip each): at 100 callers the sending alone took 62 ms at the median
    # and missed the 300 ms bound for 27 % of calls (bench/floor.py, rung rpc). A request lost
    # unconfirmed ends as the bound does: the fallback queue, and the order routed from
    # work_order.created or the unrouted sweep.
    routing = RpcProxy("staffing", use_confirms=False)
    active_outages = ActiveOutages()
    clock = Clock()
    staff_directory = StaffCacheProvider("STAFF")
    instance = Instance()
    spool = CallSpool()
    health = Health(serves_degraded=True)  # answers callers with its database or broker down

    @fastagi("95598")
    def hotline(self, channel: AgiChannel) -> None:
        call = take_call(channel, self.db, self._route, self._settings(), self._in_outage,
                         self.spool)
        CALLS.labels(call.category.value if call.category else "none").inc()
        if call.work_order_id and call.category:
            WORK_ORDERS_CREATED.labels(call.category.value).inc()

    @fastagi("95598-next")
    def next_choice(self, channel: AgiChannel) -> None:
        """The dialplan's ``Dial(${ROUTE_TARGET})`` rang out (DIALSTATUS NOANSWER, BUSY):
        ``AGI(agi://.../95598-next,${WORK_ORDER_ID},${ROUTE_TARGET})`` asks staffing for the
        next choice (issue 16); ROUTE_TARGET becomes that phone, or the queue."""
        order_id = channel.env.get("agi_arg_1", "")[:36]
        rang_out = channel.env.get("agi_arg_2", "")[:100]
        target, routed = self._settings().fallback_target, None
        try:
            with eventlet.Timeout(self.config.get("HOTLINE", {}).get("route_timeout_ms", 300)
                                  / 1000):
                routed = self.routing.reroute_work_order(order_id, rang_out) if order_id else None
            target = (routed or {}).get("dial_string") or target
        except eventlet.Timeout:
            log.warning("staffing did not re-route %s in time; the queue takes it", order_id)
        except Exception:
            log.warning("re-routing %s failed; the queue takes it", order_id, exc_info=True)
        channel.set_variable("ROUTE_TARGET", target)
        if routed:
            self._record_reroute(WorkOrderRouted.model_validate(routed))

    def _record_reroute(self, routed: WorkOrderRouted) -> None:
        """The next choice from the RPC reply, as the main path records its decision; the
        delayed ``work_order.routed`` then finds it recorded (or records it, if this failed)."""
        try:
            with self.db.transaction() as session:
                orders.record_routing(session, routed)
        except Exception:
            log.warning("the re-routing of %s is left to its event", routed.work_order_id,
                        exc_info=True)

    @reliable_event_handler("staffing", "work_order.routed", catch_up=True,
                            delayed=("HOTLINE", "routed_event_delay_seconds", 1.0))
    def on_work_order_routed(self, event: Envelope, routed: WorkOrderRouted) -> None:
        """Records a decision the call did not (no RPC reply in time, staffing slow or down,
        or a re-routing); one indexed read when the call recorded it already. The event is
        held back (longer than a call takes from the reply to its end), so it does not race
        the call's own transaction and apply the decision through the ORM first. It catches
        up from the archive: a decision made before this queue existed (a new broker) would
        otherwise reach only the archive."""
        with self.db.transaction() as session:
            if orders.routing_recorded(session, routed):
                return
            fresh = first_delivery(session, "calls.on_work_order_routed", str(event.id))
            if fresh and not orders.record_routing(session, routed):
                raise LookupError(f"work order {routed.work_order_id} not found")

    # --- the call with an agent, from Asterisk through staffing (issue 16) ------------------

    @reliable_event_handler("staffing", "call.answered")
    def on_call_answered(self, event: Envelope, fact: CallAnswered) -> None:
        self._record_outcome(event, fact)

    @reliable_event_handler("staffing", "call.abandoned")
    def on_call_abandoned(self, event: Envelope, fact: CallAbandoned) -> None:
        self._record_outcome(event, fact)

    @reliable_event_handler("staffing", "call.completed")
    def on_call_completed(self, event: Envelope, fact: CallCompleted) -> None:
        self._record_outcome(event, fact)

    @reliable_event_handler("staffing", "call.ring_no_answer")
    def on_ring_no_answer(self, event: Envelope, fact: CallRingNoAnswer) -> None:
        self._record_outcome(event, fact)

    @reliable_event_handler("staffing", "callback.attempted")
    def on_callback_attempted(self, event: Envelope, told: CallbackAttempted) -> None:
        with self.db.transaction() as session:
            if first_delivery(session, "calls.on_callback_attempted", str(event.id)):
                click_to_call.record(session, told)

    @rpc(expected_exceptions=(*CALLER, InvalidFields))
    def call_customer_back(self, work_order_id: str, caller: int) -> dict | None:
        """Click-to-call (S1.10): Asterisk rings the caller's phone, then the customer; the
        outcome arrives later (``callback.attempted``). A hotline member who may read the
        order, with an extension."""
        who = self._caller(caller)
        access.require_hotline(who, "calling a customer back")
        staff = self._staff(who.id) or {}
        order = self.db.session.get(WorkOrder, work_order_id)
        if order is None:
            return None
        self._require_readable(who, order)
        if not staff.get("extension"):
            raise InvalidFields("calling back needs your phone's extension on your staff record")
        self.db.session.rollback()  # the read above ends here; the attempt is one transaction
        with self.db.transaction() as session:
            order = session.get(WorkOrder, work_order_id)
            number = click_to_call.number_of(session, order)
            attempt = click_to_call.open_attempt(session, order, who.id, number, self.clock.now())
            attempt_id = attempt.id
        try:
            with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS):
                asked = self.staffing.originate_callback(attempt_id, staff["extension"], number)
        except Exception as exc:  # staffing slow, down, or the number refused
            asked = {"queued": False, "error": str(exc)[:200]}
        with self.db.transaction() as session:
            attempt = session.get(click_to_call.CallbackCall, attempt_id)
            if not asked.get("queued"):
                attempt.outcome, attempt.ended_at = "failed", self.clock.now()
            return {**click_to_call.view(attempt), "error": asked.get("error")}

    @rpc(expected_exceptions=CALLER)
    def callback_calls(self, work_order_id: str, caller: int, cursor: str | None = None,
                       limit: int = paging.DEFAULT_LIMIT) -> dict | None:
        who = self._caller(caller)
        access.require_hotline(who, "the callback calls")
        order = self.db.session.get(WorkOrder, work_order_id)
        if order is None:
            return None
        self._require_readable(who, order)
        return click_to_call.attempts(self.db.session, work_order_id, cursor, limit)

    def _record_outcome(self, event: Envelope, fact: call_outcomes.Outcome) -> None:
        answerer = None
        if call_outcomes.answerer_wanted(self.db.session, fact):
            answerer = self._staff(fact.staff_id)  # staffing is asked only for an unowned order
        self.db.session.rollback()  # the read above ends here; the outcome is one transaction
        with self.db.transaction() as session:
            first = first_delivery(session, "calls.call_outcome", str(event.id))
            call_outcomes.record(session, fact, first)
            if answerer:
                call_outcomes.give_to_answerer(session, fact, answerer)

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

    @reliable_event_handler("staffing", "staff.joined")
    def on_staff_joined(self, event: Envelope, payload: Payload) -> None:
        self.staff_directory.forget(payload.staff_id)

    @reliable_event_handler("staffing", "staff.transferred")
    def on_staff_transferred(self, event: Envelope, payload: Payload) -> None:
        """A transferred member reads what her new department may, at once."""
        self.staff_directory.forget(payload.staff_id)

    @reliable_event_handler("staffing", "staff.left")
    def on_staff_left(self, event: Envelope, payload: Payload) -> None:
        """A leaver reads nothing any more, at once."""
        self.staff_directory.forget(payload.staff_id)

    @reliable_event_handler("staffing", "staff.role_changed")
    def on_staff_role_changed(self, event: Envelope, payload: Payload) -> None:
        """A new hotline role reads (and may do) what the new role may, at once."""
        self.staff_directory.forget(payload.staff_id)

    @reliable_event_handler("calls", "call.ended")
    def link_fault_report(self, event: Envelope, ended: CallEnded) -> None:
        """A fault report chosen in the menu joins its outage's or storm's parent, after the call.

        On call.ended, not work_order.created: a queue of ours on work_order.created would make
        that event routable before staffing's queue exists, and staffing would miss it.
        """
        if ended.category is Category.FAULT_REPORT and ended.work_order_id is not None:
            self._link_fault_report(ended.work_order_id)

    @reliable_event_handler("calls", "work_order.classified")
    def link_refined_fault_report(self, event: Envelope, classified: WorkOrderTransitioned) -> None:
        """A fault report an agent refined (not chosen in the menu) is linked like one that was."""
        if classified.category == Category.FAULT_REPORT.value:
            self._link_fault_report(classified.work_order_id)

    @reliable_event_handler("visits", "visit.matter_raised", catch_up=True)
    def on_visit_matter_raised(self, event: Envelope, matter: VisitMatterRaised) -> None:
        """A customer's matter raised on a visit opens a work order (issue 14, S1.6)."""
        with self.db.transaction() as session:
            if first_delivery(session, "calls.on_visit_matter_raised", str(event.id)):
                visit_orders.open_from_visit(session, matter, self.clock.now())

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

    @rpc(expected_exceptions=(OutageError, *CALLER))
    def declare_outage(
        self,
        area: str,
        description: str,
        caller: int,
        expected_restore_at: str | None = None,
        address_keywords: list[str] | None = None,
    ) -> dict:
        """Declare an outage of a configured area (or one given by its address keywords):
        a duty leader or the deputy team lead (S3.2)."""
        actor = self._caller(caller)
        access.require_leader(actor, "declaring an outage")
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        where = settings.area(area, address_keywords)
        restore = parse_time(expected_restore_at, "expected_restore_at")
        with self.db.transaction() as session:
            outage = outage_store.declare(
                session, where, description, actor.username, self.clock.now(), restore
            )
            view = outage_view(outage)
        self.active_outages.invalidate()
        return view

    @rpc(expected_exceptions=(OutageError, *CALLER))
    def lift_outage(self, outage_id: str, caller: int) -> dict:
        actor = self._caller(caller)
        access.require_leader(actor, "lifting an outage")
        with self.db.transaction() as session:
            view = outage_view(
                outage_store.lift(session, outage_id, actor.username, self.clock.now())
            )
        self.active_outages.invalidate()
        return view

    @rpc(expected_exceptions=(paging.BadCursor, *CALLER))
    def list_outages(self, caller: int, cursor: str | None = None,
                     limit: int = paging.DEFAULT_LIMIT) -> dict:
        """A page of the active outages ``{items, next_cursor}``, the open storms a duty
        leader may want to declare, and the configured areas: the hotline's."""
        access.require_hotline(self._caller(caller), "the outage list")
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            listed = outage_store.listing(session, self.clock.now(), settings.storm, cursor, limit)
        # the configured areas, for the console's area picker
        return {**listed, "areas": [area.name for area in settings.areas]}

    @rpc(expected_exceptions=CALLER)
    def board_figures(self, caller: int) -> dict:
        """The leaders' board's calls figures (issue 11): a duty leader and up (S3.2)."""
        access.require_leader(self._caller(caller), "the leaders' board")
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            return board.figures(session, self.clock.now(), settings.storm)

    @rpc(expected_exceptions=CALLER)
    def get_work_order(self, work_order_id: str, caller: int) -> dict | None:
        """The order with its history, and the actions the caller may take on it now; refused
        when the caller may not read it (services/calls/access.py)."""
        who = self._caller(caller)
        order = self.db.session.get(WorkOrder, work_order_id)
        if order is None:
            return None
        self._require_readable(who, order)
        actor = who.as_actor()
        view = work_order_view(order)
        view["history"] = [history_view(h) for h in orders.history(self.db.session, order.id)]
        view.update(self._deadlines(order))
        view["allowed_actions"] = orders.actions_for(order, orders.actor_from(actor))
        return view

    @rpc(expected_exceptions=(orders.WorkOrderNotFound, *CALLER))
    def work_order_pop(self, work_order_id: str, caller: int) -> dict:
        """The screen pop of an order (issue 11, services/calls/pop.py): read as the order is
        (access.py); the earlier orders listed are those the caller may read."""
        who = self._caller(caller)
        order = self.db.session.get(WorkOrder, work_order_id)
        if order is None:
            raise orders.WorkOrderNotFound(f"work order {work_order_id} not found")
        self._require_readable(who, order)
        return screen_pop(self.db.session, order, orders.readable(who))

    @rpc(expected_exceptions=(LifecycleError, orders.WorkOrderNotFound, *CALLER))
    def act_on_work_order(
        self, work_order_id: str, action: str, caller: int, fields: dict
    ) -> dict:
        """Take a lifecycle action as the caller (their current role and department);
        refusals are raised with a message for the person. An assignment's target must be a
        hotline member on staff, a dispatch's an existing department (issue 10)."""
        who = orders.actor_from(self._caller(caller).as_actor())
        assignee = None
        if action == Action.ASSIGN:
            assignee = self._assignee(fields.get("assignee"))
        elif action == Action.DISPATCH:
            self._require_department(fields.get("department"))
        if action == Action.ESCALATE:
            assignee = self._escalation_holder(work_order_id, who.role.value, fields)
        with self.db.transaction() as session:
            order = orders.act(
                session, work_order_id, action, who, self.clock.now(), fields, assignee
            )
            return work_order_view(order)

    @rpc(expected_exceptions=(InvalidFields, paging.BadCursor, *CALLER))
    def list_queue(
        self, caller: int, department: str | None = None, cursor: str | None = None,
        limit: int = paging.DEFAULT_LIMIT,
    ) -> dict:
        """The caller's own queue, or the orders dispatched to ``department``: its own staff
        and the hotline's leaders may see that (a seat agent only her own orders in it); a page
        ``{items, next_cursor}`` (svckit.paging)."""
        who = self._caller(caller)
        if department is None:
            rows, after = orders.queue(self.db.session, who.id, cursor=cursor, limit=limit)
        else:
            if who.role is None and who.department != department:
                raise access.NotAllowed(
                    f"only {department}'s staff or the hotline can see its queue")
            rows, after = orders.queue(self.db.session, None, department, readable_by=who,
                                       cursor=cursor, limit=limit)
        return {"items": [work_order_view(o) for o in rows], "next_cursor": after}

    @configured_timer("RECOVERY", "beat_seconds", RecoverySettings.beat_seconds, eager=True)
    def watch_instances(self) -> None:
        """Say this instance is alive; close the calls of instances that are not (issue 15)."""
        gone_after = timedelta(seconds=RecoverySettings.from_config(
            self.config.get("RECOVERY")).gone_after_seconds)
        with self.db.transaction() as session:
            recovery.beat(session, self.instance, self.clock.now())
            closed = recovery.close_interrupted(session, self.instance, self.clock.now(),
                                                gone_after)
        if closed:
            log.warning("closed %d calls interrupted by a stopped calls process: %s",
                        len(closed), ", ".join(closed[:20]))

    @configured_timer("UNROUTED", "sweep_seconds", UnroutedSettings.sweep_seconds)
    def route_the_unrouted(self) -> None:
        """Orders left unrouted a while (their routing event held up on the broker, say: a
        quorum queue's dead-lettering stalled after a node was lost, issue 15) are asked of
        staffing again, a page each time; it answers its decision, made once, and it is
        recorded as the event would have."""
        settings = UnroutedSettings.from_config(self.config.get("UNROUTED"))
        before = self.clock.now() - timedelta(seconds=settings.after_seconds)
        with self.db.transaction() as session:
            left = orders.unrouted(session, before, settings.page)
        for order_id, caller_number, category in left:
            try:
                with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS):
                    reply = self.staffing.route_work_order(order_id, caller_number, category)
                with self.db.transaction() as session:
                    orders.record_routing(session, WorkOrderRouted.model_validate(reply))
            except (Exception, eventlet.Timeout):
                log.warning("order %s is still unrouted; asked again next sweep", order_id,
                            exc_info=True)
                return
            UNROUTED_RECOVERED.inc()
            log.warning("order %s had no routing recorded; staffing's decision recorded now",
                        order_id)

    @configured_timer("SPOOL", "replay_seconds", 2.0, eager=True)
    def replay_spool(self) -> None:
        """Calls taken while the database was down become their orders and call records, once
        it is back (services/calls/spool.py, issue 15)."""

        def store(records: list[SpooledCall]) -> None:
            with self.db.transaction() as session:
                for record in records:
                    store_spooled(session, record)

        self.spool.replay(store)

    @configured_timer("DEADLINES", "sweep_interval_seconds", 30)
    def deadline_sweep(self) -> None:
        """Warnings, urging and escalation of due clocks (issue 3), every interval."""
        report = sweeps.sweep(
            self.db, self.clock.now(), self._sweep_settings(), self._leaders_on_duty()
        )
        if report.orders:
            log.info("deadline sweep: %s", report)

    @rpc(expected_exceptions=(ClockNotSettable,))
    def sweep_deadlines(self, now_iso: str | None = None) -> dict:
        """Sweep now, or at ``now_iso`` (tests only: ``TEST_CLOCK: true``)."""
        now = self.clock.now()
        if now_iso is not None:
            if not self.clock.settable:
                raise ClockNotSettable("a sweep at a given time is for tests (TEST_CLOCK: true)")
            now = require_aware(datetime.fromisoformat(now_iso))
        return vars(sweeps.sweep(self.db, now, self._sweep_settings(), self._leaders_on_duty()))

    @rpc(expected_exceptions=(ClockNotSettable,))
    def set_test_clock(self, now_iso: str | None) -> str:
        """Fix the service's time (tests only: ``TEST_CLOCK: true``); None: the real time."""
        self.clock.set(datetime.fromisoformat(now_iso) if now_iso else None)
        return self.clock.now().isoformat()

    @rpc(expected_exceptions=(paging.BadCursor, *CALLER))
    def list_overdue(
        self, caller: int, cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT,
    ) -> dict:
        """Orders with a running clock past due, most overdue first: a seat agent's own, all
        for a leader (the hotline's list); a page of ``limit`` overdue clocks grouped by order,
        ``{items, next_cursor}``."""
        who = self._caller(caller)
        access.require_hotline(who, "the overdue list")
        assignee_id = None if who.reach is access.Reach.ALL else who.id
        now, items = self.clock.now(), {}
        pairs, after = clock_store.overdue(self.db.session, now, assignee_id, cursor, limit)
        for order, clock in pairs:
            view = items.setdefault(order.id, {**work_order_view(order), "overdue_clocks": []})
            view["overdue_clocks"].append(clock_view(clock, frozenset(), now))
        return {"items": list(items.values()), "next_cursor": after}

    @rpc(expected_exceptions=(InvalidFields, paging.BadCursor, *CALLER))
    def list_callbacks(
        self, state: str, caller: int, cursor: str | None = None,
        limit: int = paging.DEFAULT_LIMIT,
    ) -> dict:
        """Promised callbacks not answered yet (S1.10): ``due`` or ``overdue``; a seat agent's
        own, all for a leader; a page ``{items, next_cursor}``."""
        who = self._caller(caller)
        access.require_hotline(who, "the callback list")
        assignee_id = None if who.reach is access.Reach.ALL else who.id
        pairs, after = clock_store.callbacks(
            self.db.session, self.clock.now(), state, assignee_id, cursor, limit
        )
        items = [
            {**callback_view(callback), "state": state, "assignee_id": order.assignee_id,
             "status": order.status}
            for callback, order in pairs
        ]
        return {"items": items, "next_cursor": after}

    @rpc(expected_exceptions=(paging.BadCursor, *CALLER))
    def list_work_orders(
        self, caller_number: str, caller: int, limit: int = paging.DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> dict:
        """A caller number's orders that the reader may read, newest first: a page
        ``{items, next_cursor}``."""
        who = self._caller(caller)
        query = paging.keyset(
            select(WorkOrder).where(WorkOrder.caller_number == caller_number,
                                    orders.readable(who)),
            (WorkOrder.created_at, WorkOrder.id), cursor, limit, descending=True,
        )
        rows, after = paging.page(
            list(self.db.session.scalars(query)), limit, lambda o: (o.created_at, o.id)
        )
        return {"items": [work_order_view(order) for order in rows], "next_cursor": after}

    # --- the customer registry (S1.10; S3.2: keeping customer information) ------------------

    @rpc(expected_exceptions=(customers.CustomerError, *CALLER))
    def search_customers(
        self, caller: int, query: str = "", page: int = 1, per_page: int = 20
    ) -> dict:
        """A page of customers by number prefix or part of a name: the hotline's registry."""
        access.require_hotline(self._caller(caller), "the customer registry")
        wanted = customers.search(query, page, per_page)
        return customer_store.find(self.db.session, wanted)

    @rpc(expected_exceptions=(customers.CustomerError, paging.BadCursor, *CALLER))
    def get_customer(self, caller: int, number: str, limit: int = paging.DEFAULT_LIMIT) -> dict:
        """A customer with the first page of their work orders and of their calls as history,
        newest first: the hotline's; the orders and calls listed are those the reader may read
        (access.py)."""
        who = self._caller(caller)
        access.require_hotline(who, "a customer's page")
        return customer_store.page(self.db.session, number, orders.readable(who), limit)

    @rpc(expected_exceptions=(customers.CustomerError, paging.BadCursor, *CALLER))
    def customer_history(
        self, caller: int, number: str, kind: str, cursor: str | None = None,
        limit: int = paging.DEFAULT_LIMIT,
    ) -> dict:
        """A page of a customer's ``work_orders`` or ``calls``, newest first, as on their page."""
        who = self._caller(caller)
        access.require_hotline(who, "a customer's page")
        read = {"work_orders": customer_store.orders_of, "calls": customer_store.calls_of}
        if kind not in read:
            raise customers.InvalidCustomer(f"a customer's history is work_orders or calls, "
                                            f"not {kind!r}")
        customer_store.require_registered(self.db.session, number)
        items, after = read[kind](self.db.session, number, orders.readable(who), cursor, limit)
        return {"items": items, "next_cursor": after}

    @rpc(expected_exceptions=(customers.CustomerError, *CALLER))
    def register_customer(self, data: dict, caller: int) -> dict:
        actor = self._caller(caller)
        access.require_hotline(actor, "registering a customer")
        try:
            with self.db.transaction() as session:
                customer = customer_store.register(
                    session, data, actor.username, self.clock.now()
                )
                return customer_view(customer)
        except IntegrityError:  # registered concurrently by someone else
            raise customers.CustomerConflict(
                f"customer {data.get('number')} is registered already"
            ) from None

    @rpc(expected_exceptions=(customers.CustomerError, *CALLER))
    def update_customer(self, number: str, data: dict, caller: int) -> dict:
        actor = self._caller(caller)
        access.require_hotline(actor, "updating a customer")
        with self.db.transaction() as session:
            customer = customer_store.update(
                session, number, data, actor.username, self.clock.now()
            )
            return customer_view(customer)

    @rpc(expected_exceptions=CALLER)
    def get_call(self, uniqueid: str, caller: int) -> dict | None:
        """A call record (the caller's number): the hotline's; a seat agent's when its work
        order is one she may read, or when it opened none (the line's own record)."""
        who = self._caller(caller)
        access.require_hotline(who, "a call record")
        call = self.db.session.get(Call, uniqueid)
        if call is None:
            return None
        if call.work_order_id and who.reach is not access.Reach.ALL:
            order = self.db.session.get(WorkOrder, call.work_order_id)
            if order is not None:
                self._require_readable(who, order)
        return call_view(call)

    @http("GET", "/metrics")
    def metrics_page(self, request):
        levels = self.config.get("DEADLINES", {}).get("urge_at_percents", [])
        figures.refresh(self.db.session, self.clock.now(), levels)
        return metrics_response()

    def _route(self, order: OpenedOrder) -> WorkOrderRouted | None:
        """Ask staffing, but never keep the caller waiting past the configured bound."""
        bound = self.config.get("HOTLINE", {}).get("route_timeout_ms", 300) / 1000
        try:
            with eventlet.Timeout(bound):
                reply = self.routing.route_work_order.call_async(
                    order.id, order.caller_number, order.category
                )
                return WorkOrderRouted.model_validate(reply.result())
        except eventlet.Timeout:
            log.warning("staffing did not answer for %s within %.0f ms", order.id, bound * 1000)
        except Exception:
            log.warning("routing %s failed; fallback queue", order.id, exc_info=True)
        ROUTING_FALLBACKS.inc()
        return None

    def _escalation_holder(self, work_order_id: str, by: str, fields: dict) -> dict | None:
        """The leader on duty a person's escalation reaches (staffing's roster), asked before
        the transaction; refused when nobody of that level or above is on duty (S1.6: the
        agent must know it reached nobody). Bad fields are left to the lifecycle to refuse."""
        try:
            level = escalation.level_for(by, fields.get("level"))
        except ValueError:
            return None
        if self.db.session.get(WorkOrder, work_order_id) is None:
            raise orders.WorkOrderNotFound(f"work order {work_order_id} not found")
        self.db.session.rollback()  # the read ends here; the escalation is one transaction
        holder = self._leader_on_duty(level)
        if holder is None:
            raise IllegalTransition(
                f"nobody is on duty as {level.value.replace('_', ' ')} or above now; the "
                "escalation reached nobody: telephone the deputy team lead"
            )
        return holder

    def _leaders_on_duty(self):
        """For one sweep: the leader on duty at each level, asked of staffing once per level.
        A failed question fails the order's sweep, which is tried again (never escalated to
        nobody because staffing was slow)."""

        answers: dict = {}

        def on_duty(level) -> dict | None:
            if level not in answers:  # a failure too, or a sweep would wait on it per order
                try:
                    answers[level] = self._leader_on_duty(level)
                except StaffingUnavailable as exc:
                    answers[level] = exc
            if isinstance(answers[level], StaffingUnavailable):
                raise answers[level]
            return answers[level]

        return on_duty

    def _leader_on_duty(self, level) -> dict | None:
        """Staffing's escalation_target, within STAFFING_TIMEOUT_SECONDS."""
        try:
            with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS):
                return self.staffing.escalation_target.call_async(str(level)).result()
        except eventlet.Timeout:
            raise StaffingUnavailable(
                "staffing did not say in time who is on duty; nothing was escalated, try again"
            ) from None

    def _handover_target(
        self, order: WorkOrder, handover: WorkOrdersHandoverRequested
    ) -> dict | None:
        if handover.to_staff_id is not None:
            return self._staff(handover.to_staff_id)
        category = order.ivr_category or Category.UNCLASSIFIED.value
        routed = WorkOrderRouted.model_validate(
            self.staffing.propose_assignee(order.id, category)
        )
        return orders.assignee_of(routed)

    def _link_fault_report(self, work_order_id: str) -> None:
        settings = OutageSettings.from_config(self.config.get("OUTAGES"))
        with self.db.transaction() as session:
            # once per order: a retried AGI session ends the same call twice, and an order may
            # be classified a fault report both in the menu and by the agent
            if not first_delivery(session, "calls.link_fault_report", work_order_id):
                return
            parent = outage_store.link_report(session, work_order_id, settings, self.clock.now())
        FAULT_REPORTS_LINKED.labels("parent" if parent else "none").inc()

    def _in_outage(self, caller_number: str) -> bool:
        heard = hears_outage_notice(self.db, caller_number, self.active_outages.get)
        if heard:
            OUTAGE_NOTICES.inc()
        return heard

    def _caller(self, staff_id: object) -> access.Caller:
        """Who is asking, from staffing's current record (svckit/staff_cache.py says why a
        short cache); refused when unknown, gone, or neither hotline nor a department's."""
        try:
            wanted = int(staff_id)
        except (TypeError, ValueError):
            raise access.NotAllowed(f"not a staff id: {staff_id!r}") from None
        try:
            with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS):
                record = self.staff_directory.staff(wanted, self.staffing.get_staff)
        except eventlet.Timeout:
            raise StaffingUnavailable("staffing did not say in time who is asking") from None
        try:
            return access.caller_from(record, wanted)
        except access.NotAllowed:
            raise

    def _require_readable(self, who: access.Caller, order: WorkOrder) -> None:
        if order.first_contact_id is not None and order.first_contact_id == who.id:
            return  # the salesperson who took it on a visit follows it (S1.6, issue 14)
        serving = (who.reach is access.Reach.AGENT
                   and orders.serves(self.db.session, who.id, order.caller_number))
        if not access.may_read(who, order.assignee_id, order.escalated_to_id, order.department,
                               serving):
            raise access.NotAllowed(
                f"work order {order.id} is not yours to read: a seat agent reads her own orders, "
                "those escalated to her and her callers'; a department the orders dispatched "
                "to it; the hotline's leaders all (S1.6, S3.2, S3.2a)"
            )

    def _assignee(self, staff_id: object) -> dict:
        """The staff member an assignment names: a hotline member on staff (access.py)."""
        staff = self._staff(staff_id)
        refusal = access.assignment_refusal(staff, staff_id)
        if refusal:
            raise InvalidFields(refusal)
        return staff

    def _require_department(self, code: object) -> None:
        """A dispatch goes to a department staffing knows (S3.2a)."""
        if not isinstance(code, str) or not code.strip():
            return  # the lifecycle refuses a missing or empty department with its own message
        with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS, StaffingUnavailable(
                "staffing did not say in time whether the department exists")):
            known = self.staffing.get_department(code.strip())
        if known is None:
            raise InvalidFields(f"there is no department {code.strip()!r}; dispatch to one of "
                                "the departments in /api/org")

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
            now=self.clock.now,
            instance_id=self.instance,
        )

    def _sweep_settings(self) -> SweepSettings:
        return SweepSettings.from_config(self.config.get("DEADLINES"))

    def _deadlines(self, order: WorkOrder) -> dict:
        """The order's clocks, warnings sent, escalations and promised callback (issue 3)."""
        session, now = self.db.session, self.clock.now()
        sent = clock_store.sent_of(session, order.id)
        escalations = [escalation_view(e) for e in clock_store.escalations_of(session, order.id)]
        callback = session.get(clock_store.Callback, order.id)
        return {
            "clocks": [
                clock_view(c, sent.get(c.clock, frozenset()), now)
                for c in clock_store.rows_of(session, order.id)
            ],
            "escalations": escalations,
            "escalation_level": escalations[-1]["level"] if escalations else None,
            "callback": callback_view(callback) if callback else None,
        }
