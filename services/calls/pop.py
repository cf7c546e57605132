"""The screen pop (issue 11): what an agent sees the moment a call is routed to her, in one
answer: the caller and her registered details, the IVR category, the order, the caller's
earlier orders and any outage declared for the caller's area (S1.6, S1.10, S1.22: everything
needed to answer in one go)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from services.calls.models import Customer, Outage, WorkOrder
from services.calls.outages import Area
from services.calls.views import _iso, outage_view

EARLIER_SHOWN = 10


def screen_pop(session: Session, order: WorkOrder, readable: ColumnElement[bool]) -> dict:
    """The pop of ``order``; earlier orders are those of the same caller the reader may read
    (``readable``, orders.readable), newest first, at most EARLIER_SHOWN with the total."""
    customer = session.scalar(select(Customer).where(Customer.number == order.caller_number))
    earlier = (WorkOrder.caller_number == order.caller_number) & (WorkOrder.id != order.id) \
        & readable
    rows = session.scalars(
        select(WorkOrder).where(earlier)
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(EARLIER_SHOWN))
    total = session.scalar(select(func.count()).select_from(WorkOrder).where(earlier))
    return {
        "work_order_id": order.id,
        "caller_number": order.caller_number,
        "caller_name": order.caller_name,
        "customer": _customer(customer),
        "category": order.ivr_category or order.category,
        "state": order.status,
        "created_at": _iso(order.created_at),
        "earlier_orders": [_earlier(row) for row in rows],
        "earlier_total": total,
        "outages": _outages(session, customer.address if customer else ""),
    }


def _customer(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"name": customer.name, "work_unit": customer.work_unit,
            "contact": customer.contact, "address": customer.address}


def _earlier(order: WorkOrder) -> dict[str, Any]:
    owner = ({"id": order.assignee_id, "name": order.assignee_name}
             if order.assignee_id is not None else None)
    return {"work_order_id": order.id, "state": order.status, "category": order.category,
            "created_at": _iso(order.created_at), "assignee": owner}


def _outages(session: Session, address: str) -> list[dict[str, Any]]:
    """Active outages whose area holds the caller's registered address (none without one)."""
    if not address:
        return []
    active = session.scalars(select(Outage).where(Outage.lifted_at.is_(None))
                             .order_by(Outage.declared_at))
    return [outage_view(o) for o in active
            if Area(o.area, tuple(o.keywords)).contains(address)]
