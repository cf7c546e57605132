"""Outages and fault-report storms (issue #3): which area an address is in, and the storm rule.

Pure functions and values; storage is in :mod:`services.calls.outage_store`.

**Area.** An area (供电区域) is a name and a list of address keywords. A customer's registered
address is in the area when one of the keywords occurs in it, both compared after
:func:`normalize` (Unicode NFKC, so full-width letters and digits become ASCII; whitespace and
punctuation removed). Keywords are substrings, not prefixes, because registered addresses often
leave out the province or city ("上城区望江街道..." for "浙江省杭州市上城区望江街道..."): list the
shortest spelling that is unambiguous ("上城区望江街道"), and a variant per common spelling.
Areas are configured (``OUTAGES.areas`` in config.yaml); an outage from the grid may bring its own
keywords. The first configured area that matches wins, so list narrow areas before wide ones.

**Outage parent.** An outage's parent work order is the first fault report from its area after
it is declared (a real caller's order, routed to an agent who owns it, replies and closes); later
reports are merged into it. If a storm was detected in the area before the declaration, the
storm's parent becomes the outage's parent. No work order is made up for an outage.

**Storm.** With no outage declared for a caller's address, the ``reports``-th fault report from
one configured area within ``window`` (N=3 in 30 minutes by default) is a storm: the first
report of the window becomes the parent and the others are merged into it; reports from the
area while the storm is open (each within ``window`` of the storm's last report) are merged
into the same parent. Detection is announced once per storm (``storm.detected``), so that a duty
leader can declare the outage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic


class OutageError(Exception):
    """A refused outage request; the message is meant for the person who made it."""


class UnknownArea(OutageError, ValueError):
    """An area that is not configured, declared without keywords of its own."""


class InvalidOutage(OutageError, ValueError):
    """Missing or malformed fields of a declaration."""


class OutageConflict(OutageError):
    """The area has an active outage already, or the outage is lifted already."""


class OutageNotFound(OutageError, LookupError):
    """No outage with that id."""


_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def parse_time(value: object, name: str) -> datetime | None:
    """An optional ISO 8601 time with its zone; raises InvalidOutage."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise InvalidOutage(f"{name} must be an ISO 8601 time with its zone, got {value!r}")
    return at.astimezone(UTC)


def normalize(text: str) -> str:
    """An address or keyword as compared: NFKC, no whitespace or punctuation, lower case."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


@dataclass(frozen=True)
class Area:
    """A named area and the address keywords that place an address in it."""

    name: str
    keywords: tuple[str, ...]

    def __post_init__(self) -> None:
        cleaned = tuple(dict.fromkeys(k for k in map(normalize, self.keywords) if k))
        if not self.name.strip() or not cleaned:
            raise ValueError(f"an area needs a name and at least one keyword: {self!r}")
        object.__setattr__(self, "keywords", cleaned)

    def contains(self, address: str) -> bool:
        """True when one of the keywords occurs in ``address``."""
        place = normalize(address)
        return bool(place) and any(keyword in place for keyword in self.keywords)


def areas_from_config(raw: Mapping[str, Iterable[str]] | None) -> tuple[Area, ...]:
    """``{name: [keyword, ...]}`` (config order kept) as areas."""
    return tuple(Area(name, tuple(keywords)) for name, keywords in (raw or {}).items())


def area_of(address: str, areas: Iterable[Area]) -> Area | None:
    """The first area ``address`` is in, or None."""
    return next((area for area in areas if area.contains(address)), None)


@dataclass(frozen=True)
class ActiveOutage:
    """What the hot path needs of a declared outage."""

    id: str
    area: Area


def outage_for(address: str, active: Iterable[ActiveOutage]) -> ActiveOutage | None:
    """The first active outage whose area holds ``address``, or None."""
    return next((outage for outage in active if outage.area.contains(address)), None)


@dataclass(frozen=True)
class StormRule:
    """The ``reports``-th fault report from one area within ``window`` is a storm."""

    reports: int = 3
    window: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.reports < 2 or self.window <= timedelta(0):
            raise ValueError("a storm needs at least 2 reports and a positive window")


@dataclass(frozen=True)
class Report:
    """A fault report from an area: its work order and when it was opened."""

    order_id: str
    at: datetime


@dataclass(frozen=True)
class OpenStorm:
    """A storm detected in an area: its parent and its latest report."""

    parent_id: str
    last_report_at: datetime


@dataclass(frozen=True)
class Linking:
    """What to do with a new report: merge ``merge`` into ``parent_id``; ``detected``: new storm."""

    parent_id: str | None = None
    merge: tuple[str, ...] = ()
    detected: bool = False


def link_storm(
    rule: StormRule, new: Report, earlier: Sequence[Report], storm: OpenStorm | None
) -> Linking:
    """The storm rule for ``new``, given the area's ``earlier`` unlinked reports and open storm.

    ``earlier`` may hold reports outside the window (they are ignored) but not ``new``.
    """
    if storm is not None and new.at - storm.last_report_at <= rule.window:
        return Linking(storm.parent_id, (new.order_id,))
    since = new.at - rule.window
    window = sorted(
        (r for r in (*earlier, new) if since <= r.at <= new.at), key=lambda r: (r.at, r.order_id)
    )
    if len(window) < rule.reports:
        return Linking()
    parent, *children = window
    return Linking(parent.order_id, tuple(r.order_id for r in children), True)


class TtlCache:
    """A value loaded at most once per ``ttl`` seconds (and again after :meth:`invalidate`)."""

    def __init__(
        self, load: Callable[[], tuple], ttl: float, clock: Callable[[], float] = monotonic
    ) -> None:
        self._load, self.ttl, self._clock = load, ttl, clock
        self._value: tuple = ()
        self._expires = float("-inf")

    def get(self) -> tuple:
        if self._clock() >= self._expires:
            self._value = self._load()
            self._expires = self._clock() + self.ttl
        return self._value

    def invalidate(self) -> None:
        self._expires = float("-inf")
