"""Who must act on an event, and what their notice says (issue 11): pure rules over the events'
payloads. The owning service names the people in its event (issue 11's rule: the inbox never
guesses); a handling department's staff, whom an urge is for, are staffing's to name.

- ``work_order.routed`` (staffing): the person the call is routed to gets a ``screen_pop``
  (S3.2a; a leader taking an unclassified call or complaint alike).
- ``work_order.assigned`` (calls): a person given an order by someone else (a leader's
  assignment, a hand-over, S1.19) gets ``work_order.assigned``; routing's own assignment is the
  pop already.
- ``work_order.urged`` (calls): the handling department's staff (S3.2a, 催办).
- ``work_order.escalated`` (calls): the leader it reached (S1.6, S3.2); ``live`` when a person
  escalated it (a caller waiting: the console pops it), not the deadline sweep.
- ``work_order.deadline_warning`` at 100 % (calls): the owner gets ``work_order.overdue`` (S1.22).
- ``leave.requested`` / ``leave.advanced`` (staffing): the approver of the step it waits at
  (S1.17-18); ``leave.approved`` / ``leave.rejected``: the requester (``leave.decided``).
- ``staff.absent``, ``post.uncovered``, ``rota.handover_missing`` (staffing): those it names
  (S1.19, S1.5, S1.9); a missing handover also the window on duty, who owes it.
- ``login.locked_out`` (staffing): those it names, who may lift it (the acting HR head and hall
  director), never the member locked out; the notice has her username, the address and when,
  nothing of the passwords tried. ``login.lockout_lifted`` makes no notice: it settles those
  (``LOCKOUT``, notice_store.settle).

The assets and visits services' alerts name every recipient: services/inbox/alerts.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.events import (
    LeaveAdvanced,
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    LoginLockedOut,
    Payload,
    PostUncovered,
    RotaHandoverMissing,
    StaffAbsent,
    WorkOrderEscalated,
    WorkOrderRouted,
    WorkOrderTransitioned,
)

SYSTEM = "system"
LOCKOUT = "login_lockout"  # the subject of a member's lockout notices: her staff id
OVERDUE_PERCENT = 100


@dataclass(frozen=True)
class Draft:
    """A notice to make: for whom, of what kind, about what."""

    recipient_id: int
    kind: str
    subject_type: str
    subject_id: str
    params: dict[str, Any] = field(default_factory=dict)


def _each(recipients: Iterable[int | None], kind: str, subject: tuple[str, str],
          params: dict[str, Any]) -> list[Draft]:
    seen: list[int] = []
    for who in recipients:
        if who is not None and who not in seen:
            seen.append(who)
    return [Draft(who, kind, subject[0], subject[1], params) for who in seen]


def routed(event: WorkOrderRouted) -> list[Draft]:
    params = {"work_order_id": event.work_order_id, "caller_number": event.caller_number,
              "category": event.category.value if event.category else None,
              "reason": event.reason}
    return _each([event.assignee_id], "screen_pop", ("work_order", event.work_order_id), params)


def assigned(event: WorkOrderTransitioned) -> list[Draft]:
    by_routing = event.actor.role == SYSTEM and event.from_status.value == "new"
    if by_routing or event.assignee_id is None or str(event.assignee_id) == event.actor.id:
        return []
    params = {"work_order_id": event.work_order_id, "by": event.actor.name or event.actor.id,
              "note": event.note[:200], "category": event.category}
    return _each([event.assignee_id], "work_order.assigned",
                 ("work_order", event.work_order_id), params)


def urged(event: WorkOrderTransitioned, department_staff: list[int]) -> list[Draft]:
    """The department's staff; an order with no department (never, by the lifecycle) its
    owner."""
    people = department_staff if event.department else [event.assignee_id]
    params = {"work_order_id": event.work_order_id, "department": event.department,
              "by": event.actor.name or event.actor.id, "note": event.note[:200]}
    return _each(people, "work_order.urged", ("work_order", event.work_order_id), params)


def escalated(event: WorkOrderEscalated) -> list[Draft]:
    by = event.escalated_by
    params = {"work_order_id": event.work_order_id, "level": event.level.value,
              "reason": event.reason, "caller_number": event.caller_number,
              "category": event.category, "by": by.name if by else None,
              "live": by is not None and by.role != SYSTEM}
    return _each([event.recipient_staff_id], "work_order.escalated",
                 ("work_order", event.work_order_id), params)


def deadline_warning(event: Payload) -> list[Draft]:
    if event.percent < OVERDUE_PERCENT:
        return []
    params = {"work_order_id": event.work_order_id, "clock": event.clock,
              "due_at": event.due_at.isoformat()}
    return _each([event.assignee_id], "work_order.overdue", ("work_order", event.work_order_id),
                 params)


def leave_waiting(event: LeaveRequested | LeaveAdvanced) -> list[Draft]:
    step = event.step.value if isinstance(event, LeaveAdvanced) else (
        event.chain[0].value if event.chain else None)
    params = {"leave_id": event.leave_id, "staff_id": event.staff_id,
              "leave_type": event.leave_type.value, "step": step}
    if isinstance(event, LeaveRequested):
        params.update(starts_on=event.starts_on.isoformat(), half_days=event.half_days)
    if event.approver_id == event.staff_id:
        return []
    return _each([event.approver_id], "leave.requested", ("leave", str(event.leave_id)), params)


def leave_decided(event: LeaveApproved | LeaveRejected) -> list[Draft]:
    params: dict[str, Any] = {"leave_id": event.leave_id, "leave_type": event.leave_type.value}
    if isinstance(event, LeaveApproved):
        params.update(decision="approved", starts_on=event.starts_on.isoformat(),
                      ends_on=event.ends_on.isoformat())
    else:
        params.update(decision="rejected", step=event.step.value, note=event.note[:200])
    return _each([event.staff_id], "leave.decided", ("leave", str(event.leave_id)), params)


def absent(event: StaffAbsent) -> list[Draft]:
    params = {"staff_id": event.staff_id, "day": event.day.isoformat(),
              "leave_id": event.leave_id}
    return _each([r.staff_id for r in event.notify], "staff.absent",
                 ("staff", str(event.staff_id)), params)


def uncovered(event: PostUncovered) -> list[Draft]:
    params = {"post_code": event.post_code, "day": event.day.isoformat(),
              "department": event.department}
    return _each([r.staff_id for r in event.notify], "post.uncovered",
                 ("post", event.post_code), params)


def handover_missing(event: RotaHandoverMissing) -> list[Draft]:
    params = {"day": event.day.isoformat(), "post_code": event.post_code,
              "next_post_code": event.next_post_code}
    people = [r.staff_id for r in event.notify] + [event.on_duty_staff_id]
    return _each(people, "rota.handover_missing", ("rota", event.day.isoformat()), params)


def locked_out(event: LoginLockedOut) -> list[Draft]:
    params = {"staff_id": event.staff_id, "username": event.username, "address": event.address,
              "failures": event.failures, "locked_at": event.locked_at.isoformat()}
    people = [r.staff_id for r in event.notify if r.staff_id != event.staff_id]
    return _each(people, "login.locked_out", (LOCKOUT, str(event.staff_id)), params)


def lifted_until(params: dict[str, Any], until: datetime) -> bool:
    """Does a lift at ``until`` settle the lockout notice with ``params``? Those of locks made
    until it, not of a lock made again afterwards."""
    try:
        return datetime.fromisoformat(params["locked_at"]) <= until
    except (KeyError, TypeError, ValueError):
        return True
