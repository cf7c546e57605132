"""Who a caller is now, as staffing knows them: a short read-through cache of ``get_staff``.

The choice (issue 10): the calls service decides what a person may read and do from their
current record (role, department, still on staff), and staffing owns that record. Two ways to
know it: ask staffing (``get_staff``) each time, or keep a projection from staffing's events.
A projection alone would miss people staffing never announced (records set up before the
events existed, or seeded straight into its database). Asking every time puts a second RPC
round trip (gateway → calls → staffing) on every read the console makes all day. So: ask
staffing, keep the answer for ``STAFF.cache_seconds`` (2 s by default) per instance, and forget
a person at once when staffing says they joined, transferred, left or changed role (``staff.*``
events; with several calls instances the event reaches one of them, the others follow within
the cache's seconds). A decision rests on data at most that old, never on a token's claims.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

DEFAULT_SECONDS = 2.0
MAX_ENTRIES = 10_000


class StaffCache:
    """staff id → (staffing's record or None, when fetched); shared by a container's workers."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[int, tuple[dict[str, Any] | None, float]] = {}

    def get(self, staff_id: int, fetch: Callable[[int], dict[str, Any] | None]) -> dict | None:
        now = self.clock()
        hit = self.entries.get(staff_id)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        record = fetch(staff_id)
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[staff_id] = (record, now)
        return record

    def forget(self, staff_id: int) -> None:
        self.entries.pop(staff_id, None)


class StaffDirectory(DependencyProvider):
    """Injects the container's :class:`StaffCache` (``STAFF.cache_seconds``; 0 asks always)."""

    def setup(self) -> None:
        seconds = (self.container.config.get("STAFF") or {}).get("cache_seconds", DEFAULT_SECONDS)
        self.cache = StaffCache(float(seconds))

    def get_dependency(self, worker_ctx) -> StaffCache:
        return self.cache
