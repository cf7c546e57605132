"""Request bodies and queries of the visits routes (issue 14, gateway/routes_visits.py).

Lengths match services/visits/models.py; the closed sets are S5's (services/visits/vocabulary.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gateway.models import Day, Model, Month, Page, RowId, StaffId, text
from services.visits.vocabulary import CustomerKind, ExpenseKind, MatterCategory, Purpose

PositionCode = text(40, 1, r"^[a-z0-9_]+$")
Phone = Annotated[str, Field(pattern=r"^[0-9+*#-]{0,64}$")]


class NewVisitCustomer(Model):
    """A customer to visit (S5.2.2)."""

    name: text(200, 1)
    kind: CustomerKind
    phone: Phone = ""
    contact_person: text(100) = ""
    address: text(256) = ""


class VisitCustomerQuery(Page):
    kind: CustomerKind | None = None


class QuotaBody(Model):
    """S5.2.3: required visits per month of a sales position."""

    required_per_month: Annotated[int, Field(ge=0, le=1000)]


class SalespersonBody(Model):
    """The sales position a member holds (S5.2.3); null takes them off."""

    position: PositionCode | None


class MonthQuery(Model):
    month: Month | None = None


class PlanQuery(Page):
    month: Month | None = None


class NewVisit(Model):
    """A visit in the month's plan (S5.3.1): customer, purpose (S5.2.1), person, date."""

    customer_id: RowId
    purpose: Purpose
    person_to_meet: text(100) = ""
    planned_on: Day
    business_trip: bool = False
    trip_destination: text(200) = ""


class PlanReview(Model):
    """S5.3.1: approve, or return with comments."""

    approve: bool
    comment: text(1000) = ""


class Preparation(Model):
    """S5.3.2: contacted beforehand (now), the person to meet, materials; S5.3.3 (4) a trip."""

    contacted: bool = False
    person_to_meet: text(100) | None = None
    materials: Annotated[list[text(200, 1)], Field(max_length=30)] | None = None
    business_trip: bool | None = None
    trip_destination: text(200) | None = None


class ExpenseBody(Model):
    """S5.3.2 (5): an expense applied for, in cents (fen)."""

    kind: ExpenseKind
    amount_cents: Annotated[int, Field(ge=0, le=10**11)]
    description: text(500) = ""


class VisitDone(Model):
    done_on: Day | None = None
    outcome: text(2000) = ""


class Promise(Model):
    """A promise made during the visit, to follow up (S5.3.4 (2))."""

    what: text(500, 1)
    due_on: Day
    owner_id: StaffId | None = None


class ReportBody(Model):
    """S5.3.4 (1): the visit report and the promises made."""

    report: text(4000, 1)
    promises: Annotated[list[Promise], Field(max_length=30)] = []


class ReviewComment(Model):
    comment: text(1000) = ""


class MatterBody(Model):
    """A customer's fault, complaint or application raised on the visit: a 95598 work order."""

    category: MatterCategory
    description: text(2000, 1)
    contact_number: Annotated[str, Field(pattern=r"^[0-9+*#-]{1,64}$")] | None = None


class FollowUpQuery(Page):
    state: Literal["open", "done"] | None = None


class FollowUpDone(Model):
    result: text(1000, 1)


class VisitEvaluationQuery(Model):
    format: Literal["json", "csv"] = "json"
