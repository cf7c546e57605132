"""Deadline policies of work orders as data, and the pure arithmetic of their clocks (issue 3).

Policies live in ``deadline_policies.yaml`` beside this module; an override file can change
fields of a policy (matched by key) or add policies, without code. Each policy is one clock of
an order (a complaint has two: ``contact`` and ``reply``).

- Limits in ``minutes`` or ``hours`` are wall-clock (elapsed time, holidays included).
- Limits in ``working_days`` use ``svckit.workdays``: due at the same local clock time on the
  n-th working day (see ``svckit.workdays.add_working_days``).
- Warning points: p % of a limit is the instant at which p % of it has elapsed, measured in the
  limit's own time: wall-clock for minutes and hours; working time for working days (whole local
  working days count, non-working days count nothing). So 50 % of 1 working day opened on Friday
  at 16:00 is Monday 04:00, and 100 % is always ``due_at``.
- ``starts_on``: ``open`` (the default) starts the clock when the order is opened or
  classified; any other value names the lifecycle action that starts it (``promise_callback``).
  ``stops_on``: the lifecycle actions that fulfil the clock's commitment and stop it.
- A threshold counts as crossed once ``now`` reaches its instant; the sweeps (clocks.py) record
  what they send, so none is sent twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from svckit import workdays

DEFAULT_FILE = Path(__file__).with_name("deadline_policies.yaml")
WARNING_PERCENTS: tuple[int, ...] = (50, 75, 90, 100)
OPEN = "open"  # starts_on: when the order is opened or (re)classified

_NAME = r"^[a-z][a-z0-9_]*$"
_KEY = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class PolicyFileError(ValueError):
    """A deadline-policy file cannot be read or does not validate."""


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    WORKING_DAYS = "working_days"


class Policy(BaseModel):
    """One clock: which orders it applies to and its limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, Field(pattern=_KEY)]
    category: Annotated[str, Field(pattern=_NAME)]
    clock: Annotated[str, Field(pattern=_NAME)]
    sub_type: Annotated[str | None, Field(pattern=_NAME)] = None
    area: Annotated[str | None, Field(pattern=_NAME)] = None
    limit: Annotated[int, Field(strict=True, gt=0)]
    unit: Unit
    description: str = ""
    starts_on: Annotated[str, Field(pattern=_NAME)] = OPEN
    stops_on: tuple[Annotated[str, Field(pattern=_NAME)], ...] = ()

    @property
    def nominal(self) -> timedelta:
        """The limit as a duration, a working day counted as one day (to rank strictness)."""
        if self.unit is Unit.MINUTES:
            return timedelta(minutes=self.limit)
        if self.unit is Unit.HOURS:
            return timedelta(hours=self.limit)
        return timedelta(days=self.limit)

    def matches(self, sub_type: str | None, area: str | None) -> bool:
        """Whether each selector is unset (any) or equal to the order's value."""
        return self.sub_type in (None, sub_type) and self.area in (None, area)

    @property
    def specificity(self) -> int:
        return (self.sub_type is not None) + (self.area is not None)


# --- loading -------------------------------------------------------------------------------


def _read_entries(path: Path) -> list[dict[str, Any]]:
    """The raw policy entries of a file, each a mapping with a string ``key``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyFileError(f"{path}: cannot read deadline policies: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"{path}: not valid YAML: {exc}") from exc
    if (
        not isinstance(data, dict)
        or set(data) != {"policies"}
        or not isinstance(data["policies"], list)
    ):
        raise PolicyFileError(f"{path}: expected a mapping with one entry, 'policies: [...]'")
    entries = data["policies"]
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise PolicyFileError(f"{path}: policy #{number} must be a mapping with a 'key'")
    keys = [entry["key"] for entry in entries]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise PolicyFileError(f"{path}: duplicate policy keys: {', '.join(duplicates)}")
    return entries


def _validate(entry: dict[str, Any], source: str) -> Policy:
    try:
        return Policy.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'policy'}: {error['msg']}"
            for error in exc.errors()
        )
        raise PolicyFileError(f"{source}: policy '{entry['key']}': {problems}") from exc


def _check_unambiguous(policies: Iterable[Policy]) -> None:
    seen: dict[tuple[str, str, str | None, str | None], str] = {}
    for policy in policies:
        selector = (policy.category, policy.clock, policy.sub_type, policy.area)
        if selector in seen:
            raise PolicyFileError(
                f"policies '{seen[selector]}' and '{policy.key}' both apply to category "
                f"{policy.category}, clock {policy.clock}, sub_type {policy.sub_type}, "
                f"area {policy.area}"
            )
        seen[selector] = policy.key


def load_policies(
    override: str | Path | None = None, path: str | Path = DEFAULT_FILE
) -> tuple[Policy, ...]:
    """Load and validate the policies of ``path``, with ``override`` merged in by key.

    An override entry with a known key changes only the fields it gives; a new key adds a policy
    (and must then be complete). Raises ``PolicyFileError`` naming the file, policy and field.
    """
    path = Path(path)
    merged = {entry["key"]: (dict(entry), str(path)) for entry in _read_entries(path)}
    if override is not None:
        override = Path(override)
        for entry in _read_entries(override):
            base, _ = merged.get(entry["key"], ({}, ""))
            origin = f"{override} (over {path})" if base else str(override)
            merged[entry["key"]] = ({**base, **entry}, origin)
    policies = tuple(_validate(entry, source) for entry, source in merged.values())
    _check_unambiguous(policies)
    return policies


@cache
def default_policies() -> tuple[Policy, ...]:
    """The policies of the default file with the operator's overrides (the file named by
    ``DEADLINE_POLICY_OVERRIDES``, if set), loaded once."""
    return load_policies(os.environ.get("DEADLINE_POLICY_OVERRIDES") or None)


# --- clocks --------------------------------------------------------------------------------


def _pick(candidates: list[Policy], sub_type: str | None, area: str | None) -> Policy:
    """Most specific match (ties: first in file); no match: the strictest (S1.22: never late)."""
    matching = [policy for policy in candidates if policy.matches(sub_type, area)]
    if matching:
        return max(matching, key=lambda policy: policy.specificity)
    return min(candidates, key=lambda policy: policy.nominal)


def clocks_for(
    category: str,
    sub_type: str | None = None,
    area: str | None = None,
    policies: Sequence[Policy] | None = None,
) -> list[Policy]:
    """The policy of each clock that runs on an order of this kind, in file order."""
    pool = default_policies() if policies is None else policies
    by_clock: dict[str, list[Policy]] = {}
    for policy in pool:
        if policy.category == category:
            by_clock.setdefault(policy.clock, []).append(policy)
    return [_pick(candidates, sub_type, area) for candidates in by_clock.values()]


def _point(policy: Policy, opened_at: datetime, percent: int, zone: tzinfo) -> datetime:
    """The instant at which ``percent`` % of the policy's limit has elapsed since ``opened_at``."""
    share = policy.nominal * percent / 100
    if policy.unit is Unit.WORKING_DAYS:
        return workdays.advance_working_time(opened_at, share, zone)
    return (workdays.require_aware(opened_at).astimezone(UTC) + share).astimezone(zone)


def due_at(policy: Policy, opened_at: datetime, zone: tzinfo = workdays.DEFAULT_ZONE) -> datetime:
    """When the clock runs out, in ``zone``."""
    return _point(policy, opened_at, 100, zone)


def warning_points(
    policy: Policy,
    opened_at: datetime,
    zone: tzinfo = workdays.DEFAULT_ZONE,
    percents: Sequence[int] = WARNING_PERCENTS,
) -> list[tuple[int, datetime]]:
    """``(percent, instant)`` of each warning threshold, in ascending order."""
    return [(percent, _point(policy, opened_at, percent, zone)) for percent in sorted(percents)]
