from datetime import UTC, datetime, timedelta

from services.calls.recovery import interrupted_at

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_an_interrupted_call_ended_when_its_instance_was_last_seen():
    assert interrupted_at(T, T + timedelta(seconds=30)) == T + timedelta(seconds=30)


def test_never_before_it_began_and_at_its_start_when_nothing_is_known():
    assert interrupted_at(T, T - timedelta(seconds=30)) == T
    assert interrupted_at(T, None) == T
