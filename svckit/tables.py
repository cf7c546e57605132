"""Tables every service keeps in its own database: the outbox and the processed-message record."""

from __future__ import annotations

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
)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


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
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500)),
        Column("published_at", DateTime(timezone=True)),
        # set when an event stayed unroutable through every retry: kept for an operator
        Column("parked_at", DateTime(timezone=True)),
        Index("ix_outbox_pending", "published_at", "parked_at"),
    )
    processed = Table(
        "processed_messages",
        metadata,
        Column("consumer", String(150), primary_key=True),
        Column("message_id", String(64), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed
