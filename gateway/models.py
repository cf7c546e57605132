"""Every request body, query and path value of the JSON API, declared once.

Lengths match the columns they end up in (services/*/models.py); numbers are bounded so that
nothing beyond 64 bits or a float's useful range reaches a service; dates, months and instants
lie in 2000-2099 (the years the calendars cover), so ``0001`` and ``9999`` are refused here.
Unknown members are refused (``extra="forbid"``): a misspelt field is an error, not a no-op.
The services keep their own rule checks; these models are the edge's shape checks.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StringConstraints

from contracts.events import AwayReason, LeaveType, PresenceState, Role
from services.calls import customers
from services.calls.lifecycle import Action

MAX_ID = 2**63 - 1  # a BIGINT
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _storable(value: str) -> str:
    """Text every database here can store: a lone UTF-16 surrogate cannot be stored as UTF-8,
    and PostgreSQL's text holds no NUL character; refused at the edge, never a 5xx."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must not contain lone UTF-16 surrogates")
    if "\x00" in value:
        raise ValueError("text must not contain the NUL character")
    return value


def text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length, pattern=pattern),
        AfterValidator(_storable),
    ]


def _in_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be {FIRST_YEAR} to {LAST_YEAR}")
    return value


DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"


def _day(value: str) -> str:
    try:
        if not re.match(DAY_PATTERN, value):
            raise ValueError(f"got {value[:20]!r}")
        _in_years(date.fromisoformat(value))
    except ValueError as exc:
        raise ValueError(f"a date is YYYY-MM-DD in {FIRST_YEAR}-{LAST_YEAR}: {exc}") from None
    return value


def _month(value: str) -> str:
    if not re.match(MONTH_PATTERN, value):
        raise ValueError(f"a month is YYYY-MM in {FIRST_YEAR}-{LAST_YEAR}, got {value[:20]!r}")
    return value


def _instant(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {exc}") from None
    if moment.utcoffset() is None:
        raise ValueError("a time needs a zone offset, e.g. +08:00")
    _in_years(moment.date())
    return value


StaffId = Annotated[int, Field(ge=1, le=MAX_ID)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[
    str, AfterValidator(_day),
    Field(json_schema_extra={"format": "date", "pattern": DAY_PATTERN, "maxLength": 10}),
]
Month = Annotated[
    str, AfterValidator(_month),
    Field(json_schema_extra={"pattern": MONTH_PATTERN, "maxLength": 7}),
]
Instant = Annotated[
    str, StringConstraints(max_length=40), AfterValidator(_instant),
    Field(json_schema_extra={"format": "date-time"}),
]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^[0-9+*#-]{1,64}$")]
# a registered customer's number: what the registry takes (services/calls/customers.py)
CustomerNumber = Annotated[str, StringConstraints(pattern=customers.NUMBER.pattern)]
Uuid = text(36, 1)
Department = text(64, 1)
Note = text(500)


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class LeaveDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    BACK = "back"


# Path values, by the name used in the routes (gateway/service.py).
PATH_TYPES: dict[str, Any] = {
    "work_order_id": Uuid,
    "action": Action,
    "department": Department,
    "number": CustomerNumber,
    "uniqueid": text(64, 1),
    "month": Month,
    "staff_id": StaffId,
    "leave_id": RowId,
    "swap_id": RowId,
    "code": text(40, 1),
    "decision": LeaveDecision,
    "day": Day,
    "outage_id": Uuid,
    # the visits service (issue 14, gateway/routes_visits.py)
    "customer_id": RowId,
    "plan_id": RowId,
    "visit_id": RowId,
    "expense_id": RowId,
    "follow_up_id": RowId,
    "position": text(40, 1, r"^[a-z0-9_]+$"),
    # the assets service (issue 13, gateway/routes_assets.py)
    "asset_id": RowId,
    "seal_id": RowId,
    "key_id": RowId,
    "task_id": RowId,
    "window": text(40, 1),
    "repair_id": RowId,
    "repair_step": Literal["ordered", "received", "fitted"],
    "supply_id": RowId,
    "supply_step": Literal["approve", "reject", "collect"],
    "room": text(40, 1),
    "booking_id": RowId,
    "fault_id": RowId,
    "notice_id": RowId,
    "asset": text(200, 1),  # a console file (gateway/console.py refuses what leaves its folder)
}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Page(Model):
    """A page of a list: ``cursor`` from the previous page's ``next`` (opaque), ``limit``."""

    cursor: text(200) | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class FirstPage(Model):
    """How many rows the first page of each list in an answer holds (``next`` reads on)."""

    limit: Annotated[int, Field(ge=1, le=200)] = 50


# --- bodies -------------------------------------------------------------------------------


# the token endpoint's parameter lengths: described below, checked by gateway/tokens.py
TOKEN_LIMITS = {"grant_type": 32, "username": 64, "password": 1024, "refresh_token": 256}


class PasswordGrant(Model):
    """RFC 6749 §4.3: a member's username and password (``grant_type`` may be left out)."""

    grant_type: Literal["password"] = "password"
    username: text(TOKEN_LIMITS["username"], 1)
    password: text(TOKEN_LIMITS["password"], 1)


class RefreshGrant(Model):
    """RFC 6749 §6: a refresh token, spent once (a new one comes back)."""

    grant_type: Literal["refresh_token"]
    refresh_token: text(TOKEN_LIMITS["refresh_token"], 1)


class TokenGrant(RootModel[PasswordGrant | RefreshGrant]):
    """The token endpoint's body, as JSON or ``application/x-www-form-urlencoded``. Described
    here; the route parses it itself (gateway/tokens.py ``grant_parameters``, the same limits)
    so that every refusal is an RFC 6749 error."""


class WorkOrderFields(Model):
    """The fields of a lifecycle action; which ones an action takes is the calls service's
    rule (services/calls/lifecycle.py RULES), their shapes are declared here."""

    note: text(10_000) | None = None
    assignee: StaffId | text(20, 1) | None = None
    department: Department | None = None
    result: text(10_000, 1) | None = None
    reply: text(10_000, 1) | None = None
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    solved: bool | None = None
    parent: Uuid | None = None
    category: text(30, 1) | None = None
    sub_type: text(40, 1) | None = None
    area: text(20, 1) | None = None
    matter: text(2000, 1) | None = None
    caller_name: text(200, 1) | None = None
    work_unit: text(256, 1) | None = None
    contact: text(128, 1) | None = None
    reply_by: Instant | None = None
    address: text(256, 1) | None = None
    meter_number: text(32, 1) | None = None
    transformer_area: text(100, 1) | None = None
    promise: text(500, 1) | None = None
    reason: text(200, 1) | None = None
    level: Role | None = None


class CustomerFields(Model):
    number: CustomerNumber | None = None
    name: text(100) | None = None
    work_unit: text(256) | None = None
    contact: text(128) | None = None
    address: text(256) | None = None


class NewCustomer(CustomerFields):
    number: CustomerNumber
    name: text(100, 1)


class Score(Model):
    score: Annotated[int, Field(ge=0, le=100)]
    comment: text(2000) = ""


class RoleChange(Model):
    """A member's hotline role (S3.2), or null for none: HR or the hall director decide."""

    hotline_role: Role | None


class NewStaff(Model):
    username: text(50, 1)
    name: text(100, 1)
    password: text(200, 1)
    department: Department | None = None
    hotline_role: Role | None = None
    employment: text(20, 1) | None = None
    extension: text(20) | None = None
    joined_on: Day | None = None


class Transfer(Model):
    department: Department


class Departure(Model):
    reason: text(500, 1)


class PostHolders(Model):
    a_holder_id: StaffId | None = None
    b_holder_id: StaffId | None = None


class LeaveRequestBody(Model):
    leave_type: LeaveType
    starts_on: Day
    half_days: Annotated[int, Field(ge=1, le=720)]
    start_pm: bool = False
    emergency: bool = False
    hospital_record: text(200) | None = None
    reason: text(500) = ""
    staff_id: StaffId | None = None


class NoteBody(Model):
    note: Note = ""


class OptionalNote(Model):
    note: Note | None = None


class Cover(Model):
    post: text(40, 1)
    staff_id: StaffId


class Handover(Model):
    items: dict[text(50, 1), Annotated[int, Field(ge=0, le=1_000_000)]] = Field(max_length=100)


class ShiftTemplate(Model):
    code: text(20, 1, r"^[a-z0-9_]{1,20}$")
    name: text(50) = ""
    starts: Clock
    ends: Clock


class Assignment(Model):
    staff_id: StaffId
    pattern: list[text(20, 1)] = Field(min_length=1, max_length=366)


class RosterPlan(Model):
    from_: Day = Field(alias="from")
    days: Annotated[int, Field(ge=1, le=366)]
    assignments: list[Assignment] = Field(max_length=1000)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SwapRequest(Model):
    partner_id: StaffId
    day: Day
    partner_day: Day | None = None
    reason: text(500) = ""


class Correction(Model):
    staff_id: StaffId
    day: Day
    status: Literal["present", "absent", "excused"]
    reason: text(500, 1)


class NewOutage(Model):
    area: text(100, 1)
    description: text(10_000) = ""
    expected_restore_at: Instant | None = None
    address_keywords: list[text(100, 1)] | None = Field(default=None, max_length=50)


# --- queries ------------------------------------------------------------------------------


class CallbackQuery(Page):
    state: Literal["due", "overdue"] = "due"


class CallerQuery(Page):
    caller: PhoneNumber


class CustomerSearch(Model):
    q: text(100) = ""
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20


class EvaluationQuery(Model):
    format: Literal["json", "csv"] = "json"


class AttendanceQuery(Page):
    month: Month
    department: Department | None = None
    format: Literal["json", "csv"] = "json"
    by: Literal["person", "department"] = "person"


class PlanQuery(Model):
    date: Day
    target_level: Annotated[float, Field(gt=0, lt=1)] | None = None
    target_seconds: Annotated[float, Field(gt=0, le=3600)] | None = None
    shrinkage: Annotated[float, Field(ge=0, lt=1)] | None = None
    max_occupancy: Annotated[float, Field(gt=0, le=1)] | None = None
    handling_time_seconds: Annotated[float, Field(gt=0, le=86_400)] | None = None


class OnDutyQuery(Model):
    at: Instant | None = None


class DayQuery(Model):
    day: Day | None = None


class CoverageQuery(Model):
    date: Day


class RosterQuery(Model):
    from_: Day | None = Field(default=None, alias="from")
    days: Annotated[int, Field(ge=1, le=366)] | None = None
    staff_id: StaffId | Literal["all"] | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- the console (issue 11): inbox and presence ------------------------------------------


class InboxQuery(Page):
    """``?unread=true|false`` (both when absent), ``cursor``, ``limit``."""

    unread: bool | None = None


class PresenceBody(Model):
    """``{state: ready|away, reason: break|meal|training|meeting|other|null}``."""

    state: PresenceState
    reason: AwayReason | None = None


class CoachingBody(Model):
    """``{staff_id, mode: listen|whisper}``: a leader joins an agent's live call (S3.2)."""

    staff_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    mode: Literal["listen", "whisper"]


# --- the assets service (issue 13): bodies and queries are the service's own shapes
# (services/assets/schemas.py), declared once; the lists' queries page here.


class AssetQuery(Page):
    location: text(40, 1) | None = None
    kind: text(20, 1) | None = None
    include_disposed: bool = False


class HandoverQuery(Page):
    state: Literal["open", "confirmed"] | None = None


class RepairQuery(Page):
    status: Literal["registered", "ordered", "received", "fitted"] | None = None


class BookingDecision(Model):
    approve: bool
