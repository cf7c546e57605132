"""Who holds which post and who a person is, as staffing knows them (issue 13).

The choice: ask staffing over RPC (``organisation``: posts with who acts for each now;
``get_staff``: a person's department and whether they left), and keep each answer for
``ORG.cache_seconds`` (2 s by default) per instance, forgotten at once when staffing's
``staff.*`` and ``leave.approved`` events arrive. Not a projection built from events: who acts
for a post depends on leave, absences and named covers (S1.5), which staffing computes and no
event carries whole; re-deriving them here would be a second copy of staffing's rules. Never
staffing's tables. Decisions rest on data at most the cache's seconds old.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

from services.assets.org_view import Org

DEFAULT_SECONDS = 2.0
MAX_ENTRIES = 10_000


class Directory:
    """The organisation and staff records, cached; shared by a container's workers."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._org: tuple[Org, float] | None = None
        self._staff: dict[int, tuple[dict[str, Any] | None, float]] = {}

    def org(self, fetch: Callable[[], dict]) -> Org:
        now = self.clock()
        if self._org is None or now - self._org[1] >= self.ttl:
            self._org = (Org.from_overview(fetch()), now)
        return self._org[0]

    def staff(self, staff_id: int, fetch: Callable[[int], dict | None]) -> dict | None:
        now = self.clock()
        hit = self._staff.get(staff_id)
        if hit is None or now - hit[1] >= self.ttl:
            if len(self._staff) >= MAX_ENTRIES:
                self._staff.clear()
            hit = (fetch(staff_id), now)
            self._staff[staff_id] = hit
        return hit[0]

    def forget(self, staff_id: int | None = None) -> None:
        """After a staffing event: the organisation, and the person, are asked again."""
        self._org = None
        if staff_id is not None:
            self._staff.pop(staff_id, None)


class DirectoryProvider(DependencyProvider):
    def setup(self) -> None:
        seconds = (self.container.config.get("ORG") or {}).get("cache_seconds", DEFAULT_SECONDS)
        self.directory = Directory(float(seconds))

    def get_dependency(self, worker_ctx) -> Directory:
        return self.directory
