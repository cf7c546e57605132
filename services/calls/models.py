"""The calls service's storage: customers, calls and work orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svckit.tables import BigId, UtcDateTime, add_platform_tables

# Caller ID comes from outside: stored verbatim, but never more than this.
CALLER_NAME_MAX = 256


class Base(DeclarativeBase):
    pass


class Customer(Base):
    """A registered customer, recognised by phone number (S1.10), kept by hotline staff (S3.2:
    keeping customer-relationship information); lengths in services/calls/customers.py."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(CALLER_NAME_MAX), index=True)
    work_unit: Mapped[str] = mapped_column(String(256), default="")
    contact: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Call(Base):
    """One hotline call, keyed by the Asterisk uniqueid; a retried AGI session updates it."""

    __tablename__ = "calls"

    uniqueid: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(128))
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    caller_name: Mapped[str] = mapped_column(Text)
    dnid: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # the board
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    digits: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[str | None] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(30), default="in_progress")
    route_target: Mapped[str | None] = mapped_column(String(100))
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    sessions: Mapped[int] = mapped_column(Integer, default=1)
    # the calls instance serving the session (services/calls/recovery.py)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)


class CallsInstance(Base):
    """A running calls process, as last seen: its calls in progress are closed as interrupted
    once it has not been seen for a while (services/calls/recovery.py, issue 15)."""

    __tablename__ = "calls_instances"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WorkOrder(Base):
    """A work order (工作单) opened from a call; the assignee comes from staffing's decision.

    ``ivr_category`` is the caller's menu choice; ``category``, ``sub_type`` and ``area`` the
    agent's classification (see taxonomy.py). The lifecycle fields mirror lifecycle.OrderState.
    """

    __tablename__ = "work_orders"
    __table_args__ = (
        # the escalated orders, few among many: the leaders' board counts them
        Index("ix_work_orders_escalated", "status",
              postgresql_where=text("escalation_level IS NOT NULL"),
              sqlite_where=text("escalation_level IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)  # the board
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    caller_name: Mapped[str] = mapped_column(Text)
    work_unit: Mapped[str] = mapped_column(String(256), default="")
    contact: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    assignee_role: Mapped[str | None] = mapped_column(String(30))
    assignee_extension: Mapped[str | None] = mapped_column(String(20))
    routing_reason: Mapped[str | None] = mapped_column(String(60))
    routed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ivr_category: Mapped[str | None] = mapped_column(String(30))
    sub_type: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    result: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    urged: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # the customer's words and the place (S1.10, S3.2a; lengths: lifecycle.DESCRIBED)
    matter: Mapped[str | None] = mapped_column(String(2000))
    address: Mapped[str | None] = mapped_column(String(256))
    meter_number: Mapped[str | None] = mapped_column(String(32))
    transformer_area: Mapped[str | None] = mapped_column(String(100))
    promise: Mapped[str | None] = mapped_column(String(500))
    # the leader an escalation reached (escalation.py); the assignee keeps the order
    escalation_level: Mapped[str | None] = mapped_column(String(30))
    escalated_to_id: Mapped[int | None] = mapped_column(Integer, index=True)
    escalated_to_name: Mapped[str | None] = mapped_column(String(100))
    escalated_to_role: Mapped[str | None] = mapped_column(String(30))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # how the request came (issue 14): a call, or a matter a salesperson raised on a visit, who
    # is then its first contact (S1.6); a visit's order keeps the matter's reference in
    # ``call_uniqueid`` (``visit-matter:<id>``), unique as a call's uniqueid is
    channel: Mapped[str] = mapped_column(String(20), default="phone", server_default="phone")
    first_contact_id: Mapped[int | None] = mapped_column(Integer)
    first_contact_name: Mapped[str | None] = mapped_column(String(100))
    # its call with an agent, from Asterisk (issue 16, staffing's call.* events): answered by
    # whom after how long on hold, talk and wrap-up; or abandoned after how long
    answered_by_id: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hold_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    wrapup_seconds: Mapped[float | None] = mapped_column(Float)
    abandoned_after_seconds: Mapped[float | None] = mapped_column(Float)
    ring_no_answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # its end was not heard but inferred (staffing's AMI line was down): the times are bounds
    call_end_inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class WorkOrderHistory(Base):
    """One transition of a work order: who, when, from and to, the note and the fields given."""

    __tablename__ = "work_order_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(30))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    actor_department: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Outage(Base):
    """A declared outage (停电) of an area: by a duty leader through the gateway, or by the grid.

    ``keywords`` are the area's address keywords when declared (see outages.py); ``source`` and
    ``external_id`` name the grid's outage, so its events apply once. ``parent_work_order_id``
    is the order the area's fault reports are merged into (the first of them).
    """

    __tablename__ = "outages"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        # one active outage per area: two leaders declaring at once get one 201 and one 409
        Index(
            "uq_outages_active_area", "area", unique=True,
            postgresql_where=text("lifted_at IS NULL"), sqlite_where=text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    area: Mapped[str] = mapped_column(String(100), index=True)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(64))
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expected_restore_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    parent_work_order_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"))


class AreaReport(Base):
    """A fault report from a configured area, for the storm rule; ``linked_to``: its parent."""

    __tablename__ = "area_reports"
    __table_args__ = (Index("ix_area_reports_area_reported_at", "area", "reported_at"),)

    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    area: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    linked_to: Mapped[str | None] = mapped_column(String(36))


class Storm(Base):
    """A storm of fault reports from one area with no outage declared (see outages.py)."""

    __tablename__ = "storms"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    area: Mapped[str] = mapped_column(String(100), index=True)
    parent_work_order_id: Mapped[str] = mapped_column(
        ForeignKey("work_orders.id"), unique=True
    )
    reports: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_report_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outage_id: Mapped[str | None] = mapped_column(ForeignKey("outages.id"))


class WorkOrderClock(Base):
    """A deadline clock of a work order (issue 3, S1.22); one per clock name and order.

    ``next_check_at`` is when the sweep must look at it again (None: nothing left to do).
    ``provisional``: its due time was computed over a year whose holiday arrangement is not
    published yet (svckit.workdays); it is recomputed once when the arrangement arrives.
    """

    __tablename__ = "work_order_clocks"
    __table_args__ = (
        UniqueConstraint("work_order_id", "clock", name="uq_work_order_clocks_order_clock"),
        # the running clocks by due time: the overdue list and the leaders' board
        Index("ix_work_order_clocks_running_due", "due_at", "work_order_id",
              postgresql_where=text("stopped_at IS NULL"), sqlite_where=text("stopped_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    clock: Mapped[str] = mapped_column(String(30))
    policy_key: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stopped_by: Mapped[str | None] = mapped_column(String(30))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class DeadlineWarningSent(Base):
    """A warning threshold sent for an order's clock: each (order, clock, percent) once."""

    __tablename__ = "deadline_warnings"
    __table_args__ = (
        UniqueConstraint("work_order_id", "clock", "percent", name="uq_deadline_warnings_once"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    clock: Mapped[str] = mapped_column(String(30))
    percent: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WorkOrderEscalation(Base):
    """An escalation of an order up the line (S3.2, S1.6): each level once."""

    __tablename__ = "work_order_escalations"
    __table_args__ = (
        UniqueConstraint("work_order_id", "level", name="uq_work_order_escalations_once"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    level: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(200))
    clock: Mapped[str | None] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    escalated_by: Mapped[str | None] = mapped_column(String(64))  # an actor id, or "system"
    escalated_to_id: Mapped[int | None] = mapped_column(Integer)  # None: nobody on duty


class Callback(Base):
    """A promised reply to an inquiry not answered on the spot (S1.10); one per order.

    Answered when its order's ``callback`` clock stops (the agent's reply).
    """

    __tablename__ = "callbacks"

    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    matter: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str] = mapped_column(Text)
    work_unit: Mapped[str] = mapped_column(String(256), default="")
    contact: Mapped[str] = mapped_column(String(128), default="")
    promised_by: Mapped[str] = mapped_column(String(64))
    promised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reply_by: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CallbackCall(Base):
    """A click-to-call callback (S1.10, issue 16): the agent asked the platform to call the
    customer back; Asterisk rang her phone, then the customer. ``outcome`` once known:
    reached, no_answer, busy, failed, agent_unavailable."""

    __tablename__ = "callback_calls"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    requested_by: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(24))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


outbox, processed_messages = add_platform_tables(Base.metadata)
