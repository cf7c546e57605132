"""The staffing service: who works the hotline, and who takes each work order."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.events import (
    CallEnded,
    Category,
    Envelope,
    LockoutLiftReason,
    Payload,
    Role,
    WorkOrderCreated,
)
from services.staffing import (
    absence_store,
    agent_store,
    attendance_store,
    evaluation_store,
    leave_flow,
    lockouts,
    login_store,
    plan_store,
    presence_store,
    roster_store,
    sweeps,
    throttle,
)
from services.staffing import organisation as org
from services.staffing.accounts import Hashing, HashingBusy
from services.staffing.agent_feed import AgentFeed
from services.staffing.agent_states import members_by_state
from services.staffing.assignment import (
    assign,
    candidates_on_shift,
    follow,
    propose,
    reroute,
)
from services.staffing.escalation import leader_on_duty
from services.staffing.evaluation import fact_from
from services.staffing.models import Base, Department, StaffMember
from services.staffing.plan import PlanSettings
from services.staffing.refusals import REFUSALS, Forbidden, Invalid
from svckit import paging, workdays
from svckit.clock import Clock, ClockNotSettable, configured_timer
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.metrics import metrics_response
from svckit.rpc import rpc
from svckit.service import ObservedService

SWEEP_SECONDS = 30
# Shifts, office hours (S1.7) and the statutory calendar are China local time, whatever the
# host's zone: one zone, not a setting (a different one would misplace every working day).
ZONE = workdays.DEFAULT_ZONE

WORK_ORDERS_ROUTED = Counter(
    "csc_work_orders_routed_total", "Work orders routed, by role and reason.", ["role", "reason"]
)


class StaffingService(AgentFeed, ObservedService):
    name = "staffing"

    config = Config()
    db = Database(Base.metadata)
    clock = Clock()
    hashing = Hashing()

    @rpc
    def route_work_order(self, work_order_id: str, caller_number: str, category: str) -> dict:
        """Decide (or return the earlier decision) for a work order; answers the calls service."""
        routed, _ = self._assign(work_order_id, caller_number, Category(category))
        return routed.model_dump(mode="json")

    @rpc
    def reroute_work_order(self, work_order_id: str, not_answered: str) -> dict | None:
        """The routed phone ``not_answered`` rang out (issue 16): the next choice, or None
        when the order is unknown here; ``dial_string`` None means the queue."""
        routed = reroute(self.db, work_order_id, str(not_answered), self.clock.now(), ZONE)
        if routed is None:
            return None
        WORK_ORDERS_ROUTED.labels(routed.role or "none", routed.reason).inc()
        return routed.model_dump(mode="json")

    @rpc
    def propose_assignee(self, work_order_id: str, category: str) -> dict:
        """Who would take an order whose owner left or is away with no B holder (S1.19)."""
        now, zone = self.clock.now(), ZONE
        routed = propose(self.db.session, work_order_id, Category(category), now, zone)
        return routed.model_dump(mode="json")

    @rpc(expected_exceptions=REFUSALS)
    def escalation_target(self, role: str) -> dict | None:
        """The leader on duty an escalation to ``role`` reaches (S1.6, S3.2): on shift (the
        roster routing reads), not on leave; None when nobody of that level or above is."""
        try:
            level = Role(role)
            on_duty = candidates_on_shift(self.db.session, self.clock.now(), ZONE)
            chosen = leader_on_duty(level, on_duty)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        if chosen is None:
            return None
        return {"id": chosen.staff_id, "name": chosen.name, "role": chosen.role.value,
                "extension": chosen.extension}

    @reliable_event_handler("calls", "work_order.created", catch_up=True,
                            delayed=("ROUTING", "safety_net_delay_seconds", 1.0))
    def on_work_order_created(self, event: Envelope, order: WorkOrderCreated) -> None:
        """Routes orders the RPC did not (staffing was slow or down): none is left unrouted.

        The broker holds each event for longer than calls waits for the RPC, so the net finds
        the RPC's decision with one indexed read instead of deciding the order a second time
        beside it (issue 12: 2.5 decisions per order on PostgreSQL when both ran at once)."""
        delivery = ("staffing.on_work_order_created", str(event.id))
        self._assign(order.work_order_id, order.caller.number, order.category, delivery)

    # --- a work order's life in calls: the monthly evaluation (S3.2) and routing's counts ----

    @reliable_event_handler("calls", "work_order.assigned")
    def on_work_order_assigned(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload, still_open=True)

    @reliable_event_handler("calls", "work_order.reopened")
    def on_work_order_reopened(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload, still_open=True)

    @reliable_event_handler("calls", "work_order.closed")
    def on_work_order_closed(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload, still_open=False)

    @reliable_event_handler("calls", "work_order.merged")
    def on_work_order_merged(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload, still_open=False)

    @reliable_event_handler("calls", "work_order.replied")
    def on_work_order_replied(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.revisited")
    def on_work_order_revisited(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.clock_stopped")
    def on_clock_stopped(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.deadline_warning")
    def on_deadline_warning(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.escalated")
    def on_work_order_escalated(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    # the other lifecycle actions matter only as proof of work (S1.16, S1.19)
    @reliable_event_handler("calls", "work_order.dispatched")
    def on_work_order_dispatched(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.started")
    def on_work_order_started(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.result_recorded")
    def on_work_order_result_recorded(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.urged")
    def on_work_order_urged(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.classified")
    def on_work_order_classified(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.contacted")
    def on_work_order_contacted(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @reliable_event_handler("calls", "work_order.callback_promised")
    def on_work_order_callback_promised(self, event: Envelope, payload: Payload) -> None:
        self._follow(event, payload)

    @rpc(expected_exceptions=REFUSALS)
    def monthly_evaluation(self, month: str, viewer_id: int) -> list[dict]:
        return evaluation_store.report(self.db.session, month, viewer_id, ZONE)

    @rpc(expected_exceptions=REFUSALS)
    def score_evaluation(
        self, month: str, staff_id: int, score: int, comment: str, by: int
    ) -> dict:
        with self.db.transaction() as session:
            return evaluation_store.set_score(
                session, month, staff_id, score, comment, by, self.clock.now(), ZONE
            )

    def _follow(self, event: Envelope, payload: Payload, still_open: bool | None = None) -> None:
        """A work order's news from calls, once: a fact for the evaluation; for a change of
        owner or of openness, the routing decision and the open-order counts follow."""
        with self.db.transaction() as session:
            if not first_delivery(session, "staffing.work_order_news", str(event.id)):
                return
            evaluation_store.record_fact(session, str(event.id), fact_from(event.type, payload))
            actor = _acting_staff(payload)
            if actor is not None:  # proof of work (S1.16, S1.19)
                attendance_store.record_work(session, actor, payload.at, ZONE)
            if still_open is not None:
                follow(session, payload.work_order_id, payload.assignee_id, still_open)

    # --- logins and tokens (issue 10): staffing owns the accounts --------------------------------

    @rpc
    def login(self, username: str, password: str, address: str) -> dict:
        try:
            with self.hashing.admitted():  # the keys as long as their columns (models.py)
                return self._login(str(username)[:64], password, str(address)[:64])
        except HashingBusy:
            return {"ok": False, "error": "busy", "retry_after": 1}

    def _login(self, username: str, password: str, address: str) -> dict:
        """A password login from client ``address``: throttled before any hashing (growing
        delays per (username, address) pair, username and address, a lock of the pair only:
        throttle.py), hashed in a bounded slot at low priority (accounts.py). A known and an
        unknown username get the same answers after the same work. ``{"ok": true, staff,
        refresh_token, refresh_expires_in}`` or ``{"ok": false, error:
        bad_credentials|throttled|locked|busy, retry_after?}``."""
        policy, now = self._login_policy(), self.clock.now()
        locked, waiting = login_store.waits(self.db.session, username, address, now, policy)
        self.db.session.rollback()  # no transaction held while hashing
        if locked:
            return {"ok": False, "error": "locked"}
        if waiting:
            return {"ok": False, "error": "throttled", "retry_after": max(waiting.values()),
                    "waits": waiting}
        with self.db.transaction() as session:  # counted as a failure until it succeeds
            locked_now = login_store.record_failure(session, username, address, now, policy)
            person = session.scalar(select(StaffMember).where(StaffMember.username == username))
            stored = person.password_hash if person is not None else None
            if locked_now and person is not None and person.left_on is None:
                lockouts.announce_lock(session, person, address, now, ZONE)
        try:
            matches = self.hashing.verify(stored, password)
        except HashingBusy:
            with self.db.transaction() as session:  # not tried: not a failure
                login_store.take_back(session, username, address)
            return {"ok": False, "error": "busy", "retry_after": 1}
        with self.db.transaction() as session:
            now = self.clock.now()
            person = session.scalar(select(StaffMember).where(StaffMember.username == username))
            if not matches or person is None or person.left_on is not None:
                locked, waiting = login_store.waits(session, username, address, now, policy)
                return {"ok": False, "error": "locked" if locked else "bad_credentials",
                        "waits": waiting}
            if login_store.record_success(session, username, address, now):
                lockouts.announce_lifted(session, person, LockoutLiftReason.SIGNED_IN, None, now)
            token = login_store.issue_refresh(session, person.id, now, self._refresh_ttl())
            return {"ok": True, "staff": _public(person), "refresh_token": token,
                    "refresh_expires_in": int(self._refresh_ttl().total_seconds())}

    @rpc
    def refresh_login(self, refresh_token: str) -> dict:
        """Spend a refresh token for the member's current record and the next refresh token of
        its family; a used one revokes the family. ``{"ok": false}`` when refused."""
        with self.db.transaction() as session:
            now = self.clock.now()
            spent = login_store.use_refresh(session, refresh_token, now)
            person = session.get(StaffMember, spent.staff_id) if spent.staff_id else None
            if person is None or person.left_on is not None:
                return {"ok": False, "error": "reused" if spent.reused else "invalid"}
            token = login_store.issue_refresh(session, person.id, now, self._refresh_ttl(),
                                              spent.family)
            return {"ok": True, "staff": _public(person), "refresh_token": token,
                    "refresh_expires_in": int(self._refresh_ttl().total_seconds())}

    @rpc
    def token_revocations(self, within_seconds: float) -> list[int]:
        """Members whose tokens were revoked in the last ``within_seconds`` (a gateway that
        starts reads them; afterwards it follows the events)."""
        since = self.clock.now() - timedelta(seconds=float(within_seconds))
        with self.db.transaction() as session:
            return login_store.revoked_since(session, since)

    @rpc(expected_exceptions=REFUSALS)
    def lift_login_lockout(self, caller: int, staff_id: int) -> dict:
        """HR or the hall director (they keep the staff records, S1.17, S1.21) unlock a
        member's login after too many failures: every locked address and her username's
        delays (login_store.lift_lockout)."""
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            member = org.person(session, staff_id)
            was_locked = login_store.lift_lockout(session, member)
            if was_locked:
                lockouts.announce_lifted(session, member, LockoutLiftReason.LIFTED, caller, now)
            return {"staff_id": staff_id, "username": member.username, "was_locked": was_locked}

    @rpc(expected_exceptions=REFUSALS)
    def locked_logins(self, caller: int, cursor: str | None = None,
                      limit: int = paging.DEFAULT_LIMIT) -> dict:
        """Members' locked (username, address) pairs, newest lock first, for those who may lift
        them (HR, the hall director): ``{items, next_cursor}``."""
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            return lockouts.listing(session, cursor, limit)

    @rpc(expected_exceptions=REFUSALS)
    def staff_change_role(self, caller: int, staff_id: int, role: str | None) -> dict:
        """HR or the hall director change a member's hotline role (S3.2), ``staff.role_changed``."""
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            return org.public(org.change_role(session, staff_id, role, now, zone))

    @rpc
    def get_staff(self, staff_id: int) -> dict | None:
        """A staff member's current record (``left_on`` set for a leaver): what other services
        decide authority from (issue 10), never a token's claims."""
        person = self.db.session.get(StaffMember, staff_id)
        return _public(person) if person else None

    @rpc
    def get_department(self, code: str) -> dict | None:
        """The department with ``code`` (a dispatch's target), or None."""
        department = self.db.session.get(Department, code) if isinstance(code, str) else None
        if department is None:
            return None
        return {"code": department.code, "name": department.name, "kind": department.kind}

    @rpc
    def department_staff(self, code: str) -> list[int]:
        """The serving staff of department ``code`` (those an urge to it reaches, S3.2a)."""
        return list(self.db.session.scalars(
            select(StaffMember.id).where(StaffMember.department == code,
                                         StaffMember.left_on.is_(None))
            .order_by(StaffMember.id)))

    # --- presence (issue 11): ready or away, honoured by routing at once -----------------------

    @rpc(expected_exceptions=REFUSALS)
    def get_presence(self, caller: int) -> dict:
        return presence_store.get(self.db.session, caller).view()

    @rpc(expected_exceptions=REFUSALS)
    def set_presence(self, caller: int, state: str, reason: str | None = None) -> dict:
        """The caller sets her own presence (a hotline member); ``staff.presence_changed``."""
        with self.db.transaction() as session:
            view = presence_store.set_presence(
                session, caller, state, reason, self.clock.now()).view()
            extension = org.person(session, caller).extension
            agent_store.publish_state(session, org.person(session, caller), self.clock.now(),
                                      self._wrapup())
        return self._presence_to_phone(view, extension)

    @http("GET", "/metrics")
    def metrics_page(self, request):
        return metrics_response()

    # --- issue 4: attendance (S1.16) and the staffing plan (S3.3) -----------------------------

    @rpc
    def clock_in(self, staff_id: int) -> dict | None:
        """The staff member clocks in now; the first clock-in of a work day counts."""
        return self._clock(staff_id, clocking_in=True)

    @rpc
    def clock_out(self, staff_id: int) -> dict | None:
        """The staff member clocks out now; the last clock-out of a work day counts."""
        return self._clock(staff_id, clocking_in=False)

    @rpc(expected_exceptions=REFUSALS)
    def attendance_report(self, caller: int, month: str, department: str | None = None,
                          cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT) -> dict:
        """The monthly report (``month`` as YYYY-MM) of what ``caller`` may read (S1.16): a page
        of people, and every department's totals."""
        first = _month(month)
        with self._unit() as (session, now, zone):
            department = org.attendance_scope(session, caller, department, now, zone)
            return attendance_store.monthly_report(
                session, first, now, zone, department, self._grace(), cursor, limit
            )

    @rpc(expected_exceptions=REFUSALS)
    def staffing_plan(self, day: str, overrides: dict | None = None, caller: int | None = None
                      ) -> dict:
        """The plan for ``day`` (YYYY-MM-DD), S3.3, for the hotline's leaders (S3.2: they arrange
        the agents' work); bad settings are refused."""
        with self._unit() as (session, _, _zone):
            if not isinstance(caller, int):
                raise Forbidden("the staffing plan is for the hotline's leaders (S3.2)")
            roster_store.require_planner(session, caller)
        try:
            settings = PlanSettings.from_mapping({**self._plan_config(), **(overrides or {})})
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        with self._unit() as (session, _, zone):
            return plan_store.staffing_plan(session, _day(day), settings, zone)

    @reliable_event_handler("calls", "call.ended", catch_up=True)
    def on_call_ended(self, event: Envelope, ended: CallEnded) -> None:
        """Arrivals and handling times for the plan, kept in staffing's own table (S3.3).

        Catches up from the archive: on a new broker calls answered its first calls before this
        queue existed, and their call.ended reached only the archive (issue 15's loss of 6)."""
        with self.db.transaction() as session:
            if first_delivery(session, "staffing.on_call_ended", str(event.id)):
                plan_store.record_call(session, ended)

    def _clock(self, staff_id: int, clocking_in: bool) -> dict | None:
        for attempt in (1, 2):  # two first clocks of one day at once: the loser tries again
            try:
                with self.db.transaction() as session:
                    return attendance_store.clock(
                        session, staff_id, self.clock.now(), clocking_in, ZONE,
                        self._grace(),
                    )
            except IntegrityError:
                if attempt == 2:
                    raise

    # --- Organisation, leave, duty rota (issue 4): the rules live in the modules called here;
    # ``caller`` is the authenticated staff id the gateway passes; refusals become 4xx there.

    @rpc(expected_exceptions=REFUSALS)
    def org_overview(self, caller: int, cursor: str | None = None,
                     limit: int = paging.DEFAULT_LIMIT) -> dict:
        """Departments, a page of the posts with who acts for each now, who is away."""
        with self._unit() as (session, now, zone):
            return org.overview(session, now, zone, cursor, limit)

    @rpc
    def department_heads(self) -> dict[str, int | None]:
        """Department code → the staff id acting as its head now (issue 14: the visits service's
        department head and report supervisor, S5.3.1, S5.3.4)."""
        with self._unit() as (session, now, zone):
            return org.department_heads(session, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def agent_states(self, caller: int) -> dict:
        """The hotline's members by state now, for the leaders' board (issue 11)."""
        with self._unit() as (session, now, zone):
            return members_by_state(session, caller, now, zone)

    @rpc
    def organisation(self) -> dict:
        """The organisation now (departments, posts with who acts for each, who is away), for
        services that decide their own rules from it (assets, issue 13): no caller needed."""
        with self._unit() as (session, now, zone):
            first = org.overview(session, now, zone, None, paging.MAX_LIMIT)
            posts, after = list(first["items"]), first["next_cursor"]
            while after:  # every post: the assets rules look any of them up
                page = org.overview(session, now, zone, after, paging.MAX_LIMIT)
                posts, after = posts + page["items"], page["next_cursor"]
            return {"departments": first["departments"], "posts": posts, "away": first["away"]}

    @rpc(expected_exceptions=REFUSALS)
    def on_duty(self, caller: int, at: str | None = None) -> dict:
        """Who is on duty at ``at`` (ISO 8601 with offset; now if omitted), S1.7."""
        with self._unit() as (session, now, zone):
            when = _instant(at) if at else now
            return org.duty_view(org.duty_at(session, when, zone))

    @rpc(expected_exceptions=REFUSALS)
    def staff_join(self, caller: int, data: dict) -> dict:
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            return org.public(org.join(session, data, _today(now, zone)))

    @rpc(expected_exceptions=REFUSALS)
    def staff_transfer(self, caller: int, staff_id: int, department: str) -> dict:
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            released = org.transfer(session, staff_id, department, now, zone)
            return {**org.public(org.person(session, staff_id)), "posts_released": released}

    @rpc(expected_exceptions=REFUSALS)
    def staff_depart(self, caller: int, staff_id: int, reason: str) -> dict:
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            released = org.depart(session, staff_id, reason, now, zone)
            return {**org.public(org.person(session, staff_id)), "posts_released": released}

    @rpc(expected_exceptions=REFUSALS)
    def assign_post(self, caller: int, code: str, data: dict) -> dict:
        with self._unit() as (session, now, zone):
            org.require_staff_office(session, caller, now, zone)
            post = org.assign_post(session, code, data)
            return org.post_view(org.view(post), org.away_at(session, now, zone))

    @rpc(expected_exceptions=REFUSALS)
    def request_leave(self, caller: int, data: dict) -> dict:
        with self._unit() as (session, now, zone):
            return leave_flow.request(session, caller, data, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def decide_leave(self, caller: int, leave_id: int, approve: bool, note: str = "") -> dict:
        with self._unit() as (session, now, zone):
            return leave_flow.decide(session, caller, leave_id, approve, note, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def name_leave_cover(self, caller: int, leave_id: int, data: dict) -> dict:
        """Name who acts for a post the leave would leave with nobody (S1.5)."""
        with self._unit() as (session, now, zone):
            return leave_flow.name_cover(session, caller, leave_id, data, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def leave_back(self, caller: int, leave_id: int) -> dict:
        """The leaver reports back (S1.19): the absence and the cover end at once."""
        with self._unit() as (session, now, zone):
            back = leave_flow.back(session, caller, leave_id, now)
            ended = absence_store.back_at_work(session, caller, leave_id, now, zone)
            return {**back, "absence_ended": bool(ended)}

    @rpc(expected_exceptions=REFUSALS)
    def get_leave(self, caller: int, leave_id: int) -> dict:
        with self._unit() as (session, now, zone):
            return leave_flow.get(session, caller, leave_id, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def list_leave(self, caller: int, cursor: str | None = None,
                   limit: int = paging.DEFAULT_LIMIT) -> dict:
        """A page of the leave requests the caller may see, ``{items, next_cursor}``."""
        with self._unit() as (session, now, zone):
            return leave_flow.mine(session, caller, now, zone, cursor, limit)

    @rpc(expected_exceptions=REFUSALS)
    def rota(self, caller: int, day: str | None = None) -> dict:
        with self._unit() as (session, now, zone):
            return sweeps.duty_today(session, _day(day) if day else _today(now, zone))

    @rpc(expected_exceptions=REFUSALS)
    def record_rota_handover(self, caller: int, items: dict) -> dict:
        with self._unit() as (session, now, zone):
            return sweeps.record_handover(session, caller, items, now, zone)

    # --- issue 9: the hotline roster (S3.2); attendance corrections (S1.16, S1.19, S1.21) ----

    @rpc(expected_exceptions=REFUSALS)
    def shift_templates(self, caller: int) -> dict:
        with self._unit() as (session, _, _zone):
            known = roster_store.templates(session)
            return {"items": [roster_store.template_view(t) for t in known.values()]}

    @rpc(expected_exceptions=REFUSALS)
    def add_shift_template(self, caller: int, data: dict) -> dict:
        with self._unit() as (session, _, _zone):
            return roster_store.add_template(session, caller, data)

    @rpc(expected_exceptions=REFUSALS)
    def plan_roster(self, caller: int, data: dict) -> dict:
        """Roster people from templates (S3.2); each planned day is checked against the
        staffing plan's needs per half hour (S3.3)."""
        settings = self._plan_settings()
        with self._unit() as (session, now, zone):
            planned = roster_store.plan(session, caller, data, now, zone)
            first, last = _day(planned["from"]), _day(planned["to"])
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            planned["coverage"] = [
                roster_store.coverage_summary(
                    plan_store.staffing_plan(session, day, settings, zone))
                for day in days
            ]
            return planned

    @rpc(expected_exceptions=REFUSALS)
    def roster_shifts(self, caller: int, query: dict) -> dict:
        with self._unit() as (session, now, zone):
            return roster_store.shifts_of(session, caller, query, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def roster_coverage(self, caller: int, day: str) -> dict:
        """Seats needed (the staffing plan, S3.3) against those rostered, per half hour."""
        settings = self._plan_settings()
        with self._unit() as (session, _, zone):
            roster_store.require_planner(session, caller)
            plan = plan_store.staffing_plan(session, _day(day), settings, zone)
            return roster_store.coverage_view(plan)

    @rpc(expected_exceptions=REFUSALS)
    def request_shift_swap(self, caller: int, data: dict) -> dict:
        with self._unit() as (session, now, zone):
            return roster_store.request_swap(session, caller, data, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def decide_shift_swap(self, caller: int, swap_id: int, approve: bool, note: str = "") -> dict:
        with self._unit() as (session, now, zone):
            return roster_store.decide_swap(session, caller, swap_id, approve, note, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def shift_swaps(self, caller: int, cursor: str | None = None,
                    limit: int = paging.DEFAULT_LIMIT) -> dict:
        """A page of the caller's shift swaps (all for a planner), ``{items, next_cursor}``."""
        with self._unit() as (session, _, _zone):
            return roster_store.list_swaps(session, caller, cursor, limit)

    @rpc(expected_exceptions=REFUSALS)
    def correct_attendance(self, caller: int, data: dict) -> dict:
        with self._unit() as (session, now, zone):
            return attendance_store.correct(session, caller, data, now, zone)

    @rpc(expected_exceptions=REFUSALS)
    def attendance_history(self, caller: int, staff_id: int) -> dict:
        with self._unit() as (session, now, zone):
            return attendance_store.read_history(session, caller, staff_id, now, zone)
    @rpc(expected_exceptions=REFUSALS)
    def confirm_rota_handover(self, caller: int, day: str, note: str | None = None) -> dict:
        """The receiving window confirms the handover of ``day`` (S1.9)."""
        with self._unit() as (session, now, zone):
            return sweeps.confirm_handover(session, caller, _day(day), note, now, zone)

    @configured_timer("ORG", "sweep_interval_seconds", SWEEP_SECONDS)
    def sweep(self) -> None:
        """Absences, uncovered posts, missing rota handovers; routing's on-leave flags."""
        workdays.refresh()  # a newly published holiday arrangement (issue 8)
        sweeps.run_all(self.db, self.clock.now(), ZONE, self._org_grace())
        with self.db.transaction() as session:
            login_store.prune(session, self.clock.now(), self._login_policy())

    @rpc(expected_exceptions=(ClockNotSettable,))
    def set_test_clock(self, now_iso: str | None) -> str:
        """Fix the service's time (tests only: ``TEST_CLOCK: true``); None: the real time."""
        self.clock.set(datetime.fromisoformat(now_iso) if now_iso else None)
        return self.clock.now().isoformat()

    def _login_policy(self) -> throttle.Policy:
        return throttle.Policy.from_config(self.config.get("LOGIN") or {})

    def _refresh_ttl(self) -> timedelta:
        hours = (self.config.get("LOGIN") or {}).get("refresh_ttl_hours", 12)
        return timedelta(hours=float(hours))

    def _grace(self) -> timedelta:
        """Minutes of lateness or early leave forgiven in attendance (S1.16)."""
        minutes = (self.config.get("ATTENDANCE") or {}).get("grace_minutes") or 0
        return timedelta(minutes=float(minutes))

    def _plan_config(self) -> dict:
        return dict(self.config.get("PLAN") or {})

    def _plan_settings(self) -> PlanSettings:
        try:
            return PlanSettings.from_mapping(self._plan_config())
        except ValueError as exc:
            raise Invalid(str(exc)) from exc

    def _org_grace(self) -> timedelta:
        """How late a leaver may report back, or the rota's handover come, before an alert."""
        return timedelta(minutes=float(self.config.get("ORG", {}).get("grace_minutes", 30)))

    @contextmanager
    def _unit(self):
        """One unit of work, at the service's time."""
        with self.db.transaction() as session:
            yield session, self.clock.now(), ZONE

    def _assign(self, work_order_id, caller_number, category, delivery=None):
        routed, decided_now = assign(
            self.db, work_order_id, caller_number, category, self.clock.now(), ZONE, delivery
        )
        if decided_now:
            WORK_ORDERS_ROUTED.labels(routed.role or "none", routed.reason).inc()
        return routed, decided_now


def _acting_staff(payload: Payload) -> int | None:
    """The staff member who took a work-order action (not the system), if any."""
    actor = getattr(payload, "actor", None)
    if actor is None or not actor.id.isdigit() or actor.role == "system":
        return None
    return int(actor.id)


def _instant(text: str) -> datetime:
    try:
        return workdays.require_aware(datetime.fromisoformat(text))
    except (ValueError, TypeError) as exc:
        raise Invalid(f"'at' must be an ISO 8601 time with an offset: {exc}") from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"'day' must be YYYY-MM-DD: {exc}") from exc


def _month(text: str) -> date:
    """The first day of a month written YYYY-MM."""
    return evaluation_store.month_bounds(text, UTC)[0].date()


def _today(now: datetime, zone: ZoneInfo) -> date:
    return workdays.local_date(now, zone)


def _public(person: StaffMember) -> dict:
    return {
        "id": person.id,
        "username": person.username,
        "name": person.name,
        "role": person.role,
        "department": person.department,
        "extension": person.extension,
        "left_on": person.left_on.isoformat() if person.left_on else None,
    }
