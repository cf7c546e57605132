"""The monthly evaluation's figures on a known month (S3.2), from facts as events give them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.events import Actor, ClockStopped, WorkOrderStatus, WorkOrderTransitioned
from services.staffing.evaluation import (
    Fact,
    InvalidMonth,
    Kind,
    Score,
    evaluate,
    fact_from,
    month_bounds,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
PEOPLE = {1: ("坐席员01", "seat_agent"), 2: ("坐席员02", "seat_agent"), 9: ("值长", "duty_leader")}


def fact(kind, order, staff=1, **values):
    return Fact(Kind(kind), order, staff, values.pop("at", NOV), **values)


KNOWN_MONTH = [
    fact("assigned", "A"), fact("assigned", "B"), fact("assigned", "C"), fact("assigned", "A"),
    fact("replied", "A", hours=2.0), fact("replied", "B", hours=30.0),
    fact("replied", "A", hours=4.0),  # reopened, replied again
    fact("revisited", "A", satisfaction=2, solved=False),
    fact("revisited", "A", satisfaction=5, solved=True),
    fact("revisited", "B", satisfaction=4, solved=True),
    fact("clock_stopped", "A", clock="completion", on_time=True),
    fact("clock_stopped", "B", clock="completion", on_time=False),
    fact("overdue", "C", clock="reply"), fact("escalated", "C", clock="reply"),
    fact("overdue", "D", clock="callback"), fact("clock_stopped", "D", clock="callback",
                                                  on_time=False),
    fact("clock_stopped", "E", clock="callback", on_time=True),
    fact("clock_stopped", "F", clock="callback", on_time=True),
    fact("assigned", "G", staff=2), fact("replied", "G", staff=2, hours=1.5),
]


def test_a_known_month_gives_each_agent_s_figures():
    rows = {row.staff_id: row for row in evaluate(KNOWN_MONTH, PEOPLE, {1: Score(88, "好", 9)})}
    agent = rows[1]
    assert (agent.orders_assigned, agent.orders_handled) == (3, 3)
    assert agent.average_hours_to_reply == 12.0  # (2 + 30 + 4) / 3
    assert agent.on_time_rate == {"callback": 0.6667, "completion": 0.5, "reply": 0.0}
    assert agent.callback_on_time_rate == 0.6667  # D went overdue: late, counted once
    assert (agent.escalations, agent.revisits, agent.unsolved) == (1, 3, 1)
    assert agent.satisfaction == pytest.approx(3.67)
    assert (agent.score, agent.comment, agent.scored_by) == (88, "好", 9)
    other = rows[2]
    assert (other.orders_handled, other.average_hours_to_reply, other.score) == (1, 1.5, None)
    assert other.on_time_rate == {} and other.satisfaction is None
    leader = rows[9]
    assert (leader.orders_assigned, leader.role) == (0, "duty_leader")


def test_month_bounds_are_local_so_the_first_hours_of_a_month_belong_to_it():
    start, end = month_bounds("2026-11", SHANGHAI)
    first_local_hour = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 Nov in Shanghai
    assert start <= first_local_hour < end
    assert end == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert month_bounds("2026-12", SHANGHAI)[1] == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    for bad in ("2026-13", "2026-1", "nov", "2026-11-01"):
        with pytest.raises(InvalidMonth):
            month_bounds(bad, SHANGHAI)


def transition(event_type_action: str, **extra) -> WorkOrderTransitioned:
    return WorkOrderTransitioned(
        work_order_id="W", action=event_type_action, from_status=WorkOrderStatus.IN_PROGRESS,
        to_status=WorkOrderStatus.REPLIED, actor=Actor(id="1", role="seat_agent"),
        assignee_id=1, category="complaint", created_at=NOV, at=NOV + timedelta(hours=6),
        **extra,
    )


def test_events_become_facts_of_the_order_s_owner():
    replied = fact_from("work_order.replied", transition("reply"))
    assert (replied.kind, replied.staff_id, replied.hours) == (Kind.REPLIED, 1, 6.0)
    revisited = fact_from(
        "work_order.revisited", transition("revisit", data={"satisfaction": 4, "solved": True})
    )
    assert (revisited.satisfaction, revisited.solved) == (4, True)
    stopped = ClockStopped(
        work_order_id="W", clock="contact", policy_key="complaint.contact", category="complaint",
        assignee_id=None, due_at=NOV, stopped_at=NOV, on_time=True,
    )
    assert fact_from("work_order.clock_stopped", stopped) is None  # nobody owned it
    owned = stopped.model_copy(update={"assignee_id": 1})
    assert fact_from("work_order.clock_stopped", owned).on_time is True
    cancelled = owned.model_copy(update={"cancelled": True})  # merged or reclassified
    assert fact_from("work_order.clock_stopped", cancelled) is None
    assert fact_from("work_order.dispatched", transition("dispatch")) is None
