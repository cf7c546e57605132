"""Login throttling (issue 10, services/staffing/throttle.py): growing delays, a lockout of the
(username, address) pair only, a run of failures forgotten after its window, a username's delays
that spare the member's known addresses."""

from datetime import UTC, datetime, timedelta

import pytest

from services.staffing.throttle import (
    ADDRESS,
    PAIR,
    USER,
    Policy,
    Schedule,
    Standing,
    State,
    Verdict,
    after_failure,
    check,
    decide,
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
    address = Policy.from_config({"per_address": {"free": 20, "max_delay_seconds": 60}}).address
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


POLICY = Policy.from_config({})  # the defaults: pair 3 free, locked at 10; username 5 free


def attacked(times: int, signed_in_at=None) -> Standing:
    """A stranger's ``times`` wrong passwords for one username from one address, as seen from
    another address of the member (the username's count is shared, the pair's is not)."""
    user = failed(times, POLICY.user)
    return Standing(user=user, signed_in_at=signed_in_at)


def test_only_the_pair_is_ever_locked():
    assert POLICY.pair.lockout_after == 10
    assert POLICY.user.lockout_after is None and POLICY.address.lockout_after is None
    stranger = Standing(pair=failed(10, POLICY.pair), user=failed(10, POLICY.user),
                        address=failed(10, POLICY.address))
    assert decide(stranger, T0 + timedelta(days=30), POLICY).locked
    # the member elsewhere is never locked by it, however many failures the username has
    assert not decide(attacked(500), T0, POLICY).locked


def test_the_usernames_delays_spare_an_address_the_member_signed_in_from():
    known = decide(attacked(12, signed_in_at=T0 - timedelta(days=3)), T0, POLICY)
    assert known.allowed
    unknown = decide(attacked(12), T0, POLICY)
    assert not unknown.locked and set(unknown.waits) == {USER}
    assert unknown.waits[USER] == POLICY.user.max_delay  # bounded: 1 minute at most
    # a sign-in long ago no longer makes the address known
    stale = decide(attacked(12, signed_in_at=T0 - timedelta(days=91)), T0, POLICY)
    assert set(stale.waits) == {USER}


def test_a_known_address_still_waits_for_its_own_failures_and_the_address():
    mine = Standing(pair=failed(5, POLICY.pair), address=failed(25, POLICY.address),
                    signed_in_at=T0 - timedelta(hours=1))
    decision = decide(mine, T0, POLICY)
    assert set(decision.waits) == {PAIR, ADDRESS} and not decision.locked
    locked = Standing(pair=failed(10, POLICY.pair), signed_in_at=T0 - timedelta(hours=1))
    assert decide(locked, T0, POLICY).locked  # her own ten mistakes: HR lifts it


def test_the_policy_from_config_refuses_a_lock_on_a_username_or_an_address_alone():
    policy = Policy.from_config({"per_pair": {"lockout_after": "4"},
                                 "per_username": {"free": 2, "max_delay_seconds": 30},
                                 "known_address_days": 7})
    assert policy.pair.lockout_after == 4 and policy.pair.free == 3
    assert policy.user.free == 2 and policy.user.max_delay == timedelta(seconds=30)
    assert policy.known_for == timedelta(days=7)
    assert Policy.from_config({"per_pair": {"lockout_after": 0}}).pair.lockout_after is None
    for bad in ({"per_username": {"lockout_after": 10}}, {"per_address": {"lockout_after": 3}},
                {"known_address_days": -1}):
        with pytest.raises(ValueError):
            Policy.from_config(bad)
