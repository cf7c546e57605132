"""The time a service acts at, and a timer whose interval is a setting.

:class:`Clock` is the business time: when a call starts, an order opens, a clock is due, a
person clocks in. It is the real time; with ``TEST_CLOCK: true`` in the config a test may set it
(:meth:`Clock.set`), so that rules can be checked on pinned calendar dates without waiting.
:func:`wall_now` is the one other reading of the wall clock, for the platform's own machinery
(outbox retries and housekeeping, processed-message records, token expiry), which must keep
running in real time whatever date a test pins.
:class:`ConfiguredTimer` is nameko's timer with its interval read from the config.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from nameko.timer import Timer


def wall_now() -> datetime:
    """The real time, in UTC: for infrastructure only, never for a business rule."""
    return datetime.now(UTC)


class ClockNotSettable(Exception):
    """Setting the time is refused outside tests."""


class Clock(DependencyProvider):
    """Injects itself: ``now()`` is the real time unless a test set another."""

    def __init__(self, config_key: str = "TEST_CLOCK") -> None:
        self.config_key = config_key
        self.fixed: datetime | None = None

    @property
    def settable(self) -> bool:
        return bool(self.container.config.get(self.config_key, False))

    def get_dependency(self, worker_ctx) -> Clock:
        return self

    def now(self) -> datetime:
        return self.fixed or wall_now()

    def set(self, at: datetime | None) -> None:
        """Fix the time at ``at`` (zoned), or go back to the real time with None."""
        if not self.settable:
            raise ClockNotSettable(f"the clock is set only with {self.config_key}: true (tests)")
        if at is not None and at.utcoffset() is None:
            raise ClockNotSettable(f"{at.isoformat()} is naive: give a zone offset")
        self.fixed = at.astimezone(UTC) if at else None


class ConfiguredTimer(Timer):
    """A timer whose interval (seconds) is ``config[section][key]``, else ``default``."""

    def __init__(self, section: str, key: str, default: float, **kwargs) -> None:
        super().__init__(interval=default, **kwargs)
        self.section, self.key, self.default = section, key, default

    def setup(self) -> None:
        section = self.container.config.get(self.section) or {}
        self.interval = float(section.get(self.key, self.default))
        super().setup()


configured_timer = ConfiguredTimer.decorator
