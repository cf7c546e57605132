"""Transactional outbox: events are rows committed with the state change that implies them;
a relay publishes them with publisher confirms and ``mandatory`` and marks them published.
A batch of rows is sent at once and its confirms awaited once (svckit/confirms.py): a nack or
no confirm within ``CONFIRM_TIMEOUT_SECONDS`` leaves a row unpublished, to be sent again.

An event the broker returns as unroutable (no queue bound to its routing key yet) is kept,
counted and retried: its route is probed again after a growing backoff, without republishing
every waiting row, and rows still unroutable after ``PARK_AFTER`` are parked for an operator.
A broker outage leaves events in the table until it returns. Delivery is at least once.
With the event archive (svckit/archive.py) bound first, no event is unroutable: nobody
subscribing yet is not a leak.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic
from typing import TYPE_CHECKING

import eventlet
from eventlet.event import Event
from nameko.standalone.events import get_event_exchange
from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from contracts.events import Envelope
from svckit.archive import ArchiveSettings, bind_archive
from svckit.clock import wall_now
from svckit.confirms import BatchPublisher, Outgoing
from svckit.metrics import OUTBOX_BACKLOG, OUTBOX_PARKED, OUTBOX_PUBLISHED, OUTBOX_UNROUTABLE

if TYPE_CHECKING:
    from svckit.db import ServiceStore

log = logging.getLogger(__name__)

BATCH = 200
IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
PARK_AFTER = timedelta(minutes=10)  # unroutable for this long: parked, counted, kept
KEEP_PUBLISHED = timedelta(hours=1)
KEEP_PROCESSED = timedelta(days=7)  # far longer than any redelivery
CLEANUP_EVERY_SECONDS = 60.0
GAUGE_EVERY_SECONDS = 1.0
CONFIRM_TIMEOUT_SECONDS = 10.0


def emit(session: Session, event: Envelope) -> None:
    """Stage ``event`` in the outbox, inside the caller's transaction."""
    now = wall_now()
    session.execute(
        insert(session.info["outbox_table"]),
        {
            "event_id": str(event.id),
            "event_type": event.type,
            "exchange": f"{event.producer}.events",
            "body": event.model_dump_json(),
            "created_at": now,
            "attempts": 0,
        },
    )
    session.info["emitted"] = True


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** max(0, attempts - 1)))


@dataclass
class RouteBlock:
    """A route (exchange, routing key) the broker said no queue is bound to."""

    until: float  # monotonic time of the next probe
    attempts: int


class OutboxRelay:
    """Publishes committed outbox rows; woken after each commit that emitted, polls otherwise."""

    def __init__(self, store: ServiceStore, amqp_uri: str, service: str,
                 archive: ArchiveSettings | None = None) -> None:
        self.store = store
        self.service = service
        self.amqp_uri = amqp_uri
        self.archive = archive  # bound before the first publication, once per relay
        # a confirm that never comes (a cluster node lost with the publish in flight) must not
        # stall the relay for ever: the row is published again, consumers are idempotent
        self.publisher = BatchPublisher(amqp_uri, confirm_timeout=CONFIRM_TIMEOUT_SECONDS)
        self._wakeup = Event()
        self._running = True
        self._exchanges: dict[str, object] = {}
        self._blocked: dict[tuple[str, str], RouteBlock] = {}
        self._next_cleanup = 0.0
        self._next_gauge = 0.0
        self._backlog = False  # the last pass left due rows behind (it took a full batch)

    def wake(self) -> None:
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def stop(self) -> None:
        self._running = False
        self.wake()

    def run(self) -> None:
        while self._running:
            try:
                self.relay_once()
                self._clean_up()
            except Exception:  # broker or database down: keep the rows, try again later
                log.warning("outbox relay pass failed; retrying", exc_info=True)
                self._backlog = False
                eventlet.sleep(IDLE_POLL_SECONDS)
            # a short batch took every due row: wait for the next commit (at once if one came
            # meanwhile) rather than pass again for nothing (two transactions on SQLite)
            if not self._backlog and self._running:
                with eventlet.Timeout(IDLE_POLL_SECONDS, False):
                    self._wakeup.wait()
                self._wakeup = Event()

    def relay_once(self) -> int:
        """Publish one batch of due rows; returns how many were confirmed.

        On PostgreSQL the batch is claimed: its rows stay locked (``FOR UPDATE SKIP LOCKED``)
        until they are marked published, so the relays of several instances on one database
        publish different rows (unclaimed, nearly every event went out once per instance:
        tests/integration/test_scale_out.py). On SQLite (one process) no transaction is held
        while publishing: under eventlet a publish yields, and an open SQLite write transaction
        would block every other green thread's writes meanwhile. A relay that dies between
        publishing and marking leaves its rows to be published again; consumers are idempotent.
        """
        if self.archive is not None:  # first pass: make every event of ours routable
            bind_archive(self.amqp_uri, f"{self.service}.events", self.archive)
            self.archive = None
        table = self.store.outbox
        blocked = [route for route, block in self._blocked.items() if block.until > monotonic()]
        query = (
            select(table.c.id, table.c.exchange, table.c.event_type, table.c.event_id,
                   table.c.body)
            .where(table.c.published_at.is_(None), table.c.parked_at.is_(None))
            .order_by(table.c.id)
            .limit(BATCH)
        )
        if blocked:
            query = query.where(tuple_(table.c.exchange, table.c.event_type).not_in(blocked))
        claims = self.store.engine.dialect.name != "sqlite"
        with self.store.transaction() as session:
            if claims:
                rows = session.execute(query.with_for_update(skip_locked=True)).all()
                confirmed, refused = self._publish_rows(rows)
                self._record(session, confirmed, [])
            else:
                rows = session.execute(query).all()
        if not claims:
            confirmed, refused = self._publish_rows(rows)
        unmarked = [] if claims else confirmed
        gauge_due = monotonic() >= self._next_gauge  # a count per pass: a query per call
        if unmarked or refused or gauge_due:  # else no second transaction (a checkout, a commit)
            with self.store.transaction() as session:
                self._record(session, unmarked, refused)
                if gauge_due:
                    self._next_gauge = monotonic() + GAUGE_EVERY_SECONDS
                    self._gauge(session)
        self._backlog = len(rows) == BATCH
        OUTBOX_PUBLISHED.labels(self.service).inc(len(confirmed))
        return len(confirmed)

    def _gauge(self, session: Session) -> None:
        table = self.store.outbox
        waiting, parked = session.execute(
            select(func.count() - func.count(table.c.parked_at), func.count(table.c.parked_at))
            .where(table.c.published_at.is_(None))
        ).one()
        OUTBOX_BACKLOG.labels(self.service).set(waiting)
        OUTBOX_PARKED.labels(self.service).set(parked)

    def _publish_rows(self, rows) -> tuple[list[int], list[tuple[str, str]]]:
        """Publish ``rows`` in order with one confirm wait: the ids confirmed, and the routes the
        broker returned as unroutable (a route's rows after a returned one wait with it, even if
        a queue was bound in between: they go again together, in order)."""
        outcome = self.publisher.publish([
            Outgoing(self._exchange(row.exchange), row.event_type, row.event_id,
                     row.body)  # stored as JSON text: published as is, not re-serialised
            for row in rows
        ])
        confirmed, refused = [], []
        for row in rows:
            route = (row.exchange, row.event_type)
            if route in refused:
                continue
            if row.event_id in outcome.returned:
                OUTBOX_UNROUTABLE.labels(self.service).inc()
                refused.append(route)
                self._block(route, row)
            elif row.event_id in outcome.confirmed:
                confirmed.append(row.id)
                self._blocked.pop(route, None)
        return confirmed, refused

    def _block(self, route: tuple[str, str], row) -> None:
        previous = self._blocked.get(route)
        attempts = previous.attempts + 1 if previous else 1
        wait = backoff(attempts).total_seconds()
        self._blocked[route] = RouteBlock(monotonic() + wait, attempts)
        log.warning(
            "%s %s unroutable (no queue bound); %s kept, next try in %.1f s",
            row.exchange, row.event_type, row.event_id, wait,
        )

    def _record(self, session: Session, confirmed: list[int], refused: list) -> None:
        table = self.store.outbox
        now = wall_now()
        if confirmed:
            session.execute(
                update(table).where(table.c.id.in_(confirmed)).values(published_at=now)
            )
        for exchange, event_type in refused:
            route = (table.c.exchange == exchange) & (table.c.event_type == event_type)
            pending = route & table.c.published_at.is_(None) & table.c.parked_at.is_(None)
            session.execute(
                update(table)
                .where(pending)
                .values(attempts=table.c.attempts + 1, last_error="unroutable: no queue bound")
            )
            parked = session.execute(
                update(table)
                .where(pending, table.c.created_at < now - PARK_AFTER)
                .values(parked_at=now)
            ).rowcount
            if parked:
                log.error("%d %s events parked in the outbox: still unroutable", parked, event_type)

    def _clean_up(self) -> None:
        """Housekeeping of the platform tables: forget published events and old processed-message
        records after a while; parked events stay for an operator."""
        if monotonic() < self._next_cleanup:
            return
        self._next_cleanup = monotonic() + CLEANUP_EVERY_SECONDS
        outbox, processed, now = self.store.outbox, self.store.processed, wall_now()
        with self.store.transaction() as session:
            session.execute(delete(outbox).where(outbox.c.published_at < now - KEEP_PUBLISHED))
            session.execute(
                delete(processed).where(processed.c.processed_at < now - KEEP_PROCESSED)
            )

    def _exchange(self, name: str):
        if name not in self._exchanges:
            service = name.removesuffix(".events")
            self._exchanges[name] = get_event_exchange(service, {})
        return self._exchanges[name]


def outbox_status(store: ServiceStore) -> list[tuple[str, str, int, int]]:
    """(exchange, event type, pending, parked) for every route with unpublished events."""
    table = store.outbox
    parked = func.count(table.c.parked_at)
    with store.transaction() as session:
        rows = session.execute(
            select(table.c.exchange, table.c.event_type, func.count() - parked, parked)
            .where(table.c.published_at.is_(None))
            .group_by(table.c.exchange, table.c.event_type)
            .order_by(table.c.exchange, table.c.event_type)
        ).all()
    return [tuple(row) for row in rows]


def release_parked(store: ServiceStore, event_type: str | None = None) -> int:
    """Give parked events back to the relay (after an operator bound the missing queue)."""
    table = store.outbox
    parked = table.c.parked_at.is_not(None) & table.c.published_at.is_(None)
    if event_type:
        parked &= table.c.event_type == event_type
    with store.transaction() as session:
        released = session.execute(update(table).where(parked).values(parked_at=None))
    return released.rowcount
