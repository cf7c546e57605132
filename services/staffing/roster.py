"""The hotline roster (S3.2: the duty leader arranges the agents' daily work), as pure rules.

- A shift template names a daily shift by its local start and end (``ends <= starts`` runs past
  midnight; equal: 24 hours). A roster entry puts one person on one template, or on a rest day,
  on one date; the shift belongs to the date it starts on.
- What a person works on a date: their roster entry when there is one (a rest day: nothing),
  else their standing shifts (the recurring pattern kept on the staff record, ``shifts``), else
  nothing. Routing, attendance, the staffing plan and who is on duty all ask this one question
  (``roster_store``), so they cannot disagree.
- A plan repeats a pattern of template codes and ``rest`` from a first day; every seven
  consecutive planned days of a person hold a rest day (the weekly rest of PRC labour law), and
  one person's shifts never overlap.
- A swap exchanges two people's roster entries on one or two dates; both must hold the same
  hotline role (the day's cover by role stays the same) and be rostered on those dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

REST = "rest"
MAX_PLAN_DAYS = 62  # the coming weeks: about two months at most in one plan
MAX_PATTERN = 28
WEEK = 7
TEMPLATE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_ONE_DAY = timedelta(days=1)

Shift = tuple[time, time]


class RosterRuleError(ValueError):
    """A plan, template or swap the roster rules refuse; the message says why."""


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    starts: time
    ends: time

    @property
    def shift(self) -> Shift:
        return (self.starts, self.ends)


def parse_template(data: Mapping) -> Template:
    """A template from ``{code, name, starts: "HH:MM", ends: "HH:MM"}``."""
    code, name = data.get("code"), data.get("name", "")
    if not isinstance(code, str) or not TEMPLATE_CODE.match(code) or code == REST:
        raise RosterRuleError("code must be 1-20 lower-case letters, digits or _, not 'rest'")
    if not isinstance(name, str) or len(name) > 50:
        raise RosterRuleError("name must be text of at most 50 characters")
    try:
        starts, ends = (time.fromisoformat(data[key]) for key in ("starts", "ends"))
    except (KeyError, TypeError, ValueError) as exc:
        raise RosterRuleError("starts and ends must be local times written HH:MM") from exc
    if starts.second or ends.second or starts.tzinfo or ends.tzinfo:
        raise RosterRuleError("starts and ends are whole minutes, local time, without a zone")
    return Template(code, name or code, starts, ends)


def session_of(day: date, shift: Shift, zone: tzinfo) -> tuple[datetime, datetime]:
    """The shift ``shift`` starting on ``day`` as aware datetimes; past midnight when
    ``ends <= starts`` (equal: 24 hours)."""
    starts, ends = shift
    begin = datetime.combine(day, starts, tzinfo=zone)
    finish = datetime.combine(day, ends, tzinfo=zone)
    return begin, finish if ends > starts else finish + _ONE_DAY


def shifts_on(entry: Shift | None | str, standing: Sequence[Shift]) -> list[Shift]:
    """What a person works on a date: the roster entry (``REST``: nothing), else the standing
    shifts. ``entry`` is a shift, ``REST``, or None when the date is not rostered."""
    if entry is None:
        return list(standing)
    return [] if entry == REST else [entry]


def day_cover(today: Iterable[Shift], yesterday: Iterable[Shift]) -> list[Shift]:
    """The parts of a local day a person works, as daily (start, end) pairs: today's shifts up
    to midnight, and what yesterday's shifts carry past midnight."""
    cover = []
    for starts, ends in today:
        cover.append((starts, ends) if ends > starts or starts == ends == time(0)
                     else (starts, time(0)))
    for starts, ends in yesterday:
        if ends <= starts and ends != time(0):  # ran past midnight into today
            cover.append((time(0), ends))
    return cover


def expand(first: date, days: int, pattern: Sequence[str]) -> list[tuple[date, str]]:
    """The pattern (template codes and ``rest``) repeated over ``days`` days from ``first``."""
    if not 1 <= days <= MAX_PLAN_DAYS:
        raise RosterRuleError(f"days must be 1 to {MAX_PLAN_DAYS}")
    if not pattern or len(pattern) > MAX_PATTERN or not all(isinstance(p, str) for p in pattern):
        raise RosterRuleError(f"pattern must be 1 to {MAX_PATTERN} template codes or 'rest'")
    return [(first + _ONE_DAY * n, pattern[n % len(pattern)]) for n in range(days)]


def check_plan(
    plan: Sequence[tuple[date, str]], templates: Mapping[str, Template], zone: tzinfo
) -> None:
    """Refuse unknown templates, a run of seven planned days without rest, overlapping shifts."""
    unknown = sorted({code for _, code in plan if code != REST and code not in templates})
    if unknown:
        raise RosterRuleError(f"unknown shift templates: {', '.join(unknown)}")
    run = 0
    for day, code in sorted(plan):
        run = 0 if code == REST else run + 1
        if run >= WEEK:
            raise RosterRuleError(f"no rest day in the seven days up to {day}: every week "
                                  "needs one")
    check_no_overlap(
        [(day, templates[code].shift) for day, code in plan if code != REST], zone
    )


def check_no_overlap(shifts: Iterable[tuple[date, Shift]], zone: tzinfo) -> None:
    sessions = sorted(session_of(day, shift, zone) for day, shift in shifts)
    for (_, end), (start, _) in zip(sessions, sessions[1:], strict=False):
        if start < end:
            raise RosterRuleError(f"shifts overlap at {start.isoformat()}: one person works "
                                  "one shift at a time")


def swap_days(day: date, partner_day: date | None) -> list[date]:
    """The dates a swap exchanges: one, or two different ones."""
    return sorted({day, partner_day or day})


def check_swap(requester_role: str, partner_role: str, requester: int, partner: int) -> None:
    if requester == partner:
        raise RosterRuleError("a swap is between two people")
    if requester_role != partner_role:
        raise RosterRuleError(f"a swap is between two people of one role ({requester_role} and "
                              f"{partner_role} differ): the day's cover by role must not change")


@dataclass(frozen=True)
class RosterView:
    """A stretch of the roster as loaded: dated entries (a shift or ``REST``) and everyone's
    standing shifts; answers what a person works on a date (see the module docstring)."""

    entries: Mapping[tuple[int, date], Shift | str]
    standing: Mapping[int, Sequence[Shift]]

    def shifts(self, staff_id: int, day: date) -> list[Shift]:
        return shifts_on(self.entries.get((staff_id, day)), self.standing.get(staff_id, ()))

    def cover(self, staff_id: int, day: date) -> list[Shift]:
        """The parts of local ``day`` the person works (yesterday's night shift included)."""
        return day_cover(self.shifts(staff_id, day), self.shifts(staff_id, day - _ONE_DAY))

    def people(self) -> set[int]:
        return {staff_id for staff_id, _ in self.entries} | set(self.standing)
