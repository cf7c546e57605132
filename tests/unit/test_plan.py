"""The staffing plan (S3.3): forecast from measured calls, Erlang C needs, roster shortfall."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.staffing.plan import (
    Call,
    PlanSettings,
    Rostered,
    forecast,
    plan_day,
    rostered_per_interval,
)

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY, TUESDAY, WEDNESDAY = date(2024, 10, 14), date(2024, 10, 15), date(2024, 10, 16)
SATURDAY = date(2024, 10, 19)
NINE = 18  # the 09:00-09:30 interval


def burst(day: date, hour: int, minute: int, calls: int, seconds: float) -> list[Call]:
    """``calls`` arrivals spread over the half hour from hour:minute, each ``seconds`` long."""
    start = datetime.combine(day, time(hour, minute), tzinfo=ZONE)
    step = timedelta(minutes=30) / calls
    return [Call(start + step * n, seconds) for n in range(calls)]


MEASURED = [
    *burst(MONDAY, 9, 0, 100, 180),
    *burst(TUESDAY, 9, 0, 100, 180),
    *burst(TUESDAY, 14, 30, 20, 180),
    *burst(SATURDAY, 9, 0, 10, 180),  # a rest day: not like a Wednesday
]
ROSTER = [
    *[Rostered("seat_agent", ((time(8), time(16)),))] * 5,
    Rostered("seat_agent", ((time(16), time(0)),)),
    Rostered("duty_leader", ((time(8), time(20)),)),
    Rostered("deputy_team_lead", ((time(9), time(17, 30)),)),
    Rostered("window_staff", ((time(8), time(17)),)),  # not a hotline role: not counted
]


def test_forecast_averages_measured_days_of_the_same_kind():
    fc = forecast(MEASURED, WEDNESDAY, ZONE, PlanSettings())
    assert fc.days_used == (MONDAY, TUESDAY)
    assert fc.arrivals[NINE] == 100 and fc.arrivals[29] == 10 and sum(fc.arrivals) == 110
    assert fc.handling_seconds == pytest.approx(180)
    weekend = forecast(MEASURED, date(2024, 10, 26), ZONE, PlanSettings())
    assert weekend.days_used == (SATURDAY,) and weekend.arrivals[NINE] == 10
    only_weekdays = forecast(MEASURED[:200], SATURDAY, ZONE, PlanSettings())
    assert only_weekdays.days_used == (MONDAY, TUESDAY)  # nothing alike measured: all days


def test_roster_counts_whole_intervals_per_role():
    counts = rostered_per_interval(ROSTER)
    assert counts["seat_agent"][15] == 0 and counts["seat_agent"][16] == 5  # 07:30, 08:00
    assert counts["seat_agent"][31] == 5 and counts["seat_agent"][32] == 1  # 15:30, 16:00
    assert counts["seat_agent"][47] == 1  # 23:30, the evening shift ends at midnight
    assert counts["deputy_team_lead"][17] == 0 and counts["deputy_team_lead"][18] == 1


def test_a_known_burst_needs_the_worked_example_staffing_and_shows_the_shortfall():
    """100 calls in a half hour at 180 s is the Call Centre Helper example: 14 agents
    answering, 20 rostered with 30 % shrinkage; 5 are rostered, so 15 are short."""
    plan = plan_day(
        WEDNESDAY, forecast(MEASURED, WEDNESDAY, ZONE, PlanSettings()),
        rostered_per_interval(ROSTER), ZONE, PlanSettings(),
    )
    nine = plan["intervals"][NINE]
    assert nine["starts"] == "09:00" and nine["traffic_erlangs"] == pytest.approx(10)
    assert (nine["agents_answering"], nine["seat_agents_needed"]) == (14, 20)
    assert (nine["seat_agents_rostered"], nine["seat_agents_short"]) == (5, 15)
    assert nine["service_level_rostered"] == 0.0  # 3 on the phones for 10 Erlangs
    assert nine["duty_leaders_needed"] == 1 and nine["duty_leaders_short"] == 0
    summary = plan["summary"]
    # 14:30: 10 calls (1 Erlang) need 3 answering (2 give 70 %), 5 rostered: enough
    assert plan["intervals"][29]["seat_agents_needed"] == 5
    assert summary["seat_agent"]["short_intervals"] == [{"starts": "09:00", "short": 15}]
    assert summary["seat_agent"]["peak_needed"] == 20
    # the deputy team lead is needed while the office is open (S1.7) and starts at 09:00
    assert summary["deputy_team_lead"]["short_intervals"] == [{"starts": "08:30", "short": 1}]
    assert summary["deputy_team_lead"]["hours_needed"] == 6.5  # 3.5 h + 3 h of office hours
    assert summary["roster_short"] is True


def test_a_quiet_day_with_a_full_roster_is_not_short():
    settings = PlanSettings(deputy_team_leads=0)
    quiet = [*burst(MONDAY, 14, 30, 10, 180), *burst(TUESDAY, 14, 30, 10, 180)]  # 1 Erlang
    plan = plan_day(
        WEDNESDAY, forecast(quiet, WEDNESDAY, ZONE, settings),
        rostered_per_interval(ROSTER), ZONE, settings,
    )
    assert plan["summary"]["roster_short"] is False
    at_half_two = plan["intervals"][29]
    assert at_half_two["seat_agents_needed"] <= 5 and at_half_two["service_level_rostered"] >= 0.8


def test_the_duty_leader_ratio_and_a_configured_handling_time():
    settings = PlanSettings(agents_per_duty_leader=8, handling_time_seconds=360)
    plan = plan_day(
        WEDNESDAY, forecast(MEASURED, WEDNESDAY, ZONE, settings),
        rostered_per_interval(ROSTER), ZONE, settings,
    )
    nine = plan["intervals"][NINE]
    assert plan["basis"]["handling_time_source"] == "configured"
    assert nine["traffic_erlangs"] == pytest.approx(20)
    assert nine["duty_leaders_needed"] == -(-nine["seat_agents_needed"] // 8) >= 2


def test_no_measured_calls_means_no_seats_but_still_the_deputy():
    plan = plan_day(
        WEDNESDAY, forecast([], WEDNESDAY, ZONE, PlanSettings()), rostered_per_interval([]),
        ZONE, PlanSettings(),
    )
    assert plan["summary"]["seat_agent"]["peak_needed"] == 0
    assert plan["summary"]["duty_leader"]["peak_needed"] == 0
    assert plan["summary"]["deputy_team_lead"]["max_short"] == 1


@pytest.mark.parametrize(
    "values",
    [{"shrinkage": "1"}, {"target_level": "80"}, {"target_seconds": "x"}, {"nope": 1},
     {"lookback_days": "0"}],
)
def test_bad_settings_are_refused(values):
    with pytest.raises(ValueError):
        PlanSettings.from_mapping(values)


def test_settings_from_text():
    values = {"shrinkage": "0.25", "lookback_days": "7", "target_seconds": ""}
    settings = PlanSettings.from_mapping(values)
    assert (settings.shrinkage, settings.lookback_days) == (0.25, 7)
    assert settings.target_seconds == 20  # an empty value keeps the default


def test_measured_talk_and_wrap_up_beat_the_ivr_session_unless_configured():
    fc = forecast(MEASURED, WEDNESDAY, ZONE, PlanSettings(), handled=[200.0, 280.0])
    assert fc.handling_seconds == 240.0
    assert fc.handling_source == "measured: talk + wrap-up of 2 answered calls (AMI)"
    fixed = forecast(MEASURED, WEDNESDAY, ZONE, PlanSettings(handling_time_seconds=300),
                     handled=[200.0])
    assert (fixed.handling_seconds, fixed.handling_source) == (300, "configured")


def test_each_half_hour_compares_the_forecast_with_what_happened():
    from services.staffing.plan import Outcome, actuals_per_interval

    nine = datetime.combine(WEDNESDAY, time(9, 5), tzinfo=ZONE)
    outcomes = [Outcome(nine, 12.0, False), Outcome(nine, 25.0, False),
                Outcome(nine, None, True), Outcome(nine + timedelta(days=1), 1.0, False)]
    actuals = actuals_per_interval(outcomes, WEDNESDAY, ZONE, 20)
    assert actuals[NINE] == (3, 1, 1) and sum(sum(a) for a in actuals) == 5
    fc = forecast(MEASURED, WEDNESDAY, ZONE, PlanSettings())
    plan = plan_day(WEDNESDAY, fc, rostered_per_interval(ROSTER), ZONE, PlanSettings(), actuals)
    assert {k: plan["intervals"][NINE][k] for k in ("arrivals", "offered", "abandoned")} == {
        "arrivals": 100, "offered": 3, "abandoned": 1}
    assert plan["happened"] == {"forecast_arrivals": 110.0, "offered": 3,
                                "answered_in_target": 1, "abandoned": 1,
                                "service_level": 0.3333, "abandonment_rate": 0.3333}
