"""Areas by address keywords, the storm rule on known sequences of reports, the TTL cache."""

from datetime import UTC, datetime, timedelta

import pytest

from services.calls.outages import (
    ActiveOutage,
    Area,
    OpenStorm,
    Report,
    StormRule,
    TtlCache,
    area_of,
    areas_from_config,
    link_storm,
    normalize,
    outage_for,
)

WANGJIANG = Area("望江街道", ("上城区望江街道", "杭州市上城区 望江"))
AREAS = areas_from_config(
    {
        "望江街道": ["上城区望江街道"],
        "上城区": ["上城区"],
        "城南区": ["城南区"],
    }
)


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("浙江省杭州市上城区望江街道近江村 3 幢 201", True),
        ("上城区望江街道秋涛路 1 号", True),
        ("杭州市 上城区 望江街道", True),  # spaces as people type them
        ("杭州市上城区望江街道", True),
        ("杭州市上城區望江街道", False),  # traditional 區 is another character
        ("杭州市上城区清波街道", False),
        ("杭州市西湖区望江路", False),  # 望江 alone is not the keyword
        ("", False),
    ],
)
def test_an_address_is_in_an_area_when_a_keyword_occurs_in_it(address, inside):
    assert WANGJIANG.contains(address) is inside


def test_normalizing_drops_spaces_and_punctuation_and_folds_full_width():
    assert normalize(" 城南区 建设路 12 号,") == "城南区建设路12号"
    assert normalize("ＡＢＣ１２３　幢") == "abc123幢"


def test_the_first_configured_area_that_matches_wins():
    assert area_of("上城区望江街道 5 号", AREAS).name == "望江街道"
    assert area_of("上城区清波街道 5 号", AREAS).name == "上城区"
    assert area_of("城南区 建设路 12 号", AREAS).name == "城南区"
    assert area_of("城北区 人民路 8 号", AREAS) is None


def test_an_area_needs_a_name_and_a_keyword():
    with pytest.raises(ValueError):
        Area("空", ("  ", ","))
    with pytest.raises(ValueError):
        Area(" ", ("城南区",))


def test_the_outage_of_an_address():
    outages = [ActiveOutage("o1", AREAS[0]), ActiveOutage("o2", AREAS[2])]
    assert outage_for("城南区建设路", outages).id == "o2"
    assert outage_for("城北区人民路", outages) is None


T0 = datetime(2025, 7, 1, 14, 0, tzinfo=UTC)
RULE = StormRule(reports=3, window=timedelta(minutes=30))


def reports(*minutes: float) -> list[Report]:
    return [Report(f"r{i}", T0 + timedelta(minutes=m)) for i, m in enumerate(minutes, start=1)]


def replay(minutes: list[float], rule: StormRule = RULE) -> list:
    """Feed reports one by one as the service does: unlinked ones, the storm once opened."""
    unlinked, storm, decisions = [], None, []
    for report in reports(*minutes):
        linking = link_storm(rule, report, unlinked, storm)
        decisions.append(linking)
        if linking.parent_id is None:
            unlinked.append(report)
        else:
            unlinked = [r for r in unlinked if r.order_id not in linking.merge]
            unlinked = [r for r in unlinked if r.order_id != linking.parent_id]
            storm = OpenStorm(linking.parent_id, report.at)
    return decisions


def test_the_third_report_within_thirty_minutes_is_a_storm():
    first, second, third, fourth = replay([0, 10, 29, 40])
    assert first.parent_id is None and second.parent_id is None
    assert (third.parent_id, third.merge, third.detected) == ("r1", ("r2", "r3"), True)
    # the storm stays open: the next report within 30 minutes of the last joins it, quietly
    assert (fourth.parent_id, fourth.merge, fourth.detected) == ("r1", ("r4",), False)


def test_reports_spread_wider_than_the_window_are_no_storm():
    assert [d.parent_id for d in replay([0, 20, 31, 52, 75])] == [None] * 5


def test_the_window_slides_and_the_first_report_inside_it_is_the_parent():
    decisions = replay([0, 25, 40, 50])
    assert [d.detected for d in decisions] == [False, False, False, True]
    assert (decisions[3].parent_id, decisions[3].merge) == ("r2", ("r3", "r4"))


def test_the_window_edge_counts_as_inside():
    assert replay([0, 15, 30])[2].detected is True
    assert replay([0, 15, 30.01])[2].detected is False


def test_a_storm_closes_after_a_quiet_window_and_a_new_one_can_open():
    decisions = replay([0, 1, 2, 40, 41, 42])
    assert [d.detected for d in decisions] == [False, False, True, False, False, True]
    assert decisions[5].parent_id == "r4"


def test_a_larger_rule():
    rule = StormRule(reports=5, window=timedelta(minutes=10))
    decisions = replay([0, 1, 2, 3, 4], rule)
    assert [d.detected for d in decisions] == [False] * 4 + [True]
    assert decisions[4].merge == ("r2", "r3", "r4", "r5")


def test_a_rule_needs_two_reports_and_a_window():
    with pytest.raises(ValueError):
        StormRule(reports=1)
    with pytest.raises(ValueError):
        StormRule(window=timedelta(0))


def test_the_cache_loads_once_per_ttl_and_after_invalidation():
    now, loads = [0.0], []

    def load():
        loads.append(now[0])
        return (len(loads),)

    cache = TtlCache(load, ttl=5, clock=lambda: now[0])
    assert cache.get() == (1,) and cache.get() == (1,)
    now[0] = 4.9
    assert cache.get() == (1,)
    now[0] = 5.0
    assert cache.get() == (2,)
    cache.invalidate()
    assert cache.get() == (3,)
    assert loads == [0.0, 5.0, 5.0]
