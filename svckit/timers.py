"""A nameko timer whose interval the service's config may set (tests sweep faster)."""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """``Timer`` firing every ``config[config_key]`` seconds when that key is set, else
    ``interval``."""

    def __init__(self, interval: float, config_key: str, **kwargs) -> None:
        self.config_key = config_key
        super().__init__(interval, **kwargs)

    def setup(self) -> None:
        configured = self.container.config.get(self.config_key)
        if configured is not None:
            self.interval = float(configured)


configured_timer = ConfiguredTimer.decorator
