"""The hotline staffing plan (S3.3) for one day, per half hour, as pure functions.

1. Forecast: the mean arrivals per half hour of the measured days in the look-back window of the
   same kind (working day or not, Chinese statutory calendar) as the planned day; if none of that
   kind was measured, all measured days. Handling time, unless a figure is configured: the mean
   talk + wrap-up of the answered calls Asterisk reported (issue 16) in the look-back window;
   with none, the mean IVR session (which understates it).
2. Erlang C (``erlang.py``) gives the agents answering calls for the target service level, and
   shrinkage (breaks, training, leave) turns them into the seat agents to roster:
   ceil(agents / (1 - shrinkage)).
3. Roles (S3.2): a duty leader arranges the agents' work and takes what they cannot, so every
   interval with agents needs ``duty_leaders_min`` duty leaders, and one more per
   ``agents_per_duty_leader`` seat agents when that is set; the deputy team lead runs the centre
   and coordinates with the departments, so ``deputy_team_leads`` are needed while the office
   is open (S1.7). Each role is compared with the staff of exactly that role rostered for the
   whole interval (a higher role covering a lower one is not counted: routing does that live).
4. What happened (issue 16): each half hour's calls offered to agents, answered within the
   target seconds, and abandoned, beside its forecast arrivals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from contracts.events import Role
from services.staffing import erlang
from services.staffing.routing import on_shift
from svckit.workdays import is_working_day, office_hours_open

INTERVAL = timedelta(minutes=30)
INTERVALS_PER_DAY = 48
_LAST_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class PlanSettings:
    """What the plan aims at; every field is a setting (services/staffing/config.yaml, PLAN)."""

    target_level: float = 0.8
    target_seconds: float = 20.0
    shrinkage: float = 0.3
    max_occupancy: float = 1.0
    handling_time_seconds: float | None = None  # None: the measured mean
    lookback_days: int = 28
    duty_leaders_min: int = 1
    agents_per_duty_leader: int = 0  # 0: no ratio, only the minimum
    deputy_team_leads: int = 1

    def __post_init__(self) -> None:
        checks = [
            (0 < self.target_level < 1, "target_level must be between 0 and 1"),
            (self.target_seconds > 0, "target_seconds must be positive"),
            (0 <= self.shrinkage < 1, "shrinkage must be at least 0 and below 1"),
            (0 < self.max_occupancy <= 1, "max_occupancy must be in (0, 1]"),
            (self.handling_time_seconds is None or self.handling_time_seconds > 0,
             "handling_time_seconds must be positive"),
            (1 <= self.lookback_days <= 366, "lookback_days must be 1 to 366"),
            (min(self.duty_leaders_min, self.agents_per_duty_leader,
                 self.deputy_team_leads) >= 0, "role counts must not be negative"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @classmethod
    def from_mapping(cls, values: dict) -> PlanSettings:
        """Settings from config and query overrides; unknown keys and bad values: ValueError."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown plan settings: {', '.join(sorted(unknown))}")
        converted = {}
        for name, value in values.items():
            if value is None or value == "":
                continue
            kind = int if name in _INTEGER_SETTINGS else float
            try:
                converted[name] = kind(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a number, got {value!r}") from exc
        return cls(**converted)


_INTEGER_SETTINGS = {"lookback_days", "duty_leaders_min", "agents_per_duty_leader",
                     "deputy_team_leads"}


@dataclass(frozen=True)
class Call:
    """A measured call: when it arrived and how long it took (seconds)."""

    started_at: datetime
    handling_seconds: float


@dataclass(frozen=True)
class Forecast:
    arrivals: tuple[float, ...]  # mean calls per half-hour interval, 48 of them
    days_used: tuple[date, ...]
    calls_used: int
    handling_seconds: float | None
    handling_source: str


@dataclass(frozen=True)
class Outcome:
    """A call offered to agents (AMI, issue 16): when, and how it went."""

    offered_at: datetime
    hold_seconds: float | None  # answered after that long; None: not answered
    abandoned: bool


def forecast(
    calls: Iterable[Call], day: date, zone: tzinfo, settings: PlanSettings,
    handled: Sequence[float] = (),
) -> Forecast:
    """Mean arrivals per interval over measured days like ``day`` (see the module docstring)."""
    by_day: dict[date, list[Call]] = defaultdict(list)
    for call in calls:
        by_day[call.started_at.astimezone(zone).date()].append(call)
    alike = [d for d in by_day if is_working_day(d) == is_working_day(day)]
    days = sorted(alike or by_day)
    counts = [0] * INTERVALS_PER_DAY
    used = [call for d in days for call in by_day[d]]
    for call in used:
        local = call.started_at.astimezone(zone)
        counts[(local.hour * 60 + local.minute) // 30] += 1
    arrivals = tuple(count / len(days) for count in counts) if days else (0.0,) * len(counts)
    handling, source = _handling_time(used, settings, handled)
    return Forecast(arrivals, tuple(days), len(used), handling, source)


def _handling_time(calls: Sequence[Call], settings: PlanSettings,
                   handled: Sequence[float]) -> tuple[float | None, str]:
    if settings.handling_time_seconds is not None:
        return settings.handling_time_seconds, "configured"
    if handled:
        mean = sum(handled) / len(handled)
        return max(mean, 1.0), f"measured: talk + wrap-up of {len(handled)} answered calls (AMI)"
    if not calls:
        return None, "no calls measured"
    mean = sum(call.handling_seconds for call in calls) / len(calls)
    # No answered call reported by Asterisk yet: the FastAGI session (menu and routing), not
    # talk time, so it understates handling; configure handling_time_seconds until AMI reports.
    return max(mean, 1.0), "measured: mean call.ended (ended_at - started_at), the AGI session"


@dataclass(frozen=True)
class Rostered:
    """A person's role and daily shifts, for a day they are not excused."""

    role: str
    shifts: tuple[tuple[time, time], ...]


def rostered_per_interval(people: Iterable[Rostered]) -> dict[str, list[int]]:
    """Per role, how many people's shifts cover each whole half-hour interval."""
    counts = {role.value: [0] * INTERVALS_PER_DAY for role in Role}
    for person in people:
        if person.role not in counts:
            continue
        for index in range(INTERVALS_PER_DAY):
            if any(_covers(shift, index) for shift in person.shifts):
                counts[person.role][index] += 1
    return counts


def _covers(shift: tuple[time, time], index: int) -> bool:
    start = datetime.min + INTERVAL * index
    last = start + INTERVAL - _LAST_MINUTE
    return on_shift(*shift, start.time()) and on_shift(*shift, last.time())


@dataclass(frozen=True)
class IntervalPlan:
    starts: str
    arrivals: float
    traffic_erlangs: float
    agents_answering: int
    seat_agents_needed: int
    seat_agents_rostered: int
    seat_agents_short: int
    service_level_rostered: float | None
    duty_leaders_needed: int
    duty_leaders_rostered: int
    duty_leaders_short: int
    deputy_team_leads_needed: int
    deputy_team_leads_rostered: int
    deputy_team_leads_short: int
    offered: int = 0  # what happened (issue 16): calls offered to agents
    answered_in_target: int = 0
    abandoned: int = 0


def actuals_per_interval(outcomes: Iterable[Outcome], day: date, zone: tzinfo,
                         target_seconds: float) -> list[tuple[int, int, int]]:
    """Per half hour of ``day``: (offered, answered within ``target_seconds``, abandoned)."""
    counts = [[0, 0, 0] for _ in range(INTERVALS_PER_DAY)]
    for outcome in outcomes:
        local = outcome.offered_at.astimezone(zone)
        if local.date() != day:
            continue
        row = counts[(local.hour * 60 + local.minute) // 30]
        row[0] += 1
        row[1] += outcome.hold_seconds is not None and outcome.hold_seconds <= target_seconds
        row[2] += outcome.abandoned
    return [tuple(row) for row in counts]


def plan_day(
    day: date,
    fc: Forecast,
    rostered: dict[str, list[int]],
    zone: tzinfo,
    settings: PlanSettings,
    actuals: Sequence[tuple[int, int, int]] = (),
) -> dict:
    """The plan for ``day``: each interval's needs against the roster, what happened in it
    (``actuals``, see :func:`actuals_per_interval`), and a summary."""
    intervals = [
        replace(_interval(day, index, fc, rostered, zone, settings),
                **dict(zip(("offered", "answered_in_target", "abandoned"), actuals[index],
                           strict=True)) if actuals else {})
        for index in range(INTERVALS_PER_DAY)
    ]
    return {
        "date": day.isoformat(),
        "working_day": is_working_day(day),
        "settings": asdict(settings),
        "basis": {
            "days_used": [d.isoformat() for d in fc.days_used],
            "calls_used": fc.calls_used,
            "handling_time_seconds": fc.handling_seconds,
            "handling_time_source": fc.handling_source,
        },
        "summary": _summary(intervals),
        "happened": _happened(intervals),
        "intervals": [asdict(interval) for interval in intervals],
    }


def _interval(
    day: date,
    index: int,
    fc: Forecast,
    rostered: dict[str, list[int]],
    zone: tzinfo,
    settings: PlanSettings,
) -> IntervalPlan:
    starts = datetime.combine(day, time(0), tzinfo=zone) + INTERVAL * index
    arrivals = fc.arrivals[index]
    traffic = (
        erlang.traffic_intensity(arrivals, INTERVAL.total_seconds(), fc.handling_seconds)
        if fc.handling_seconds
        else 0.0
    )
    answering = erlang.required_agents(
        traffic, fc.handling_seconds or 1.0, settings.target_level, settings.target_seconds,
        settings.max_occupancy,
    )
    agents = math.ceil(answering / (1 - settings.shrinkage))
    leaders = _duty_leaders_needed(agents, settings)
    deputies = settings.deputy_team_leads if office_hours_open(starts, zone) else 0
    have = {role: counts[index] for role, counts in rostered.items()}
    on_phones = math.floor(have[Role.SEAT_AGENT] * (1 - settings.shrinkage))
    level = (
        erlang.service_level(on_phones, traffic, fc.handling_seconds, settings.target_seconds)
        if traffic
        else None
    )
    return IntervalPlan(
        starts=starts.strftime("%H:%M"),
        arrivals=round(arrivals, 3),
        traffic_erlangs=round(traffic, 3),
        agents_answering=answering,
        seat_agents_needed=agents,
        seat_agents_rostered=have[Role.SEAT_AGENT],
        seat_agents_short=max(0, agents - have[Role.SEAT_AGENT]),
        service_level_rostered=None if level is None else round(level, 4),
        duty_leaders_needed=leaders,
        duty_leaders_rostered=have[Role.DUTY_LEADER],
        duty_leaders_short=max(0, leaders - have[Role.DUTY_LEADER]),
        deputy_team_leads_needed=deputies,
        deputy_team_leads_rostered=have[Role.DEPUTY_TEAM_LEAD],
        deputy_team_leads_short=max(0, deputies - have[Role.DEPUTY_TEAM_LEAD]),
    )


def _happened(intervals: list[IntervalPlan]) -> dict:
    """The day's calls offered, answered within target and abandoned, against the forecast."""
    offered = sum(i.offered for i in intervals)
    in_target = sum(i.answered_in_target for i in intervals)
    abandoned = sum(i.abandoned for i in intervals)
    return {
        "forecast_arrivals": round(sum(i.arrivals for i in intervals), 3),
        "offered": offered,
        "answered_in_target": in_target,
        "abandoned": abandoned,
        "service_level": round(in_target / offered, 4) if offered else None,
        "abandonment_rate": round(abandoned / offered, 4) if offered else None,
    }


def _duty_leaders_needed(agents: int, settings: PlanSettings) -> int:
    if agents == 0:
        return 0
    ratio = settings.agents_per_duty_leader
    return max(settings.duty_leaders_min, math.ceil(agents / ratio) if ratio else 0)


ROLE_FIELDS = {
    Role.SEAT_AGENT: "seat_agents",
    Role.DUTY_LEADER: "duty_leaders",
    Role.DEPUTY_TEAM_LEAD: "deputy_team_leads",
}


def _summary(intervals: list[IntervalPlan]) -> dict:
    """Per role: the peak need, person-hours needed and rostered, and where the roster is short."""
    hours = INTERVAL / timedelta(hours=1)
    summary = {}
    for role, prefix in ROLE_FIELDS.items():
        need = [getattr(i, f"{prefix}_needed") for i in intervals]
        have = [getattr(i, f"{prefix}_rostered") for i in intervals]
        short = [(i.starts, getattr(i, f"{prefix}_short")) for i in intervals]
        summary[role.value] = {
            "peak_needed": max(need),
            "hours_needed": sum(need) * hours,
            "hours_rostered": sum(have) * hours,
            "max_short": max(s for _, s in short),
            "short_intervals": [{"starts": t, "short": s} for t, s in short if s],
        }
    summary["roster_short"] = any(v["max_short"] for v in summary.values())
    return summary
