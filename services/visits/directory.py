"""Storage of the department's standing data: customers (S5.2.2), quotas per sales position
and the salespeople on them (S5.2.3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.visits.authority import Caller, require_head
from services.visits.models import Customer, Quota, Salesperson
from services.visits.refusals import Invalid, NotFound
from services.visits.vocabulary import CustomerKind, choice
from svckit import paging


def salesperson(session: Session, staff_id: int) -> Salesperson | None:
    found = session.get(Salesperson, staff_id)
    return found if found is not None and found.active else None


def register_customer(session: Session, caller: Caller, department: str, data: dict,
                      now: datetime) -> Customer:
    try:
        kind = choice(CustomerKind, data.get("kind"), "kind", "S5.2.2")
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    customer = Customer(
        name=data["name"], kind=kind.value, phone=data.get("phone") or "",
        contact_person=data.get("contact_person") or "", address=data.get("address") or "",
        department=department, created_by=caller.id, created_at=now,
    )
    session.add(customer)
    session.flush()
    return customer


def customer(session: Session, customer_id: int, department: str | None) -> Customer:
    found = session.get(Customer, customer_id)
    if found is None or (department is not None and found.department != department):
        raise NotFound(f"customer {customer_id} not found in your department's customers")
    return found


def customers(session: Session, department: str, kind: str | None, cursor: str | None,
              limit: int) -> tuple[list[Customer], str | None]:
    query = select(Customer).where(Customer.department == department)
    if kind:
        query = query.where(Customer.kind == kind)
    rows = list(session.scalars(paging.keyset(query, (Customer.id,), cursor, limit)))
    return paging.page(rows, limit, lambda c: (c.id,))


def set_quota(session: Session, caller: Caller, department: str, position: str,
              required: int, now: datetime) -> Quota:
    """S5.2.3: the head sets the required visits per month of a sales position."""
    require_head(caller, department, "setting a sales position's required visits")
    if not 0 <= required <= 1000:
        raise Invalid("required_per_month must be 0 to 1000 (S5.2.3)")
    quota = session.get(Quota, (department, position))
    if quota is None:
        quota = Quota(department=department, position=position)
        session.add(quota)
    quota.required_per_month, quota.updated_by, quota.updated_at = required, caller.id, now
    session.flush()
    return quota


def quotas(session: Session, department: str) -> list[Quota]:
    return list(session.scalars(
        select(Quota).where(Quota.department == department).order_by(Quota.position)))


def put_salesperson(session: Session, caller: Caller, member: dict, position: str | None,
                    now: datetime) -> Salesperson:
    """S5.2.3: the head puts a member of the department on a sales position (None: off)."""
    department = member.get("department")
    require_head(caller, department, "putting someone on a sales position")
    if member.get("left_on"):
        raise Invalid(f"staff member {member['id']} has left")
    if position is not None and session.get(Quota, (department, position)) is None:
        raise Invalid(f"sales position {position!r} has no required visits set in {department}; "
                      "set them first (S5.2.3)")
    row = session.get(Salesperson, member["id"])
    if row is None:
        row = Salesperson(staff_id=member["id"])
        session.add(row)
    row.department, row.name = department, member.get("name") or member.get("username") or ""
    row.position = position or row.position or ""
    row.active, row.updated_by, row.updated_at = position is not None, caller.id, now
    session.flush()
    return row


def salespeople(session: Session, department: str) -> list[Salesperson]:
    return list(session.scalars(
        select(Salesperson).where(Salesperson.department == department, Salesperson.active)
        .order_by(Salesperson.staff_id)))


def required(session: Session, person: Salesperson) -> int:
    quota = session.get(Quota, (person.department, person.position))
    return quota.required_per_month if quota else 0

