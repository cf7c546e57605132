"""The inbox service (issue 11): every event that asks a person to act becomes a durable notice
in that person's inbox (read/unread, kept across restarts), announced by ``notice.created`` for
the gateway to push live. Who gets what: services/inbox/addressing.py (calls, staffing) and
services/inbox/alerts.py (assets, visits: the events name their recipients)."""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import Counter

from contracts.events import Envelope, Payload
from services.inbox import addressing, alerts, notice_store
from services.inbox.models import Base
from services.inbox.notice_store import NoticeNotFound
from svckit import paging
from svckit.clock import Clock
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.metrics import metrics_response
from svckit.rpc import RpcProxy, rpc
from svckit.service import ObservedService

NOTICES = Counter("csc_notices_total", "Notices delivered to inboxes, by kind.", ["kind"])
STAFFING_TIMEOUT_SECONDS = 3
REFUSALS = (NoticeNotFound, paging.BadCursor)


class InboxService(ObservedService):
    name = "inbox"

    config = Config()
    db = Database(Base.metadata)
    clock = Clock()
    staffing = RpcProxy("staffing")

    # --- events that ask someone to act ---------------------------------------------------

    @reliable_event_handler("staffing", "work_order.routed")
    def on_routed(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.routed(payload))

    @reliable_event_handler("calls", "work_order.assigned")
    def on_assigned(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.assigned(payload))

    @reliable_event_handler("calls", "work_order.urged")
    def on_urged(self, event: Envelope, payload: Payload) -> None:
        staff = self._department_staff(payload.department) if payload.department else []
        self._deliver(event, addressing.urged(payload, staff))

    @reliable_event_handler("calls", "work_order.escalated")
    def on_escalated(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.escalated(payload))

    @reliable_event_handler("calls", "work_order.deadline_warning")
    def on_deadline_warning(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.deadline_warning(payload))

    @reliable_event_handler("staffing", "leave.requested")
    def on_leave_requested(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.leave_waiting(payload))

    @reliable_event_handler("staffing", "leave.advanced")
    def on_leave_advanced(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.leave_waiting(payload))

    @reliable_event_handler("staffing", "leave.approved")
    def on_leave_approved(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.leave_decided(payload))

    @reliable_event_handler("staffing", "leave.rejected")
    def on_leave_rejected(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.leave_decided(payload))

    @reliable_event_handler("staffing", "staff.absent")
    def on_absent(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.absent(payload))

    @reliable_event_handler("staffing", "post.uncovered")
    def on_post_uncovered(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.uncovered(payload))

    @reliable_event_handler("staffing", "rota.handover_missing")
    def on_handover_missing(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.handover_missing(payload))

    @reliable_event_handler("staffing", "login.locked_out")
    def on_locked_out(self, event: Envelope, payload: Payload) -> None:
        self._deliver(event, addressing.locked_out(payload), addressing.lifted_until)

    @reliable_event_handler("staffing", "login.lockout_lifted")
    def on_lockout_lifted(self, event: Envelope, payload: Payload) -> None:
        """The member's lockout notices are done: read, and saying by whom and when."""
        with self.db.transaction() as session:
            if not first_delivery(session, f"inbox.{event.type}", str(event.id)):
                return
            news = {"lifted_at": payload.lifted_at.isoformat(), "lifted_by": payload.lifted_by,
                    "lift_reason": payload.reason.value}
            notice_store.settle(session, addressing.LOCKOUT, str(payload.staff_id),
                                payload.lifted_at, news, self.clock.now(),
                                addressing.lifted_until)

    # --- alerts that name their recipients: one rule (services/inbox/alerts.py) ------------

    @reliable_event_handler("assets", "custody.handover_requested")
    @reliable_event_handler("assets", "seal.not_returned")
    @reliable_event_handler("assets", "window.unchecked")
    @reliable_event_handler("assets", "repair.status_changed")
    @reliable_event_handler("assets", "room.approval_requested")
    @reliable_event_handler("assets", "room.fault_reported")
    @reliable_event_handler("assets", "room.damage_charged")
    @reliable_event_handler("visits", "visit_plan.submitted")
    @reliable_event_handler("visits", "visit_plan.reviewed")
    @reliable_event_handler("visits", "visit_plan.missing")
    @reliable_event_handler("visits", "visit.flagged")
    @reliable_event_handler("visits", "visit.report_overdue")
    @reliable_event_handler("visits", "follow_up.reminder")
    def on_named_alert(self, event: Envelope, payload: Payload) -> None:
        """One queue per type (nameko's entrypoint per decorator), one rule for all."""
        self._deliver(event, alerts.named(event.type, payload))

    # --- a person's inbox: only her own notices -------------------------------------------

    @rpc(expected_exceptions=REFUSALS)
    def list_notices(self, caller: int, unread: bool | None = None, cursor: str | None = None,
                     limit: int = paging.DEFAULT_LIMIT) -> dict:
        """The caller's notices, newest first: ``{items, next_cursor, unread_count}``."""
        return notice_store.listing(self.db.session, int(caller), unread, cursor, limit)

    @rpc(expected_exceptions=REFUSALS)
    def read_notice(self, caller: int, notice_id: int) -> dict:
        with self.db.transaction() as session:
            return notice_store.view(
                notice_store.read(session, int(caller), int(notice_id), self.clock.now()))

    @rpc
    def read_all(self, caller: int) -> dict:
        with self.db.transaction() as session:
            return {"read": notice_store.read_all(session, int(caller), self.clock.now())}

    @http("GET", "/metrics")
    def metrics_page(self, request):
        return metrics_response()

    def _deliver(self, event: Envelope, drafts: list[addressing.Draft],
                 covers: notice_store.Covers | None = None) -> None:
        """Once per event (a redelivery is a no-op), each draft once per recipient; ``covers``:
        the drafts' subject may be settled already (notice_store.settle)."""
        with self.db.transaction() as session:
            if not first_delivery(session, f"inbox.{event.type}", str(event.id)):
                return
            made = notice_store.deliver(session, str(event.id), drafts, self.clock.now(),
                                        covers)
        for notice in made:
            NOTICES.labels(notice.kind).inc()

    def _department_staff(self, code: str) -> list[int]:
        """Staffing names a department's staff; a slow answer fails the delivery, retried."""
        ask: Callable = self.staffing.department_staff
        with eventlet.Timeout(STAFFING_TIMEOUT_SECONDS):
            return list(ask(code))
