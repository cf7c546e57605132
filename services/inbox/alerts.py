"""Alerts that name their recipients (issues 13, 14): one rule for every such event of the
assets and visits services. The owning service decides who must act and lists them in the
event's ``notify`` (``[{staff_id, capacity}]`` from assets, staff ids from visits); each named
person gets one notice whose kind is the event's type. This table says only what each notice
is about (its subject, for the console to open) and the few facts the console needs to say it
in one line; it never adds a recipient, and drops only the person whose own action raised it.

- assets: ``custody.handover_requested`` (the receivers, section chief, hall director and
  fixed-asset administrator, S1.13, S1.19), ``seal.not_returned`` (custodian, section chief,
  hall director, S1.11), ``window.unchecked`` (the window's holder and its leaders, S1.9),
  ``repair.status_changed`` (who acts next, S1.13), ``room.approval_requested`` (the
  supervising leader, S2.4), ``room.fault_reported`` and ``room.damage_charged`` (the trainer;
  the person charged, S2.5).
- visits: ``visit_plan.submitted`` (the head reviews), ``visit_plan.reviewed`` (the
  salesperson), ``visit_plan.missing`` (both, S5.3.1), ``visit.flagged`` (the head, S5.3.2-3),
  ``visit.report_overdue`` (the salesperson and the supervisor, S5.3.4 (1)),
  ``follow_up.reminder`` (the owner; overdue also the head, S5.3.4 (2)).

Not notices: facts (``asset.*``, ``custody.handed_over``), ``visit.matter_raised`` (calls opens a
work order, routed as any other) and ``room.booking_referred``, which names no recipient (the
general office it is referred to is no post in staffing's organisation; the booker had the
answer with the booking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.events import Notified, Payload
from services.inbox.addressing import Draft
from svckit import workdays

TEXT = 200  # free text carried into a notice's params, at most


def _nobody(event: Any) -> None:
    return None


@dataclass(frozen=True)
class Alert:
    """How an alert's notice reads: what it is about, what the console says, and who acted
    (not told of their own action)."""

    subject: Callable[[Any], tuple[str, Any]]
    params: Callable[[Any], dict[str, Any]]
    actor: Callable[[Any], int | None] = _nobody
    skip: frozenset[str] = frozenset()  # capacities that acted (a rule says so), not told


def _local_day(at) -> str:
    return workdays.local_date(at).isoformat()


def _fault(event) -> dict[str, Any]:
    return {"fault_id": event.fault_id, "room": event.room,
            "description": event.description[:TEXT], "reported_by": event.reported_by,
            "charge_cents": event.charge_cents, "charged_staff_id": event.charged_staff_id,
            "charged_department": event.charged_department}


ALERTS: dict[str, Alert] = {
    # --- assets (issue 13) ----------------------------------------------------------------
    "custody.handover_requested": Alert(
        lambda e: ("custody", e.staff_id),
        lambda e: {"staff_id": e.staff_id, "reason": e.reason, "department": e.department,
                   "items": len(e.items), "first": e.items[0].label}),
    "seal.not_returned": Alert(
        lambda e: ("seal", e.seal_id),
        lambda e: {"seal_id": e.seal_id, "department": e.department,
                   "taken_out_by": e.taken_out_by, "due_at": e.due_at.isoformat()}),
    "window.unchecked": Alert(
        lambda e: ("window", e.window),
        lambda e: {"window": e.window, "department": e.department, "day": e.day.isoformat(),
                   "missing": list(e.missing)}),
    "repair.status_changed": Alert(
        lambda e: ("repair", e.repair_id),
        lambda e: {"repair_id": e.repair_id, "status": e.status,
                   "description": e.description[:TEXT], "window": e.window},
        actor=lambda e: e.by_staff_id),
    "room.approval_requested": Alert(
        lambda e: ("booking", e.booking_id),
        lambda e: {"booking_id": e.booking_id, "room": e.room, "title": e.title[:TEXT],
                   "starts_at": e.starts_at.isoformat(), "day": _local_day(e.starts_at),
                   "booked_by": e.booked_by},
        actor=lambda e: e.booked_by),
    "room.fault_reported": Alert(
        lambda e: ("room_fault", e.fault_id), _fault, actor=lambda e: e.reported_by),
    # only the trainer charges (S2.5): the trainer it names is the one who acted
    "room.damage_charged": Alert(
        lambda e: ("room_fault", e.fault_id), _fault, skip=frozenset({"trainer"})),
    # --- visits (issue 14) ----------------------------------------------------------------
    "visit_plan.submitted": Alert(
        lambda e: ("visit_plan", e.plan_id),
        lambda e: {"plan_id": e.plan_id, "staff_id": e.staff_id, "month": e.month,
                   "visits": e.visits, "changed_after_approval": e.changed_after_approval},
        actor=lambda e: e.staff_id),
    "visit_plan.reviewed": Alert(
        lambda e: ("visit_plan", e.plan_id),
        lambda e: {"plan_id": e.plan_id, "month": e.month,
                   "decision": "approved" if e.approved else "returned",
                   "comment": e.comment[:TEXT]},
        actor=lambda e: e.reviewed_by),
    "visit_plan.missing": Alert(
        lambda e: ("visit_month", e.month),
        lambda e: {"staff_id": e.staff_id, "month": e.month, "due_at": e.due_at.isoformat()}),
    "visit.flagged": Alert(
        lambda e: ("visit", e.visit_id),
        lambda e: {"visit_id": e.visit_id, "staff_id": e.staff_id, "flag": e.flag,
                   "detail": e.detail[:TEXT]},
        actor=lambda e: e.staff_id),
    "visit.report_overdue": Alert(
        lambda e: ("visit", e.visit_id),
        lambda e: {"visit_id": e.visit_id, "staff_id": e.staff_id,
                   "due_at": e.due_at.isoformat()}),
    "follow_up.reminder": Alert(
        lambda e: ("follow_up", e.follow_up_id),
        lambda e: {"follow_up_id": e.follow_up_id, "visit_id": e.visit_id,
                   "owner_id": e.owner_id, "phase": e.phase, "due_on": e.due_on.isoformat(),
                   "what": e.what[:TEXT]}),
}


def named(event_type: str, event: Payload) -> list[Draft]:
    """One notice for each person the event names, once, in its order; ``capacity`` in the
    params when the event gives one (assets)."""
    alert = ALERTS[event_type]
    subject_type, subject_id = alert.subject(event)
    params, actor = alert.params(event), alert.actor(event)
    drafts: dict[int, Draft] = {}
    for one in event.notify:
        who, capacity = (one.staff_id, one.capacity.value) if isinstance(one, Notified) else (
            one, None)
        if who == actor or who in drafts or capacity in alert.skip:
            continue
        extra = {"capacity": capacity} if capacity else {}
        drafts[who] = Draft(who, event_type, subject_type, str(subject_id), {**params, **extra})
    return list(drafts.values())
