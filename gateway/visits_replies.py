"""The success answers of the visits routes (issue 14), declared as gateway/replies.py declares
the others: the shapes of services/visits/views.py, described in the OpenAPI document and
checked by the contract fuzz test."""

from __future__ import annotations

from gateway.replies import PageOf, Reply


class VisitCustomer(Reply):
    id: int
    name: str
    kind: str
    phone: str
    contact_person: str
    address: str
    department: str
    created_by: int
    created_at: str


class VisitCustomerPage(PageOf):
    items: list[VisitCustomer]


class CustomerWorkOrder(Reply):
    """A 95598 work order of the customer, as the calls service's events told visits."""

    work_order_id: str
    category: str
    channel: str
    status: str
    opened_at: str
    closed_at: str | None


class Visit(Reply):
    id: int
    plan_id: int
    staff_id: int
    customer_id: int
    purpose: str
    person_to_meet: str
    planned_on: str
    status: str
    approved: bool
    contacted_at: str | None
    materials: list[str]
    business_trip: bool
    trip_destination: str
    done_on: str | None
    outcome: str
    flags: list[str]
    report_due_at: str | None
    report: str | None
    reported_at: str | None
    report_late: bool | None
    reviewed_by: int | None
    reviewed_at: str | None
    review_comment: str


class VisitCustomerDetail(VisitCustomer):
    visits: list[Visit]
    open_work_orders: list[CustomerWorkOrder]


class Quota(Reply):
    department: str
    position: str
    required_per_month: int
    updated_by: int
    updated_at: str


class Quotas(Reply):
    department: str
    items: list[Quota]


class Salesperson(Reply):
    staff_id: int
    name: str
    department: str
    position: str
    active: bool


class ProgressRow(Reply):
    staff_id: int
    name: str
    position: str
    month: str
    required_visits: int
    visits_done: int
    visits_planned_open: int
    visits_to_go: int


class Progress(Reply):
    month: str
    items: list[ProgressRow]


class Plan(Reply):
    id: int
    staff_id: int
    department: str
    month: str
    status: str
    revision: int
    changed_after_approval: bool
    first_submitted_at: str | None
    submitted_at: str | None
    reviewed_at: str | None
    reviewed_by: int | None
    comment: str


class PlanDetail(Plan):
    visits: list[Visit]


class PlanPage(PageOf):
    items: list[Plan]


class Expense(Reply):
    id: int
    visit_id: int
    kind: str
    amount_cents: int
    description: str
    status: str
    applied_at: str
    decided_at: str | None
    decided_by: int | None


class FollowUp(Reply):
    id: int
    visit_id: int
    owner_id: int
    what: str
    due_on: str
    done_at: str | None
    result: str
    state: str


class FollowUpPage(PageOf):
    items: list[FollowUp]


class Matter(Reply):
    id: int
    visit_id: int
    category: str
    description: str
    raised_at: str
    work_order_id: str | None


class VisitDetail(Visit):
    customer: VisitCustomer
    expenses: list[Expense]
    follow_ups: list[FollowUp]
    matters: list[Matter]


class VisitEvaluationRow(Reply):
    """S5.3.4 (3), one salesperson's month."""

    staff_id: int
    name: str
    position: str
    month: str
    required_visits: int
    visits_done: int
    visits_short: int
    requirement_met: bool
    plan_submitted: bool
    plan_on_time: bool
    reports_on_time: int
    reports_late: int
    reports_missing: int
    follow_ups_due: int
    follow_ups_on_time: int
    follow_ups_late: int
    expenses_applied_cents: int
    expenses_approved_cents: int
    expenses_without_approval: int
    expenses_within_approval: bool


class VisitEvaluation(Reply):
    month: str
    items: list[VisitEvaluationRow]
