"""The calls service's work orders of our customers, kept from its events (never read from its
tables): an order opened from a visit's matter (``source_ref`` ``visit-matter:<id>``), or by a
call from a customer's registered phone; open until closed or merged, open again if reopened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import WorkOrderCreated
from services.visits.models import Customer, CustomerWorkOrder, Matter, Visit

SOURCE_PREFIX = "visit-matter:"


def source_ref(matter_id: int) -> str:
    return f"{SOURCE_PREFIX}{matter_id}"


def _customer_of(session: Session, order: WorkOrderCreated) -> tuple[int | None, Matter | None]:
    if order.channel == "visit" and (order.source_ref or "").startswith(SOURCE_PREFIX):
        matter = session.get(Matter, int(order.source_ref.removeprefix(SOURCE_PREFIX)))
        if matter is not None:
            return session.get(Visit, matter.visit_id).customer_id, matter
    if order.caller.number:
        found = session.scalar(select(Customer.id).where(Customer.phone == order.caller.number)
                               .order_by(Customer.id).limit(1))
        return found, None
    return None, None


def opened(session: Session, order: WorkOrderCreated) -> bool:
    """Keep the order if it is one of our customers'; True when kept."""
    customer_id, matter = _customer_of(session, order)
    if customer_id is None:
        return False
    if matter is not None:
        matter.work_order_id = order.work_order_id
    if session.get(CustomerWorkOrder, order.work_order_id) is None:
        session.add(CustomerWorkOrder(
            work_order_id=order.work_order_id, customer_id=customer_id,
            category=order.category.value, channel=order.channel, status="open",
            opened_at=order.created_at))
    return True


def moved(session: Session, work_order_id: str, still_open: bool, at: datetime) -> None:
    row = session.get(CustomerWorkOrder, work_order_id)
    if row is None:
        return
    row.status = "open" if still_open else "closed"
    row.closed_at = None if still_open else at


def open_orders(session: Session, customer_id: int) -> list[CustomerWorkOrder]:
    return list(session.scalars(select(CustomerWorkOrder).where(
        CustomerWorkOrder.customer_id == customer_id, CustomerWorkOrder.status == "open")
        .order_by(CustomerWorkOrder.opened_at)))
