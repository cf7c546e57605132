"""Demo data for a first run: the hotline's 14 people on shifts that cover the day."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select

from contracts.events import Role
from services.staffing.accounts import hash_password
from services.staffing.models import Shift, StaffMember
from svckit.db import ServiceStore

DAY, EVENING, NIGHT = (time(8), time(16)), (time(16), time(0)), (time(0), time(8))
LEADER_DAY, LEADER_NIGHT = (time(8), time(20)), (time(20), time(8))
OFFICE = (time(8, 30), time(17, 30))

# username, name, role, extension, shift
DEMO_STAFF = [
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", DAY) for n in range(1, 6)],
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", EVENING)
      for n in range(6, 9)],
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", NIGHT)
      for n in range(9, 12)],
    ("leader01", "值长01", Role.DUTY_LEADER, "8101", LEADER_DAY),
    ("leader02", "值长02", Role.DUTY_LEADER, "8102", LEADER_NIGHT),
    ("lead01", "副班长01", Role.DEPUTY_TEAM_LEAD, "8201", OFFICE),
]


def seed_demo(store: ServiceStore, password: str) -> bool:
    """Insert the demo staff unless staff exist already; True when it seeded."""
    with store.transaction() as session:
        if session.scalar(select(func.count(StaffMember.id))):
            return False
        for username, name, role, extension, (starts, ends) in DEMO_STAFF:
            session.add(
                StaffMember(
                    username=username,
                    name=name,
                    role=role.value,
                    extension=extension,
                    password_hash=hash_password(password),
                    shifts=[Shift(starts=starts, ends=ends)],
                )
            )
    return True
