"""Login throttling (issue 10, services/staffing/throttle.py): growing delays, a lockout, a
run of failures forgotten after its window."""

from datetime import UTC, datetime, timedelta

import pytest

from services.staffing.throttle import (
    Schedule,
    State,
    Verdict,
    after_failure,
    check,
    delay,
)

T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
S = Schedule(free=3, base=timedelta(seconds=1), max_delay=timedelta(seconds=60),
             window=timedelta(minutes=15), lockout_after=10)


def failed(times: int, schedule: Schedule = S, gap: timedelta = timedelta(0)) -> State:
    state = State()
    for n in range(times):
        state = after_failure(state, T0 + n * gap, schedule)
    return state


def test_delays_double_after_the_free_failures_up_to_the_cap():
    assert [delay(n, S).total_seconds() for n in range(1, 12)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_a_key_waits_its_delay_from_the_last_failure():
    state = failed(5)  # two beyond the free three: 2 s
    assert check(state, T0, S) == Verdict(False, retry_after=timedelta(seconds=2))
    assert check(state, T0 + timedelta(seconds=1), S).retry_after == timedelta(seconds=1)
    assert check(state, T0 + timedelta(seconds=2), S) == Verdict(True)
    assert check(failed(3), T0, S) == Verdict(True)


def test_the_lockout_after_n_failures_does_not_wear_off():
    state = failed(10)
    assert state.locked_at == T0
    assert check(state, T0 + timedelta(days=30), S) == Verdict(False, locked=True)
    assert failed(9).locked_at is None


def test_failures_older_than_the_window_are_forgotten():
    state = failed(6)
    later = T0 + timedelta(minutes=15)
    assert check(state, later, S) == Verdict(True)
    assert after_failure(state, later, S).failures == 1
    spread = failed(12, gap=timedelta(minutes=16))  # never two in one window: never locked
    assert spread.failures == 1 and spread.locked_at is None


def test_an_address_schedule_without_lockout_only_slows_down():
    address = Schedule.from_mapping({"free": 20, "max_delay_seconds": 60})
    assert address.lockout_after is None
    state = failed(100, address)
    assert state.locked_at is None and delay(100, address) == timedelta(seconds=60)


@pytest.mark.parametrize("bad", [
    {"free": -1}, {"base_seconds": 0}, {"window_seconds": 0},
    {"base_seconds": 10, "max_delay_seconds": 5}, {"lockout_after": -2}, {"free": "x"},
])
def test_bad_schedules_are_refused(bad):
    with pytest.raises(ValueError):
        Schedule.from_mapping(bad)
