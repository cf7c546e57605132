"""Horizontal scale (issue 12): two calls and two staffing instances on one PostgreSQL database
per service and one broker vhost, under concurrent calls (a fault storm among them), route
every order exactly once, keep staffing's open-order counts true and lose nothing, even when
one staffing instance is killed in the middle of the run.

PostgreSQL only: it is what several instances share in production (the Kubernetes manifests);
SQLite is the one-process store, and two engines on one SQLite file in this test process would
stall the eventlet hub in SQLite's busy wait.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import eventlet
import pytest
from sqlalchemy import func, select

from asterisk_sim import place_call
from contracts.events import Caller, Category, WorkOrderCreated, make_event
from services.calls.models import Call, WorkOrder, WorkOrderHistory
from services.calls.orders import OPEN
from services.staffing.models import RoutingDecision, StaffMember
from svckit.db import ServiceStore
from svckit.outbox import OutboxRelay, emit
from tests.conftest import _rabbit
from tests.integration import amqp, harness

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday morning
CALLERS = 16  # concurrent callers, spread over both calls instances
AFTER_KILL_SECONDS = 3.5  # callers go on calling this long after the kill
STORM_AREA = "城南区"
STORM_CALLERS = [f"1380000{i:04d}" for i in range(40)]  # registered, living in STORM_AREA
# Long enough that only a lost request could send a call to the fallback queue (this process
# runs four services and the callers on one core: routing takes up to a second or two here).
HOTLINE = {"route_timeout_ms": 5000, "prompts": {"timeout_ms": 100}}
SETTINGS = {
    # every event routable from the start, as in production: no outbox row waits for nobody
    "EVENT_ARCHIVE": {"max_age": "1h", "max_bytes": 10**8},
    "HOTLINE": HOTLINE,
}
# what staffing follows of an order's life on the call path (its "work_order_news" consumer)
FOLLOWED = ("work_order.assigned", "work_order.merged", "work_order.clock_stopped")


@pytest.fixture(params=["postgresql"])
def db_backend(request):
    return request.param


@dataclass
class Placed:
    uniqueid: str
    connected: float  # monotonic
    order_id: str | None
    target: str | None


def count_workers(container) -> Counter:
    """Workers the container starts, by entrypoint method (test-side bookkeeping)."""
    counts: Counter = Counter()
    spawn = container.spawn_worker

    def spawn_worker(entrypoint, *args, **kwargs):
        counts[entrypoint.method_name] += 1
        return spawn(entrypoint, *args, **kwargs)

    container.spawn_worker = spawn_worker
    return counts


def place_calls(ports: list[int], until: list[float], seed: int, placed: list[Placed]) -> None:
    """One caller: calls back to back, to either calls instance, until ``until[0]`` (set while
    it calls); fault reports come from the storm's area."""
    rng = random.Random(seed)
    while time.monotonic() < until[0]:
        digit = rng.choice("1234")
        number = rng.choice(STORM_CALLERS) if digit == "2" else f"139{rng.randrange(10**8):08d}"
        uniqueid = f"1772590000.{seed:02d}{rng.randrange(10**9):09d}"
        connected = time.monotonic()
        transcript = place_call("127.0.0.1", ports[rng.randrange(len(ports))],
                                uniqueid=uniqueid, caller_num=number, digits=[digit])
        placed.append(Placed(uniqueid, connected, transcript.variables.get("WORK_ORDER_ID"),
                             transcript.variables.get("ROUTE_TARGET")))


def handled(store: ServiceStore, consumer: str) -> set[str]:
    table = store.processed
    with store.transaction() as session:
        return set(session.scalars(select(table.c.message_id).where(table.c.consumer == consumer)))


def decided(store: ServiceStore) -> set[str]:
    """The orders staffing has decided."""
    with store.transaction() as session:
        return set(session.scalars(select(RoutingDecision.work_order_id)))


def routing_recorded(store: ServiceStore) -> set[str]:
    """The orders whose routing calls recorded (from the RPC reply in the call's transaction,
    or from work_order.routed), and those merged before it reached them (they stay merged)."""
    with store.transaction() as session:
        return set(session.scalars(select(WorkOrder.id).where(
            WorkOrder.routed_at.is_not(None) | (WorkOrder.status == "merged"))))


def emitted(store: ServiceStore, *types: str) -> set[str]:
    table = store.outbox
    with store.transaction() as session:
        return set(session.scalars(select(table.c.event_id).where(table.c.event_type.in_(types))))


def unpublished(store: ServiceStore) -> int:
    """Outbox rows not yet published, or parked."""
    table = store.outbox
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(table).where(
            table.c.published_at.is_(None) | table.c.parked_at.is_not(None)))


def queues(amqp_uri: str, prefix: str = "", suffix: str = "") -> list[str]:
    vhost = amqp_uri.rsplit("/", 1)[1]
    return [q["name"] for q in _rabbit("GET", f"/queues/{vhost}").json()
            if q["name"].startswith(prefix) and q["name"].endswith(suffix)]


def settled(stores, amqp_uri: str) -> bool:
    """Every event published and consumed, and the last hops of the call path applied: calls
    recorded every routing decision, staffing followed every assignment and merge."""
    calls, staffing = stores["calls"], stores["staffing"]
    return (
        unpublished(calls) == unpublished(staffing) == 0
        and all(amqp.queue_depth(amqp_uri, name) == 0 for name in queues(amqp_uri, "evt-"))
        and decided(staffing) <= routing_recorded(calls)
        and emitted(calls, *FOLLOWED) <= handled(staffing, "staffing.work_order_news")
    )


def test_two_instances_of_each_route_every_order_once_and_survive_a_killed_staffing(
    stores, hotline_staff, run_service, amqp_uri
):
    for number in STORM_CALLERS:
        harness.add_customer(stores["calls"], number, "", "", number, f"{STORM_AREA}建设路")
    # workers bounded: four pools stay within the shared test server's 100 connections
    staffing = [run_service("staffing", at=NOW, max_workers=20, **SETTINGS) for _ in range(2)]
    calls = [run_service("calls", at=NOW, max_workers=40,
                         OUTAGES={"areas": {STORM_AREA: [STORM_AREA]}}, **SETTINGS)
             for _ in range(2)]
    workers = [count_workers(container) for container in staffing]
    ports = [harness.agi_port(container) for container in calls]

    placed: list[Placed] = []
    until = [float("inf")]
    callers = [eventlet.spawn(place_calls, ports, until, seed, placed) for seed in range(CALLERS)]
    harness.wait_for(lambda: len(placed) >= CALLERS, timeout=20)  # under way: kill one
    routed_before_kill = workers[0]["route_work_order"]
    staffing[0].kill()
    killed_at = time.monotonic()
    until[0] = killed_at + AFTER_KILL_SECONDS
    survivor_before = workers[1]["route_work_order"]
    for caller in callers:
        caller.wait()
    harness.wait_for(lambda: settled(stores, amqp_uri), timeout=20, interval=0.2)

    # both staffing instances took routing work; the survivor carried on alone
    assert routed_before_kill > 0 and survivor_before > 0
    assert workers[1]["route_work_order"] > survivor_before
    assert [p for p in placed if p.connected > killed_at]
    # no caller lost routing to the kill: requests it held went to the survivor in time
    assert [p.target for p in placed if not (p.target or "").startswith("PJSIP/")] == []

    answered = {p.uniqueid: p.order_id for p in placed if p.order_id}
    assert len(answered) == len(placed) > 2 * CALLERS  # seconds of concurrent calls
    with stores["calls"].transaction() as session:
        orders = {row.call_uniqueid: row for row in session.scalars(select(WorkOrder))}
        assigns = Counter(session.scalars(
            select(WorkOrderHistory.work_order_id).where(WorkOrderHistory.action == "assign")))
        open_in_calls = Counter(session.scalars(
            select(WorkOrder.assignee_id).where(WorkOrder.status.in_(OPEN))))
        instances = set(session.scalars(select(Call.instance_id).distinct()))
    # every call that was told a WORK_ORDER_ID has exactly that one order, and no other exists
    assert {uid: order.id for uid, order in orders.items()} == answered
    assert len(instances) == 2  # both calls instances answered calls

    with stores["staffing"].transaction() as session:
        decisions = {d.work_order_id: d for d in session.scalars(select(RoutingDecision))}
        counts = {s.id: s.open_orders for s in session.scalars(select(StaffMember))}
        open_decisions = Counter(session.scalars(
            select(RoutingDecision.assignee_id).where(RoutingDecision.open)))
        outbox = stores["staffing"].outbox
        routed_rows = Counter(
            json.loads(body)["payload"]["work_order_id"] for body in session.scalars(
                select(outbox.c.body).where(outbox.c.event_type == "work_order.routed")))

    # routed exactly once: one decision, one work_order.routed, at most one assignment by it
    # (a storm may merge a report before its routing reaches calls: it stays merged)
    order_ids = set(answered.values())
    assert set(decisions) == order_ids
    assert routed_rows == Counter(order_ids)
    assert set(assigns) <= order_ids and set(assigns.values()) == {1}
    for order in orders.values():
        if order.id in assigns:
            assert order.assignee_id == decisions[order.id].assignee_id
        assert order.status == ("assigned" if order.parent_id is None else "merged")
    assert any(order.parent_id for order in orders.values())  # the storm merged reports
    # open-order counts in staffing are the truth in calls
    assert {i: n for i, n in counts.items() if n} == dict(open_in_calls) == dict(open_decisions)

    # nothing parked: no dead letters, no outbox row unpublished or parked
    dead_letters = queues(amqp_uri, suffix=".dlq")
    assert dead_letters
    assert {q: amqp.queue_depth(amqp_uri, q) for q in dead_letters} == dict.fromkeys(
        dead_letters, 0)
    assert unpublished(stores["calls"]) == unpublished(stores["staffing"]) == 0


def test_the_relays_of_two_instances_publish_each_event_once(stores, amqp_uri):
    store = stores["calls"]
    relays = [OutboxRelay(store, amqp_uri, service="calls") for _ in range(2)]
    listener = amqp.Listener(amqp_uri, "calls.events", "work_order.created")
    events = [make_event("calls", WorkOrderCreated(
        work_order_id=f"00000000-0000-4000-8000-{n:012d}", call_uniqueid=f"1772590000.{n}",
        category=Category.INQUIRY, caller=Caller(number="13900000000", name=""),
        created_at=NOW), occurred_at=NOW) for n in range(40)]
    with store.transaction() as session:
        for event in events:
            emit(session, event)

    passes = [eventlet.spawn(relay.relay_once) for relay in relays]  # at once, as two instances
    assert sum(one_pass.wait() for one_pass in passes) == len(events)
    received = listener.drain(expect=2 * len(events), timeout=1.0)
    assert sorted(message["id"] for message in received) == sorted(str(e.id) for e in events)
    assert unpublished(store) == 0
