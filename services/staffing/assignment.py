"""Applying a routing decision to a work order: once per order, stored, published.

This is the hot path of every call, so its statements are built once, as Core statements on the
tables (SQLAlchemy then only binds parameters: about four times cheaper than ORM queries).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, false, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.events import AgentState, Category, Role, WorkOrderRouted, make_event
from services.staffing import agent_line, roster_store, routing
from services.staffing.models import RoutingDecision, StaffMember
from svckit.db import WorkerDatabase
from svckit.inbox import first_delivery
from svckit.outbox import emit

PRODUCER = "staffing"

_staff, _decisions = StaffMember.__table__, RoutingDecision.__table__

ROUTABLE = select(
    _staff.c.id, _staff.c.name, _staff.c.role, _staff.c.extension, _staff.c.open_orders,
    _staff.c.away, _staff.c.line_state, _staff.c.line_since, _staff.c.wrapup_until,
).where(
    _staff.c.on_leave == false(),
    _staff.c.left_on.is_(None),
    _staff.c.role.in_([role.value for role in Role]),
)
CALLER_ORDER_OWNER = (
    select(_decisions.c.assignee_id)
    .where(
        _decisions.c.open == true(),
        _decisions.c.caller_number == bindparam("caller_number"),
        _decisions.c.assignee_id.is_not(None),
    )
    .order_by(_decisions.c.decided_at.desc())
    .limit(1)
)
DECISION_OF_ORDER = (
    select(
        _decisions.c.reason, _decisions.c.decided_at, _decisions.c.caller_number,
        _decisions.c.category, _staff.c.id, _staff.c.name, _staff.c.role, _staff.c.extension,
    )
    .select_from(_decisions.outerjoin(_staff))
    .where(_decisions.c.work_order_id == bindparam("work_order_id"))
)
RECORD_DECISION = insert(_decisions)
DECISION_TO_FOLLOW = (
    select(_decisions.c.assignee_id, _decisions.c.open)
    .where(_decisions.c.work_order_id == bindparam("work_order_id"))
    .with_for_update()
)
FOLLOW_DECISION = (
    update(_decisions)
    .where(_decisions.c.work_order_id == bindparam("order_id"))
    .values(open=bindparam("now_open"), assignee_id=bindparam("owner"))
)
ONE_MORE_OPEN_ORDER = (
    update(_staff)
    .where(_staff.c.id == bindparam("staff_id"))
    .values(open_orders=_staff.c.open_orders + 1)
)


def candidates_on_shift(session: Session, at: datetime, zone: ZoneInfo) -> list[routing.Candidate]:
    """Everyone the roster puts on shift at ``at`` (local time in ``zone``; a night shift
    rostered yesterday included, see ``roster``), not on approved leave (``staff.on_leave``,
    kept by the organisation sweep and on approval); those away are marked, and routing passes
    them (routing.present)."""
    local = at.astimezone(zone)
    day = local.date()
    view = roster_store.load(session, day - timedelta(days=1), day)
    return [
        routing.Candidate(row.id, row.name, Role(row.role), row.extension, row.open_orders,
                          bool(row.away), _state(row, at),
                          agent_line.idle_since(row.line_since, row.wrapup_until))
        for row in session.execute(ROUTABLE)
        if any(routing.on_shift(starts, ends, local.time())
               for starts, ends in view.cover(row.id, day))
    ]


def _state(row, at: datetime) -> AgentState | None:
    """Her agent state when Asterisk has reported her line (issue 16), else None."""
    if row.line_state is None:
        return None
    return agent_line.state_of(row.line_state, bool(row.away), row.wrapup_until, at)


def caller_order_owner(session: Session, caller_number: str) -> int | None:
    return session.scalar(CALLER_ORDER_OWNER, {"caller_number": caller_number})


def assign(
    db: WorkerDatabase,
    work_order_id: str,
    caller_number: str,
    category: Category,
    now: datetime,
    zone: ZoneInfo,
    delivery: tuple[str, str] | None = None,
) -> tuple[WorkOrderRouted, bool]:
    """Route a work order once, at ``now``. Returns the decision and whether it was made now.

    ``delivery`` (consumer, event id) is recorded in the same transaction when an event
    handler calls, so a redelivered event is a no-op.
    """
    try:
        with db.transaction() as session:
            existing = _existing(session, work_order_id)
            if existing is not None:  # the decision itself makes a repeat a no-op
                return existing, False
            if delivery and not first_delivery(session, *delivery):
                return _existing(session, work_order_id), False
            return _decide(session, work_order_id, caller_number, category, now, zone), True
    except IntegrityError:  # decided concurrently by the RPC or the event handler
        with db.transaction() as session:
            return _existing(session, work_order_id), False


def propose(
    session: Session, work_order_id: str, category: Category, now: datetime, zone: ZoneInfo
) -> WorkOrderRouted:
    """Who would take an order whose owner is away (S1.19): among those on shift and not on
    leave, without the caller's-owner preference. Nothing is written: when calls assigns the
    order, its ``work_order.assigned`` moves the decision and the counts (:func:`follow`)."""
    decision = routing.route(category, candidates_on_shift(session, now, zone))
    return _as_event_payload(work_order_id, decision.assignee, f"handover_{decision.reason}", now)


def _decide(
    session: Session, work_order_id: str, caller_number: str, category: Category,
    now: datetime, zone: ZoneInfo,
) -> WorkOrderRouted:
    decision = routing.route(
        category,
        candidates_on_shift(session, now, zone),
        caller_order_owner(session, caller_number),
    )
    chosen = decision.assignee
    session.execute(
        RECORD_DECISION,
        {
            "work_order_id": work_order_id,
            "caller_number": caller_number,
            "category": category.value,
            "assignee_id": chosen.staff_id if chosen else None,
            "role": chosen.role.value if chosen else None,
            "reason": decision.reason,
            "decided_at": now,
            "open": True,
        },
    )
    if chosen is not None:
        session.execute(ONE_MORE_OPEN_ORDER, {"staff_id": chosen.staff_id})
    routed = _as_event_payload(work_order_id, chosen, decision.reason, now,
                               caller_number, category)
    emit(session, make_event(PRODUCER, routed, occurred_at=now))
    return routed


def _existing(session: Session, work_order_id: str) -> WorkOrderRouted | None:
    row = session.execute(DECISION_OF_ORDER, {"work_order_id": work_order_id}).first()
    if row is None:
        return None
    person = (
        routing.Candidate(row.id, row.name, Role(row.role), row.extension, 0)
        if row.id is not None
        else None
    )
    return _as_event_payload(work_order_id, person, row.reason, row.decided_at,
                             row.caller_number, Category(row.category))


def _as_event_payload(
    work_order_id: str, chosen: routing.Candidate | None, reason: str, at: datetime,
    caller_number: str | None = None, category: Category | None = None,
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
        caller_number=caller_number,
        category=category,
    )


def follow(session: Session, work_order_id: str, assignee_id: int | None, still_open: bool) -> None:
    """Keep the decision and the open-order counts in step with the order's life in calls
    (closed, merged, reopened or assigned by hand), so routing's load and the caller's-owner
    rule see the truth. News that changes neither owner nor openness (calls assigning the
    decision it was given) changes nothing.

    Several staffing instances apply news at once: the decision is locked, so one order's news
    apply one after the other, and counts change in the database, never read and written back
    (that lost the increments of routings committed meanwhile: tests/integration/
    test_scale_out.py)."""
    decision = session.execute(DECISION_TO_FOLLOW, {"work_order_id": work_order_id}).first()
    if decision is None:
        return
    owner = decision.assignee_id if assignee_id is None else assignee_id
    if bool(decision.open) == still_open and owner == decision.assignee_id:
        return
    if decision.open:
        _count(session, decision.assignee_id, -1)
    session.execute(FOLLOW_DECISION, {"order_id": work_order_id, "now_open": still_open,
                                      "owner": owner})
    if still_open:
        _count(session, owner, +1)


def _count(session: Session, staff_id: int | None, change: int) -> None:
    if staff_id is None:
        return
    counted = _staff.c.open_orders + change
    session.execute(update(_staff).where(_staff.c.id == staff_id)
                    .values(open_orders=case((counted < 0, 0), else_=counted)))


REROUTED = "ring_no_answer_next_choice"


def reroute(db: WorkerDatabase, work_order_id: str, not_answered: str, now: datetime,
            zone: ZoneInfo) -> WorkOrderRouted | None:
    """The routed phone rang out (issue 16): the order goes to the next choice, never back to
    whoever did not answer; None when the order was never routed here. With nobody free the
    decision says so and the call goes to the queue."""
    extension = not_answered.rsplit("/", 1)[-1]
    with db.transaction() as session:
        decision = session.scalar(select(RoutingDecision).where(
            RoutingDecision.work_order_id == work_order_id).with_for_update())
        if decision is None:
            return None
        rang_out = set(session.scalars(
            select(StaffMember.id).where(StaffMember.extension == extension)))
        if decision.reason == REROUTED and decision.assignee_id not in rang_out:
            return _existing(session, work_order_id)  # this ring-out was handled already
        passed = {decision.assignee_id} | rang_out
        others = [c for c in candidates_on_shift(session, now, zone) if c.staff_id not in passed]
        chosen = routing.route(Category(decision.category), others).assignee
        if decision.open:
            _count(session, decision.assignee_id, -1)
            _count(session, chosen.staff_id if chosen else None, +1)
        decision.assignee_id = chosen.staff_id if chosen else None
        decision.role = chosen.role.value if chosen else None
        decision.reason, decision.decided_at = REROUTED, now
        routed = _as_event_payload(work_order_id, chosen, REROUTED, now,
                                   decision.caller_number, Category(decision.category))
        emit(session, make_event(PRODUCER, routed, occurred_at=now))
        return routed
