"""The customer registry in storage (rules: customers.py): search, register, update, and a
customer's page with their work orders and calls as history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from services.calls import customers
from services.calls.customers import CustomerConflict, CustomerNotFound, Search
from services.calls.models import Call, Customer, WorkOrder
from services.calls.views import call_view, customer_view, work_order_view
from svckit import paging


def find(session: Session, wanted: Search) -> dict[str, Any]:
    """One page of customers matching a number prefix or part of a name, by number."""
    query = select(Customer)
    if wanted.query:
        like = _escape(wanted.query)
        match = Customer.number.like(f"{like}%", escape="\\")
        if not wanted.by_number:
            match = or_(match, Customer.name.like(f"%{like}%", escape="\\"))
        query = query.where(match)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Customer.number).offset(wanted.offset).limit(wanted.per_page)
    )
    return {
        "items": [customer_view(row) for row in rows],
        "total": total,
        "page": wanted.page,
        "per_page": wanted.per_page,
    }


def page(session: Session, number: str, readable: ColumnElement[bool] | None = None,
         limit: int = paging.DEFAULT_LIMIT) -> dict:
    """A customer with the first page of their history: work orders and calls from their
    number, newest first, each ``{items, next_cursor}`` (read on with :func:`orders_of` and
    :func:`calls_of`). ``readable``: the condition on work orders the reader may read
    (calls.access); the calls listed are then those that opened such an order. None:
    everything."""
    customer = _get(session, number)
    orders, after_order = orders_of(session, customer.number, readable, None, limit)
    calls, after_call = calls_of(session, customer.number, readable, None, limit)
    return {
        **customer_view(customer),
        "work_orders": {"items": orders, "next_cursor": after_order},
        "calls": {"items": calls, "next_cursor": after_call},
    }


def orders_of(session: Session, number: str, readable: ColumnElement[bool] | None,
              cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """A page of the work orders opened from ``number``, newest first (svckit.paging)."""
    query = select(WorkOrder).where(WorkOrder.caller_number == number)
    if readable is not None:
        query = query.where(readable)
    query = paging.keyset(query, (WorkOrder.created_at, WorkOrder.id), cursor, limit,
                          descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda o: (o.created_at, o.id))
    return [work_order_view(order) for order in rows], after


def calls_of(session: Session, number: str, readable: ColumnElement[bool] | None,
             cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """A page of the calls from ``number``, newest first; with ``readable``, only the calls
    that opened an order the reader may read."""
    query = select(Call).where(Call.caller_number == number)
    if readable is not None:
        query = query.where(Call.work_order_id.in_(select(WorkOrder.id).where(readable)))
    query = paging.keyset(query, (Call.started_at, Call.uniqueid), cursor, limit,
                          descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit,
                              lambda c: (c.started_at, c.uniqueid))
    return [call_view(call) for call in rows], after


def require_registered(session: Session, number: str) -> None:
    _get(session, number)


def register(session: Session, data: Mapping[str, Any], by: str, now: datetime) -> Customer:
    values = customers.new_customer(data)
    if session.scalar(select(Customer.id).where(Customer.number == values["number"])):
        raise CustomerConflict(f"customer {values['number']} is registered already")
    customer = Customer(**values, created_at=now, updated_at=now, updated_by=by)
    session.add(customer)
    session.flush()
    return customer


def update(
    session: Session, number: str, data: Mapping[str, Any], by: str, now: datetime
) -> Customer:
    values = customers.changes(data)
    customer = _get(session, number, lock=True)
    for name, value in values.items():
        setattr(customer, name, value)
    customer.updated_at, customer.updated_by = now, by
    return customer


def _get(session: Session, number: str, lock: bool = False) -> Customer:
    query = select(Customer).where(Customer.number == number)
    customer = session.scalar(query.with_for_update() if lock else query)
    if customer is None:
        raise CustomerNotFound(f"no customer is registered with number {number}")
    return customer


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
