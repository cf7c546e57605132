"""The visits service's storage (S5): customers, quotas, salespeople, plans, visits, expenses,
reports' follow-ups, alerts raised, and the work orders calls announced for its customers.
Lengths here are the gateway's (gateway/visits_models.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svckit.tables import BigId, UtcDateTime, add_platform_tables


class Base(DeclarativeBase):
    pass


class Customer(Base):
    """Someone sales staff visit (S5.2.2): an existing business customer, a target, a
    potential customer, or a peer in the industry."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(64), index=True, default="")
    contact_person: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    department: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Quota(Base):
    """Required visits per month of a sales position of a department (S5.2.3), kept by the
    department head."""

    __tablename__ = "quotas"

    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[str] = mapped_column(String(40), primary_key=True)
    required_per_month: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Salesperson(Base):
    """A staff member the department head put on a sales position (S5.2.3)."""

    __tablename__ = "salespeople"

    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Plan(Base):
    """A salesperson's visit plan for a month (S5.3.1): draft → submitted → approved or
    returned; a change after approval makes it a draft again, to be submitted and reviewed."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("staff_id", "month", name="uq_plans_staff_month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    first_submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    changed_after_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Visit(Base):
    """One planned visit and how it went: preparation (S5.3.2), the trip (S5.3.3 (4)), the
    report and its review (S5.3.4)."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_staff_done", "staff_id", "done_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    staff_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    person_to_meet: Mapped[str] = mapped_column(String(100), default="")
    planned_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    contacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    business_trip: Mapped[bool] = mapped_column(Boolean, default=False)
    trip_destination: Mapped[str] = mapped_column(String(200), default="")
    done_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(2000), default="")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    report_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    report: Mapped[str | None] = mapped_column(String(4000))
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    report_late: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    review_comment: Mapped[str] = mapped_column(String(1000), default="")


class Expense(Base):
    """An expense applied for a visit (S5.3.2 (5)); gifts and hosting need approval before the
    visit date (S5.3.3 (3))."""

    __tablename__ = "expenses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="applied")
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(Integer)


class FollowUp(Base):
    """A promise made during a visit, tracked to done (S5.3.4 (2))."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    what: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Matter(Base):
    """A customer matter raised during a visit, sent to the hotline as a work order."""

    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(2000))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    work_order_id: Mapped[str | None] = mapped_column(String(36))


class Alert(Base):
    """An alert raised (plan missing, report overdue, follow-up reminders): each once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "subject", name="uq_alerts_once"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CustomerWorkOrder(Base):
    """A 95598 work order of one of our customers, as the calls service's events told it: opened
    from a visit's matter, or by a call from the customer's phone. Never read from calls."""

    __tablename__ = "customer_work_orders"

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


outbox, processed_messages = add_platform_tables(Base.metadata)
