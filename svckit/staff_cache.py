"""Staffing's answers kept a few seconds: who a person is (``get_staff``) and the organisation.

Staffing owns both; calls (issue 10) and assets (issue 13) ask it over RPC, keep each answer for
``cache_seconds`` of their config section (2 s by default, 0 asks every time) per instance, and
forget at once what staffing's ``staff.*`` (and, for assets, ``leave.approved``) events say
changed; with several instances the event reaches one, the others follow within the cache's
seconds. A decision rests on data at most that old, never on a token's claims.

Why not a projection from staffing's events: people staffing never announced (records set up
before the events existed, or seeded straight into its database) would be missing, and who acts
for a post depends on leave, absences and named covers (S1.5), which staffing computes and no
event carries whole. Why not ask every time: a second RPC round trip (gateway → service →
staffing) on every read the console makes all day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider

DEFAULT_SECONDS = 2.0
MAX_ENTRIES = 10_000

Org = TypeVar("Org")


class StaffCache:
    """Staff records by id and the organisation, each kept ``ttl`` seconds; shared by a
    container's workers."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[int, tuple[dict[str, Any] | None, float]] = {}
        self._org: tuple[Any, float] | None = None

    def staff(self, staff_id: int, fetch: Callable[[int], dict[str, Any] | None]) -> dict | None:
        """Staffing's record of ``staff_id`` (None: unknown), asked with ``fetch`` when not kept."""
        now = self.clock()
        hit = self.entries.get(staff_id)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        record = fetch(staff_id)
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[staff_id] = (record, now)
        return record

    def org(self, fetch: Callable[[], Org]) -> Org:
        """The organisation as ``fetch`` gives it, asked again after ``ttl`` seconds."""
        now = self.clock()
        if self._org is None or now - self._org[1] >= self.ttl:
            self._org = (fetch(), now)
        return self._org[0]

    def forget(self, staff_id: int | None = None) -> None:
        """After a staffing event: the organisation, and the person, are asked again."""
        self._org = None
        if staff_id is not None:
            self.entries.pop(staff_id, None)


class StaffCacheProvider(DependencyProvider):
    """Injects the container's :class:`StaffCache`, its seconds from ``<section>.cache_seconds``."""

    def __init__(self, section: str) -> None:
        self.section = section

    def setup(self) -> None:
        settings = self.container.config.get(self.section) or {}
        self.cache = StaffCache(float(settings.get("cache_seconds", DEFAULT_SECONDS)))

    def get_dependency(self, worker_ctx) -> StaffCache:
        return self.cache
