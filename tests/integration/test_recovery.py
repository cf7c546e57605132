"""Calls a crashed calls process left in progress are closed as interrupted, once, with their
call.ended (services/calls/recovery.py)."""

from datetime import UTC, datetime, timedelta

from services.calls.models import Call, CallsInstance
from tests.integration import amqp

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def a_call(uniqueid: str, instance_id: str | None, started_at: datetime) -> Call:
    return Call(uniqueid=uniqueid, channel="PJSIP/trunk-1", caller_number="13800138000",
                caller_name="张三", dnid="95598", started_at=started_at, digits="2",
                outcome="in_progress", instance_id=instance_id)


def test_a_dead_instance_s_calls_are_closed_as_interrupted_and_announced(
    stores, run_service, amqp_uri
):
    crashed_at = NOW - timedelta(minutes=1)
    with stores["calls"].transaction() as session:
        session.add_all([
            CallsInstance(instance_id="dead", started_at=NOW - timedelta(hours=1),
                          seen_at=crashed_at),
            CallsInstance(instance_id="alive", started_at=NOW, seen_at=NOW),
            a_call("1764.1", "dead", crashed_at - timedelta(seconds=40)),
            a_call("1764.2", "alive", NOW - timedelta(seconds=5)),
            a_call("1764.3", None, NOW - timedelta(hours=2)),  # from before instances
        ])
    ended = amqp.Listener(amqp_uri, "calls.events", "call.ended")
    run_service("calls", at=NOW)

    events = ended.drain(expect=2)
    assert sorted((e["payload"]["call_uniqueid"], e["payload"]["outcome"]) for e in events) == [
        ("1764.1", "interrupted"), ("1764.3", "interrupted")]
    with stores["calls"].transaction() as session:
        calls = {c.uniqueid: c for c in session.query(Call)}
        assert calls["1764.1"].ended_at == crashed_at  # when its process was last seen
        assert calls["1764.3"].ended_at == NOW - timedelta(hours=2)
        assert calls["1764.2"].outcome == "in_progress"  # its process is alive
        assert session.get(CallsInstance, "dead") is None
    assert ended.drain(expect=1, timeout=1.0) == []  # closed once, announced once
