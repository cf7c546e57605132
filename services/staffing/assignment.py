"""Applying a routing decision to a work order: once per order, stored, published."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.events import Category, Role, WorkOrderRouted, make_event
from services.staffing import routing
from services.staffing.models import RoutingDecision, Shift, StaffMember
from svckit.db import WorkerDatabase
from svckit.inbox import first_delivery
from svckit.outbox import emit

PRODUCER = "staffing"


def candidates_on_shift(session: Session, at: datetime, zone: ZoneInfo) -> list[routing.Candidate]:
    """Everyone whose shift covers ``at`` (local time in ``zone``) and who is not away."""
    local = at.astimezone(zone).time()
    rows = session.execute(
        select(
            StaffMember.id, StaffMember.name, StaffMember.role, StaffMember.extension,
            StaffMember.open_orders, Shift.starts, Shift.ends,
        )
        .join_from(StaffMember, Shift)
        .where(StaffMember.away.is_(False))
    )
    on_shift = {
        row.id: routing.Candidate(row.id, row.name, Role(row.role), row.extension, row.open_orders)
        for row in rows
        if routing.on_shift(row.starts, row.ends, local)
    }
    return list(on_shift.values())


def caller_order_owner(session: Session, caller_number: str) -> int | None:
    return session.scalar(
        select(RoutingDecision.assignee_id)
        .where(RoutingDecision.open.is_(True), RoutingDecision.caller_number == caller_number)
        .where(RoutingDecision.assignee_id.is_not(None))
        .order_by(RoutingDecision.decided_at.desc())
        .limit(1)
    )


def assign(
    db: WorkerDatabase,
    work_order_id: str,
    caller_number: str,
    category: Category,
    zone: ZoneInfo,
    delivery: tuple[str, str] | None = None,
) -> tuple[WorkOrderRouted, bool]:
    """Route a work order once. Returns the decision and whether it was made now.

    ``delivery`` (consumer, event id) is recorded in the same transaction when an event
    handler calls, so a redelivered event is a no-op.
    """
    existing = _existing(db.session, work_order_id)
    db.session.rollback()
    if existing is not None:
        return existing, False
    try:
        with db.transaction() as session:
            if delivery and not first_delivery(session, *delivery):
                return _existing(session, work_order_id), False
            routed = _decide(session, work_order_id, caller_number, category, zone)
    except IntegrityError:  # decided concurrently by the RPC or the event handler
        db.session.rollback()
        return _existing(db.session, work_order_id), False
    return routed, True


def _decide(
    session: Session, work_order_id: str, caller_number: str, category: Category, zone: ZoneInfo
) -> WorkOrderRouted:
    now = datetime.now(UTC)
    decision = routing.route(
        category,
        candidates_on_shift(session, now, zone),
        caller_order_owner(session, caller_number),
    )
    chosen = decision.assignee
    session.execute(
        insert(RoutingDecision).values(
            work_order_id=work_order_id,
            caller_number=caller_number,
            category=category.value,
            assignee_id=chosen.staff_id if chosen else None,
            role=chosen.role.value if chosen else None,
            reason=decision.reason,
            decided_at=now,
            open=True,
        )
    )
    if chosen is not None:
        session.execute(
            update(StaffMember)
            .where(StaffMember.id == chosen.staff_id)
            .values(open_orders=StaffMember.open_orders + 1)
        )
    routed = _as_event_payload(work_order_id, chosen, decision.reason, now)
    emit(session, make_event(PRODUCER, routed, occurred_at=now))
    return routed


def _existing(session: Session, work_order_id: str) -> WorkOrderRouted | None:
    row = session.execute(
        select(
            RoutingDecision.reason, RoutingDecision.decided_at, StaffMember.id,
            StaffMember.name, StaffMember.role, StaffMember.extension,
        )
        .outerjoin_from(RoutingDecision, StaffMember)
        .where(RoutingDecision.work_order_id == work_order_id)
    ).first()
    if row is None:
        return None
    person = (
        routing.Candidate(row.id, row.name, Role(row.role), row.extension, 0)
        if row.id is not None
        else None
    )
    return _as_event_payload(work_order_id, person, row.reason, row.decided_at)


def _as_event_payload(
    work_order_id: str, chosen: routing.Candidate | None, reason: str, at: datetime
) -> WorkOrderRouted:
    return WorkOrderRouted(
        work_order_id=work_order_id,
        assignee_id=chosen.staff_id if chosen else None,
        assignee_name=chosen.name if chosen else None,
        role=chosen.role if chosen else None,
        extension=chosen.extension if chosen else None,
        dial_string=routing.dial_string(chosen.extension) if chosen else None,
        reason=reason,
        decided_at=at,
    )
