"""The live figures per queue (issue 16) count a call where it was offered: one that rang out
on the routed agent's phone and then joined the queue is offered to the queue too, so the
queue's service level (answered within 20 s / offered) never counts an answer it was not
offered."""

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select

from services.staffing import agent_store
from services.staffing.call_facts import Fact
from services.staffing.models import AgentCall, Base
from svckit.db import ServiceStore

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WRAPUP = timedelta(seconds=15)


def _count(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _figures() -> tuple[float, ...]:
    return (_count("csc_calls_offered_total", queue="direct"),
            _count("csc_calls_offered_total", queue="95598"),
            _count("csc_calls_answered_total", queue="95598", within_target="yes"))


def test_a_call_rung_out_on_the_routed_phone_then_queued_is_offered_to_both(tmp_path):
    store = ServiceStore(f"sqlite:///{tmp_path / 'staffing.db'}", Base.metadata)
    Base.metadata.create_all(store.engine)
    before = _figures()
    steps = [(0, Fact("ring", "k", device="PJSIP/8001")),
             (15, Fact("no_answer", "k", device="PJSIP/8001")),
             (15, Fact("offered", "k", queue="95598")),  # Queue(95598), the dialplan's fallback
             (16, Fact("ring", "k", queue="95598", device="PJSIP/8002")),
             (19, Fact("answered", "k", device="PJSIP/8002")),  # DialEnd ANSWER comes first
             (19, Fact("answered", "k", queue="95598", device="PJSIP/8002", seconds=4))]
    for seconds, fact in steps:
        with store.transaction() as session:
            agent_store.apply_call_fact(session, fact, T0 + timedelta(seconds=seconds), WRAPUP)
    after = _figures()
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (1, 1, 1)
    with store.transaction() as session:
        row = session.scalar(select(AgentCall))
        assert (row.queue, row.hold_seconds, row.no_answers) == ("95598", 19.0, 1)
    store.engine.dispose()
