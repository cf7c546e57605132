"""Transactional outbox: events are rows committed with the state change that implies them;
a relay publishes them with publisher confirms and ``mandatory`` and marks them published.

An unroutable event (no queue bound yet) is kept, counted and retried with backoff rather than
dropped; a broker outage leaves events in the table until it returns. Delivery is at least once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import eventlet
from eventlet.event import Event
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.standalone.events import get_event_exchange
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from contracts.events import Envelope
from svckit.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, OUTBOX_UNROUTABLE

if TYPE_CHECKING:
    from svckit.db import ServiceStore

log = logging.getLogger(__name__)

BATCH = 200
IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
MAX_UNROUTABLE_ATTEMPTS = 12  # about eight minutes of retries


def emit(session: Session, event: Envelope) -> None:
    """Stage ``event`` in the outbox, inside the caller's transaction."""
    now = datetime.now(UTC)
    session.execute(
        insert(session.info["outbox_table"]),
        {
            "event_id": str(event.id),
            "event_type": event.type,
            "exchange": f"{event.producer}.events",
            "body": event.model_dump_json(),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        },
    )
    session.info["emitted"] = True


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** max(0, attempts - 1)))


class OutboxRelay:
    """Publishes committed outbox rows; woken after each commit that emitted, polls otherwise."""

    def __init__(self, store: ServiceStore, amqp_uri: str, service: str) -> None:
        self.store = store
        self.service = service
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)
        self._wakeup = Event()
        self._running = True
        self._exchanges: dict[str, object] = {}

    def wake(self) -> None:
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def stop(self) -> None:
        self._running = False
        self.wake()

    def run(self) -> None:
        while self._running:
            try:
                published = self.relay_once()
            except Exception:  # broker or database down: keep the rows, try again later
                log.warning("outbox relay pass failed; retrying", exc_info=True)
                published = 0
                eventlet.sleep(IDLE_POLL_SECONDS)
            if published == 0 and self._running:
                with eventlet.Timeout(IDLE_POLL_SECONDS, False):
                    self._wakeup.wait()
                self._wakeup = Event()

    def relay_once(self) -> int:
        """Publish one batch of due rows; returns how many were confirmed.

        No transaction is held while publishing: under eventlet a publish yields, and an open
        SQLite write transaction would block every other green thread's writes meanwhile.
        Several relays on one database may publish a row twice; consumers are idempotent.
        """
        table = self.store.outbox
        with self.store.transaction() as session:
            rows = session.execute(
                select(table.c.id, table.c.exchange, table.c.event_type, table.c.event_id,
                       table.c.body, table.c.attempts)
                .where(
                    table.c.published_at.is_(None),
                    table.c.parked_at.is_(None),
                    table.c.next_attempt_at <= datetime.now(UTC),
                )
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
        confirmed, unroutable = [], []
        for row in rows:
            (confirmed if self._publish(row) else unroutable).append(row)
        with self.store.transaction() as session:
            self._record(session, confirmed, unroutable)
            backlog = session.execute(
                select(func.count()).where(
                    table.c.published_at.is_(None), table.c.parked_at.is_(None)
                )
            ).scalar_one()
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        OUTBOX_PUBLISHED.labels(self.service).inc(len(confirmed))
        return len(confirmed)

    def _publish(self, row) -> bool:
        """True when the broker confirmed; False when it returned the event as unroutable."""
        exchange = self._exchange(row.exchange)
        try:
            self.publisher.publish(
                row.body,  # stored as JSON text: published as is, not re-serialised
                exchange=exchange,
                declare=[exchange],
                routing_key=row.event_type,
                message_id=row.event_id,
                content_type="application/json",
                content_encoding="utf-8",
            )
            return True
        except UndeliverableMessage:
            OUTBOX_UNROUTABLE.labels(self.service).inc()
            log.warning("event %s (%s) unroutable; kept for retry", row.event_id, row.event_type)
            return False

    def _record(self, session: Session, confirmed: list, unroutable: list) -> None:
        table = self.store.outbox
        now = datetime.now(UTC)
        if confirmed:
            session.execute(
                update(table)
                .where(table.c.id.in_([row.id for row in confirmed]))
                .values(published_at=now)
            )
        for row in unroutable:
            attempts = row.attempts + 1
            parked = now if attempts >= MAX_UNROUTABLE_ATTEMPTS else None
            if parked:
                log.error("event %s parked in the outbox: still unroutable", row.event_id)
            session.execute(
                update(table)
                .where(table.c.id == row.id)
                .values(
                    attempts=attempts,
                    last_error="unroutable: no queue bound",
                    next_attempt_at=now + backoff(attempts),
                    parked_at=parked,
                )
            )

    def _exchange(self, name: str):
        if name not in self._exchanges:
            service = name.removesuffix(".events")
            self._exchanges[name] = get_event_exchange(service, {})
        return self._exchanges[name]
