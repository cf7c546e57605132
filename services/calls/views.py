"""JSON shapes the calls service answers with (RPC replies the gateway passes on)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.calls.call_outcomes import handling_view
from services.calls.models import (
    Call,
    Callback,
    Customer,
    Outage,
    Storm,
    WorkOrder,
    WorkOrderClock,
    WorkOrderEscalation,
    WorkOrderHistory,
)


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (stored times come back zoned: svckit.tables.UtcDateTime)."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def work_order_view(order: WorkOrder) -> dict[str, Any]:
    assignee = None
    if order.assignee_id is not None:
        assignee = {
            "id": order.assignee_id,
            "name": order.assignee_name,
            "role": order.assignee_role,
            "extension": order.assignee_extension,
        }
    return {
        "id": order.id,
        "call_uniqueid": order.call_uniqueid,
        "category": order.category,
        "status": order.status,
        "caller": {
            "number": order.caller_number,
            "name": order.caller_name,
            "work_unit": order.work_unit,
            "contact": order.contact,
        },
        "created_at": _iso(order.created_at),
        "channel": order.channel,
        "first_contact": (
            {"id": order.first_contact_id, "name": order.first_contact_name}
            if order.first_contact_id is not None else None
        ),
        "assignee": assignee,
        "routing_reason": order.routing_reason,
        "routed_at": _iso(order.routed_at),
        "ivr_category": order.ivr_category,
        "sub_type": order.sub_type,
        "area": order.area,
        "department": order.department,
        "result": order.result,
        "reply": order.reply,
        "satisfaction": order.satisfaction,
        "solved": order.solved,
        "parent_id": order.parent_id,
        "reopened": order.reopened,
        "urged": order.urged,
        "updated_at": _iso(order.updated_at),
        # the customer's words, the place and the agent's promise (S1.10, S3.2a)
        "matter": order.matter,
        "place": {
            "address": order.address,
            "meter_number": order.meter_number,
            "transformer_area": order.transformer_area,
        },
        "promise": order.promise,
        "escalated_to": _escalated_to(order),
        "handling": handling_view(order),
    }


def _escalated_to(order: WorkOrder) -> dict[str, Any] | None:
    """The leader an escalation reached, who holds the order beside its owner (escalation.py)."""
    if order.escalation_level is None:
        return None
    return {
        "level": order.escalation_level,
        "id": order.escalated_to_id,
        "name": order.escalated_to_name,
        "role": order.escalated_to_role,
        "at": _iso(order.escalated_at),
    }


def customer_view(customer: Customer) -> dict[str, Any]:
    return {
        "number": customer.number,
        "name": customer.name,
        "work_unit": customer.work_unit,
        "contact": customer.contact,
        "address": customer.address,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "updated_by": customer.updated_by,
    }


def history_view(entry: WorkOrderHistory) -> dict[str, Any]:
    return {
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "actor": {
            "id": entry.actor_id,
            "role": entry.actor_role,
            "name": entry.actor_name,
            "department": entry.actor_department,
        },
        "at": _iso(entry.at),
        "note": entry.note,
        "data": entry.data,
    }


def call_view(call: Call) -> dict[str, Any]:
    return {
        "uniqueid": call.uniqueid,
        "channel": call.channel,
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "dnid": call.dnid,
        "started_at": _iso(call.started_at),
        "ended_at": _iso(call.ended_at),
        "digits": call.digits,
        "category": call.category,
        "outcome": call.outcome,
        "route_target": call.route_target,
        "work_order_id": call.work_order_id,
        "sessions": call.sessions,
    }


def outage_view(outage: Outage) -> dict[str, Any]:
    return {
        "id": outage.id,
        "area": outage.area,
        "address_keywords": outage.keywords,
        "description": outage.description,
        "source": outage.source,
        "external_id": outage.external_id,
        "declared_by": outage.declared_by,
        "declared_at": _iso(outage.declared_at),
        "expected_restore_at": _iso(outage.expected_restore_at),
        "lifted_at": _iso(outage.lifted_at),
        "lifted_by": outage.lifted_by,
        "parent_work_order_id": outage.parent_work_order_id,
        "active": outage.lifted_at is None,
    }


def storm_view(storm: Storm) -> dict[str, Any]:
    return {
        "id": storm.id,
        "area": storm.area,
        "parent_work_order_id": storm.parent_work_order_id,
        "reports": storm.reports,
        "detected_at": _iso(storm.detected_at),
        "last_report_at": _iso(storm.last_report_at),
    }


def clock_view(clock: WorkOrderClock, sent: frozenset[int], now: datetime) -> dict[str, Any]:
    """A deadline clock as people see it: due time, warnings sent, whether it is overdue."""
    due = clock.due_at
    return {
        "clock": clock.clock,
        "policy_key": clock.policy_key,
        "started_at": _iso(clock.started_at),
        "due_at": _iso(clock.due_at),
        "stopped_at": _iso(clock.stopped_at),
        "stopped_by": clock.stopped_by,
        "on_time": clock.on_time,
        "cancelled": clock.cancelled,
        "running": clock.stopped_at is None,
        "overdue": clock.stopped_at is None and now > due,
        "warnings_sent": sorted(sent),
        "provisional": clock.provisional,  # due time rests on an unpublished holiday year
    }


def escalation_view(escalation: WorkOrderEscalation) -> dict[str, Any]:
    return {
        "level": escalation.level,
        "reason": escalation.reason,
        "clock": escalation.clock,
        "at": _iso(escalation.at),
        "escalated_by": escalation.escalated_by,
        "escalated_to_id": escalation.escalated_to_id,
    }


def callback_view(callback: Callback) -> dict[str, Any]:
    return {
        "work_order_id": callback.work_order_id,
        "matter": callback.matter,
        "caller": {
            "name": callback.caller_name,
            "work_unit": callback.work_unit,
            "contact": callback.contact,
        },
        "promised_by": callback.promised_by,
        "promised_at": _iso(callback.promised_at),
        "reply_by": _iso(callback.reply_by),
    }
