"""The staffing service: who works the hotline, and who takes each work order."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy import select

from contracts.events import Category, Envelope, Payload, WorkOrderCreated
from services.staffing import evaluation_store
from services.staffing.accounts import verify_password
from services.staffing.assignment import assign
from services.staffing.evaluation import InvalidMonth, fact_from
from services.staffing.models import Base, StaffMember
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.metrics import EntrypointMetrics, metrics_response

WORK_ORDERS_ROUTED = Counter(
    "csc_work_orders_routed_total", "Work orders routed, by role and reason.", ["role", "reason"]
)


class StaffingService:
    name = "staffing"

    config = Config()
    db = Database(Base.metadata)
    metrics = EntrypointMetrics()

    @rpc
    def route_work_order(self, work_order_id: str, caller_number: str, category: str) -> dict:
        """Decide (or return the earlier decision) for a work order; answers the calls service."""
        routed, _ = self._assign(work_order_id, caller_number, Category(category))
        return routed.model_dump(mode="json")

    @reliable_event_handler("calls", "work_order.created")
    def on_work_order_created(self, event: Envelope, order: WorkOrderCreated) -> None:
        """Routes orders the RPC did not (staffing was slow or down): none is left unrouted."""
        delivery = ("staffing.on_work_order_created", str(event.id))
        self._assign(order.work_order_id, order.caller.number, order.category, delivery)

    # --- the monthly evaluation (S3.2), from the calls service's events ----------------------

    @reliable_event_handler("calls", "work_order.assigned")
    def on_work_order_assigned(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @reliable_event_handler("calls", "work_order.replied")
    def on_work_order_replied(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @reliable_event_handler("calls", "work_order.revisited")
    def on_work_order_revisited(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @reliable_event_handler("calls", "work_order.clock_stopped")
    def on_clock_stopped(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @reliable_event_handler("calls", "work_order.deadline_warning")
    def on_deadline_warning(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @reliable_event_handler("calls", "work_order.escalated")
    def on_work_order_escalated(self, event: Envelope, payload: Payload) -> None:
        self._keep_fact(event, payload)

    @rpc(expected_exceptions=(InvalidMonth, evaluation_store.NotAllowed))
    def monthly_evaluation(self, month: str, viewer_id: int) -> list[dict]:
        return evaluation_store.report(self.db.session, month, viewer_id, self._zone())

    @rpc(
        expected_exceptions=(
            InvalidMonth,
            evaluation_store.NotAllowed,
            evaluation_store.InvalidScore,
            evaluation_store.StaffNotFound,
        )
    )
    def score_evaluation(
        self, month: str, staff_id: int, score: int, comment: str, by: int
    ) -> dict:
        with self.db.transaction() as session:
            return evaluation_store.set_score(
                session, month, staff_id, score, comment, by, datetime.now(UTC), self._zone()
            )

    def _keep_fact(self, event: Envelope, payload: Payload) -> None:
        with self.db.transaction() as session:
            evaluation_store.record_fact(session, str(event.id), fact_from(event.type, payload))

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.get("TIMEZONE", "Asia/Shanghai"))

    @rpc
    def authenticate(self, username: str, password: str) -> dict | None:
        """The staff member for a correct login, else None."""
        person = self.db.session.scalar(select(StaffMember).where(StaffMember.username == username))
        if person is None or not verify_password(person.password_hash, password):
            return None
        return _public(person)

    @rpc
    def get_staff(self, staff_id: int) -> dict | None:
        person = self.db.session.get(StaffMember, staff_id)
        return _public(person) if person else None

    @http("GET", "/metrics")
    def metrics_page(self, request):
        return metrics_response()

    def _assign(self, work_order_id, caller_number, category, delivery=None):
        routed, decided_now = assign(
            self.db, work_order_id, caller_number, category, self._zone(), delivery
        )
        if decided_now:
            WORK_ORDERS_ROUTED.labels(routed.role or "none", routed.reason).inc()
        return routed, decided_now


def _public(person: StaffMember) -> dict:
    return {
        "id": person.id,
        "username": person.username,
        "name": person.name,
        "role": person.role,
        "department": person.department,
        "extension": person.extension,
    }
