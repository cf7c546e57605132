"""The hall-equipment duty rota (S1.9): the care of the shared equipment (air conditioning,
lighting, water dispenser, seats, business-center equipment) passes from window to window, one
working day each, in window-code order; at the day's close the person on duty counts the items
and hands over to the next window, which confirms what it received. Duties are reckoned from the
day the system was installed: nothing is asked of days before it. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

from services.staffing.posts import PostView, acting_holder
from svckit import workdays

EPOCH = date(2025, 1, 2)  # a working day: the first window's first duty
EQUIPMENT = ("air_conditioning", "lighting", "water_dispenser", "seats", "business_center")
CHECK_BACK_DAYS = 7  # a sweep after a long stop still finds the days it missed


def duty_window(day: date, windows: Sequence[PostView]) -> PostView | None:
    """The window on duty on ``day``; None on a non-working day or with no windows."""
    if not windows or not workdays.is_working_day(day):
        return None
    ordered = sorted(windows, key=lambda post: post.code)
    index = int(workdays.working_days_between(EPOCH, day)) % len(ordered)
    return ordered[index]


def next_duty(day: date, windows: Sequence[PostView]) -> tuple[date, PostView | None]:
    """The next working day after ``day`` and its window: whom the handover goes to."""
    following = workdays.next_working_day(day)
    return following, duty_window(following, windows)


def handover_due(day: date, zone: tzinfo = workdays.DEFAULT_ZONE) -> datetime:
    """The close of the day's last office session: the handover is due by then."""
    closes = max(end for _, end in workdays.OFFICE_HOURS)
    return datetime.combine(day, closes, tzinfo=zone)


def days_overdue(
    now: datetime, grace: timedelta, zone: tzinfo = workdays.DEFAULT_ZONE,
    installed_on: date | None = None,
) -> list[date]:
    """Working days of the last ``CHECK_BACK_DAYS`` whose handover is overdue by ``grace``, from
    the day the system was installed on (no duty was kept in it before)."""
    today = workdays.local_date(now, zone)
    days = [today - timedelta(days=n) for n in range(CHECK_BACK_DAYS)]
    return sorted(
        day for day in days
        if (installed_on is None or day >= installed_on)
        and workdays.is_working_day(day) and now >= handover_due(day, zone) + grace
    )


def may_confirm(receiving: PostView, caller: int, away: set[int]) -> bool:
    """The window that receives the duty confirms the handover (S1.9): a holder of it who is
    present, or whoever acts for it (the cover named while both are away)."""
    present_holder = caller in receiving.holders and caller not in away
    return present_holder or acting_holder(receiving, away) == caller


def check_items(items: dict) -> dict[str, int]:
    """The counted items of a handover: every equipment item, a count of 0 or more."""
    missing = [name for name in EQUIPMENT if name not in items]
    unknown = [name for name in items if name not in EQUIPMENT]
    if missing or unknown:
        raise ValueError(f"count each of {', '.join(EQUIPMENT)}; missing {missing}, "
                         f"unknown {unknown}")
    bad = [name for name, count in items.items() if not isinstance(count, int) or count < 0
           or isinstance(count, bool)]
    if bad:
        raise ValueError(f"counts must be whole numbers of 0 or more: {bad}")
    return {name: items[name] for name in EQUIPMENT}
