"""Idempotent consumers: a processed-message record per handler, written in the handler's
own transaction, makes a redelivered event a no-op."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from svckit.clock import wall_now


def first_delivery(session: Session, consumer: str, message_id: str) -> bool:
    """Record that ``consumer`` handles ``message_id``; False when it already has.

    Call inside the transaction that applies the message's effect: both commit or neither does.
    Two concurrent deliveries both passing the check collide on the primary key at commit, and
    the loser is retried, then sees the record.
    """
    table = _processed_table(session)
    key = {"consumer": consumer, "message_id": message_id}
    if session.execute(_seen(table), key).first() is not None:
        return False
    session.execute(insert(table), {**key, "processed_at": wall_now()})
    return True


@cache
def _seen(table: Table) -> Select:
    return select(table.c.message_id).where(
        table.c.consumer == bindparam("consumer"), table.c.message_id == bindparam("message_id")
    )


def _processed_table(session: Session) -> Table:
    return session.info["processed_messages_table"]
