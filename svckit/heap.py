"""The heap of a long-running service, frozen once started (issue 10, reads at the gateway).

CPython's full (generation 2) collection walks every tracked object. A started gateway holds
about 160,000 (modules, models, the route map, the OpenAPI description), so under 50 readers
each full collection, every 6-8 s, took ~100 ms of CPU while every read in flight waited: a p99
of its own (bench/api_reads.py, gc.callbacks timings). Those objects live as long as the
process, so ``gc.freeze()`` moves them out of the collector's sight; a full collection then
walks only what was made since (about 2,000 objects: under a millisecond).

Frozen once, ``after_seconds`` after the container started (the first requests build what is
built lazily), right after a full collection. An object frozen alive that later becomes cyclic
garbage is never freed, which is why this is done once and not repeatedly. Config
``GC: {freeze_after_seconds}``; absent, nothing is frozen (tests share one process).
"""

from __future__ import annotations

import gc
import logging

import eventlet
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


def freeze() -> int:
    """Collect, then freeze every object left; the number frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class FrozenHeap(DependencyProvider):
    def setup(self) -> None:
        after = (self.container.config.get("GC") or {}).get("freeze_after_seconds")
        self.after_seconds = None if after in (None, "") else float(after)

    def start(self) -> None:
        if self.after_seconds is not None:
            self.container.spawn_managed_thread(self._freeze_later)

    def _freeze_later(self) -> None:
        eventlet.sleep(self.after_seconds)
        log.info("froze %d objects of the started service out of garbage collection", freeze())
