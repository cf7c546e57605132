"""The success answer of every JSON route, declared once (issue 10): the OpenAPI description
(gateway/openapi.py) is generated from these models, and the contract fuzz test
(tests/integration/test_contract_fuzz.py) checks every live answer against them.

Described, not enforced: the services shape their answers (services/*/views.py and the
``*_view`` functions); a field here that a service does not send, or sends with another type,
is a defect on one side. A field that can be null says so (``X | None``, still required: the
member is always present). Unknown members are refused (``extra="forbid"``), so a member a
service adds without declaring it here fails the contract test.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- problems and pages -----------------------------------------------------------------


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is stable and machine-readable, ``error`` repeats
    ``detail`` for older clients (the token endpoint: RFC 6749's code, with
    ``error_description``). Extension members are allowed, as RFC 9457 says."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    error: str | None = None
    error_description: str | None = None
    errors: list[dict[str, Any]] | None = None
    limit: int | None = None


class PageOf(Reply):
    """A page of a list: ``next`` is the link to the following page, null on the last."""

    next: str | None


# --- the calls service: work orders, customers, calls, outages --------------------------


class Caller(Reply):
    number: str
    name: str
    work_unit: str
    contact: str


class Assignee(Reply):
    id: int
    name: str | None
    role: str | None
    extension: str | None


class Place(Reply):
    address: str | None
    meter_number: str | None
    transformer_area: str | None


class EscalatedTo(Reply):
    level: str
    id: int | None
    name: str | None
    role: str | None
    at: str | None


class FirstContact(Reply):
    """Who took the request first when it did not come by phone (S1.6): the salesperson of the
    visit it was raised on (issue 14)."""

    id: int
    name: str | None


class Handling(Reply):
    """The order's call with an agent, from Asterisk (issue 16): answered by whom (staff id),
    hold, talk and wrap-up seconds; or abandoned after how long; phones that rang out;
    ``end_inferred``: the hang-up was not heard (the AMI line was down), so talk or waiting
    time runs to the reconciliation that found the call gone: an upper bound."""

    answered_by: int | None
    answered_at: str | None
    hold_seconds: float | None
    talk_seconds: float | None
    wrapup_seconds: float | None
    abandoned_after_seconds: float | None
    ring_no_answers: int
    end_inferred: bool = False


class WorkOrderView(Reply):
    """A work order (S3.2a) as every list and action answers it."""

    id: str
    call_uniqueid: str
    category: str
    status: str
    caller: Caller
    created_at: str
    channel: str
    first_contact: FirstContact | None
    assignee: Assignee | None
    routing_reason: str | None
    routed_at: str | None
    ivr_category: str | None
    sub_type: str | None
    area: str | None
    department: str | None
    result: str | None
    reply: str | None
    satisfaction: int | None
    solved: bool | None
    parent_id: str | None
    reopened: int
    urged: int
    updated_at: str | None
    matter: str | None
    place: Place
    promise: str | None
    escalated_to: EscalatedTo | None
    handling: Handling | None = None


class Actor(Reply):
    id: str
    role: str
    name: str
    department: str | None


class HistoryEntry(Reply):
    action: str
    from_status: str
    to_status: str
    actor: Actor
    at: str
    note: str
    data: dict[str, Any]


class ClockView(Reply):
    clock: str
    policy_key: str
    started_at: str
    due_at: str
    stopped_at: str | None
    stopped_by: str | None
    on_time: bool | None
    cancelled: bool
    running: bool
    overdue: bool
    warnings_sent: list[int]
    provisional: bool


class EscalationView(Reply):
    level: str
    reason: str
    clock: str | None
    at: str
    escalated_by: str | None
    escalated_to_id: int | None


class CallbackCaller(Reply):
    name: str
    work_unit: str
    contact: str


class CallbackView(Reply):
    work_order_id: str
    matter: str
    caller: CallbackCaller
    promised_by: str
    promised_at: str
    reply_by: str


class WorkOrderDetail(WorkOrderView):
    """One work order with its history, clocks, escalations, promised callback, and the actions
    the reader may take on it now."""

    history: list[HistoryEntry]
    clocks: list[ClockView]
    escalations: list[EscalationView]
    escalation_level: str | None
    callback: CallbackView | None
    allowed_actions: list[str]


class WorkOrderPage(PageOf):
    items: list[WorkOrderView]


class OverdueOrder(WorkOrderView):
    overdue_clocks: list[ClockView]


class OverduePage(PageOf):
    items: list[OverdueOrder]


class DueCallback(CallbackView):
    state: str
    assignee_id: int | None
    status: str


class CallbackPage(PageOf):
    state: str
    items: list[DueCallback]


class CustomerView(Reply):
    number: str
    name: str
    work_unit: str
    contact: str
    address: str
    created_at: str | None
    updated_at: str | None
    updated_by: str | None


class CustomerSearchPage(Reply):
    """A page of the registry by number (``page``/``per_page``, with the ``total``)."""

    items: list[CustomerView]
    total: int
    page: int
    per_page: int


class CallView(Reply):
    uniqueid: str
    channel: str
    caller_number: str
    caller_name: str
    dnid: str
    started_at: str
    ended_at: str | None
    digits: str
    category: str | None
    outcome: str
    route_target: str | None
    work_order_id: str | None
    sessions: int


class CallPage(PageOf):
    items: list[CallView]


class CustomerPage(CustomerView):
    """A customer with the first page of their work orders and of their calls, newest first;
    each ``next`` link reads on."""

    work_orders: WorkOrderPage
    calls: CallPage


class OutageView(Reply):
    id: str
    area: str
    address_keywords: list[str]
    description: str
    source: str
    external_id: str | None
    declared_by: str
    declared_at: str
    expected_restore_at: str | None
    lifted_at: str | None
    lifted_by: str | None
    parent_work_order_id: str | None
    active: bool


class StormView(Reply):
    id: str
    area: str
    parent_work_order_id: str | None
    reports: int
    detected_at: str
    last_report_at: str


class CallsLastQuarter(Reply):
    by_category: dict[str, int]
    total: int


class AgentCounts(Reply):
    ready: int
    away: int
    on_leave: int
    off_shift: int
    # from Asterisk (issue 16); 0 while no phone is reported
    ringing: int = 0
    on_call: int = 0
    wrap_up: int = 0
    offline: int = 0


class AgentOnBoard(Reply):
    staff_id: int
    name: str
    state: str


class Board(Reply):
    """The leaders' board (issue 11)."""

    calls_last_15_min: CallsLastQuarter
    orders_by_state: dict[str, int]
    overdue: int
    escalated: int
    agents: AgentCounts
    agent_list: list[AgentOnBoard]
    open_storms: list[StormView]
    at: str


class CoachingEntry(Reply):
    """One coaching attempt in the audit trail (S3.2, issue 16)."""

    id: int
    leader_id: int
    agent_id: int
    mode: str
    at: str
    outcome: str  # originated | refused | pbx_unavailable
    note: str


class CoachingPage(PageOf):
    items: list[CoachingEntry]


class CallbackCallView(Reply):
    """A click-to-call callback (S1.10, issue 16); ``outcome`` null until Asterisk says."""

    id: str
    work_order_id: str
    requested_by: int
    number: str
    requested_at: str
    outcome: str | None  # reached | no_answer | busy | failed | agent_unavailable
    ended_at: str | None
    error: str | None = None


class CallbackCallPage(PageOf):
    items: list[CallbackCallView]


class OutagePage(PageOf):
    """Active outages, a page; and every open storm (one per area at most) on each page."""

    items: list[OutageView]
    storms: list[StormView]
    areas: list[str]  # the configured areas (the console's area picker)


# --- tokens (issue 10) ----------------------------------------------------------------------


class StaffSummary(Reply):
    """A staff member as the token reply names them."""

    id: int
    username: str
    name: str
    role: str
    department: str | None
    extension: str
    left_on: str | None


class TokenReply(Reply):
    """RFC 6749 §5.1, with the refresh token's life and the member signed in."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    staff: StaffSummary


# --- the staffing service: organisation, leave, rota, roster, attendance, evaluation -------


class StaffView(StaffSummary):
    """A staff member's record as the organisation's answers give it."""

    employment: str
    joined_on: str | None


class StaffMoved(StaffView):
    """A transfer's or a departure's answer: the posts the member held, now released."""

    posts_released: list[str]


class LockLifted(Reply):
    staff_id: int
    username: str
    was_locked: bool


class LockedLogin(Reply):
    """A member's username locked from one client address, since ``locked_at``."""

    staff_id: int
    username: str
    name: str
    department: str | None
    address: str
    failures: int
    locked_at: str


class LockedLoginPage(PageOf):
    items: list[LockedLogin]


class DepartmentView(Reply):
    code: str
    name: str
    kind: str


class PostView(Reply):
    """A post or window (S1.5): its A and B holders, the cover named for a leave, who acts."""

    code: str
    kind: str
    department: str | None
    a_holder_id: int | None
    b_holder_id: int | None
    cover_id: int | None
    acting: int | None
    covering_for: int | None
    uncovered: bool


class OrgOverview(PageOf):
    """Departments, a page of the posts by code (``items``), and who is away now."""

    departments: list[DepartmentView]
    items: list[PostView]
    away: list[int]
    names: dict[str, str]  # staff id → name of everyone the page mentions


class OnDuty(Reply):
    """Who is on duty at ``at`` (S1.7): window code → acting holder, covers, uncovered
    windows, the hotline's members on shift."""

    at: str
    hall_open: bool
    windows: dict[str, int]
    covering: dict[str, int]
    uncovered: list[str]
    hotline: list[int]


class WaitingFor(Reply):
    step: str
    post: str | None
    staff_id: int | None
    covering_for: int | None


class LeaveDecisionView(Reply):
    step: str
    decided_by: int
    acting_for: int | None
    approved: bool
    note: str


class LeaveCoverView(Reply):
    post: str
    staff_id: int
    named_by: int


class LeaveView(Reply):
    """A leave request (S1.17-19) with its approval chain, who decides now, the posts it would
    leave uncovered (S1.5) and the covers named."""

    id: int
    staff_id: int
    staff_name: str | None
    leave_type: str
    starts_on: str
    start_pm: bool
    half_days: int
    ends_on: str
    end_pm: bool
    emergency: bool
    provisional: bool
    hospital_record: str | None
    reason: str
    status: str
    chain: list[str]
    waiting_for: WaitingFor | None
    decisions: list[LeaveDecisionView]
    uncovers: list[str]
    covers: list[LeaveCoverView]
    needs_cover: list[str]
    return_due: str
    returned_at: str | None


class LeaveBack(Reply):
    """The leaver is back (S1.19): when, and whether an absence ended with it."""

    id: int
    returned_at: str
    absence_ended: bool


class LeaveDecided(RootModel[LeaveView | LeaveBack]):
    """approve and reject answer the leave; back answers the return."""


class LeavePage(PageOf):
    items: list[LeaveView]


class RotaNext(Reply):
    day: str
    window: str | None


class HandoverView(Reply):
    day: str
    from_window: str | None
    to_window: str | None
    recorded_by: int
    items: dict[str, int]
    recorded_at: str
    confirmed: bool
    confirmed_by: int | None
    confirmed_at: str | None
    note: str | None


class RotaDay(Reply):
    """The equipment rota of a day (S1.9); on a day the hall is closed, ``window`` and the
    members after it are null (``equipment`` empty)."""

    day: str
    working_day: bool
    window: str | None
    on_duty: int | None
    next: RotaNext | None
    equipment: list[str]
    installed_on: str | None
    status: str | None
    handover: HandoverView | None
    received: HandoverView | None
    provisional: bool


class ShiftTemplateView(Reply):
    code: str
    name: str
    starts: str
    ends: str


class ShiftTemplates(Reply):
    items: list[ShiftTemplateView]


class ShiftTimes(Reply):
    starts: str
    ends: str


class RosterDay(Reply):
    day: str
    template: str | None
    rest: bool
    shifts: list[ShiftTimes]
    source: str


class RosterPerson(Reply):
    staff_id: int
    days: list[RosterDay]


class Roster(Reply):
    from_: str = Field(alias="from")
    to: str
    people: list[RosterPerson]


class ShortInterval(Reply):
    starts: str
    short: int


class CoverageSummary(Reply):
    date: str
    roster_short: bool
    short: dict[str, list[ShortInterval]]


class PlannedRoster(Roster):
    """The roster planned, each day checked against the staffing plan's needs (S3.3)."""

    coverage: list[CoverageSummary]


class CoverageInterval(Reply):
    starts: str
    seat_agents_needed: int
    seat_agents_rostered: int
    seat_agents_short: int
    duty_leaders_needed: int
    duty_leaders_rostered: int
    duty_leaders_short: int
    deputy_team_leads_needed: int
    deputy_team_leads_rostered: int
    deputy_team_leads_short: int


class Coverage(Reply):
    date: str
    roster_short: bool
    intervals: list[CoverageInterval]


class SwapView(Reply):
    id: int
    requester_id: int
    partner_id: int
    day: str
    partner_day: str
    reason: str
    status: str
    decided_by: int | None
    decided_at: str | None
    note: str


class SwapPage(PageOf):
    items: list[SwapView]


class CorrectedBy(Reply):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    reason: str
    by: int


class AttendanceDay(Reply):
    day: str
    status: str
    late_minutes: int
    early_minutes: int
    missing_clock_in: bool
    missing_clock_out: bool
    worked_orders: bool
    corrected: CorrectedBy | None


class ClockRecord(AttendanceDay):
    """A clock-in or clock-out (S1.16): the day as it stands now."""

    staff_id: int
    clock_in: str | None
    clock_out: str | None


class AttendanceTotals(Reply):
    expected_days: int
    present_days: int
    late_days: int
    late_minutes: int
    early_leave_days: int
    early_leave_minutes: int
    absent_days: int
    excused_days: int
    missing_clock_in: int
    missing_clock_out: int
    pending_days: int
    unscheduled_days: int
    people: int


class PersonAttendance(Reply):
    staff_id: int
    username: str
    name: str
    role: str
    department: str | None
    joined_on: str | None
    totals: AttendanceTotals
    days: list[AttendanceDay]


class DepartmentAttendance(Reply):
    department: str
    totals: AttendanceTotals


class AttendanceReport(PageOf):
    """The month's attendance (S1.16): a page of people, every department's totals."""

    month: str
    department: str | None
    generated_at: str
    items: list[PersonAttendance]
    departments: list[DepartmentAttendance]


class CorrectionView(Reply):
    id: int
    day: str
    status: str
    reason: str
    corrected_by: int
    corrected_at: str


class AbsenceView(Reply):
    staff_id: int
    day: str
    leave_id: int | None
    detected_at: str
    cleared_at: str | None
    cleared_by: int | None
    cleared_reason: str | None


class AttendanceHistory(Reply):
    staff_id: int
    corrections: list[CorrectionView]
    absences: list[AbsenceView]


class EvaluationRow(Reply):
    staff_id: int
    name: str
    role: str
    orders_assigned: int
    orders_handled: int
    on_time_rate: dict[str, float | None]
    callback_on_time_rate: float | None
    average_hours_to_reply: float | None
    escalations: int
    satisfaction: float | None
    revisits: int
    unsolved: int
    score: int | None
    comment: str
    scored_by: int | None


class Evaluation(Reply):
    """The month's evaluation (S3.2), one row a person the reader may see."""

    month: str
    items: list[EvaluationRow]


class ScoreView(Reply):
    staff_id: int
    month: str
    score: int
    comment: str


class PlanSettingsView(Reply):
    target_level: float
    target_seconds: float
    shrinkage: float
    max_occupancy: float
    handling_time_seconds: float | None
    lookback_days: int
    duty_leaders_min: int
    agents_per_duty_leader: int
    deputy_team_leads: int


class PlanBasis(Reply):
    days_used: list[str]
    calls_used: int
    handling_time_seconds: float | None
    handling_time_source: str


class RoleNeed(Reply):
    peak_needed: int
    hours_needed: float
    hours_rostered: float
    max_short: int
    short_intervals: list[ShortInterval]


class PlanSummary(Reply):
    seat_agent: RoleNeed
    duty_leader: RoleNeed
    deputy_team_lead: RoleNeed
    roster_short: bool


class PlanInterval(CoverageInterval):
    arrivals: float
    traffic_erlangs: float
    agents_answering: int
    service_level_rostered: float | None
    # what happened in the half hour (issue 16, AMI): offered, answered within target, abandoned
    offered: int
    answered_in_target: int
    abandoned: int


class PlanHappened(Reply):
    """The day so far against its forecast (issue 16)."""

    forecast_arrivals: float
    offered: int
    answered_in_target: int
    abandoned: int
    service_level: float | None
    abandonment_rate: float | None


class StaffingPlan(Reply):
    """The day's staffing plan (S3.3): per half hour, the seats needed (Erlang C) against the
    roster."""

    date: str
    working_day: bool
    settings: PlanSettingsView
    basis: PlanBasis
    summary: PlanSummary
    happened: PlanHappened
    intervals: list[PlanInterval]


class OpenApiDocument(BaseModel):
    """This description itself (OpenAPI 3.1)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


# --- the console's live side (issue 11): inbox, presence, screen pop --------------------


class NoticeSubject(Reply):
    type: str
    id: str


class Notice(Reply):
    """A notice in a person's inbox (services/inbox): what asks her to act, and whether she
    has read it."""

    id: int
    kind: str
    subject: NoticeSubject
    params: dict[str, Any]
    created_at: str
    read_at: str | None


class NoticePage(PageOf):
    items: list[Notice]
    unread_count: int


class NoticesRead(Reply):
    read: int


class Presence(Reply):
    staff_id: int
    state: str
    reason: str | None
    since: str | None
    # issue 16: whether the phone's queue membership was paused/unpaused to match (None: not
    # asked; false: Asterisk unreachable now, the next AMI reconciliation does it)
    phone_in_step: bool | None = None


class PopCustomer(Reply):
    name: str
    work_unit: str | None
    contact: str | None
    address: str | None


class EarlierOrder(Reply):
    work_order_id: str
    state: str
    category: str | None
    created_at: str | None
    assignee: dict[str, Any] | None


class ScreenPop(Reply):
    """What an agent sees the moment a call is routed to her (services/calls/pop.py)."""

    work_order_id: str
    caller_number: str
    caller_name: str | None
    customer: PopCustomer | None
    category: str | None
    state: str
    created_at: str | None
    earlier_orders: list[EarlierOrder]
    earlier_total: int
    outages: list[OutageView]
# --- the assets service (issue 13; services/assets/*_store.py views) ----------------------


class AssetView(Reply):
    id: int
    tag: str
    kind: str
    name: str
    location_kind: str
    location: str
    custodian_id: int | None
    acquired_on: str
    value_cents: int
    disposed_on: str | None
    disposal_reason: str | None


class AssetChangeView(Reply):
    change: str  # added, moved, disposed, handed
    on_day: str
    at: str
    by: int
    from_location: str | None
    to_location: str | None
    from_custodian: int | None
    to_custodian: int | None
    reason: str | None


class AssetDetail(AssetView):
    history: list[AssetChangeView]


class AssetPage(PageOf):
    items: list[AssetView]


class LedgerAmount(Reply):
    count: int
    value_cents: int


class LedgerLine(Reply):
    kind: str  # a kind of asset, or "total"
    opening: LedgerAmount
    additions: LedgerAmount
    disposals: LedgerAmount
    closing: LedgerAmount


class AssetLedger(Reply):
    """The hall's sub-ledger (S1.13); ``reconciles``: opening + additions - disposals =
    closing on every line."""

    from_: str = Field(alias="from")
    to: str
    lines: list[LedgerLine]
    reconciles: bool


class HeldThing(Reply):
    item: str  # asset, seal, key
    item_id: int
    label: str


class CustodyTask(Reply):
    id: int
    mover_id: int
    reason: str  # transfer, departure, leave
    department: str | None
    item: str
    item_id: int
    label: str
    to_staff_id: int | None
    state: str  # open, confirmed
    created_at: str
    confirmed_at: str | None


class CustodyTaskPage(PageOf):
    items: list[CustodyTask]


class Custody(Reply):
    staff_id: int
    holds: list[HeldThing]
    open_handovers: list[CustodyTask]


class SealView(Reply):
    id: int
    department: str
    name: str
    custodian_id: int | None
    out: bool
    out_since: str | None
    out_by: int | None
    due_back_at: str | None
    alert_open: bool


class SealList(Reply):
    items: list[SealView]


class SealMove(Reply):
    action: str  # out, back
    by: int
    at: str
    purpose: str


class SealLog(SealView):
    log: list[SealMove]


class SealReturned(SealView):
    returned_at: str
    was_overdue: bool


class KeyView(Reply):
    id: int
    tag: str
    kind: str
    name: str
    holder_id: int | None


class KeyList(Reply):
    items: list[KeyView]


class KeyMove(Reply):
    from_: int | None = Field(alias="from")
    to: int
    recorded_by: int
    at: str
    note: str


class KeyLog(KeyView):
    handovers: list[KeyMove]


class WindowCheckView(Reply):
    window: str
    day: str
    kind: str
    by: int
    at: str
    equipment_ok: bool
    locked_and_off: bool | None
    fault: str | None
    repair_id: int | None


class WindowDay(Reply):
    window: str
    checks: list[WindowCheckView]
    missing: list[str]


class WindowChecks(Reply):
    day: str
    windows: list[WindowDay]


class RepairView(Reply):
    id: int
    description: str
    asset_id: int | None
    window: str | None
    status: str
    registered_by: int
    registered_at: str
    updated_at: str


class RepairPage(PageOf):
    items: list[RepairView]


class SupplyView(Reply):
    id: int
    department: str
    requester_id: int
    item: str
    quantity: int
    status: str
    requested_at: str
    collected_at: str | None


class SupplyUse(Reply):
    department: str
    item: str
    requests: int
    quantity: int


class SupplyReport(Reply):
    month: str
    department: str | None
    items: list[SupplyUse]


class RoomEquipment(Reply):
    id: int
    tag: str
    kind: str
    name: str
    custodian_id: int | None


class RoomView(Reply):
    code: str
    name: str
    equipment: list[RoomEquipment]


class RoomList(Reply):
    items: list[RoomView]


class BookingView(Reply):
    id: int
    room: str
    starts_at: str
    ends_at: str
    purpose: str
    title: str
    attendees: int
    company_wide: bool
    state: str  # confirmed, pending, referred, rejected
    reason: str
    booked_by: int
    decided_by: int | None


class RoomDay(Reply):
    room: str
    day: str
    items: list[BookingView]


class RoomFaultView(Reply):
    id: int
    room: str
    asset_id: int | None
    description: str
    reported_by: int
    reported_at: str
    charged_staff_id: int | None
    charged_department: str | None
    charge_cents: int | None


# --- health (issue 17; svckit/health.py) ------------------------------------------------


class Liveness(Reply):
    status: str
    service: str


class Readiness(Reply):
    """``ready`` with every check true; otherwise 503 with the same shape, naming the check."""

    status: str
    service: str
    checks: dict[str, bool]
