"""One 95598 call from answer to hand-off: call record, work order, routing, channel variables.

The AGI entrypoint calls :func:`take_call`; everything here works on any object that behaves
like an AGI channel, so it is testable without Asterisk or a broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from svckit.agi import AgiHangup

from contracts.events import (
    CallEnded,
    Caller,
    Category,
    WorkOrderCreated,
    WorkOrderRouted,
    make_event,
)
from services.calls.ivr import Prompts, ask_category
from services.calls.models import CALLER_NAME_MAX, Call, Customer, WorkOrder
from svckit.db import WorkerDatabase
from svckit.outbox import emit

PRODUCER = "calls"

Router = Callable[[WorkOrder], WorkOrderRouted | None]


class Outcome:
    ROUTED = "routed"  # handed to a person's extension
    FALLBACK = "fallback_queue"  # staffing slow or nobody on shift: the queue takes it
    HANGUP = "hangup"
    ERROR = "error"


@dataclass
class CallRecord:
    """What is known about a call so far; written whatever happens."""

    uniqueid: str
    channel: str
    caller_number: str
    caller_name: str
    dnid: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    keyed: list[str] = field(default_factory=list)
    category: Category | None = None
    outcome: str = Outcome.ERROR
    work_order_id: str | None = None
    route_target: str | None = None
    stored: bool = False  # this session has written the call row

    @classmethod
    def from_env(cls, env: dict[str, str]) -> CallRecord:
        """Caller ID is hostile input: kept verbatim, capped in length."""
        return cls(
            uniqueid=env.get("agi_uniqueid", "")[:64] or f"no-uniqueid-{uuid.uuid4()}",
            channel=env.get("agi_channel", "")[:128],
            caller_number=env.get("agi_callerid", "")[:64],
            caller_name=env.get("agi_calleridname", "")[:CALLER_NAME_MAX],
            dnid=env.get("agi_dnid", "")[:64],
        )

    @property
    def digits(self) -> str:
        return "".join(self.keyed)[:32]


@dataclass(frozen=True)
class HotlineSettings:
    prompts: Prompts = Prompts()
    fallback_target: str = "Queue(95598)"


def take_call(channel, db: WorkerDatabase, route: Router, settings: HotlineSettings) -> CallRecord:
    """Run the menu, open the work order, route it and tell Asterisk where the call goes."""
    call = CallRecord.from_env(channel.env)
    try:
        channel.answer()
        channel.stream_file(settings.prompts.welcome)
        call.category = ask_category(channel, settings.prompts, call.keyed)
        order = open_work_order(db, call)
        routed = route(order)
        call.route_target = (routed and routed.dial_string) or settings.fallback_target
        call.outcome = Outcome.ROUTED if routed and routed.dial_string else Outcome.FALLBACK
        channel.set_variable("WORK_ORDER_ID", order.id)
        channel.set_variable("ROUTE_TARGET", call.route_target)
    except AgiHangup:
        call.outcome = Outcome.HANGUP
    finally:
        finish_call(db, call)
    return call


def open_work_order(db: WorkerDatabase, call: CallRecord) -> WorkOrder:
    """The call's work order, created once per Asterisk uniqueid (a retried session reuses it)."""
    with db.transaction() as session:
        row = _upsert_call(session, call)
        order = session.scalar(select(WorkOrder).where(WorkOrder.call_uniqueid == call.uniqueid))
        if order is None:
            order = _new_work_order(session, call)
        row.work_order_id = order.id
    call.work_order_id = order.id
    return order


def finish_call(db: WorkerDatabase, call: CallRecord) -> None:
    ended = datetime.now(UTC)
    with db.transaction() as session:
        row = _upsert_call(session, call)
        row.ended_at = ended
        row.digits = call.digits
        row.category = call.category.value if call.category else None
        row.outcome = call.outcome
        row.route_target = call.route_target
        row.work_order_id = call.work_order_id or row.work_order_id
        emit(
            session,
            make_event(
                PRODUCER,
                CallEnded(
                    call_uniqueid=call.uniqueid,
                    outcome=call.outcome,
                    category=call.category,
                    work_order_id=row.work_order_id,
                    digits=call.digits,
                    started_at=call.started_at,
                    ended_at=ended,
                ),
            ),
        )


def record_routing(session: Session, routed: WorkOrderRouted) -> bool:
    """Copy staffing's decision onto the work order; False if the order is unknown here."""
    order = session.get(WorkOrder, routed.work_order_id)
    if order is None:
        return False
    order.assignee_id = routed.assignee_id
    order.assignee_name = routed.assignee_name
    order.assignee_role = routed.role.value if routed.role else None
    order.assignee_extension = routed.extension
    order.routing_reason = routed.reason
    order.routed_at = routed.decided_at
    if routed.assignee_id is not None and order.status == "new":
        order.status = "assigned"
    return True


def _upsert_call(session: Session, call: CallRecord) -> Call:
    row = session.get(Call, call.uniqueid)
    if row is None:
        row = Call(
            uniqueid=call.uniqueid,
            channel=call.channel,
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            dnid=call.dnid,
            started_at=call.started_at,
            sessions=1,
        )
        session.add(row)
    elif not call.stored:
        row.sessions += 1  # Asterisk retried the session for the same call
    call.stored = True
    return row


def _new_work_order(session: Session, call: CallRecord) -> WorkOrder:
    customer = session.scalar(select(Customer).where(Customer.number == call.caller_number))
    category = call.category or Category.UNCLASSIFIED
    order = WorkOrder(
        id=str(uuid.uuid4()),
        call_uniqueid=call.uniqueid,
        category=category.value,
        status="new",
        caller_number=call.caller_number,
        caller_name=customer.name if customer else call.caller_name,
        work_unit=customer.work_unit if customer else "",
        contact=customer.contact if customer else call.caller_number,
        created_at=datetime.now(UTC),
    )
    session.add(order)
    caller = Caller(
        number=order.caller_number,
        name=order.caller_name,
        work_unit=order.work_unit,
        contact=order.contact,
    )
    created = WorkOrderCreated(
        work_order_id=order.id,
        call_uniqueid=call.uniqueid,
        category=category,
        caller=caller,
        created_at=order.created_at,
    )
    emit(session, make_event(PRODUCER, created, occurred_at=order.created_at))
    return order

