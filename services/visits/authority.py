"""Who may do what in the visits service. Pure; decided from staffing's current records.

Staffing owns who people are: visits asks it by RPC (``get_staff`` for the caller's record,
``department_heads`` for who acts as each department's head now), never reads its tables and
keeps no copy. Why
RPC and not a projection of ``staff.*`` events: staffing announces joins, transfers, leavers and
role changes, but not who acts for a post today (an A holder away, the B holder acting, S1.5),
and seeded staff were never announced; visits' traffic is a few requests per person per day.

- **department head** (S5.3.1 部门主管; also the supervisor who reviews reports, S5.3.4 主管):
  whoever acts now for the department's head post (a section's chief; A, or B while A is
  away), as staffing says.
- **salesperson**: a member of the department on staff whom its head put on a sales position
  (visits' own data, S5.2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.visits.refusals import Forbidden

Heads = Mapping[str, int | None]  # department code → the staff id acting as its head now


@dataclass(frozen=True)
class Caller:
    id: int
    name: str
    department: str | None
    heads: frozenset[str]  # departments the caller acts as head of now

    def heads_department(self, department: str | None) -> bool:
        return department is not None and department in self.heads


def caller_from(record: Mapping[str, Any] | None, staff_id: int, heads: Heads) -> Caller:
    """The caller as staffing describes them; refused when unknown or gone."""
    if record is None:
        raise Forbidden(f"staff member {staff_id} is not known")
    if record.get("left_on"):
        raise Forbidden(f"staff member {staff_id} has left; nothing here is theirs any more")
    headed = frozenset(code for code, acting in heads.items() if acting == staff_id)
    return Caller(int(record["id"]), str(record.get("name") or record.get("username") or ""),
                  record.get("department") or None, headed)


def head_of(department: str, heads: Heads) -> int | None:
    """Who acts as the head of ``department`` now (S5.3.1), or None."""
    return heads.get(department)


def require_head(caller: Caller, department: str | None, what: str) -> None:
    if not caller.heads_department(department):
        raise Forbidden(f"{what} is for the head of department {department} (S5.3.1)")


def require_salesperson(caller: Caller, registered_department: str | None, what: str) -> None:
    """The caller is on a sales position of their current department (S5.2.3)."""
    if registered_department is None or registered_department != caller.department:
        raise Forbidden(f"{what} is for salespeople: the department head puts a member of the "
                        "department on a sales position first (S5.2.3)")


def may_read(caller: Caller, owner_id: int, department: str | None) -> bool:
    """A salesperson reads her own; the department head the department's."""
    return caller.id == owner_id or caller.heads_department(department)
