"""Work orders in storage: lifecycle actions applied to rows, kept in history, published.

The rules are in :mod:`lifecycle` (pure); this module loads an order's state from its row,
applies one action, writes the changes, its history entry and its event in the caller's
transaction (the outbox publishes after commit). Closing a parent closes the orders merged into
it, each with the parent's reply recorded on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, insert, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from contracts.events import Actor as ActorPayload
from contracts.events import (
    WorkOrderEscalated,
    WorkOrderRouted,
    WorkOrderTransitioned,
    make_event,
)
from services.calls import clock_store, clocks, taxonomy
from services.calls.access import Caller, Reach
from services.calls.lifecycle import (
    Action,
    Actor,
    HistoryEntry,
    IllegalTransition,
    InvalidFields,
    OrderState,
    Party,
    Status,
    allowed_actions,
    apply,
    close_children,
)
from services.calls.models import WorkOrder, WorkOrderEscalation, WorkOrderHistory
from svckit import paging
from svckit.outbox import emit

PRODUCER = "calls"
SYSTEM = Actor("system", Party.SYSTEM, "system")

# OrderState fields written back to the row after an action.
_STATE_COLUMNS = (
    "department", "result", "reply", "satisfaction", "solved", "parent_id", "reopened", "urged",
    "matter", "address", "meter_number", "transformer_area", "promise",
)


class WorkOrderNotFound(LookupError):
    """No work order with that id."""


def actor_from(raw: Mapping[str, Any]) -> Actor:
    """The actor as the gateway describes the caller: ``{id, role, name, department}``."""
    try:
        return Actor(str(raw["id"]), raw["role"], raw.get("name") or "", raw.get("department"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidFields(f"not an actor: {exc}") from None


def load(session: Session, order_id: str, lock: bool = True) -> WorkOrder:
    row = session.get(WorkOrder, order_id, with_for_update=lock)
    if row is None:
        raise WorkOrderNotFound(f"work order {order_id} not found")
    return row


def state_of(row: WorkOrder) -> OrderState:
    return OrderState(
        id=row.id,
        status=Status(row.status),
        assignee=str(row.assignee_id) if row.assignee_id is not None else None,
        escalation_level=row.escalation_level,
        **{column: getattr(row, column) for column in _STATE_COLUMNS},
    )


def act(
    session: Session,
    order_id: str,
    action: str,
    actor: Actor,
    at: datetime,
    fields: Mapping[str, Any],
    assignee: Mapping[str, Any] | None = None,
) -> WorkOrder:
    """Take ``action`` on the order; raises the lifecycle's errors or :class:`WorkOrderNotFound`.

    ``assignee`` is the staff member (from staffing) an ``assign`` names, or the leader on duty
    an ``escalate`` reaches (None: nobody of that level is on duty).
    """
    row = load(session, order_id)
    values = _resolve(session, row, action, dict(fields))
    new, entry = apply(state_of(row), action, actor, at, **values)
    _write(row, new, at)
    if entry.action is Action.ASSIGN:
        _assign(row, assignee)
    elif entry.action is Action.CLASSIFY:
        _classify(row, values["classification"])
    if entry.action is Action.ESCALATE:
        entry = _escalate(session, row, entry, assignee)
    else:
        record(session, row, entry)
    clock_store.after_action(session, row, entry)
    if new.status is Status.CLOSED:
        _close_merged(session, row, new, actor, at)
    return row


def _actor_payload(entry: HistoryEntry) -> ActorPayload:
    return ActorPayload(
        id=entry.actor.id,
        role=entry.actor.role.value,
        name=entry.actor.name,
        department=entry.actor.department,
    )


def record(session: Session, row: WorkOrder, entry: HistoryEntry, publish: bool = True) -> None:
    """Keep ``entry`` in the order's history and publish it (as a transition)."""
    actor = _actor_payload(entry)
    session.add(
        WorkOrderHistory(
            work_order_id=row.id,
            action=entry.action.value,
            from_status=entry.from_status.value,
            to_status=entry.to_status.value,
            actor_id=actor.id,
            actor_role=actor.role,
            actor_name=actor.name,
            actor_department=actor.department,
            at=entry.at,
            note=entry.note,
            data=dict(entry.data),
        )
    )
    if not publish:
        return
    payload = WorkOrderTransitioned(
        work_order_id=row.id,
        action=entry.action.value,
        from_status=entry.from_status,
        to_status=entry.to_status,
        actor=actor,
        note=entry.note,
        data=dict(entry.data),
        assignee_id=row.assignee_id,
        category=row.category,
        created_at=row.created_at,
        at=entry.at,
        department=row.department,
    )
    emit(session, make_event(PRODUCER, payload, occurred_at=entry.at, event_type=entry.event))


def _escalate(
    session: Session, row: WorkOrder, entry: HistoryEntry, holder: Mapping[str, Any] | None
) -> HistoryEntry:
    """An escalation (escalation.py): the order's new holder beside its owner, the level kept
    once (the sweep's rows too), the history entry, and ``work_order.escalated`` naming whom it
    reached, so the leader is told. The owner keeps the order (S1.6)."""
    level, clock = entry.data["level"], entry.data.get("clock")
    recipient = int(holder["id"]) if holder else None
    row.escalated_to_id = recipient
    row.escalated_to_name = holder.get("name") if holder else None
    row.escalated_to_role = holder.get("role") if holder else None
    row.escalated_at = entry.at
    entry = replace(entry, data={
        "level": str(level), **({"clock": clock} if clock else {}),
        "reason": entry.data["reason"], "to": recipient, "to_name": row.escalated_to_name,
    })
    session.add(
        WorkOrderEscalation(
            work_order_id=row.id, level=str(level), reason=entry.data["reason"], clock=clock,
            at=entry.at, escalated_by=entry.actor.id, escalated_to_id=recipient,
        )
    )
    record(session, row, entry, publish=False)
    escalated = WorkOrderEscalated(
        work_order_id=row.id, level=level, reason=entry.data["reason"], clock=clock,
        assignee_id=row.assignee_id, at=entry.at, recipient_staff_id=recipient,
        recipient_name=row.escalated_to_name, escalated_by=_actor_payload(entry),
        caller_number=row.caller_number, category=row.category,
    )
    emit(session, make_event(PRODUCER, escalated, occurred_at=entry.at))
    return entry


def escalate(
    session: Session,
    order_id: str,
    actor: Actor,
    at: datetime,
    reason: str,
    holder: Mapping[str, Any] | None,
    level: str | None = None,
    clock: str | None = None,
) -> WorkOrder:
    """Escalate the order (a person's ``escalate``, or the deadline sweep's, ESC-3)."""
    fields: dict[str, Any] = {"reason": reason}
    if level is not None:
        fields["level"] = level
    if clock is not None:
        fields["clock"] = clock
    return act(session, order_id, Action.ESCALATE, actor, at, fields, holder)


def assignee_of(routed: WorkOrderRouted) -> dict[str, Any] | None:
    """The staff member a routing decision names, as an assignment takes it."""
    if routed.assignee_id is None:
        return None
    return {
        "id": routed.assignee_id,
        "name": routed.assignee_name,
        "role": routed.role.value if routed.role else None,
        "extension": routed.extension,
    }


# staffing's reason when the routed phone rang out and the order went to the next choice
# (issue 16): the system moves an order it assigned, not one a person moved meanwhile
RING_NO_ANSWER_NEXT_CHOICE = "ring_no_answer_next_choice"


def record_routing(session: Session, routed: WorkOrderRouted) -> bool:
    """Apply staffing's decision: a new order is assigned by the system; False if unknown here.

    An order a leader has assigned (or moved on) meanwhile keeps its owner: the hand wins.
    """
    row = session.get(WorkOrder, routed.work_order_id, with_for_update=True)
    if row is None:
        return False
    assignee = assignee_of(routed)
    rerouted = (routed.reason == RING_NO_ANSWER_NEXT_CHOICE and row.status == Status.ASSIGNED
                and row.assignee_id != routed.assignee_id)
    if assignee is not None and (row.status == Status.NEW or rerouted):
        fields = {"assignee": str(routed.assignee_id), "note": routed.reason}
        act(session, row.id, Action.ASSIGN, SYSTEM, routed.decided_at, fields, assignee)
        if rerouted:
            row.routing_reason, row.routed_at = routed.reason, routed.decided_at
    if row.assignee_id == routed.assignee_id and row.routed_at is None:
        row.routing_reason = routed.reason
        row.routed_at = routed.decided_at
    return True


# The routing of a call recorded from the RPC reply (issue 12): statements built once.
_orders, _history = WorkOrder.__table__, WorkOrderHistory.__table__
ASSIGN_NEW_ORDER = (
    update(_orders)
    .where(_orders.c.id == bindparam("order_id"), _orders.c.status == Status.NEW.value)
    .values(status=Status.ASSIGNED.value, assignee_id=bindparam("assignee_id"),
            assignee_name=bindparam("assignee_name"), assignee_role=bindparam("assignee_role"),
            assignee_extension=bindparam("assignee_extension"),
            routing_reason=bindparam("reason"), routed_at=bindparam("at"),
            updated_at=bindparam("at"))
    .returning(_orders.c.category, _orders.c.created_at, _orders.c.department)
)
NOBODY_ROUTED = (
    update(_orders)
    .where(_orders.c.id == bindparam("order_id"), _orders.c.assignee_id.is_(None),
           _orders.c.routed_at.is_(None))
    .values(routing_reason=bindparam("reason"), routed_at=bindparam("at"))
)
INSERT_HISTORY = insert(_history)
ROUTING_OF_ORDER = select(
    _orders.c.routed_at, _orders.c.routing_reason, _orders.c.assignee_id
).where(_orders.c.id == bindparam("order_id"))


def record_decision(session: Session, routed: WorkOrderRouted) -> None:
    """Staffing's decision from the routing RPC's reply, in the call's own transaction: what
    :func:`record_routing` does to a new order (the same history entry and event), in Core
    statements without loading the order. An order no longer new (the routing event was
    applied first, or a person acted) is left as it is; a category whose clocks stop on
    assignment goes through :func:`record_routing`, which moves the clocks."""
    if routed.category is None or clocks.assignment_stops_a_clock(routed.category.value):
        record_routing(session, routed)
        return
    if routed.assignee_id is None:
        session.execute(NOBODY_ROUTED, {"order_id": routed.work_order_id,
                                        "reason": routed.reason, "at": routed.decided_at})
        return
    assignee = assignee_of(routed)
    # a new order as the lifecycle sees it when the system assigns it: nothing else is read
    _, entry = apply(OrderState(routed.work_order_id), Action.ASSIGN, SYSTEM, routed.decided_at,
                     assignee=str(routed.assignee_id), note=routed.reason)
    row = session.execute(ASSIGN_NEW_ORDER, {
        "order_id": routed.work_order_id, "assignee_id": routed.assignee_id,
        "assignee_name": assignee["name"], "assignee_role": assignee["role"],
        "assignee_extension": assignee["extension"], "reason": routed.reason,
        "at": routed.decided_at}).first()
    if row is not None:
        _record_assignment(session, entry, routed.assignee_id, row)


def _record_assignment(session: Session, entry: HistoryEntry, assignee_id: int, row) -> None:
    """:func:`record`'s history row and ``work_order.assigned``, from known values."""
    actor = _actor_payload(entry)
    session.execute(INSERT_HISTORY, {
        "work_order_id": entry.order_id, "action": entry.action.value,
        "from_status": entry.from_status.value, "to_status": entry.to_status.value,
        "actor_id": actor.id, "actor_role": actor.role, "actor_name": actor.name,
        "actor_department": actor.department, "at": entry.at, "note": entry.note,
        "data": dict(entry.data)})
    payload = WorkOrderTransitioned(
        work_order_id=entry.order_id, action=entry.action.value, from_status=entry.from_status,
        to_status=entry.to_status, actor=actor, note=entry.note, data=dict(entry.data),
        assignee_id=assignee_id, category=row.category, created_at=row.created_at, at=entry.at,
        department=row.department)
    emit(session, make_event(PRODUCER, payload, occurred_at=entry.at, event_type=entry.event))


def routing_recorded(session: Session, routed: WorkOrderRouted) -> bool:
    """Whether the decision is recorded already (from the RPC reply, or an earlier delivery):
    one indexed read. A re-routing after a ring-out is recorded when the order is with its
    next choice for that reason."""
    row = session.execute(ROUTING_OF_ORDER, {"order_id": routed.work_order_id}).first()
    if row is None or row.routed_at is None:
        return False
    if routed.reason != RING_NO_ANSWER_NEXT_CHOICE:
        return True
    return (row.routing_reason == RING_NO_ANSWER_NEXT_CHOICE
            and row.assignee_id == routed.assignee_id)


@dataclass(frozen=True)
class UnroutedSettings:
    """The sweep of orders left unrouted (config ``UNROUTED``)."""

    sweep_seconds: float = 15.0
    after_seconds: float = 30.0  # opened this long ago: far past the call and the routed event
    page: int = 100  # orders asked of staffing per sweep

    @classmethod
    def from_config(cls, raw: dict | None) -> UnroutedSettings:
        raw = raw or {}
        return cls(float(raw.get("sweep_seconds", cls.sweep_seconds)),
                   float(raw.get("after_seconds", cls.after_seconds)),
                   int(raw.get("page", cls.page)))


UNROUTED = (
    select(_orders.c.id, _orders.c.caller_number, _orders.c.category)
    .where(_orders.c.status == Status.NEW.value, _orders.c.routed_at.is_(None),
           _orders.c.created_at <= bindparam("before"))
    .order_by(_orders.c.created_at)
    .limit(bindparam("limit"))
)


def unrouted(session: Session, before: datetime, limit: int) -> list[tuple[str, str, str]]:
    """Orders still new with no routing recorded, opened at or before ``before``, oldest first
    (id, caller number, category): neither the RPC reply nor ``work_order.routed`` reached
    them. One a person assigned meanwhile is not new, so not among them."""
    return [tuple(row) for row in session.execute(UNROUTED, {"before": before, "limit": limit})]


OPEN = tuple(s for s in Status if s not in (Status.CLOSED, Status.MERGED))
AT_DEPARTMENT = (Status.DISPATCHED, Status.IN_PROGRESS)


def readable(caller: Caller) -> ColumnElement[bool]:
    """The orders ``caller`` may read, as a condition on work orders (access.may_read)."""
    if caller.reach is Reach.ALL:
        return true()
    if caller.reach is Reach.DEPARTMENT:
        return WorkOrder.department == caller.department
    mine = aliased(WorkOrder)
    served = select(mine.caller_number).where(
        mine.assignee_id == caller.id, mine.status.in_(OPEN))
    return or_(WorkOrder.assignee_id == caller.id, WorkOrder.escalated_to_id == caller.id,
               WorkOrder.caller_number.in_(served))


def serves(session: Session, staff_id: int, caller_number: str) -> bool:
    """Whether ``staff_id`` is serving the caller: owns an open order of that number (S1.6)."""
    return bool(session.scalar(select(exists().where(
        WorkOrder.caller_number == caller_number, WorkOrder.assignee_id == staff_id,
        WorkOrder.status.in_(OPEN)))))


def queue(
    session: Session, assignee_id: int | None = None, department: str | None = None,
    readable_by: Caller | None = None,
    cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT,
) -> tuple[list[WorkOrder], str | None]:
    """Open orders of one owner (hers, and those escalated to her), or those a department must
    act on (of those ``readable_by`` may read); oldest first, a page after ``cursor``
    (svckit.paging) and the next page's cursor."""
    if (assignee_id is None) == (department is None):
        raise InvalidFields("a queue is either one owner's or one department's")
    query = paging.keyset(
        select(WorkOrder), (WorkOrder.created_at, WorkOrder.id), cursor, limit
    )
    if readable_by is not None:
        query = query.where(readable(readable_by))
    if assignee_id is not None:
        query = query.where(
            or_(WorkOrder.assignee_id == assignee_id, WorkOrder.escalated_to_id == assignee_id),
            WorkOrder.status.in_(OPEN),
        )
    else:
        query = query.where(
            WorkOrder.department == department, WorkOrder.status.in_(AT_DEPARTMENT)
        )
    return paging.page(list(session.scalars(query)), limit, _order_key)


def _order_key(order: WorkOrder) -> tuple:
    return order.created_at, order.id


def owned(session: Session, staff_id: int) -> list[WorkOrder]:
    """Every open order of one owner (a handover takes them all, S1.19)."""
    query = select(WorkOrder).where(
        WorkOrder.assignee_id == staff_id, WorkOrder.status.in_(OPEN)
    )
    return list(session.scalars(query.order_by(WorkOrder.created_at)))


def hand_over(
    session: Session,
    from_staff_id: int,
    targets: Mapping[str, Mapping[str, Any] | None],
    note: str,
    at: datetime,
) -> list[str]:
    """Assign each order to its target (None: nobody to take it, it stays); the ids moved.

    An order that changed owner or closed since the targets were chosen is left alone.
    """
    moved = []
    for order_id, target in targets.items():
        row = load(session, order_id)
        if target is None or row.assignee_id != from_staff_id or row.status not in OPEN:
            continue
        fields = {"assignee": str(target["id"]), "note": note}
        act(session, order_id, Action.ASSIGN, SYSTEM, at, fields, target)
        row.routing_reason = "handover"
        moved.append(order_id)
    return moved


def history(session: Session, order_id: str) -> list[WorkOrderHistory]:
    return list(
        session.scalars(
            select(WorkOrderHistory)
            .where(WorkOrderHistory.work_order_id == order_id)
            .order_by(WorkOrderHistory.id)
        )
    )


def actions_for(row: WorkOrder, actor: Actor) -> list[str]:
    return allowed_actions(state_of(row), actor)


def _resolve(
    session: Session, row: WorkOrder, action: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Turn the fields that name things (a parent, a classification) into what apply takes."""
    if action == Action.MERGE and "parent" in fields:
        parent = load(session, str(fields["parent"]))
        _refuse_merging_a_parent(session, row)
        fields["parent"] = state_of(parent)
    if action == Action.CLASSIFY:
        fields = {
            "classification": _refinement(row, fields),
            **({"note": fields["note"]} if "note" in fields else {}),
        }
    return fields


def _refinement(row: WorkOrder, fields: Mapping[str, Any]) -> taxonomy.Classification:
    unknown = set(fields) - {"category", "sub_type", "area", "note"}
    if unknown or "category" not in fields:
        raise InvalidFields("classify takes category, sub_type, area and note; category is needed")
    try:
        return taxonomy.refine(
            row.ivr_category or row.category,
            fields["category"],
            fields.get("sub_type"),
            fields.get("area"),
        )
    except taxonomy.InvalidClassification as exc:
        raise InvalidFields(str(exc)) from None


def _refuse_merging_a_parent(session: Session, row: WorkOrder) -> None:
    child = session.scalar(select(WorkOrder.id).where(WorkOrder.parent_id == row.id).limit(1))
    if child:
        raise IllegalTransition(
            f"work order {row.id} has work orders merged into it ({child}, ...); it stays the "
            "parent: merge the others into it instead"
        )


def _write(row: WorkOrder, new: OrderState, at: datetime) -> None:
    row.status = new.status.value
    row.escalation_level = new.escalation_level.value if new.escalation_level else None
    for column in _STATE_COLUMNS:
        setattr(row, column, getattr(new, column))
    row.updated_at = at


def _assign(row: WorkOrder, assignee: Mapping[str, Any] | None) -> None:
    if assignee is None:
        raise InvalidFields("assign needs a known staff member")
    row.assignee_id = int(assignee["id"])
    row.assignee_name = assignee.get("name")
    row.assignee_role = assignee.get("role")
    row.assignee_extension = assignee.get("extension")
    row.routing_reason = "assigned by hand"


def _classify(row: WorkOrder, classification: taxonomy.Classification) -> None:
    row.category = classification.category
    row.sub_type = classification.sub_type
    row.area = classification.area.value if classification.area else None


def _close_merged(
    session: Session, parent_row: WorkOrder, parent: OrderState, actor: Actor, at: datetime
) -> None:
    rows = {
        child.id: child
        for child in session.scalars(
            select(WorkOrder).where(WorkOrder.parent_id == parent_row.id).with_for_update()
        )
    }
    closing = close_children(parent, [state_of(child) for child in rows.values()], actor, at)
    for new, entry in closing:
        child = rows[new.id]
        _write(child, new, at)
        child.reply = parent_row.reply
        record(session, child, replace(entry, data={**entry.data, "reply": parent_row.reply}))
