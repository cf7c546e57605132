"""The staffing service's storage: staff, their shifts, and routing decisions."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from svckit.tables import BigId, UtcDateTime, add_platform_tables


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
    # presence (issue 11, migration 0009): away (a break, training...) is never routed to
    away: Mapped[bool] = mapped_column(default=False)
    away_reason: Mapped[str | None] = mapped_column(String(20))
    presence_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Organisation (issue 4, migration 0003): contract or permanent staff, dates of joining and
    # leaving (a leaver keeps the row: history refers to it); on approved leave right now.
    employment: Mapped[str] = mapped_column(
        String(20), default="permanent", server_default="permanent"
    )
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    on_leave: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_orders: Mapped[int] = mapped_column(default=0)
    # Her phone's line from Asterisk (issue 16, migration 0010; agent_line.py): None until
    # Asterisk says; wrap-up until; the agent state last published (agent.state_changed).
    line_state: Mapped[str | None] = mapped_column(String(16))
    line_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wrapup_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    agent_state: Mapped[str | None] = mapped_column(String(16))
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
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
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
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
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
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("staff_id", "month", name="uq_evaluation_score_month"),)


# --- issue 4: attendance (S1.16) and the staffing plan (S3.3) ---------------------------------


class AttendanceRecord(Base):
    """One person's clock-in and clock-out for one work day (the day their schedule starts)."""

    __tablename__ = "attendance_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    clock_in: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clock_out: Mapped[datetime | None] = mapped_column(UtcDateTime())

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
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(30))


class AgentCall(Base):
    """A hotline call from the moment it was offered to agents (queue or the routed
    extension) to its end, from AMI (issue 16, call_facts.py): who answered, hold, talk and
    wrap-up, or abandoned after how long. Keyed by the call's Linkedid (agi_uniqueid)."""

    __tablename__ = "agent_calls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(32))
    work_order_id: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ringing: Mapped[str | None] = mapped_column(String(40))
    device: Mapped[str | None] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hold_seconds: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    wrapup_seconds: Mapped[float | None] = mapped_column(Float)  # set once: call.completed
    abandoned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    waited_seconds: Mapped[float | None] = mapped_column(Float)
    no_answers: Mapped[int] = mapped_column(Integer, default=0)
    # its hang-up was not heard (the AMI line was down): ended_at/abandoned_at are the
    # reconciliation's time, an upper bound
    end_inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CoachingSession(Base):
    """One coaching attempt (S3.2, issue 16): who tried to listen to or whisper into whose
    call, when, and what became of it; refusals too (the audit trail)."""

    __tablename__ = "coaching_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    leader_id: Mapped[int] = mapped_column(Integer, index=True)
    agent_id: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # originated | refused | pbx_unavailable
    note: Mapped[str] = mapped_column(String(200), default="")


# --- Organisation, A/B posts, leave, absence and the duty rota (issue 4, migration 0003) ---


class Department(Base):
    """A section of the bureau (its chief holds the ``section_chief`` post), the hall, the
    hotline team, the HR section (S1.2-4). ``staff.department`` holds the code."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))


class Post(Base):
    """A post with an A and a B holder (S1.5): a hall window (``kind`` window, of a department)
    or an organisation position (section chief of a department, hall director, ...)."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    a_holder_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    b_holder_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class LeaveRequest(Base):
    """A leave request (S1.17-19): its slots, its approval chain and where it stands."""

    __tablename__ = "leave_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    leave_type: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    start_pm: Mapped[bool] = mapped_column(default=False)
    half_days: Mapped[int] = mapped_column()
    ends_on: Mapped[date] = mapped_column(Date)
    end_pm: Mapped[bool] = mapped_column(default=True)
    emergency: Mapped[bool] = mapped_column(default=False)
    hospital_record: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500), default="")
    chain: Mapped[str] = mapped_column(String(200))  # the steps, comma-separated
    step: Mapped[int] = mapped_column(default=0)  # index of the step waiting for a decision
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # issue 9 (migration 0006): the post deciding each step, comma-separated codes, fixed when
    # filed (S1.2-4: a department head's steps go one level up); None on older requests.
    chain_posts: Mapped[str | None] = mapped_column(String(400))

    __table_args__ = (Index("ix_leave_status_ends", "status", "ends_on"),)


class LeaveDecision(Base):
    """One step's decision on a leave request; ``acting_for`` is the A holder a B covered for."""

    __tablename__ = "leave_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    leave_id: Mapped[int] = mapped_column(ForeignKey("leave_requests.id"))
    step: Mapped[int] = mapped_column()
    position: Mapped[str] = mapped_column(String(30))
    decided_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    acting_for: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("leave_id", "step", name="uq_leave_decision_step"),)


class Absence(Base):
    """A working day someone was not back after leave, with no approved extension (S1.19)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    leave_id: Mapped[int | None] = mapped_column(ForeignKey("leave_requests.id"))
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # issue 9 (migration 0007): an absence ends when the person proves they worked that day,
    # reports back, or HR corrects it (S1.19); the row stays, so the sweep never finds it again.
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cleared_by: Mapped[int | None] = mapped_column(Integer)
    cleared_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("staff_id", "day", name="uq_absence_staff_day"),)


class UncoveredPost(Base):
    """A post found with neither holder present on a day (S1.5): alerted once."""

    __tablename__ = "uncovered_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    day: Mapped[date] = mapped_column(Date)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("post_id", "day", name="uq_uncovered_post_day"),)


class RotaHandover(Base):
    """The end-of-day handover of the hall's shared equipment (S1.9): one per working day."""

    __tablename__ = "rota_handovers"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    to_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    items: Mapped[str] = mapped_column(Text)  # JSON: item name → count
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # issue 9 (migration 0006): the receiving window confirms what it was handed (S1.9)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirm_note: Mapped[str | None] = mapped_column(String(500))


class RotaAlert(Base):
    """A working day whose handover was missing: alerted once (S1.9)."""

    __tablename__ = "rota_alerts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- issue 9: covers named for leave (S1.5), the day the system was installed (S1.9) ---------


class LeaveCover(Base):
    """The person named to act for a post while a leave would leave it with neither holder
    present (S1.5); the leave is approved only once each such post has one."""

    __tablename__ = "leave_covers"

    id: Mapped[int] = mapped_column(primary_key=True)
    leave_id: Mapped[int] = mapped_column(ForeignKey("leave_requests.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    named_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    named_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("leave_id", "post_id", name="uq_leave_cover_post"),)


class Installation(Base):
    """The day the system was installed (one row, id 1): the rota's duties start then (S1.9)."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    installed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox, processed_messages = add_platform_tables(Base.metadata)


# --- issue 9: the hotline roster (S3.2), proof of work and corrections (S1.16, S1.19) ---------


class ShiftTemplate(Base):
    """A named daily shift the duty leader rosters people on (early, late, night, ...)."""

    __tablename__ = "shift_templates"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class RosterEntry(Base):
    """One person's shift (or rest day: ``template`` is ``rest``, no times) on one date; the
    times are copied from the template, so changing a template never rewrites the past."""

    __tablename__ = "roster_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    template: Mapped[str] = mapped_column(String(20))
    starts: Mapped[time | None] = mapped_column(Time)
    ends: Mapped[time | None] = mapped_column(Time)
    planned_by: Mapped[int | None] = mapped_column(Integer)
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("staff_id", "day", name="uq_roster_staff_day"),
        Index("ix_roster_day", "day"),
    )


class ShiftSwap(Base):
    """Two people asking to exchange their roster entries on one or two dates (S3.2)."""

    __tablename__ = "shift_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    partner_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")


class WorkProof(Base):
    """Actions a person took on work orders on a local date (from the calls service's events):
    proof of work, counted as presence (S1.16, S1.19)."""

    __tablename__ = "work_proofs"

    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actions: Mapped[int] = mapped_column(Integer, default=0)


class AttendanceCorrection(Base):
    """HR's (or the hall director's) correction of a person's day, with the reason; every
    correction is kept, the latest counts (S1.16, S1.21)."""

    __tablename__ = "attendance_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[int] = mapped_column(Integer)
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_attendance_correction_staff_day", "staff_id", "day"),)


# --- logins and tokens (issue 10, migration 0008) ---------------------------------------------


class LoginThrottle(Base):
    """Recent failed logins of one key: a username (``kind`` "user", known or not) or a client
    address ("address"); delays only, never a lock (throttle.py; ``locked_at`` is left from
    before migration 0010 and cleared by it)."""

    __tablename__ = "login_throttles"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginPair(Base):
    """A username from one client address (issue 10, migration 0010): its recent failed logins,
    its lock (until HR or the hall director lifts it), and when the member last signed in from
    there (a known address is not slowed by the username's delays; throttle.py)."""

    __tablename__ = "login_pairs"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    signed_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RefreshToken(Base):
    """A refresh token, kept as its SHA-256 only. Each is used once: using it gives the next of
    its ``family``; using a used one again revokes the whole family (a stolen copy)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TokenRevocation(Base):
    """When a member's tokens were last revoked (left, transferred, role changed): a gateway
    that starts reads the recent ones, the others follow the events."""

    __tablename__ = "token_revocations"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(20))
