"""Window equipment checks (S1.9), broken parts (S1.13) and daily supplies (S1.14). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from svckit import workdays

CHECK_KINDS = ("check_in", "check_out")  # before work; after work (cabinets locked, power off)
REPAIR_STEPS = {"registered": "ordered", "ordered": "received", "received": "fitted"}
SUPPLY_STEPS = {  # step → (from status, to status)
    "approve": ("requested", "approved"),
    "reject": ("requested", "rejected"),
    "collect": ("approved", "collected"),
}


class UpkeepRule(ValueError):
    """A step out of order, or a check that is not one."""


def missing_checks(done: Iterable[str]) -> list[str]:
    """The checks of a day not recorded (S1.9)."""
    have = set(done)
    return [kind for kind in CHECK_KINDS if kind not in have]


def day_closed(day: date, now: datetime, grace: timedelta,
               zone: tzinfo = workdays.DEFAULT_ZONE) -> bool:
    """Whether ``day`` is a working day whose office hours (S1.7) ended ``grace`` ago."""
    if not workdays.is_working_day(day):
        return False
    close = datetime.combine(day, workdays.OFFICE_HOURS[-1][1], tzinfo=zone)
    return now >= close + grace


def next_repair_status(current: str, step: str) -> str:
    """registered → ordered → received → fitted, one step at a time (S1.13)."""
    if REPAIR_STEPS.get(current) != step:
        expected = REPAIR_STEPS.get(current)
        raise UpkeepRule(f"a repair {current} goes to {expected or 'nothing more'}, not {step}")
    return step


def next_supply_status(current: str, step: str) -> str:
    """requested → approved (or rejected) → collected (S1.14)."""
    before, after = SUPPLY_STEPS[step]
    if current != before:
        raise UpkeepRule(f"a supply request {current} cannot be {after}")
    return after


def monthly_use(rows: Iterable[tuple[str, str, int]]) -> list[dict]:
    """(department, item, quantity) of the month's collected requests → one row per department
    and item, with the number of requests and the quantity, ordered."""
    totals: dict[tuple[str, str], list[int]] = {}
    for department, item, quantity in rows:
        entry = totals.setdefault((department, item), [0, 0])
        entry[0] += 1
        entry[1] += quantity
    return [{"department": d, "item": i, "requests": n, "quantity": q}
            for (d, i), (n, q) in sorted(totals.items())]
