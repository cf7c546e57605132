"""Erlang C against published worked examples and tables (S3.3 staffing plan)."""

import math

import pytest

from services.staffing import erlang


def test_callcentrehelper_worked_example():
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    (callcentrehelper.com): 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s, maximum occupancy
    85 %, shrinkage 30 %. Traffic 10 Erlangs; with 11 agents P(wait) = 68.21 % and the service
    level 39.0 %; 14 agents are the first to reach 80 % (about 88.8 %), occupancy 71.4 %, and
    14 / (1 - 0.30) rounds up to 20 agents rostered."""
    traffic = erlang.traffic_intensity(100, 30 * 60, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang.erlang_c(11, traffic) == pytest.approx(0.6821, abs=5e-5)
    assert erlang.service_level(11, traffic, 180, 20) == pytest.approx(0.390, abs=5e-4)
    agents = erlang.required_agents(traffic, 180, 0.8, 20, max_occupancy=0.85)
    assert agents == 14
    assert erlang.service_level(13, traffic, 180, 20) < 0.8
    assert erlang.service_level(14, traffic, 180, 20) == pytest.approx(0.888, abs=1e-3)
    assert traffic / agents == pytest.approx(0.714, abs=1e-3)
    assert math.ceil(agents / (1 - 0.30)) == 20


def test_mitan_worked_example():
    """Mitan Ltd, "The Erlang-C formula" (mitan.co.uk/erlang/elgcmath.htm): 360 calls per half
    hour, 4-minute calls, 55 agents, 15-second target. Traffic 48 Erlangs, occupancy 0.873,
    E_C = 0.2387, average wait 0.1364 min (8.2 s), service level 84.6 %."""
    traffic = erlang.traffic_intensity(360, 30, 4)  # minutes throughout: units only need agree
    assert traffic == pytest.approx(48.0)
    assert traffic / 55 == pytest.approx(0.873, abs=5e-4)
    assert erlang.erlang_c(55, traffic) == pytest.approx(0.2387, abs=5e-5)
    assert erlang.average_speed_of_answer(55, traffic, 4) * 60 == pytest.approx(8.2, abs=0.05)
    assert erlang.service_level(55, traffic, 4, 0.25) == pytest.approx(0.846, abs=5e-4)


@pytest.mark.parametrize(
    ("agents", "traffic", "blocking"),
    # Erlang B table values (e.g. any published Erlang B table, such as the ITU-T traffic
    # engineering handbook's): grade of service for N lines offered A Erlangs.
    [(10, 10.0, 0.2146), (5, 2.0, 0.0367), (20, 12.0, 0.0098)],
)
def test_erlang_b_table_values(agents, traffic, blocking):
    assert erlang.erlang_b(agents, traffic) == pytest.approx(blocking, abs=5e-4)


def test_single_agent_is_the_m_m_1_queue():
    """With one agent the probability of waiting is the occupancy, and ASA = ρ/(1-ρ)·AHT."""
    for rho in (0.1, 0.5, 0.9):
        assert erlang.erlang_c(1, rho) == pytest.approx(rho)
        assert erlang.average_speed_of_answer(1, rho, 100) == pytest.approx(rho / (1 - rho) * 100)


def test_large_call_centres_stay_finite():
    traffic = erlang.traffic_intensity(6000, 1800, 300)  # 1000 Erlangs
    agents = erlang.required_agents(traffic, 300, 0.8, 20)
    assert 1000 < agents < 1100
    assert 0 < erlang.erlang_c(agents, traffic) < 1


def test_overload_and_no_traffic():
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(9, 10.0, 180, 20) == 0.0
    assert erlang.average_speed_of_answer(10, 10.0, 180) == math.inf
    assert erlang.required_agents(0.0, 180) == 0
    assert erlang.required_agents(0.05, 180) == 1
    with pytest.raises(ValueError):
        erlang.required_agents(1.0, 180, target_level=1.0)
