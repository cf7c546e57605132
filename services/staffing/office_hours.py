"""Who is on duty at an instant (S1.7, S3): the hall's windows during office hours on working
days of the Chinese statutory calendar (``svckit.workdays``, make-up working days included), the
hotline around the clock by shifts. Pure: the caller passes the roster and who is away."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo

from services.staffing.posts import PostView, acting_holder, covering_for
from services.staffing.routing import on_shift
from svckit import workdays


@dataclass(frozen=True)
class ShiftView:
    staff_id: int
    starts: time
    ends: time


@dataclass(frozen=True)
class OnDuty:
    """The answer for one instant. ``windows``: window code → who serves it (None: uncovered);
    ``covering``: window code → the A holder its B is covering for."""

    at: datetime
    hall_open: bool
    windows: dict[str, int | None] = field(default_factory=dict)
    covering: dict[str, int] = field(default_factory=dict)
    hotline: list[int] = field(default_factory=list)

    @property
    def uncovered(self) -> list[str]:
        return [code for code, person in self.windows.items() if person is None]


def on_duty(
    at: datetime,
    windows: Iterable[PostView],
    shifts: Iterable[ShiftView],
    away: set[int],
    zone: tzinfo = workdays.DEFAULT_ZONE,
) -> OnDuty:
    """Who is on duty at ``at`` (timezone-aware): hall windows only while the hall is open."""
    local = workdays.require_aware(at).astimezone(zone)
    clock = local.time()
    hotline = sorted(
        {s.staff_id for s in shifts if s.staff_id not in away and on_shift(s.starts, s.ends, clock)}
    )
    if not workdays.office_hours_open(local, zone):
        return OnDuty(local, False, hotline=hotline)
    staffed, covering = {}, {}
    for post in sorted(windows, key=lambda post: post.code):
        person = acting_holder(post, away)
        staffed[post.code] = person
        if person is not None and covering_for(post, person, away) is not None:
            covering[post.code] = post.a_holder
    return OnDuty(local, True, staffed, covering, hotline)
