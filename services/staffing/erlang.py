"""Erlang C (M/M/N queue) for the staffing plan (S3.3): pure functions, no dependencies.

Inputs are offered traffic ``A`` in Erlangs (calls x average handling time / period) and a
number of agents ``N``. The probability of waiting is computed from Erlang B by the stable
recurrence B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)), then C = N·B / (N - A·(1 - B)):
no factorials or powers, so it holds for hundreds of agents.
"""

from __future__ import annotations

import math


def traffic_intensity(calls: float, period_seconds: float, aht_seconds: float) -> float:
    """Offered traffic in Erlangs: ``calls`` arriving in ``period_seconds``, each ``aht`` long."""
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    if calls < 0 or aht_seconds < 0:
        raise ValueError("calls and aht_seconds must not be negative")
    return calls * aht_seconds / period_seconds


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` Erlangs (no queue)."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call waits; 1.0 when the agents cannot carry the traffic (A >= N)."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of calls answered within ``target_seconds``."""
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(agents, traffic)
    return 1 - waits * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait before answer in seconds (infinite when A >= N)."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def required_agents(
    traffic: float,
    aht_seconds: float,
    target_level: float = 0.8,
    target_seconds: float = 20.0,
    max_occupancy: float = 1.0,
) -> int:
    """The fewest agents giving ``target_level`` within ``target_seconds`` with occupancy
    A/N below 1 and at most ``max_occupancy``; 0 when there is no traffic."""
    if not 0 < target_level < 1:
        raise ValueError("target_level must be between 0 and 1 (exclusive)")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    if traffic == 0:
        return 0
    agents = max(1, math.floor(traffic) + 1, math.ceil(traffic / max_occupancy))
    while service_level(agents, traffic, aht_seconds, target_seconds) < target_level:
        agents += 1
    return agents
