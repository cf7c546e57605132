"""Tables every service keeps in its own database: the outbox and the processed-message record."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """An instant, kept in UTC on every backend and read back zoned (UTC).

    SQLite keeps a datetime's wall-clock reading and drops its zone, so a value bound in another
    zone (a month's bounds in Asia/Shanghai) would be stored or compared hours off; and it hands
    values back naive. Converting on the way in and zoning on the way out mends both, once.
    A naive value is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def add_platform_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare ``outbox`` and ``processed_messages`` on a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("exchange", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500)),
        Column("published_at", UtcDateTime()),
        # set when an event stayed unroutable through every retry: kept for an operator
        Column("parked_at", UtcDateTime()),
        Index("ix_outbox_pending", "published_at", "parked_at"),
    )
    processed = Table(
        "processed_messages",
        metadata,
        Column("consumer", String(150), primary_key=True),
        Column("message_id", String(64), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    return outbox, processed
