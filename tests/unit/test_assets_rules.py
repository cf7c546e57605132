"""The assets service's pure rules (issue 13): the sub-ledger (S1.13), custody (S1.11-13,
S1.19), window checks, repairs and supplies (S1.9, S1.13-14), training rooms (S2)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.assets import custody, ledger, rooms, upkeep
from services.assets.org_view import Org

SH = ZoneInfo("Asia/Shanghai")


def test_a_year_of_random_changes_reconciles_per_kind_and_chains_into_the_next_period():
    rng = random.Random(13)
    holdings = []
    for _ in range(300):
        acquired = date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        disposed = (acquired + timedelta(days=rng.randrange(1, 700))) if rng.random() < 0.4 \
            else None
        holdings.append(ledger.Holding(rng.choice(ledger.KINDS), rng.randrange(1, 10**7),
                                       acquired, disposed))
    year = ledger.sub_ledger(holdings, date(2024, 1, 1), date(2024, 12, 31))
    assert all(line.reconciles() for line in year) and year[-1].kind == ledger.TOTAL
    closing = sum(1 for h in holdings if ledger.held_on(h, date(2024, 12, 31)))
    assert year[-1].closing.count == closing
    assert sum(line.closing.value_cents for line in year[:-1]) == year[-1].closing.value_cents
    following = ledger.sub_ledger(holdings, date(2025, 1, 1), date(2025, 6, 30))
    assert following[-1].opening == year[-1].closing


def test_an_asset_bought_and_disposed_within_the_period_is_both_an_addition_and_a_disposal():
    [line, total] = ledger.sub_ledger(
        [ledger.Holding("printer", 100, date(2025, 3, 1), date(2025, 9, 1))],
        date(2025, 1, 1), date(2025, 12, 31))
    assert (line.opening.count, line.additions.count, line.disposals.count,
            line.closing.count) == (0, 1, 1, 0)
    assert total.reconciles()
    with pytest.raises(ValueError):
        ledger.sub_ledger([], date(2025, 2, 1), date(2025, 1, 1))


def test_a_seal_is_due_back_by_the_close_and_never_stays_overnight():
    assert custody.seal_due(datetime(2026, 3, 3, 10, tzinfo=SH)) == datetime(
        2026, 3, 3, 17, 30, tzinfo=SH)
    # after the close, or on a holiday (2026-10-01), by the end of that day
    for taken in (datetime(2026, 3, 3, 18, tzinfo=SH), datetime(2026, 10, 1, 10, tzinfo=SH)):
        assert custody.seal_due(taken) == datetime.combine(
            taken.date() + timedelta(days=1), datetime.min.time(), tzinfo=SH)


ORG = Org.from_overview({"posts": [
    {"code": "hall_director", "kind": "hall_director", "department": "hall",
     "a_holder_id": 1, "b_holder_id": 2, "acting": 1},
    {"code": "hall_deputy_director", "kind": "hall_deputy_director", "department": "hall",
     "a_holder_id": 2, "b_holder_id": 1, "acting": 2},
    {"code": "fixed_asset_admin", "kind": "fixed_asset_admin", "department": "hall",
     "a_holder_id": 3, "b_holder_id": 2, "acting": 3},
    {"code": "chief:finance", "kind": "section_chief", "department": "finance",
     "a_holder_id": 4, "b_holder_id": 5, "acting": 4},
    {"code": "W04", "kind": "window", "department": "finance", "a_holder_id": 5,
     "b_holder_id": 6, "acting": 5},
    {"code": "trainer", "kind": "trainer", "department": "hall", "a_holder_id": 7,
     "b_holder_id": 2, "acting": 7},
]})


def test_door_keys_go_to_the_hall_s_leaders_or_one_person_they_name():
    custody.check_key_receiver("auto_door", 9, 2, "hall", ORG, set())  # to the deputy: anyone
    custody.check_key_receiver("auto_door", 1, 9, "hall", ORG, set())  # named by the director
    with pytest.raises(custody.CustodyRule, match="one person only"):
        custody.check_key_receiver("auto_door", 2, 9, "hall", ORG, {8})
    with pytest.raises(custody.CustodyRule, match="only they"):
        custody.check_key_receiver("main_door_remote", 8, 9, "hall", ORG, set())
    custody.check_key_receiver("finance_room", 5, 6, "finance", ORG, set())
    with pytest.raises(custody.CustodyRule, match="finance section"):
        custody.check_key_receiver("finance_room", 5, 9, "marketing", ORG, set())


def test_a_mover_s_things_go_to_who_serves_the_same_place_never_back_to_the_mover():
    window_pc = custody.Held("asset", 1, "W04-COMPUTER", "W04", "window")
    assert custody.successor(window_pc, 5, ORG) == 6  # the window's other holder
    assert custody.successor(window_pc, 6, ORG) == 5
    seal = custody.Held("seal", 1, "章", "finance")
    assert custody.successor(seal, 5, ORG) == 4
    assert custody.successor(seal, 4, ORG) == 3  # the chief moves: the administrator
    door = custody.Held("key", 1, "AUTO-DOOR-1", None, "auto_door")
    assert custody.successor(door, 1, ORG) == 2
    room_tv = custody.Held("asset", 2, "TV", "hall_95598", "room")
    assert custody.successor(room_tv, 9, ORG) == 7
    assert custody.successor(custody.Held("asset", 3, "carpet", "hall", "office"), 3, ORG) == 1
    held = [window_pc, seal, door]
    assert custody.to_hand_over(held, "leave") == [seal, door]
    assert custody.to_hand_over(held, "departure") == held


def test_checks_repairs_and_supplies_go_step_by_step():
    assert upkeep.missing_checks(["check_in"]) == ["check_out"]
    tuesday_close = datetime(2026, 3, 3, 17, 30, tzinfo=SH)
    assert not upkeep.day_closed(date(2026, 3, 3), tuesday_close, timedelta(minutes=1), SH)
    assert upkeep.day_closed(date(2026, 3, 3), tuesday_close, timedelta(0), SH)
    assert not upkeep.day_closed(date(2026, 3, 7), tuesday_close + timedelta(days=4),
                                 timedelta(0), SH)  # a Saturday: the hall is closed
    assert upkeep.next_repair_status("registered", "ordered") == "ordered"
    with pytest.raises(upkeep.UpkeepRule):
        upkeep.next_repair_status("registered", "fitted")
    assert upkeep.next_supply_status("approved", "collect") == "collected"
    with pytest.raises(upkeep.UpkeepRule):
        upkeep.next_supply_status("requested", "collect")
    assert upkeep.monthly_use([("m", "pen", 2), ("m", "pen", 3), ("f", "towel", 1)]) == [
        {"department": "f", "item": "towel", "requests": 1, "quantity": 1},
        {"department": "m", "item": "pen", "requests": 2, "quantity": 5}]


@pytest.mark.parametrize(("purpose", "attendees", "wide", "state", "rule"), [
    ("training", 9, False, "confirmed", ""),
    ("training", 10, False, "referred", "S2.3"),
    ("training", 3, True, "referred", "S2.3"),
    ("meeting", 6, False, "confirmed", ""),
    ("other", 4, False, "pending", "S2.4"),
])
def test_who_may_use_a_training_room(purpose, attendees, wide, state, rule):
    verdict = rooms.decide(purpose, attendees, wide)
    assert verdict.state == state and rule in verdict.reason


def test_booking_times_and_overlaps():
    now = datetime(2026, 3, 3, 9, tzinfo=SH)
    with pytest.raises(rooms.BookingRule):
        rooms.check_times(now + timedelta(hours=2), now + timedelta(hours=1), now)
    with pytest.raises(rooms.BookingRule):
        rooms.check_times(now - timedelta(hours=2), now - timedelta(hours=1), now)
    one = (now, now + timedelta(hours=1))
    assert rooms.overlaps(one, (now + timedelta(minutes=30), now + timedelta(hours=2)))
    assert not rooms.overlaps(one, (now + timedelta(hours=1), now + timedelta(hours=2)))
