"""The inbox's storage: notices, each asking one person to act (issue 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svckit.tables import BigId, UtcDateTime, add_platform_tables


class Base(DeclarativeBase):
    pass


class Notice(Base):
    """A notice in a person's inbox: made once per (source event, recipient), kept until read
    and after (read_at)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_event_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient_id", name="uq_notice_source_recipient"),
        Index("ix_notices_recipient", "recipient_id", "id"),
        Index("ix_notices_recipient_unread", "recipient_id", "read_at"),
    )



class Settlement(Base):
    """What closed the notices about a subject (a lockout lifted) and the latest instant it
    covers: a notice about the subject raised until then is done, even one made afterwards."""

    __tablename__ = "settlements"

    subject_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    news: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


outbox, processed_messages = add_platform_tables(Base.metadata)
