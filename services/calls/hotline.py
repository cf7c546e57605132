"""One 95598 call from answer to hand-off: call record, work order, routing, channel variables.

The AGI entrypoint calls :func:`take_call`; everything here works on any object that behaves
like an AGI channel, so it is testable without Asterisk or a broker.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from prometheus_client import Counter, Histogram
from sqlalchemy import Insert, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contracts.events import (
    CallEnded,
    Caller,
    Category,
    WorkOrderCreated,
    WorkOrderRouted,
    make_event,
)
from services.calls import clock_store, orders
from services.calls.ivr import Prompts, ask_category
from services.calls.models import CALLER_NAME_MAX, Call, Customer, WorkOrder
from services.calls.outages import ActiveOutage, outage_for
from services.calls.spool import Spool, SpooledCall
from svckit import logs
from svckit.agi import AgiHangup
from svckit.db import DATABASE_DOWN, WorkerDatabase
from svckit.outbox import emit

log = logging.getLogger(__name__)

CALL_ROUTING = Histogram(
    "csc_call_routing_seconds",
    "The call path after the menu: opening the work order, asking staffing, telling Asterisk "
    "where the call goes (the caller waits on the line for this).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1, 2.5),
)

SPOOL_FAILURES = Counter(
    "csc_spool_failures_total",
    "Calls neither stored nor kept in the spool (database down, spool unwritable): answered "
    "and sent to the fallback queue unrecorded.",
)

PRODUCER = "calls"

# The hot path of every call: statements built once, bound per call (see staffing.assignment).
_calls, _orders, _customers = Call.__table__, WorkOrder.__table__, Customer.__table__
ORDER_OF_CALL = select(_orders.c.id, _orders.c.caller_number, _orders.c.category).where(
    _orders.c.call_uniqueid == bindparam("uniqueid")
)
CUSTOMER_BY_NUMBER = select(
    _customers.c.name, _customers.c.work_unit, _customers.c.contact, _customers.c.address
).where(_customers.c.number == bindparam("number"))
CUSTOMER_ADDRESS = select(_customers.c.address).where(_customers.c.number == bindparam("number"))
WORK_ORDER_OF_CALL = select(_calls.c.work_order_id).where(
    _calls.c.uniqueid == bindparam("uniqueid")
)
UPDATE_CALL = update(_calls).where(_calls.c.uniqueid == bindparam("call_uniqueid"))
UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
INSERT_WORK_ORDER = insert(_orders)
INSERT_CALL = insert(_calls)
OUTCOME_OF_CALL = select(_calls.c.outcome).where(_calls.c.uniqueid == bindparam("uniqueid"))
IN_PROGRESS = "in_progress"

Router = Callable[["OpenedOrder"], WorkOrderRouted | None]
InOutage = Callable[[str], bool]  # caller number → hears the outage notice


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
    started_at: datetime
    keyed: list[str] = field(default_factory=list)
    category: Category | None = None
    outcome: str = Outcome.ERROR
    work_order_id: str | None = None
    route_target: str | None = None
    routed: WorkOrderRouted | None = None  # staffing's reply, recorded when the call ends
    stored: bool = False  # this session has written the call row
    sessions: int = 0  # Asterisk's sessions of this call when it was stored here (0: unknown)
    instance_id: str | None = None  # the calls process serving it (services/calls/recovery.py)
    # the id its work order gets if this session opens one (told the caller even when the
    # database is down, so the spooled order gets the same id)
    planned_order_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    opened_at: datetime | None = None  # when its order was planned, the database down
    spooled: bool = False  # kept in the spool: stored from there, not by this session

    @classmethod
    def from_env(cls, env: dict[str, str], started_at: datetime) -> CallRecord:
        """Caller ID is hostile input: kept verbatim, capped in length."""
        return cls(
            uniqueid=env.get("agi_uniqueid", "")[:64] or f"no-uniqueid-{uuid.uuid4()}",
            channel=env.get("agi_channel", "")[:128],
            caller_number=env.get("agi_callerid", "")[:64],
            caller_name=env.get("agi_calleridname", "")[:CALLER_NAME_MAX],
            dnid=env.get("agi_dnid", "")[:64],
            started_at=started_at,
        )

    @property
    def digits(self) -> str:
        return "".join(self.keyed)[:32]


@dataclass(frozen=True)
class HotlineSettings:
    now: Callable[[], datetime]  # the service's clock: when calls start and end, orders open
    prompts: Prompts = Prompts()
    fallback_target: str = "Queue(95598)"
    instance_id: str | None = None


def take_call(
    channel,
    db: WorkerDatabase,
    route: Router,
    settings: HotlineSettings,
    in_outage: InOutage = lambda number: False,
    spool: Spool | None = None,
) -> CallRecord:
    """Run the menu, open the work order, route it and tell Asterisk where the call goes.

    A caller whose registered address is in a declared outage hears the outage notice first.
    With the database down the caller is answered all the same: the call goes to the fallback
    queue and is kept in ``spool`` before the caller is told the order id (issue 15).
    """
    call = CallRecord.from_env(channel.env, settings.now())
    call.instance_id = settings.instance_id
    _start_call(db, call)
    try:
        channel.answer()
        channel.stream_file(settings.prompts.welcome)
        if in_outage(call.caller_number):
            channel.stream_file(settings.prompts.outage_notice)
        call.category = ask_category(channel, settings.prompts, call.keyed)
        chosen = time.perf_counter()  # latency, not domain time
        try:
            _open_and_route(db, call, route, settings)
        except DATABASE_DOWN:
            if spool is None:
                raise
            _spool_fallback(spool, call, settings)
        if call.work_order_id:
            channel.set_variable("WORK_ORDER_ID", call.work_order_id)
        channel.set_variable("ROUTE_TARGET", call.route_target)
        CALL_ROUTING.observe(time.perf_counter() - chosen)
    except AgiHangup:
        call.outcome = Outcome.HANGUP
    finally:
        if not call.spooled:
            _finish_or_spool(db, spool, call, settings.now())
    return call


def _start_call(db: WorkerDatabase, call: CallRecord) -> None:
    """The call record, in progress, as soon as the call arrives: a crash from here on leaves
    it to the recovery pass (services/calls/recovery.py) instead of leaving no trace. With the
    database down the call is kept in the spool when it ends."""
    try:
        with db.transaction() as session:
            _write_call(session, call)
    except DATABASE_DOWN:
        log.warning("calls database down as the call arrives", exc_info=True)


def _open_and_route(db: WorkerDatabase, call: CallRecord, route: Router,
                    settings: HotlineSettings) -> None:
    order = open_work_order(db, call, settings.now)
    logs.bind(work_order_id=order.id)
    log.info("call opened work order %s (%s)", order.id, order.category)
    routed = route(order)
    call.routed = routed
    call.route_target = (routed and routed.dial_string) or settings.fallback_target
    call.outcome = Outcome.ROUTED if routed and routed.dial_string else Outcome.FALLBACK
    log.info("call routed to %s (%s)", call.route_target, call.outcome)


def _spool_fallback(spool: Spool, call: CallRecord, settings: HotlineSettings) -> None:
    """The database is down: the fallback queue takes the call, and its order (the id the
    caller is told) is kept in the spool first, to be opened with this time when it is back."""
    call.route_target, call.outcome = settings.fallback_target, Outcome.FALLBACK
    told = call.work_order_id or call.planned_order_id
    call.work_order_id, call.opened_at = told, settings.now()
    call.spooled = True
    try:
        spool.keep(spooled(call, settings.now()))
    except OSError:  # nowhere to keep it: a person still takes the call, told no order id
        SPOOL_FAILURES.inc()
        log.exception("calls database down and the spool unwritable: the call goes to the "
                      "fallback queue unrecorded")
        call.work_order_id = None
        return
    logs.bind(work_order_id=told)
    log.warning("calls database down: call to the fallback queue, order %s kept in the spool",
                told)


def _finish_or_spool(db: WorkerDatabase, spool: Spool | None, call: CallRecord,
                     ended: datetime) -> None:
    try:
        finish_call(db, call, ended)
    except DATABASE_DOWN:
        if spool is None:
            raise
        spool.keep(spooled(call, ended))
        call.spooled = True
        log.warning("calls database down at the end of the call: kept in the spool")


def spooled(call: CallRecord, ended: datetime) -> SpooledCall:
    """What the spool keeps of ``call``, ended at ``ended``."""
    return SpooledCall(
        uniqueid=call.uniqueid, channel=call.channel, caller_number=call.caller_number,
        caller_name=call.caller_name, dnid=call.dnid, started_at=call.started_at,
        ended_at=ended, digits=call.digits, category=call.category, outcome=call.outcome,
        route_target=call.route_target, work_order_id=call.work_order_id,
        opened_at=call.opened_at, instance_id=call.instance_id,
    )


def store_spooled(session: Session, record: SpooledCall) -> bool:
    """A spooled call's work order (the id the caller was told, opened when they were told it)
    and its closed call record with its call.ended, each once: a record stored before (or a
    call closed meanwhile by the recovery pass) changes nothing. True when the call was closed
    here."""
    call = CallRecord(
        uniqueid=record.uniqueid, channel=record.channel, caller_number=record.caller_number,
        caller_name=record.caller_name, dnid=record.dnid, started_at=record.started_at,
        keyed=[record.digits], category=record.category, outcome=record.outcome,
        work_order_id=record.work_order_id, route_target=record.route_target,
        instance_id=record.instance_id,
    )
    if record.work_order_id:
        call.planned_order_id = record.work_order_id
        opened = session.get(WorkOrder, record.work_order_id) or session.execute(
            ORDER_OF_CALL, {"uniqueid": record.uniqueid}).first()
        if not opened:
            _new_work_order(session, call, record.opened_at or record.started_at)
    return _close_spooled(session, call, record.ended_at)


def _close_spooled(session: Session, call: CallRecord, ended: datetime) -> bool:
    values = {"ended_at": ended, "digits": call.digits, "outcome": call.outcome,
              "category": call.category.value if call.category else None,
              "route_target": call.route_target, "work_order_id": call.work_order_id}
    outcome = session.scalar(OUTCOME_OF_CALL, {"uniqueid": call.uniqueid})
    if outcome is None:
        session.execute(INSERT_CALL, {**_call_row(call), **values})
    elif outcome != IN_PROGRESS or not session.execute(
        UPDATE_CALL.where(_calls.c.outcome == IN_PROGRESS),
        {"call_uniqueid": call.uniqueid, **values},
    ).rowcount:
        return False
    emit(session, make_event(PRODUCER, _ended(call, ended, call.work_order_id),
                             occurred_at=ended))
    return True


def hears_outage_notice(
    db: WorkerDatabase, caller_number: str, active: Callable[[], Sequence[ActiveOutage]]
) -> bool:
    """Whether the caller's registered address is in an area of the ``active`` outages.

    No outage, no query: the common call pays a cache look. A failed lookup plays no notice.
    """
    try:
        outages = active()
        if not outages or not caller_number:
            return False
        with db.transaction() as session:
            address = session.scalar(CUSTOMER_ADDRESS, {"number": caller_number})
    except Exception:
        log.warning("no outage notice: the customer lookup failed", exc_info=True)
        return False
    return bool(address) and outage_for(address, outages) is not None


@dataclass(frozen=True)
class OpenedOrder:
    """What routing needs of a work order."""

    id: str
    caller_number: str
    category: str


def open_work_order(
    db: WorkerDatabase, call: CallRecord, now: Callable[[], datetime]
) -> OpenedOrder:
    """The call's work order, created once per Asterisk uniqueid (a retried session reuses it)."""
    with db.transaction() as session:
        # a call stored by this session as its first can have no order yet: no look
        existing = None if call.sessions == 1 else session.execute(
            ORDER_OF_CALL, {"uniqueid": call.uniqueid}).first()
        order = OpenedOrder(*existing) if existing else _new_work_order(session, call, now())
        _write_call(session, call, work_order_id=order.id)
    call.work_order_id = order.id
    return order


def finish_call(db: WorkerDatabase, call: CallRecord, ended: datetime) -> None:
    """The call's end, and staffing's decision from the RPC reply (issue 12): recorded here,
    not through the ``work_order.routed`` event, which only records what no reply brought."""
    with db.transaction() as session:
        if call.routed is not None:
            orders.record_decision(session, call.routed)
        _write_call(
            session,
            call,
            ended_at=ended,
            digits=call.digits,
            category=call.category.value if call.category else None,
            outcome=call.outcome,
            route_target=call.route_target,
        )
        work_order_id = call.work_order_id or session.scalar(
            WORK_ORDER_OF_CALL, {"uniqueid": call.uniqueid}
        )
        emit(session, make_event(PRODUCER, _ended(call, ended, work_order_id),
                                 occurred_at=ended))


def _ended(call: CallRecord, ended: datetime, work_order_id: str | None) -> CallEnded:
    return CallEnded(
        call_uniqueid=call.uniqueid,
        outcome=call.outcome,
        category=call.category,
        work_order_id=work_order_id,
        digits=call.digits,
        started_at=call.started_at,
        ended_at=ended,
    )


def _write_call(session: Session, call: CallRecord, **values) -> None:
    """Insert the call row, or update it; a second session for one uniqueid is counted."""
    if call.stored:
        session.execute(UPDATE_CALL, {"call_uniqueid": call.uniqueid, **values})
        return
    dialect = session.get_bind().dialect.name
    call.sessions = session.scalar(_insert_or_count_session(dialect, tuple(values)),
                                   {**_call_row(call), **values})
    call.stored = True


def _call_row(call: CallRecord) -> dict:
    """A new call row, in progress."""
    return {
        "uniqueid": call.uniqueid,
        "channel": call.channel,
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "dnid": call.dnid,
        "started_at": call.started_at,
        "sessions": 1,
        "digits": "",
        "outcome": IN_PROGRESS,
        "instance_id": call.instance_id,
    }


@cache
def _insert_or_count_session(dialect: str, columns: tuple[str, ...]) -> Insert:
    """INSERT the call; if Asterisk retried the session, count it and update ``columns``.
    Returns the sessions counted (1: this is the call's first)."""
    statement = UPSERT_DIALECTS[dialect](_calls)
    return statement.on_conflict_do_update(
        index_elements=[_calls.c.uniqueid],
        set_={"sessions": _calls.c.sessions + 1, **{c: statement.excluded[c] for c in columns}},
    ).returning(_calls.c.sessions)


def _new_work_order(session: Session, call: CallRecord, opened_at: datetime) -> OpenedOrder:
    customer = session.execute(CUSTOMER_BY_NUMBER, {"number": call.caller_number}).first()
    category = call.category or Category.UNCLASSIFIED
    caller = Caller(
        number=call.caller_number,
        name=customer.name if customer else call.caller_name,
        work_unit=customer.work_unit if customer else "",
        contact=customer.contact if customer else call.caller_number,
    )
    created = WorkOrderCreated(
        work_order_id=call.planned_order_id,
        call_uniqueid=call.uniqueid,
        category=category,
        caller=caller,
        created_at=opened_at,
    )
    session.execute(
        INSERT_WORK_ORDER,
        {
            "id": created.work_order_id,
            "call_uniqueid": call.uniqueid,
            "category": category.value,
            "status": "new",
            "ivr_category": category.value,
            "caller_number": caller.number,
            "caller_name": caller.name,
            "work_unit": caller.work_unit,
            "contact": caller.contact,
            # a recognised caller's registered address is the place until the agent says
            # otherwise (describe, S1.10)
            "address": (customer.address or None) if customer else None,
            "created_at": created.created_at,
        },
    )
    emit(session, make_event(PRODUCER, created, occurred_at=created.created_at))
    clock_store.start_opening(session, created.work_order_id, category.value, opened_at)
    return OpenedOrder(created.work_order_id, caller.number, category.value)
