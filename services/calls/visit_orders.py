"""Work orders opened from a salesperson's visit (issue 14): the customer raised a fault, a
complaint or an application; the visits service says so (``visit.matter_raised``) and the
hotline takes it like a call's order (S3.1, S3.2a), with the salesperson as first contact
(S1.6). Staffing routes it from ``work_order.created``, as it routes any order the call path
did not."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import Category, VisitMatterRaised, WorkOrderCreated, make_event
from services.calls import clock_store
from services.calls.models import WorkOrder
from svckit.outbox import emit

PRODUCER = "calls"
CHANNEL = "visit"


def source_ref(matter: VisitMatterRaised) -> str:
    """The matter's reference: the order's ``call_uniqueid`` (unique), so a matter opens one
    order however often its event arrives."""
    return f"visit-matter:{matter.matter_id}"


def open_from_visit(session: Session, matter: VisitMatterRaised, opened_at: datetime) -> str:
    """The matter's work order, opened once; returns its id."""
    ref = source_ref(matter)
    existing = session.scalar(select(WorkOrder.id).where(WorkOrder.call_uniqueid == ref))
    if existing is not None:
        return existing
    category = Category(matter.category.value)
    created = WorkOrderCreated(
        work_order_id=str(uuid.uuid4()), call_uniqueid=ref, category=category,
        caller=matter.customer, created_at=opened_at, channel=CHANNEL, source_ref=ref,
        first_contact_id=matter.salesperson_id,
    )
    session.add(WorkOrder(
        id=created.work_order_id, call_uniqueid=ref, category=category.value, status="new",
        ivr_category=category.value, caller_number=matter.customer.number,
        caller_name=matter.customer.name, work_unit=matter.customer.work_unit,
        contact=matter.customer.contact, address=matter.address or None,
        matter=matter.description, created_at=opened_at, channel=CHANNEL,
        first_contact_id=matter.salesperson_id, first_contact_name=matter.salesperson_name,
        reopened=0, urged=0,
    ))
    session.flush()
    emit(session, make_event(PRODUCER, created, occurred_at=opened_at))
    clock_store.start_opening(session, created.work_order_id, category.value, opened_at)
    return created.work_order_id
