"""The provisional calendar end to end (issue 8): deadlines reaching into a year whose holiday
arrangement is not published are computed by the statutory rule and flagged, then recomputed
once when the arrangement is loaded; on a real broker, SQLite and PostgreSQL.

Dates (chinese-calendar 1.11.0 knows up to 2026): 2026-12-28 is a Monday; 2027-01-01 (Friday)
is New Year's Day by statute; 2-3 January 2027 a weekend. The arrangement loaded here is made up
for the test: New Year's Day off and Saturday 2027-01-02 a make-up working day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from svckit import workdays
from tests.integration import amqp, harness
from tests.integration.client import get, login, start_system
from tests.integration.test_deadlines import DEADLINES, act, at, calls_rpc, clocks_of, open_order

SH = ZoneInfo("Asia/Shanghai")
ARRANGEMENT = "2027:\n  holidays: [2027-01-01]\n  workdays: [2027-01-02]\n"

pytestmark = pytest.mark.skipif(
    max(workdays.SOURCE.years) != 2026, reason="the dates below assume 2027 is not published"
)


def local(year: int, month: int, day: int, hour: int = 0) -> str:
    return datetime(year, month, day, hour, tzinfo=SH).isoformat()


def utc_iso(year: int, month: int, day: int, hour: int = 0) -> str:
    return datetime(year, month, day, hour, tzinfo=SH).astimezone(UTC).isoformat()


@pytest.fixture
def deadlines(stores, hotline_staff, run_service, amqp_uri):
    return start_system(stores, run_service, amqp_uri, TEST_CLOCK=True, DEADLINES=DEADLINES)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sweep(system, when: str) -> dict:
    return calls_rpc(system, "sweep_deadlines", when)


def due_and_flag(system, headers, order_id) -> dict[str, tuple[str, bool]]:
    return {name: (c["due_at"], c["provisional"])
            for name, c in clocks_of(system, headers, order_id).items()}


def provisional_gauge(system) -> float:
    port = harness.http_port(system["calls"])
    page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    line = next(x for x in page.splitlines() if x.startswith("csc_deadline_clocks_provisional "))
    return float(line.split()[1])


def test_deadlines_into_an_unpublished_year_are_flagged_then_replanned_once(
    deadlines, holiday_arrangements
):
    system, leader = deadlines, login(deadlines, "leader01")
    started = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.clock_started")
    listener = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.deadline_replanned")
    at(system, local(2026, 12, 28, 10))
    monday, _ = open_order(system, "3")  # a complaint: contact 1, reply 7 working days
    at(system, local(2026, 12, 31, 16))
    new_years_eve, _ = open_order(system, "3")
    inquiry, agent = open_order(system, "1")
    act(system, agent, inquiry["id"], "promise_callback", matter="电费账单核对")  # 1 working day

    assert due_and_flag(system, leader, monday["id"]) == {
        "contact": (utc_iso(2026, 12, 29, 10), False),  # all in 2026: exact
        "reply": (utc_iso(2027, 1, 7, 10), True),  # 29-31 Dec, then 4-7 Jan 2027
    }
    assert due_and_flag(system, leader, new_years_eve["id"]) == {
        "contact": (utc_iso(2027, 1, 4, 16), True), "reply": (utc_iso(2027, 1, 12, 16), True),
    }
    assert due_and_flag(system, leader, inquiry["id"])["callback"] == (
        utc_iso(2027, 1, 4, 16), True)
    flags = [e["payload"]["provisional"] for e in started.drain(expect=5, timeout=10)]
    assert sorted(flags) == [False, True, True, True, True]
    assert sweep(system, local(2026, 12, 31, 17))["replanned"] == 0
    assert provisional_gauge(system) == 4

    holiday_arrangements.write_text(ARRANGEMENT, encoding="utf-8")  # the State Council publishes
    assert sweep(system, local(2026, 12, 31, 18))["replanned"] == 4
    assert due_and_flag(system, leader, monday["id"])["reply"] == (utc_iso(2027, 1, 6, 10), False)
    assert due_and_flag(system, leader, new_years_eve["id"]) == {
        "contact": (utc_iso(2027, 1, 2, 16), False),  # the make-up Saturday counts
        "reply": (utc_iso(2027, 1, 11, 16), False),
    }
    callbacks = get(system, "/callbacks?state=due", leader).json()
    assert [c["reply_by"] for c in callbacks["items"]] == [utc_iso(2027, 1, 2, 16)]
    replanned = [e["payload"] for e in listener.drain(expect=4, timeout=10)]
    moves = sorted((r["clock"], instant(r["old_due_at"]), instant(r["new_due_at"]))
                   for r in replanned)
    assert moves == sorted((clock, instant(old), instant(new)) for clock, old, new in [
        ("reply", utc_iso(2027, 1, 7, 10), utc_iso(2027, 1, 6, 10)),
        ("contact", utc_iso(2027, 1, 4, 16), utc_iso(2027, 1, 2, 16)),
        ("reply", utc_iso(2027, 1, 12, 16), utc_iso(2027, 1, 11, 16)),
        ("callback", utc_iso(2027, 1, 4, 16), utc_iso(2027, 1, 2, 16)),
    ])
    assert not any(r["provisional"] for r in replanned)
    assert sweep(system, local(2026, 12, 31, 19))["replanned"] == 0  # once
    assert listener.drain(expect=1, timeout=1) == []
    assert provisional_gauge(system) == 0


def test_a_reopened_order_runs_its_clocks_again_from_the_reopening(deadlines):
    system, leader = deadlines, login(deadlines, "leader01")
    at(system, local(2026, 3, 2, 10))  # Monday
    order, _ = open_order(system, "3")
    oid = order["id"]
    assert sweep(system, local(2026, 3, 3, 9))["warnings"] >= 1  # some of contact's warnings
    at(system, local(2026, 3, 3, 10))
    act(system, leader, oid, "reply", reply="已核实并处理")
    act(system, leader, oid, "close", note="客户已确认")
    assert not any(c["running"] for c in clocks_of(system, leader, oid).values())

    at(system, local(2026, 3, 9, 9))  # a Monday, the week after
    act(system, leader, oid, "reopen", note="客户反映问题复现")
    clocks = clocks_of(system, leader, oid)
    assert {name: (c["started_at"], c["due_at"], c["running"], c["warnings_sent"])
            for name, c in clocks.items()} == {
        "contact": (utc_iso(2026, 3, 9, 9), utc_iso(2026, 3, 10, 9), True, []),
        "reply": (utc_iso(2026, 3, 9, 9), utc_iso(2026, 3, 18, 9), True, []),
    }
    assert sweep(system, local(2026, 3, 9, 22))["warnings"] == 1  # 50 % of the fresh contact


def test_an_unsolved_revisit_runs_the_clocks_again(deadlines):
    system, leader = deadlines, login(deadlines, "leader01")
    at(system, local(2026, 3, 2, 10))
    order, _ = open_order(system, "3")
    at(system, local(2026, 3, 2, 11))
    act(system, leader, order["id"], "reply", reply="已答复")
    at(system, local(2026, 3, 4, 10))
    act(system, leader, order["id"], "revisit", satisfaction=2, solved=False)
    reply = clocks_of(system, leader, order["id"])["reply"]
    assert (reply["started_at"], reply["running"]) == (utc_iso(2026, 3, 4, 10), True)
