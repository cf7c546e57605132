"""Who may read which work orders, and whom an order may be assigned to. Pure.

The calls service decides this itself, from the caller's staff id (the gateway only says who is
asking) and the caller's current record in staffing (role, department, whether still on staff),
never from what a token claims.

Reading a work order (it carries the caller's personal data: name, number, address, words):

- **leaders** (a duty leader and up, S3.2: they arrange the agents' work, take what an agent
  cannot, and the deputy team lead answers for every request's whole process): every order;
- **a seat agent** (S3.2a: she follows her orders through the whole process; S1.6: whoever first
  takes a request owns it, and what she escalates goes to a leader): the orders she owns, the
  orders escalated to her, and every order of a caller she is serving, where *serving* means the
  caller has an open order she owns (first-contact responsibility needs the caller's history,
  S1.6, S1.10). Nothing else: not another agent's callers;
- **a handling department's staff** (S3.2a: the agent hands the order to the department that
  must act): only the orders dispatched to their department, while it is theirs (the order's
  current department). Window clerks and HR read only what was dispatched to them;
- **anyone else** (no hotline role and no department, or a leaver): nothing.

The customer registry (names, numbers, contacts: S1.10, S3.2 "keeping customer information") is
the hotline's: any hotline role may search and register; a customer's page lists only the orders
and calls the reader may read by the rule above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contracts.events import Role, at_least, hotline_role


class Reach(StrEnum):
    """How far a caller's reading reaches."""

    ALL = "all"  # leaders
    AGENT = "agent"  # own, escalated to her, callers she serves
    DEPARTMENT = "department"  # dispatched to her department


class NotAllowed(Exception):
    """The caller may not read or do this, by their current record (the gateway answers 403)."""


@dataclass(frozen=True)
class Caller:
    """A staff member as staffing knows them now."""

    id: int
    username: str
    role: Role | None  # None: outside the hotline
    department: str | None
    on_staff: bool

    @property
    def reach(self) -> Reach:
        if self.role is None:
            return Reach.DEPARTMENT
        return Reach.ALL if at_least(self.role, Role.DUTY_LEADER) else Reach.AGENT

    def as_actor(self) -> dict[str, Any]:
        """The lifecycle's actor: a hotline role, or a department's staff member."""
        return {"id": str(self.id), "role": self.role.value if self.role else "department",
                "name": self.username, "department": self.department}


def caller_from(staff: Mapping[str, Any] | None, staff_id: int) -> Caller:
    """The caller as staffing describes them (``get_staff``); refused when unknown, gone, or
    neither hotline staff nor of a department."""
    if staff is None:
        raise NotAllowed(f"staff member {staff_id} is not known")
    caller = Caller(
        int(staff["id"]), str(staff.get("username") or ""), hotline_role(staff.get("role")),
        staff.get("department") or None, not staff.get("left_on"),
    )
    if not caller.on_staff:
        raise NotAllowed(f"staff member {staff_id} has left; nothing here is theirs any more")
    if caller.role is None and not caller.department:
        raise NotAllowed("this needs a hotline role or a handling department")
    return caller


def require_hotline(caller: Caller, what: str) -> None:
    if caller.role is None:
        raise NotAllowed(f"{what} is for the hotline's staff (S3.2)")


def require_leader(caller: Caller, what: str) -> None:
    if not at_least(caller.role, Role.DUTY_LEADER):
        raise NotAllowed(f"{what} needs a duty leader or the deputy team lead (S3.2)")


def may_read(
    caller: Caller, assignee_id: int | None, escalated_to_id: int | None,
    department: str | None, serving: bool,
) -> bool:
    """Whether ``caller`` may read an order (see the module's rule). ``serving``: the order's
    caller has an open order that ``caller`` owns."""
    if caller.reach is Reach.ALL:
        return True
    if caller.reach is Reach.DEPARTMENT:
        return department is not None and department == caller.department
    return caller.id in (assignee_id, escalated_to_id) or serving


def assignment_refusal(staff: Mapping[str, Any] | None, staff_id: object) -> str | None:
    """Why an order cannot be assigned to ``staff`` (staffing's record), or None: only a hotline
    member still on staff takes work orders (S3.2a; S1.19: a leaver's orders are handed over)."""
    if staff is None:
        return f"assign needs a known staff member; there is no staff member {staff_id!r}"
    if staff.get("left_on"):
        return f"staff member {staff_id} left on {staff['left_on']}; assign to someone on staff"
    if hotline_role(staff.get("role")) is None:
        return (f"staff member {staff_id} is not on the hotline (a {staff.get('role')} of "
                f"{staff.get('department') or 'no department'}); work orders are assigned to "
                "seat agents, duty leaders and the deputy team lead; dispatch to a department")
    return None
