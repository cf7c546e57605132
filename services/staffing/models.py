"""The staffing service's storage: staff, their shifts, and routing decisions."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from svckit.tables import BigId, add_platform_tables


class Base(DeclarativeBase):
    pass


class StaffMember(Base):
    """A person on the hotline, with the role and extension routing uses (S3.2)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    # The department a staff member belongs to; a handling department's staff act on the work
    # orders dispatched to it (S3.2a).
    department: Mapped[str | None] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    away: Mapped[bool] = mapped_column(default=False)
    open_orders: Mapped[int] = mapped_column(default=0)
    shifts: Mapped[list[Shift]] = relationship(back_populates="staff", cascade="all")


class Shift(Base):
    """A daily shift; ``ends`` before ``starts`` means it runs past midnight."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    staff: Mapped[StaffMember] = relationship(back_populates="shifts")


class RoutingDecision(Base):
    """Who a work order went to and why; one per work order."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    caller_number: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(30))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    role: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(60))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    open: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        Index("ix_routing_open_assignee", "open", "assignee_id"),
        Index("ix_routing_open_caller", "open", "caller_number"),
    )


class EvaluationFact(Base):
    """One calls-service event as the monthly evaluation counts it (evaluation.Fact)."""

    __tablename__ = "evaluation_facts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    work_order_id: Mapped[str] = mapped_column(String(36))
    staff_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    clock: Mapped[str | None] = mapped_column(String(30))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    hours: Mapped[float | None] = mapped_column(Float)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    solved: Mapped[bool | None] = mapped_column(Boolean)


class EvaluationScore(Base):
    """The duty leader's score (0-100) and comment for a person's month (S3.2)."""

    __tablename__ = "evaluation_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    month: Mapped[str] = mapped_column(String(7))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_by: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("staff_id", "month", name="uq_evaluation_score_month"),)


# --- issue 4: attendance (S1.16) and the staffing plan (S3.3) ---------------------------------


class AttendanceRecord(Base):
    """One person's clock-in and clock-out for one work day (the day their schedule starts)."""

    __tablename__ = "attendance_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    clock_in: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clock_out: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("staff_id", "day", name="uq_attendance_staff_day"),
        Index("ix_attendance_day", "day"),
    )


class ExcusedDay(Base):
    """A day a person is not expected at work (approved leave, S1.17-18): never absent then.

    The seam for leave: a ``leave.approved`` handler fills it through ``attendance_store.excuse``.
    """

    __tablename__ = "excused_days"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(64))  # e.g. the leave request's id


class CallArrival(Base):
    """A hotline call as staffing learnt it from ``call.ended``: arrivals and handling time
    for the staffing plan (S3.3), without reading the calls database."""

    __tablename__ = "call_arrivals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(30))


outbox, processed_messages = add_platform_tables(Base.metadata)
