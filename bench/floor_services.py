"""The minimal services of bench/floor.py: the hotline's AGI dialogue with the platform's
guarantees and no domain logic, built only from svckit's pieces (FastAGI entrypoint, database
dependency, outbox and relay, RPC, reliable event handler). One class per rung, each adding one
piece to the one before:

- ``AgiFront``: the dialogue (ANSWER, STREAM FILE, GET DATA, SET VARIABLE WORK_ORDER_ID and
  ROUTE_TARGET), a fixed order id: no database, no broker.
- ``DbFront``: + the three commits of a call in its own database: the call row in progress; the
  work order and the call row; the call closed.
- ``RpcFront`` with ``RpcBack``: + one RPC per call to a second service, which writes one row in
  its database and replies (as routing does), bounded as the hotline bounds it.
- ``EventsFront`` with ``EventsBack``: + two events per call through the outbox,
  ``work_order.created`` (committed with the order) and ``call.ended`` (with the call's end),
  published by the relay with confirms to the back's durable quorum queues on the topic
  exchange ``floor_front.events``, and consumed with ack by reliable handlers that record each
  message in the back's processed-message table (the idempotent consumer's one write).

    nameko run --config CONFIG bench.floor_services:EventsBack
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import eventlet
from sqlalchemy import Column, Float, MetaData, String, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from contracts.events import CallEnded, Caller, Category, Envelope, WorkOrderCreated, make_event
from services.calls.ivr import MENU
from svckit.agi import AgiChannel, fastagi
from svckit.clock import wall_now
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.outbox import emit
from svckit.rpc import RpcProxy, rpc
from svckit.tables import UtcDateTime, add_platform_tables

log = logging.getLogger(__name__)

FRONT_NAME, BACK_NAME = "floor_front", "floor_back"
WELCOME, MENU_PROMPT = "custom/95598-welcome", "custom/95598-menu"
FIXED_ORDER_ID = "floor-0"
ROUTED, FALLBACK = "PJSIP/8001", "Queue(95598)"
ROUTE_TIMEOUT_SECONDS = 0.3  # as the hotline's route_timeout_ms
EVENT_TYPES = ("work_order.created", "call.ended")

FRONT = MetaData()
CALLS = Table(
    "floor_calls", FRONT,
    Column("uniqueid", String(64), primary_key=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("digits", String(32), nullable=False, default=""),
    Column("outcome", String(20), nullable=False),
    Column("work_order_id", String(36)),
    # the RPC's two waits (rungs rpc and events): until the request was sent (nameko publishes
    # it with a confirm) and from then until the reply; null when the bound came first
    Column("rpc_sent_ms", Float),
    Column("rpc_reply_ms", Float),
)
ORDERS = Table(
    "floor_orders", FRONT,
    Column("id", String(36), primary_key=True),
    Column("call_uniqueid", String(64), nullable=False),
    Column("category", String(30), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
add_platform_tables(FRONT)

BACK = MetaData()
DECISIONS = Table(
    "floor_decisions", BACK,
    Column("work_order_id", String(36), primary_key=True),
    Column("dial_string", String(100), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)
add_platform_tables(BACK)

INSERT_CALL, INSERT_ORDER, INSERT_DECISION = insert(CALLS), insert(ORDERS), insert(DECISIONS)
UPDATE_CALL = update(CALLS).where(CALLS.c.uniqueid == bindparam("call_uniqueid"))


@dataclass
class FloorCall:
    """What a call knows so far."""

    uniqueid: str
    caller_number: str
    started_at: datetime
    digits: str = ""
    outcome: str = "in_progress"
    order_id: str | None = None
    target: str | None = None
    rpc_sent_ms: float | None = None
    rpc_reply_ms: float | None = None

    @property
    def category(self) -> Category:
        return MENU.get(self.digits, Category.UNCLASSIFIED)


class AgiFront:
    """Rung ``agi``: the hotline's dialogue, answered with a fixed order id."""

    name = FRONT_NAME

    @fastagi("95598")
    def hotline(self, channel: AgiChannel) -> None:
        env = channel.env
        call = FloorCall(env.get("agi_uniqueid", "")[:64] or str(uuid.uuid4()),
                         env.get("agi_callerid", "")[:64], wall_now())
        self.start_call(call)
        try:
            channel.answer()
            channel.stream_file(WELCOME)
            call.digits = channel.get_data(MENU_PROMPT, timeout_ms=5000, max_digits=1).digits
            self.open_order(call)
            call.target = self.route(call)
            call.outcome = "routed" if call.target == ROUTED else "fallback_queue"
            channel.set_variable("WORK_ORDER_ID", call.order_id)
            channel.set_variable("ROUTE_TARGET", call.target)
        finally:
            self.finish_call(call)

    def start_call(self, call: FloorCall) -> None:
        """Nothing to record on this rung."""

    def open_order(self, call: FloorCall) -> None:
        call.order_id = FIXED_ORDER_ID

    def route(self, call: FloorCall) -> str:
        return ROUTED

    def finish_call(self, call: FloorCall) -> None:
        """Nothing to record on this rung."""


class DbFront(AgiFront):
    """Rung ``db``: + the call's three commits, one small row each."""

    db = Database(FRONT, relay=False)

    def start_call(self, call: FloorCall) -> None:
        with self.db.transaction() as session:
            session.execute(INSERT_CALL, {"uniqueid": call.uniqueid, "started_at": call.started_at,
                                          "digits": "", "outcome": call.outcome})

    def open_order(self, call: FloorCall) -> None:
        call.order_id = str(uuid.uuid4())
        with self.db.transaction() as session:
            session.execute(INSERT_ORDER, {"id": call.order_id, "call_uniqueid": call.uniqueid,
                                           "category": call.category.value,
                                           "created_at": wall_now()})
            session.execute(UPDATE_CALL, {"call_uniqueid": call.uniqueid,
                                          "work_order_id": call.order_id})
            self.order_opened(session, call)

    def finish_call(self, call: FloorCall) -> None:
        ended = wall_now()
        with self.db.transaction() as session:
            session.execute(UPDATE_CALL, {"call_uniqueid": call.uniqueid, "ended_at": ended,
                                          "digits": call.digits, "outcome": call.outcome,
                                          "rpc_sent_ms": call.rpc_sent_ms,
                                          "rpc_reply_ms": call.rpc_reply_ms})
            self.call_closed(session, call, ended)

    def order_opened(self, session: Session, call: FloorCall) -> None:
        """No event on this rung."""

    def call_closed(self, session: Session, call: FloorCall, ended: datetime) -> None:
        """No event on this rung."""


class RpcFront(DbFront):
    """Rung ``rpc``: + one RPC per call to the back, bounded as the hotline bounds routing."""

    back = RpcProxy(BACK_NAME, use_confirms=False)  # as the hotline's routing proxy

    def route(self, call: FloorCall) -> str:
        started = time.perf_counter()
        try:
            with eventlet.Timeout(ROUTE_TIMEOUT_SECONDS):
                reply = self.back.decide.call_async(call.order_id, call.category.value)
                sent = time.perf_counter()
                call.rpc_sent_ms = 1000 * (sent - started)
                target = reply.result()["dial_string"]
                call.rpc_reply_ms = 1000 * (time.perf_counter() - sent)
                return target
        except eventlet.Timeout:
            log.warning("the back did not answer for %s in time", call.order_id)
        except Exception:
            log.warning("routing %s failed", call.order_id, exc_info=True)
        return FALLBACK


class EventsFront(RpcFront):
    """Rung ``events``: + ``work_order.created`` and ``call.ended`` through the outbox."""

    db = Database(FRONT)  # with its relay

    def order_opened(self, session: Session, call: FloorCall) -> None:
        created = WorkOrderCreated(work_order_id=call.order_id, call_uniqueid=call.uniqueid,
                                   category=call.category, caller=Caller(number=call.caller_number),
                                   created_at=wall_now())
        emit(session, make_event(FRONT_NAME, created))

    def call_closed(self, session: Session, call: FloorCall, ended: datetime) -> None:
        emit(session, make_event(FRONT_NAME, CallEnded(
            call_uniqueid=call.uniqueid, outcome=call.outcome, category=call.category,
            work_order_id=call.order_id, digits=call.digits, started_at=call.started_at,
            ended_at=ended)))


class RpcBack:
    """The second service: one row per RPC, then the reply."""

    name = BACK_NAME
    db = Database(BACK, relay=False)

    @rpc
    def decide(self, work_order_id: str, category: str) -> dict:
        with self.db.transaction() as session:
            session.execute(INSERT_DECISION, {"work_order_id": work_order_id,
                                              "dial_string": ROUTED, "decided_at": wall_now()})
        return {"work_order_id": work_order_id, "dial_string": ROUTED}


class EventsBack(RpcBack):
    """+ the front's two events, each recorded once and acked."""

    @reliable_event_handler(FRONT_NAME, "work_order.created")
    def on_order_created(self, event: Envelope, created: WorkOrderCreated) -> None:
        self._consume("on_order_created", event)

    @reliable_event_handler(FRONT_NAME, "call.ended")
    def on_call_ended(self, event: Envelope, ended: CallEnded) -> None:
        self._consume("on_call_ended", event)

    def _consume(self, method: str, event: Envelope) -> None:
        with self.db.transaction() as session:
            first_delivery(session, f"{BACK_NAME}.{method}", str(event.id))
