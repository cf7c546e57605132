"""The event catalogue in code: every event type, its version and its payload shape.

`contracts/asyncapi.yaml` documents the same events for outside subscribers; a test keeps the
two in step. An event travels as an :class:`Envelope` (JSON) on the exchange
``<producer>.events`` with the event type as routing key.

Producers are strict (a payload model refuses a field it does not declare); readers are
tolerant: :func:`parse_event` ignores fields it does not know, in the envelope and in the
payload, so a producer may add a field within a version and be deployed before its readers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError


def _as_utc(value: datetime) -> datetime:
    """Times are UTC on the wire; a naive time (SQLite hands them back so) is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class InvalidEvent(ValueError):
    """A message that is not a well-formed event of a catalogued type and version."""


class Category(StrEnum):
    """Kinds of hotline business (S3.1), plus what the IVR could not classify."""

    INQUIRY = "inquiry"
    FAULT_REPORT = "fault_report"
    COMPLAINT = "complaint"
    SERVICE_APPLICATION = "service_application"
    UNCLASSIFIED = "unclassified"


class Role(StrEnum):
    """Hotline roles (S3.2), lowest first: each can do the work of those before it.

    The one definition of the ladder: code asks :func:`at_least`, :func:`roles_from`,
    :func:`hotline_role` or uses :data:`ROLE_LADDER`, :data:`LEADER_ROLES`; it never spells the
    sets out again. Staff outside the hotline hold no Role (``staff.role`` is ``staff``).
    """

    SEAT_AGENT = "seat_agent"
    DUTY_LEADER = "duty_leader"
    DEPUTY_TEAM_LEAD = "deputy_team_lead"


ROLE_LADDER: tuple[Role, ...] = tuple(Role)  # lowest first (S3.2)


def hotline_role(value: object) -> Role | None:
    """The hotline role ``value`` names (a Role or its text), or None (not a hotline role)."""
    try:
        return Role(value)
    except ValueError:
        return None


def roles_from(lowest: Role) -> tuple[Role, ...]:
    """``lowest`` and every role above it on the ladder (S3.2: each includes the one below)."""
    return ROLE_LADDER[ROLE_LADDER.index(lowest):]


def at_least(role: object, lowest: Role) -> bool:
    """True when ``role`` (a Role, its text, or anything else) is ``lowest`` or above."""
    held = hotline_role(role)
    return held is not None and ROLE_LADDER.index(held) >= ROLE_LADDER.index(lowest)


def above(role: object, other: object) -> bool:
    """True when hotline role ``role`` stands strictly above hotline role ``other``."""
    mine, theirs = hotline_role(role), hotline_role(other)
    return (mine is not None and theirs is not None
            and ROLE_LADDER.index(mine) > ROLE_LADDER.index(theirs))


# Duty leaders and up (S3.2): leaders of the hotline, who see and arrange all of its work.
LEADER_ROLES: tuple[Role, ...] = roles_from(Role.DUTY_LEADER)


class WorkOrderStatus(StrEnum):
    """Where a work order stands in its lifecycle (S3.2a); see services/calls/lifecycle.py."""

    NEW = "new"
    ASSIGNED = "assigned"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    REVISITED = "revisited"
    CLOSED = "closed"
    MERGED = "merged"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Caller(Payload):
    number: str = Field(max_length=64)
    name: str = Field(default="", max_length=256)
    work_unit: str = Field(default="", max_length=256)
    contact: str = Field(default="", max_length=128)


class WorkOrderCreated(Payload):
    """calls → a work order was opened for a call (S3.2a, S1.10)."""

    work_order_id: str
    call_uniqueid: str
    category: Category
    caller: Caller
    created_at: UtcDateTime
    # how the request reached the hotline: a call, or a salesperson's visit (issue 14), whose
    # matter id is ``source_ref`` and who is the order's first contact (S1.6)
    channel: str = Field(default="phone", pattern=r"^(phone|visit)$")
    source_ref: str | None = Field(default=None, max_length=64)
    first_contact_id: int | None = None


class CallEnded(Payload):
    """calls → an AGI session for a hotline call is over, whatever its outcome."""

    call_uniqueid: str
    outcome: str
    category: Category | None
    work_order_id: str | None
    digits: str
    started_at: UtcDateTime
    ended_at: UtcDateTime


class WorkOrderRouted(Payload):
    """staffing → a routing decision for a work order, with its reason (S3.2)."""

    work_order_id: str
    assignee_id: int | None
    assignee_name: str | None
    role: Role | None
    extension: str | None
    dial_string: str | None
    reason: str
    decided_at: UtcDateTime
    # what the routed person's screen pop shows at once (issue 11); absent in older events
    caller_number: str | None = Field(default=None, max_length=64)
    category: Category | None = None


class Actor(Payload):
    """Who took an action on a work order: a hotline role, a department's staff, the system."""

    id: str = Field(max_length=64)
    role: str = Field(max_length=30)
    name: str = Field(default="", max_length=100)
    department: str | None = Field(default=None, max_length=64)


class WorkOrderTransitioned(Payload):
    """calls → a work order moved through its lifecycle (S3.2a); the type names the action.

    ``data`` holds the action's fields (e.g. ``department`` for a dispatch, ``satisfaction`` and
    ``solved`` for a revisit); ``assignee_id`` and ``category`` are the order's after the action,
    so that subscribers (the monthly evaluation) need no other source.
    """

    work_order_id: str
    action: str = Field(max_length=30)
    from_status: WorkOrderStatus
    to_status: WorkOrderStatus
    actor: Actor
    note: str = Field(default="", max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)
    assignee_id: int | None
    category: str
    created_at: UtcDateTime
    at: UtcDateTime
    # the handling department the order is with (an urge is for its staff, S3.2a)
    department: str | None = Field(default=None, max_length=64)


class ClockStarted(Payload):
    """calls → a deadline clock started on a work order (deadline_policies.yaml, S1.22)."""

    work_order_id: str
    clock: str = Field(max_length=30)
    policy_key: str = Field(max_length=80)
    category: str
    assignee_id: int | None
    started_at: UtcDateTime
    due_at: UtcDateTime
    # due_at was computed over a year whose holiday arrangement is not published yet: it moves
    # once the arrangement arrives (work_order.deadline_replanned)
    provisional: bool = False


class DeadlineReplanned(Payload):
    """calls → a clock computed on the provisional calendar was recomputed once, when the year's
    published holiday arrangement arrived (svckit.workdays); warnings follow the new due time."""

    work_order_id: str
    clock: str = Field(max_length=30)
    policy_key: str = Field(max_length=80)
    assignee_id: int | None
    started_at: UtcDateTime
    old_due_at: UtcDateTime
    new_due_at: UtcDateTime
    provisional: bool  # still provisional: the new due time reaches another unpublished year
    replanned_at: UtcDateTime


class DeadlineWarning(Payload):
    """calls → a clock reached a share of its limit: 50, 75, 90 or 100 (overdue) percent."""

    work_order_id: str
    clock: str = Field(max_length=30)
    policy_key: str = Field(max_length=80)
    percent: int = Field(ge=1, le=100)
    due_at: UtcDateTime
    assignee_id: int | None
    department: str | None
    at: UtcDateTime


class ClockStopped(Payload):
    """calls → a deadline clock stopped: its commitment was met, on time or late, or cancelled."""

    work_order_id: str
    clock: str = Field(max_length=30)
    policy_key: str = Field(max_length=80)
    category: str
    assignee_id: int | None
    due_at: UtcDateTime
    stopped_at: UtcDateTime
    on_time: bool
    # True when the order was merged or closed with the clock still running: its commitment was
    # neither met nor missed (the evaluation leaves it out).
    cancelled: bool = False


class WorkOrderEscalated(Payload):
    """calls → a work order went up the line (S3.2, S1.6): escalated by a seat agent or a duty
    leader, or by the deadline sweep when overdue or idle (``escalated_by`` the system).

    ``recipient_staff_id`` is the leader on duty it reached, who now holds it beside its owner
    (``assignee_id``) and is to be told; null when nobody of that level was on duty.
    """

    work_order_id: str
    level: Role
    reason: str = Field(max_length=200)
    clock: str | None = Field(default=None, max_length=30)
    assignee_id: int | None
    at: UtcDateTime
    recipient_staff_id: int | None = None
    recipient_name: str | None = Field(default=None, max_length=100)
    escalated_by: Actor | None = None
    # for the leader's screen pop (issue 11); absent in older events
    caller_number: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=30)


class OutageDeclared(Payload):
    """grid → the power dispatch system declared an outage (停电) of an area.

    ``outage_id`` is the grid's own id; ``address_keywords`` place customers' registered
    addresses in the area (services/calls/outages.py); empty: the area is one the hotline
    has configured under that name.
    """

    outage_id: str = Field(min_length=1, max_length=64)
    area: str = Field(min_length=1, max_length=100)
    address_keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    description: str = Field(default="", max_length=2000)
    declared_at: UtcDateTime
    expected_restore_at: UtcDateTime | None = None


class OutageLifted(Payload):
    """grid → the power dispatch system lifted an outage it had declared: power is back."""

    outage_id: str = Field(min_length=1, max_length=64)
    lifted_at: UtcDateTime


class StormDetected(Payload):
    """calls → many fault reports from one area in a short time, with no outage declared.

    The reports are merged into ``parent_work_order_id`` (the first of them); a duty leader
    may declare the outage, which then takes this parent.
    """

    storm_id: str
    area: str = Field(max_length=100)
    parent_work_order_id: str
    work_order_ids: list[str]
    reports: int = Field(ge=2)
    window_minutes: float = Field(gt=0)
    first_report_at: UtcDateTime
    detected_at: UtcDateTime


# The lifecycle's actions, each published under its own type with the same payload.
TRANSITION_TYPES: tuple[str, ...] = tuple(
    f"work_order.{name}"
    for name in (
        "assigned", "dispatched", "started", "result_recorded", "urged", "replied",
        "revisited", "closed", "reopened", "merged", "classified", "contacted",
        "callback_promised", "described",
    )
)



# --- Organisation, leave, absence, duty rota (issue 4; staffing publishes all of them) ---


class EmploymentType(StrEnum):
    PERMANENT = "permanent"
    CONTRACT = "contract"


class PostKind(StrEnum):
    """A hall window (S1.5) or an organisation position (S1.2-4), each with A and B holders."""

    WINDOW = "window"
    SECTION_CHIEF = "section_chief"
    HALL_DIRECTOR = "hall_director"
    HALL_DEPUTY_DIRECTOR = "hall_deputy_director"
    SUPERVISING_LEADER = "supervising_leader"
    BUREAU_DIRECTOR = "bureau_director"
    HR_HEAD = "hr_head"
    # issue 13: named by the hall director and deputy (S1.13), the center trainer (S2.5), the
    # bureau office's clerk who registers broken parts and issues supplies (S1.13-14)
    FIXED_ASSET_ADMIN = "fixed_asset_admin"
    TRAINER = "trainer"
    BUREAU_OFFICE = "bureau_office"


class LeaveType(StrEnum):
    """Leave types of S1.17-18."""

    PERSONAL = "personal"
    SICK = "sick"
    ANNUAL = "annual"
    FAMILY_VISIT = "family_visit"
    MARRIAGE = "marriage"
    MATERNITY = "maternity"
    FUNERAL = "funeral"


class ApprovalStep(StrEnum):
    """An approver in a leave chain (S1.17-18); the department head is the leaver's section
    chief, the leader in charge of S1.18 is the supervising leader."""

    DEPARTMENT_HEAD = "department_head"
    SUPERVISING_LEADER = "supervising_leader"
    BUREAU_DIRECTOR = "bureau_director"


class DepartureReason(StrEnum):
    RESIGNED = "resigned"
    RETIRED = "retired"
    CONTRACT_ENDED = "contract_ended"
    DISMISSED = "dismissed"
    TRANSFERRED_OUT = "transferred_out"


class HandoverReason(StrEnum):
    LEAVE = "leave"
    ABSENCE = "absence"
    DEPARTURE = "departure"


class Recipient(Payload):
    """Someone an alert goes to, and the post they receive it for (A holder or covering B)."""

    staff_id: int
    post: PostKind


class StaffJoined(Payload):
    """staffing → a person joined the organisation (a department, maybe a hotline role)."""

    staff_id: int
    username: str
    name: str
    department: str | None
    hotline_role: Role | None
    employment: EmploymentType
    joined_on: date


class StaffTransferred(Payload):
    """staffing → a person moved to another department; their window posts were released."""

    staff_id: int
    from_department: str | None
    to_department: str
    employment: EmploymentType
    effective_on: date
    posts_released: list[str]


class StaffLeft(Payload):
    """staffing → a person left the organisation; the assets service hands over what they held
    (S1.13), and their window posts were released."""

    staff_id: int
    department: str | None
    left_on: date
    reason: DepartureReason
    posts_released: list[str]


class StaffRoleChanged(Payload):
    """staffing → a person's hotline role changed (S3.2), or they joined or left the hotline
    (``None`` for a member outside it); their tokens issued before are no longer valid."""

    staff_id: int
    from_role: Role | None
    to_role: Role | None
    department: str | None
    effective_on: date


class PostUncovered(Payload):
    """staffing → a post has neither its A nor its B holder present on a day (S1.5): an alert to
    the section chief and the hall director (``notify``)."""

    post_code: str
    post_kind: PostKind
    department: str | None
    day: date
    a_holder_id: int | None
    b_holder_id: int | None
    notify: list[Recipient]


class LeaveRequested(Payload):
    """staffing → a leave request was filed (S1.17), visible to HR and the hall director;
    ``uncovers`` lists the posts it would leave with neither holder present."""

    leave_id: int
    staff_id: int
    leave_type: LeaveType
    starts_on: date
    start_pm: bool
    half_days: int = Field(ge=1)
    chain: list[ApprovalStep]
    uncovers: list[str]
    # who decides the first step now (its acting holder): the request waits in their inbox
    approver_id: int | None = None


class LeaveAdvanced(Payload):
    """staffing → a leave request passed a step of its chain and waits at the next one, for
    ``approver_id`` (its acting holder now; null when nobody holds or covers that post)."""

    leave_id: int
    staff_id: int
    leave_type: LeaveType
    step: ApprovalStep
    approved_by: int
    approver_id: int | None


class LeaveApproved(Payload):
    """staffing → a leave passed its last approval step (or was an emergency recorded after the
    fact, with an empty chain); ``return_due`` is when the leaver is expected back (S1.19)."""

    leave_id: int
    staff_id: int
    leave_type: LeaveType
    starts_on: date
    ends_on: date
    return_due: UtcDateTime
    emergency: bool
    approved_by: int | None


class LeaveRejected(Payload):
    """staffing → an approver rejected a leave request at their step."""

    leave_id: int
    staff_id: int
    leave_type: LeaveType
    step: ApprovalStep
    rejected_by: int
    note: str


class StaffAbsent(Payload):
    """staffing → a person was not back when their leave ended, with no approved extension:
    absence (旷工, S1.19), recorded once per person and working day."""

    staff_id: int
    day: date
    leave_id: int
    leave_type: LeaveType
    due_back_at: UtcDateTime
    # who is told (S1.19, S1.21): the head of the absentee's department and the HR head, acting
    notify: list[Recipient] = Field(default_factory=list)


class WorkOrdersHandoverRequested(Payload):
    """staffing → hand over a person's open work orders (S1.19), for the calls service to act on.

    Every work order open and assigned to ``from_staff_id`` at ``effective_from`` goes to
    ``to_staff_id`` (their B holder, who covers with their authority, S1.5); when
    ``to_staff_id`` is null there is no one to cover and each order is routed again
    (``staffing.route_work_order``, which no longer picks a person away). ``until`` is when the
    person is due back (null for an absence or a departure): orders are not handed back then.
    """

    from_staff_id: int
    to_staff_id: int | None
    reason: HandoverReason
    leave_id: int | None
    effective_from: UtcDateTime
    until: UtcDateTime | None


class RotaHandoverMissing(Payload):
    """staffing → the hall-equipment duty of a working day ended without its recorded handover
    (S1.9): an alert to the hall director (``notify``), raised once per day."""

    day: date
    post_code: str
    on_duty_staff_id: int | None
    next_post_code: str
    notify: list[Recipient]



class LoginLockedOut(Payload):
    """staffing → a member's username was locked from one client address after too many failed
    logins (issue 10): an alert to those who may lift it, the acting HR head and hall director
    (``notify``, never the member herself). Nothing of the passwords tried."""

    staff_id: int
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    failures: int = Field(ge=1)
    locked_at: UtcDateTime
    notify: list[Recipient]


class LockoutLiftReason(StrEnum):
    LIFTED = "lifted"  # HR or the hall director lifted it
    SIGNED_IN = "signed_in"  # the attempt that locked the address gave the right password


class LoginLockoutLifted(Payload):
    """staffing → every lock on a member's username was lifted (by ``lifted_by``, or by her
    own correct password from the address it had just locked): her lockout notices are done."""

    staff_id: int
    username: str = Field(max_length=64)
    reason: LockoutLiftReason
    lifted_by: int | None
    lifted_at: UtcDateTime

# --- Customer visits (issue 14, S5; the visits service publishes all of them) ---


class MatterCategory(StrEnum):
    """A customer matter raised during a visit that becomes a 95598 work order (S3.1)."""

    FAULT_REPORT = "fault_report"
    COMPLAINT = "complaint"
    SERVICE_APPLICATION = "service_application"


class VisitPlanSubmitted(Payload):
    """visits → a salesperson submitted next month's visit plan for the department head's review
    (S5.3.1); ``changed_after_approval``: an approved plan was changed and is reviewed again.
    ``notify``: the staff ids who must review it (the department head acting now)."""

    plan_id: int
    staff_id: int
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    revision: int = Field(ge=1)
    visits: int = Field(ge=0)
    changed_after_approval: bool
    notify: list[int]
    at: UtcDateTime


class VisitPlanReviewed(Payload):
    """visits → the department head approved a visit plan or returned it with comments (S5.3.1);
    ``notify``: the salesperson."""

    plan_id: int
    staff_id: int
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    revision: int = Field(ge=1)
    approved: bool
    comment: str = Field(default="", max_length=1000)
    reviewed_by: int
    notify: list[int]
    at: UtcDateTime


class VisitPlanMissing(Payload):
    """visits → a salesperson had not submitted next month's visit plan by the end of the last
    working day of the month (S5.3.1): an alert, raised once per person and month, to the
    salesperson and the department head (``notify``)."""

    staff_id: int
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    due_at: UtcDateTime
    notify: list[int]
    at: UtcDateTime


class VisitFlagged(Payload):
    """visits → a visit was marked done with something the rules do not accept silently: gifts or
    hosting without approval before the visit date (S5.3.2, S5.3.3 (3)); ``notify``: the
    department head."""

    visit_id: int
    staff_id: int
    flag: str = Field(max_length=40)
    detail: str = Field(default="", max_length=500)
    notify: list[int]
    at: UtcDateTime


class VisitReportOverdue(Payload):
    """visits → a visit report was not filed within its time after the visit (S5.3.4 (1)): an
    alert, raised once per visit, to the salesperson and the supervisor (``notify``)."""

    visit_id: int
    staff_id: int
    due_at: UtcDateTime
    notify: list[int]
    at: UtcDateTime


class FollowUpReminder(Payload):
    """visits → a promise made during a visit is due soon (``due_soon``) or overdue
    (``overdue``) and not done (S5.3.4 (2)); each phase once per follow-up, to its owner and,
    when overdue, the department head (``notify``)."""

    follow_up_id: int
    visit_id: int
    owner_id: int
    phase: str = Field(pattern=r"^(due_soon|overdue)$")
    due_on: date
    what: str = Field(max_length=500)
    notify: list[int]
    at: UtcDateTime


class VisitMatterRaised(Payload):
    """visits → a customer raised a fault, complaint or application during a visit: the calls
    service opens a 95598 work order for it (channel ``visit``), with the salesperson as its
    first contact (S1.6)."""

    matter_id: int
    visit_id: int
    category: MatterCategory
    description: str = Field(min_length=1, max_length=2000)
    customer: Caller
    address: str = Field(default="", max_length=256)
    salesperson_id: int
    salesperson_name: str = Field(default="", max_length=100)
    raised_at: UtcDateTime
class PresenceState(StrEnum):
    READY = "ready"
    AWAY = "away"


class AwayReason(StrEnum):
    BREAK = "break"
    MEAL = "meal"
    TRAINING = "training"
    MEETING = "meeting"
    OTHER = "other"


class StaffPresenceChanged(Payload):
    """staffing → a hotline member set herself ready or away (issue 11); routing honours it at
    once (an away member is never picked)."""

    staff_id: int
    state: PresenceState
    reason: AwayReason | None
    since: UtcDateTime


class AgentState(StrEnum):
    """A hotline member's line as Asterisk reports it (AMI, issue 16), with her presence:
    paused is her presence away (or a pause from the phone), both ways in step."""

    OFFLINE = "offline"
    READY = "ready"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class AgentStateChanged(Payload):
    """staffing → a hotline member's agent state changed (from AMI device, queue-member and
    call events); routing never picks one ringing, on a call or paused."""

    staff_id: int
    extension: str = Field(max_length=20)
    state: AgentState
    previous: AgentState | None
    since: UtcDateTime


class _CallLeg(Payload):
    """What ties an AMI call fact to the work order: the caller channel's ``Uniqueid`` (the
    FastAGI session's ``agi_uniqueid``) and its ``Linkedid``; ``queue`` is the Asterisk queue,
    or ``direct`` for the dialplan's ``Dial`` to the routed extension."""

    call_uniqueid: str = Field(min_length=1, max_length=64)
    linkedid: str = Field(default="", max_length=64)
    queue: str = Field(max_length=32)
    work_order_id: str | None = Field(default=None, max_length=64)


class CallAnswered(_CallLeg):
    """staffing → an agent answered a hotline call after ``hold_seconds`` in queue/ringing."""

    staff_id: int | None
    extension: str = Field(max_length=20)
    hold_seconds: float = Field(ge=0, le=86400)
    answered_at: UtcDateTime


class CallAbandoned(_CallLeg):
    """staffing → the caller hung up before any agent answered, after ``waited_seconds``."""

    waited_seconds: float = Field(ge=0, le=86400)
    abandoned_at: UtcDateTime
    end_inferred: bool = Field(default=False, description=(
        "The hang-up was not heard (staffing's AMI line was down): abandoned_at is the "
        "reconciliation's time and waited_seconds an upper bound."))


class CallCompleted(_CallLeg):
    """staffing → an answered call is over and its wrap-up done: the measured handling time
    (talk + wrap-up) the staffing plan uses (S3.3)."""

    staff_id: int | None
    extension: str = Field(max_length=20)
    hold_seconds: float = Field(ge=0, le=86400)
    talk_seconds: float = Field(ge=0, le=86400)
    wrapup_seconds: float = Field(ge=0, le=86400)
    answered_at: UtcDateTime
    ended_at: UtcDateTime
    end_inferred: bool = Field(default=False, description=(
        "The hang-up was not heard (staffing's AMI line was down): ended_at is the "
        "reconciliation's time and talk_seconds an upper bound."))


class CallRingNoAnswer(_CallLeg):
    """staffing → the routed agent's phone rang out unanswered (the order goes to the next
    choice); counted."""

    staff_id: int | None
    extension: str = Field(max_length=20)
    at: UtcDateTime


class CallbackOutcome(StrEnum):
    """How a click-to-call callback went (S1.10): the customer reached, or not."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"  # the customer's line could not be dialled
    AGENT_UNAVAILABLE = "agent_unavailable"  # the agent's own phone did not answer first


class CallbackAttempted(Payload):
    """staffing → a click-to-call callback's outcome, from Asterisk (AMI ``Originate``: the
    agent's phone first, then the customer); the callback's clock stops only when reached."""

    attempt_id: str = Field(min_length=1, max_length=36)
    outcome: CallbackOutcome
    at: UtcDateTime


class OutageInEffect(Payload):
    """calls → an outage is in effect on the hotline (a leader declared it, or the grid did):
    the agents' pages show it (issue 11). ``outage_id`` is the hotline's id."""

    outage_id: str = Field(max_length=64)
    area: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    source: str = Field(max_length=20)
    declared_by: str = Field(max_length=100)
    declared_at: UtcDateTime
    expected_restore_at: UtcDateTime | None = None


class OutageEnded(Payload):
    """calls → an outage in effect on the hotline was lifted."""

    outage_id: str = Field(max_length=64)
    area: str = Field(max_length=100)
    lifted_by: str = Field(max_length=100)
    lifted_at: UtcDateTime


class NoticeSubject(Payload):
    type: str = Field(max_length=30)
    id: str = Field(max_length=64)


class NoticeCreated(Payload):
    """inbox → a notice asking a person to act reached their inbox (issue 11); the gateway
    pushes it to her open pages."""

    notice_id: int
    recipient_id: int
    kind: str = Field(max_length=40)
    subject: NoticeSubject
    params: dict[str, Any] = Field(default_factory=dict)
    created_at: UtcDateTime


# --- The assets service (issue 13): fixed assets, custody, seals, keys, windows, rooms -----


class Capacity(StrEnum):
    """Why a person receives an assets alert: what they hold or lead (S1.9, S1.11-14, S2)."""

    CUSTODIAN = "custodian"  # a seal's named custodian, an asset's or a key's holder
    SUCCESSOR = "successor"  # the one who receives a mover's custody and confirms it
    SECTION_CHIEF = "section_chief"
    HALL_DIRECTOR = "hall_director"
    FIXED_ASSET_ADMIN = "fixed_asset_admin"
    WINDOW_HOLDER = "window_holder"
    BUREAU_OFFICE = "bureau_office"
    TRAINER = "trainer"
    SUPERVISING_LEADER = "supervising_leader"


class Notified(Payload):
    """A person an alert goes to (staff id), and in what capacity: the inbox needs no guess."""

    staff_id: int
    capacity: Capacity


class AssetChanged(Payload):
    """assets → the fixed-asset administrator added, moved or disposed of a fixed asset
    (S1.13); the type names the change, every change is in the asset's history."""

    asset_id: int
    tag: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    location: str = Field(max_length=40)
    custodian_id: int | None
    value_cents: int = Field(ge=0)
    reason: str = Field(default="", max_length=200)
    on_day: date
    by_staff_id: int
    at: UtcDateTime


ASSET_CHANGE_TYPES: tuple[str, ...] = ("asset.added", "asset.moved", "asset.disposed")


class HeldItem(Payload):
    """One thing in a person's custody (an asset, a department's seal, a key) and who is to
    receive it."""

    item: str = Field(pattern="^(asset|seal|key)$")
    item_id: int
    label: str = Field(max_length=140)
    task_id: int
    to_staff_id: int | None


class CustodyHandoverRequested(Payload):
    """assets → a person moving (transfer, departure, leave; S1.13, S1.19) holds things that
    must be handed over: one task per item, each confirmed by the one who receives it; an alert
    to the receivers, the section chief, the hall director and the fixed-asset administrator."""

    staff_id: int
    reason: str = Field(pattern="^(transfer|departure|leave)$")
    department: str | None = Field(default=None, max_length=64)
    items: list[HeldItem] = Field(min_length=1)
    notify: list[Notified]
    at: UtcDateTime


class CustodyHandedOver(Payload):
    """assets → the receiver confirmed a handover task: the item is in their custody now."""

    task_id: int
    item: str = Field(pattern="^(asset|seal|key)$")
    item_id: int
    label: str = Field(max_length=140)
    from_staff_id: int
    to_staff_id: int
    at: UtcDateTime


class SealNotReturned(Payload):
    """assets → a department's seal was not back in its department by the end of the working
    day (S1.11): raised once per taking-out, open until the seal is returned."""

    seal_id: int
    department: str = Field(max_length=64)
    custodian_id: int | None
    taken_out_by: int
    taken_out_at: UtcDateTime
    due_at: UtcDateTime
    notify: list[Notified]


class WindowUnchecked(Payload):
    """assets → a window open on a working day lacks its equipment check before or after work
    (S1.9), raised once per window and day."""

    window: str = Field(max_length=40)
    department: str | None = Field(default=None, max_length=64)
    day: date
    missing: list[str]
    notify: list[Notified]


class RepairStatusChanged(Payload):
    """assets → a broken part registered with the bureau office moved on (S1.13): registered,
    ordered, received, fitted; ``notify`` names who acts next."""

    repair_id: int
    status: str = Field(pattern="^(registered|ordered|received|fitted)$")
    description: str = Field(max_length=200)
    asset_id: int | None
    window: str | None = Field(default=None, max_length=40)
    by_staff_id: int
    notify: list[Notified]
    at: UtcDateTime


class RoomBookingReferred(Payload):
    """assets → a training-room booking was refused (S2.3: 10 or more people, or company-wide
    training) and passed to the general office as a meeting-room request, with the reason."""

    booking_id: int
    room: str = Field(max_length=40)
    title: str = Field(max_length=200)
    attendees: int = Field(ge=1)
    company_wide: bool
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    booked_by: int
    reason: str = Field(max_length=200)


class RoomApprovalRequested(Payload):
    """assets → a booking of a training room for other than training or a meeting waits for
    the supervising leader's approval (S2.4)."""

    booking_id: int
    room: str = Field(max_length=40)
    title: str = Field(max_length=200)
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    booked_by: int
    notify: list[Notified]


class RoomFaultReported(Payload):
    """assets → a fault of a training room's multimedia equipment, reported at once to the
    center trainer who keeps it (S2.5); a charge for misuse follows as its own type."""

    fault_id: int
    room: str = Field(max_length=40)
    asset_id: int | None
    description: str = Field(max_length=500)
    reported_by: int
    charged_staff_id: int | None = None
    charged_department: str | None = Field(default=None, max_length=64)
    charge_cents: int | None = Field(default=None, ge=0)
    notify: list[Notified]
    at: UtcDateTime


ROOM_FAULT_TYPES: tuple[str, ...] = ("room.fault_reported", "room.damage_charged")


# (type, version) → payload model. The producer is part of the envelope, not of the key.
CATALOGUE: dict[tuple[str, int], type[Payload]] = {
    ("work_order.created", 1): WorkOrderCreated,
    ("call.ended", 1): CallEnded,
    ("work_order.routed", 1): WorkOrderRouted,
    **{(event_type, 1): WorkOrderTransitioned for event_type in TRANSITION_TYPES},
    ("work_order.clock_started", 1): ClockStarted,
    ("work_order.deadline_replanned", 1): DeadlineReplanned,
    ("work_order.deadline_warning", 1): DeadlineWarning,
    ("work_order.clock_stopped", 1): ClockStopped,
    ("work_order.escalated", 1): WorkOrderEscalated,
    ("staff.joined", 1): StaffJoined,
    ("staff.transferred", 1): StaffTransferred,
    ("staff.left", 1): StaffLeft,
    ("staff.role_changed", 1): StaffRoleChanged,
    ("post.uncovered", 1): PostUncovered,
    ("leave.requested", 1): LeaveRequested,
    ("leave.advanced", 1): LeaveAdvanced,
    ("leave.approved", 1): LeaveApproved,
    ("leave.rejected", 1): LeaveRejected,
    ("staff.absent", 1): StaffAbsent,
    ("work_orders.handover_requested", 1): WorkOrdersHandoverRequested,
    ("rota.handover_missing", 1): RotaHandoverMissing,
    ("login.locked_out", 1): LoginLockedOut,
    ("login.lockout_lifted", 1): LoginLockoutLifted,
    ("outage.declared", 1): OutageDeclared,
    ("outage.lifted", 1): OutageLifted,
    ("storm.detected", 1): StormDetected,
    ("visit_plan.submitted", 1): VisitPlanSubmitted,
    ("visit_plan.reviewed", 1): VisitPlanReviewed,
    ("visit_plan.missing", 1): VisitPlanMissing,
    ("visit.flagged", 1): VisitFlagged,
    ("visit.report_overdue", 1): VisitReportOverdue,
    ("follow_up.reminder", 1): FollowUpReminder,
    ("visit.matter_raised", 1): VisitMatterRaised,
    ("staff.presence_changed", 1): StaffPresenceChanged,
    ("agent.state_changed", 1): AgentStateChanged,
    ("call.answered", 1): CallAnswered,
    ("call.abandoned", 1): CallAbandoned,
    ("call.completed", 1): CallCompleted,
    ("call.ring_no_answer", 1): CallRingNoAnswer,
    ("callback.attempted", 1): CallbackAttempted,
    ("outage.in_effect", 1): OutageInEffect,
    ("outage.ended", 1): OutageEnded,
    ("notice.created", 1): NoticeCreated,
    **{(event_type, 1): AssetChanged for event_type in ASSET_CHANGE_TYPES},
    ("custody.handover_requested", 1): CustodyHandoverRequested,
    ("custody.handed_over", 1): CustodyHandedOver,
    ("seal.not_returned", 1): SealNotReturned,
    ("window.unchecked", 1): WindowUnchecked,
    ("repair.status_changed", 1): RepairStatusChanged,
    ("room.booking_referred", 1): RoomBookingReferred,
    ("room.approval_requested", 1): RoomApprovalRequested,
    **{(event_type, 1): RoomFaultReported for event_type in ROOM_FAULT_TYPES},
}
# Models published under one type only; the others name their type when they are made.
TYPE_OF: dict[type[Payload], tuple[str, int]] = {
    model: key
    for key, model in CATALOGUE.items()
    if list(CATALOGUE.values()).count(model) == 1
}


class Envelope(BaseModel):
    """What goes on the wire for every event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: UtcDateTime
    producer: str = Field(min_length=1, max_length=50)
    payload: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The JSON-ready form published on the broker."""
        return self.model_dump(mode="json")

    def parsed(self) -> Payload:
        """The payload as its catalogued model; raises InvalidEvent."""
        model = CATALOGUE.get((self.type, self.version))
        if model is None:
            raise InvalidEvent(f"unknown event {self.type} v{self.version}")
        try:
            return model.model_validate(known_fields(model, self.payload))
        except ValidationError as exc:
            raise InvalidEvent(f"bad payload for {self.type}: {exc}") from exc


def known_fields(model: type[BaseModel], data: Any) -> Any:
    """``data`` without the keys ``model`` (and the models inside it) does not declare: what a
    tolerant reader keeps of a newer producer's message. Anything not a mapping is left to the
    model to judge."""
    if not isinstance(data, dict):
        return data
    fields = model.model_fields
    return {key: _known_inside(fields[key].annotation, value)
            for key, value in data.items() if key in fields}


def _known_inside(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return known_fields(annotation, value)
    models = [arm for arm in get_args(annotation)
              if isinstance(arm, type) and issubclass(arm, BaseModel)]
    if len(models) != 1:  # no model inside (or several: left whole to the model's own rules)
        return value
    if isinstance(value, list):  # list[Model]
        return [known_fields(models[0], item) for item in value]
    return known_fields(models[0], value)  # Model | None


def make_event(
    producer: str,
    payload: Payload,
    occurred_at: datetime | None = None,
    event_type: str | None = None,
) -> Envelope:
    """Wrap a catalogued payload in a new envelope (``event_type`` for a model of many types)."""
    if event_type is None:
        event_type, version = TYPE_OF[type(payload)]
    else:
        version = 1
        if CATALOGUE.get((event_type, version)) is not type(payload):
            raise InvalidEvent(f"{event_type} v{version} does not carry {type(payload).__name__}")
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=version,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        payload=payload.model_dump(mode="json"),
    )


def parse_event(body: Any) -> tuple[Envelope, Payload]:
    """Validate a received body as an envelope and its payload; raises InvalidEvent."""
    try:
        envelope = Envelope.model_validate(known_fields(Envelope, body))
    except ValidationError as exc:
        raise InvalidEvent(f"not an event envelope: {exc}") from exc
    return envelope, envelope.parsed()
