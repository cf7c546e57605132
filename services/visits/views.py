"""The JSON shapes the visits service answers with."""

from __future__ import annotations

from datetime import date, datetime

from services.visits.models import (
    Customer,
    CustomerWorkOrder,
    Expense,
    FollowUp,
    Matter,
    Plan,
    Quota,
    Salesperson,
    Visit,
)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def customer_view(row: Customer) -> dict:
    return {"id": row.id, "name": row.name, "kind": row.kind, "phone": row.phone,
            "contact_person": row.contact_person, "address": row.address,
            "department": row.department, "created_by": row.created_by,
            "created_at": _iso(row.created_at)}


def quota_view(row: Quota) -> dict:
    return {"department": row.department, "position": row.position,
            "required_per_month": row.required_per_month, "updated_by": row.updated_by,
            "updated_at": _iso(row.updated_at)}


def salesperson_view(row: Salesperson) -> dict:
    return {"staff_id": row.staff_id, "name": row.name, "department": row.department,
            "position": row.position, "active": row.active}


def plan_view(row: Plan, visits: list[Visit] | None = None) -> dict:
    view = {"id": row.id, "staff_id": row.staff_id, "department": row.department,
            "month": row.month, "status": row.status, "revision": row.revision,
            "changed_after_approval": row.changed_after_approval,
            "first_submitted_at": _iso(row.first_submitted_at),
            "submitted_at": _iso(row.submitted_at), "reviewed_at": _iso(row.reviewed_at),
            "reviewed_by": row.reviewed_by, "comment": row.comment}
    if visits is not None:
        view["visits"] = [visit_view(v) for v in visits]
    return view


def visit_view(row: Visit) -> dict:
    return {
        "id": row.id, "plan_id": row.plan_id, "staff_id": row.staff_id,
        "customer_id": row.customer_id, "purpose": row.purpose,
        "person_to_meet": row.person_to_meet, "planned_on": _iso(row.planned_on),
        "status": row.status, "approved": row.approved,
        "contacted_at": _iso(row.contacted_at), "materials": list(row.materials or []),
        "business_trip": row.business_trip, "trip_destination": row.trip_destination,
        "done_on": _iso(row.done_on), "outcome": row.outcome, "flags": list(row.flags or []),
        "report_due_at": _iso(row.report_due_at), "report": row.report,
        "reported_at": _iso(row.reported_at), "report_late": row.report_late,
        "reviewed_by": row.reviewed_by, "reviewed_at": _iso(row.reviewed_at),
        "review_comment": row.review_comment,
    }


def expense_view(row: Expense) -> dict:
    return {"id": row.id, "visit_id": row.visit_id, "kind": row.kind,
            "amount_cents": row.amount_cents, "description": row.description,
            "status": row.status, "applied_at": _iso(row.applied_at),
            "decided_at": _iso(row.decided_at), "decided_by": row.decided_by}


def follow_up_view(row: FollowUp) -> dict:
    return {"id": row.id, "visit_id": row.visit_id, "owner_id": row.owner_id,
            "what": row.what, "due_on": _iso(row.due_on), "done_at": _iso(row.done_at),
            "result": row.result, "state": "done" if row.done_at else "open"}


def matter_view(row: Matter) -> dict:
    return {"id": row.id, "visit_id": row.visit_id, "category": row.category,
            "description": row.description, "raised_at": _iso(row.raised_at),
            "work_order_id": row.work_order_id}


def work_order_view(row: CustomerWorkOrder) -> dict:
    return {"work_order_id": row.work_order_id, "category": row.category,
            "channel": row.channel, "status": row.status, "opened_at": _iso(row.opened_at),
            "closed_at": _iso(row.closed_at)}
