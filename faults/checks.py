"""What must hold after each fault, read from the databases and the broker, and the table row.

For every call that reached the platform: exactly one call record, closed, and one call.ended
(distinct event ids; a redelivered copy of one event is one in effect). For every order a caller
was told: the order exists once, its work_order.created was delivered once, and it was routed
once (one work_order.routed). No dead-letter queue holds a message; no outbox holds an event
unpublished; the call's and the order's times lie within the call as the caller lived it.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pika
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

from faults.traffic import PlacedCall
from services.calls.models import Call, WorkOrder
from services.calls.recovery import INTERRUPTED
from services.staffing.models import CallArrival, RoutingDecision
from svckit.broker import pika_parameters

OBSERVER = "faults.observer"
WATCHED = {"calls.events": ("call.ended", "work_order.created"),
           "staffing.events": ("work_order.routed",)}
CLOCK_SLACK = timedelta(seconds=2)


class Observer:
    """A quorum queue of the suite's own on the events it checks, read after each fault."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self.seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.deliveries = 0
        with self._channel() as channel:
            channel.queue_declare(OBSERVER, durable=True, arguments={"x-queue-type": "quorum"})
            for exchange, keys in WATCHED.items():
                channel.exchange_declare(exchange, "topic", durable=True)
                for key in keys:
                    channel.queue_bind(OBSERVER, exchange, key)

    def drain(self) -> int:
        """Read what arrived; how many messages."""
        got = 0
        with self._channel() as channel:
            while True:
                method, _, body = channel.basic_get(OBSERVER, auto_ack=True)
                if method is None:
                    return got
                got += 1
                event = json.loads(body)
                payload = event["payload"]
                key = payload.get("call_uniqueid") if event["type"] == "call.ended" \
                    else payload.get("work_order_id")
                self.seen[event["type"]][key].add(event["id"])

    def _channel(self):
        return _Channel(self.amqp_uri)


class _Channel:
    def __init__(self, amqp_uri: str) -> None:
        """On the first of the ``;``-separated nodes that answers."""
        self.connection = pika.BlockingConnection(pika_parameters(amqp_uri))

    def __enter__(self):
        return self.connection.channel()

    def __exit__(self, *exc) -> None:
        self.connection.close()


@dataclass
class Row:
    fault: str
    placed: int = 0
    answered: int = 0
    fallback: int = 0
    lost: int = 0
    duplicated: int = 0
    recover_seconds: float | None = None
    recorded_unanswered: int = 0  # calls recorded, then interrupted before their ANSWER
    problems: list[str] = field(default_factory=list)

    def lose(self, what: str) -> None:
        self.lost += 1
        self.problems.append(f"lost: {what}")

    def duplicate(self, what: str) -> None:
        self.duplicated += 1
        self.problems.append(f"duplicated: {what}")


class Stores:
    """Read-only looks at the calls and staffing databases and every outbox."""

    def __init__(self, db_urls: dict[str, str]) -> None:
        self.engines: dict[str, Engine] = {name: create_engine(url, pool_pre_ping=True)
                                           for name, url in db_urls.items()}

    def calls(self, uniqueids: list[str]) -> dict[str, Call]:
        with self.engines["calls"].connect() as connection:
            rows = connection.execute(select(Call.__table__).where(
                Call.uniqueid.in_(uniqueids))).all()
        return {row.uniqueid: row for row in rows}

    def orders(self, ids: list[str]) -> dict[str, list]:
        with self.engines["calls"].connect() as connection:
            rows = connection.execute(select(WorkOrder.__table__).where(
                WorkOrder.id.in_(ids))).all()
        found: dict[str, list] = defaultdict(list)
        for row in rows:
            found[row.id].append(row)
        return found

    def orders_per_call(self, uniqueids: list[str]) -> dict[str, int]:
        with self.engines["calls"].connect() as connection:
            rows = connection.execute(
                select(WorkOrder.call_uniqueid, func.count()).where(
                    WorkOrder.call_uniqueid.in_(uniqueids)).group_by(WorkOrder.call_uniqueid)
            ).all()
        return dict(rows)

    def arrivals(self, uniqueids: list[str]) -> set[str]:
        """The calls staffing learnt of from their call.ended (its plan's arrivals)."""
        with self.engines["staffing"].connect() as connection:
            return set(connection.scalars(select(CallArrival.call_uniqueid).where(
                CallArrival.call_uniqueid.in_(uniqueids))))

    def decisions(self, ids: list[str]) -> dict[str, int | None]:
        """Staffing's routing decision (the assignee) of each order it routed."""
        with self.engines["staffing"].connect() as connection:
            return dict(connection.execute(select(
                RoutingDecision.work_order_id, RoutingDecision.assignee_id).where(
                RoutingDecision.work_order_id.in_(ids))).all())

    def call_count(self) -> int:
        with self.engines["calls"].connect() as connection:
            return connection.execute(select(func.count()).select_from(Call)).scalar_one()

    def unpublished(self) -> dict[str, int]:
        counts = {}
        for name, engine in self.engines.items():
            with engine.connect() as connection:
                counts[name] = connection.execute(text(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
        return {name: count for name, count in counts.items() if count}

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


def settle(stores: Stores, observer: Observer, calls: list[PlacedCall], spool_folder,
           reached_before: int, timeout: float) -> None:
    """Wait until the checks pass (records closed, spool replayed, events delivered, orders
    routed, outboxes empty) or ``timeout``: the platform finishes its work after a fault.
    The dead-letter queues are read once, after (the broker's command line is slow)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        observer.drain()
        try:
            row = check(Row("settling"), calls, stores, observer, {}, reached_before)
        except Exception:  # a database still coming back
            row = Row("settling", problems=["unreadable"])
        if not (row.lost or row.duplicated or row.problems
                or list(spool_folder.glob("*.jsonl"))):
            return
        time.sleep(0.5)


def check(row: Row, calls: list[PlacedCall], stores: Stores, observer: Observer,
          dead_letters: dict[str, int], reached_before: int = 0) -> Row:
    """``reached_before``: calls that reached the platform in the phases before this one
    (the calls table must hold exactly those and this phase's)."""
    row.placed = len(calls)
    reached = [c for c in calls if c.reached]
    row.answered = len(reached)
    row.fallback = sum(c.fallback for c in reached)
    records = stores.calls([c.uniqueid for c in reached])
    told = [c for c in reached if c.order_id]
    orders = stores.orders([c.order_id for c in told])
    per_call = stores.orders_per_call([c.uniqueid for c in reached])
    arrivals = stores.arrivals([c.uniqueid for c in reached])
    decisions = stores.decisions([c.order_id for c in told])
    # A call whose session calls began (its record is written as it arrives) but which was
    # killed before the caller heard ANSWER did reach the platform: closed as interrupted.
    unanswered = stores.calls([c.uniqueid for c in calls if not c.reached])
    row.recorded_unanswered = len(unanswered)
    for uniqueid, record in unanswered.items():
        if record.outcome != INTERRUPTED:
            row.problems.append(f"call {uniqueid}, never answered, recorded {record.outcome}")
    stored, expected = stores.call_count(), reached_before + len(reached) + len(unanswered)
    if stored != expected:
        row.problems.append(f"counts: {stored} call records for {expected} calls that reached "
                            f"the platform")
    for placed in reached:
        if placed.uniqueid not in arrivals:
            row.lose(f"staffing never took in call.ended of {placed.uniqueid}")
        record = records.get(placed.uniqueid)
        if record is None or record.outcome == "in_progress":
            row.lose(f"call record of {placed.uniqueid} "
                     f"{'missing' if record is None else 'still in progress'}")
        elif not _within(record.started_at, placed):
            row.problems.append(f"clock: call {placed.uniqueid} started_at {record.started_at}")
        ended = len(observer.seen["call.ended"].get(placed.uniqueid, ()))
        if ended == 0:
            row.lose(f"call.ended of {placed.uniqueid}")
        elif ended > 1:
            row.duplicate(f"{ended} call.ended of {placed.uniqueid}")
        if per_call.get(placed.uniqueid, 0) > 1:
            row.duplicate(f"{per_call[placed.uniqueid]} orders of call {placed.uniqueid}")
    for placed in told:
        rows = orders.get(placed.order_id, [])
        if not rows:
            row.lose(f"order {placed.order_id} told to {placed.uniqueid}")
            continue
        if not _within(rows[0].created_at, placed):
            row.problems.append(f"clock: order {placed.order_id} created_at "
                                f"{rows[0].created_at}")
        for kind in ("work_order.created", "work_order.routed"):
            count = len(observer.seen[kind].get(placed.order_id, ()))
            if count == 0:
                row.lose(f"{kind} of {placed.order_id}")
            elif count > 1:
                row.duplicate(f"{count} {kind} of {placed.order_id}")
        if placed.order_id not in decisions:
            row.lose(f"staffing has no routing decision for {placed.order_id}")
        elif (rows[0].status == "new" and decisions[placed.order_id] is not None
              and rows[0].assignee_id is None):  # record_routing assigns a new order
            row.lose(f"calls did not record the routing of {placed.order_id}")
    for queue, depth in dead_letters.items():
        if depth:
            row.problems.append(f"dead letters: {depth} in {queue}")
    for service, count in stores.unpublished().items():
        row.problems.append(f"outbox: {count} events of {service} unpublished")
    return row


def _within(at: datetime, placed: PlacedCall) -> bool:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return placed.wall_started - CLOCK_SLACK <= at <= placed.wall_finished + CLOCK_SLACK


def recovered_after(since: float, calls: list[PlacedCall],
                    reads: list[tuple[float, bool]]) -> float | None:
    """Seconds from ``since`` until both a call was served normally (routed to a person) and
    an API read succeeded again; None if not within the phase."""
    call = min((c.finished for c in calls if c.started >= since and c.served), default=None)
    read = min((at for at, ok in reads if at >= since and ok), default=None)
    if call is None or read is None:
        return None
    return max(call, read) - since
