"""The service clock: real time unless a test (TEST_CLOCK: true) sets it; a configured timer."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from svckit.clock import Clock, ClockNotSettable, ConfiguredTimer


def clock(config: dict) -> Clock:
    provider = Clock()
    provider.container = SimpleNamespace(config=config)
    return provider


def test_the_real_time_by_default_and_not_settable_outside_tests():
    provider = clock({})
    assert abs(provider.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ClockNotSettable, match="TEST_CLOCK"):
        provider.set(datetime(2026, 2, 14, tzinfo=UTC))


def test_a_test_sets_the_time_in_any_zone_and_unsets_it():
    provider = clock({"TEST_CLOCK": True})
    provider.set(datetime(2026, 2, 14, 16, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert provider.now() == datetime(2026, 2, 14, 8, tzinfo=UTC)
    with pytest.raises(ClockNotSettable, match="naive"):
        provider.set(datetime(2026, 2, 14))
    provider.set(None)
    assert provider.now().year >= 2026 and provider.now() != datetime(2026, 2, 14, 8, tzinfo=UTC)


@pytest.mark.parametrize(("config", "interval"), [({}, 30.0), ({"D": {"every": 0.5}}, 0.5)])
def test_the_timer_interval_comes_from_the_config(config, interval):
    timer = ConfiguredTimer("D", "every", 30)
    timer.container = SimpleNamespace(config=config)
    timer.setup()
    assert timer.interval == interval
