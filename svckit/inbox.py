"""Idempotent consumers: a processed-message record per handler, written in the handler's
own transaction, makes a redelivered event a no-op."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session


def first_delivery(session: Session, consumer: str, message_id: str) -> bool:
    """Record that ``consumer`` handles ``message_id``; False when it already has.

    Call inside the transaction that applies the message's effect: both commit or neither does.
    Two concurrent deliveries both passing the check collide on the primary key at commit, and
    the loser is retried, then sees the record.
    """
    table = _processed_table(session)
    seen = session.execute(
        select(table.c.message_id).where(
            table.c.consumer == consumer, table.c.message_id == message_id
        )
    ).first()
    if seen is not None:
        return False
    session.execute(
        insert(table).values(
            consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC)
        )
    )
    return True


def _processed_table(session: Session) -> Table:
    return session.info["processed_messages_table"]
