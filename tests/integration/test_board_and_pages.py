"""The leaders' board (issue 11) and the lists issue 10 left cut or unpaged, through the gateway
on a real broker and both databases: the board's figures and members by state, who may read it;
a customer's history, the outages, the org overview and the attendance report paged with
``next`` links to the end, and the attendance CSV holding every row."""

from __future__ import annotations

import csv
import io

import requests
from sqlalchemy import func, select

from contracts.events import ROLE_LADDER
from services.staffing.models import StaffMember
from services.staffing.seed import seed_org
from tests.integration import harness
from tests.integration.client import KNOWN_CALLER, call, get, login, post, start_system

OUTAGES = {"areas": {"城南区": ["城南区"], "望江街道": ["上城区望江街道"]}}


def _all_pages(system, first: dict, headers: dict, key: str = "items") -> list[dict]:
    """Every item of a list, following ``next`` links from its first page."""
    items, page = list(first[key]), first
    while page["next"]:
        answer = requests.get(system["api"].removesuffix("/api") + page["next"],
                              headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page[key], "a page with a next link leads to more items"
        items += page[key]
    return items


def test_the_board_and_every_list_reads_to_its_end(stores, hotline_staff, run_service, amqp_uri):
    seed_org(stores["staffing"], harness.PASSWORD)
    harness.add_staff(stores["staffing"], [("agent09", "seat_agent", "8009")], shift=None)
    system = start_system(stores, run_service, amqp_uri, OUTAGES=OUTAGES)
    leader, agent, hr = (login(system, name) for name in ("leader01", "agent01", "hr01"))
    for _ in range(3):
        call(system, caller_num=KNOWN_CALLER[0], caller_name="ZHANG", digits=["2"])

    # the board: figures from calls, members by state from staffing; leaders only
    board = get(system, "/board", leader)
    assert board.status_code == 200, board.text
    board = board.json()
    assert board["calls_last_15_min"]["total"] == 3
    assert sum(board["calls_last_15_min"]["by_category"].values()) == 3
    assert sum(board["orders_by_state"].values()) == 3
    assert board["overdue"] == board["escalated"] == 0 and board["open_storms"] == []
    with stores["staffing"].transaction() as session:
        hotline = session.scalar(select(func.count()).select_from(StaffMember).where(
            StaffMember.role.in_([r.value for r in ROLE_LADDER])))
    states = {m["name"]: m["state"] for m in board["agent_list"]}
    assert len(states) == sum(board["agents"].values()) == hotline
    assert states["Agent09"] == "off_shift" and states["Leader01"] == "ready"
    assert board["agents"]["on_leave"] == board["agents"]["away"] == 0
    assert board["at"].endswith("+00:00")
    refused = get(system, "/board", agent)
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"

    # a customer's history, two at a time, newest first, to the end
    page = get(system, f"/customers/{KNOWN_CALLER[0]}?limit=2", leader).json()
    orders = _all_pages(system, page["work_orders"], leader)
    calls = _all_pages(system, page["calls"], leader)
    assert len(page["work_orders"]["items"]) == 2 and page["work_orders"]["next"]
    assert len({o["id"] for o in orders}) == len(orders) == 3
    assert [o["created_at"] for o in orders] == sorted((o["created_at"] for o in orders),
                                                       reverse=True)
    assert {c["work_order_id"] for c in calls} == {o["id"] for o in orders}
    assert get(system, "/customers/13999999999/calls", leader).status_code == 404

    # the outages, one at a time
    for area in OUTAGES["areas"]:
        assert post(system, "/outages", leader, {"area": area}).status_code == 200
    first = get(system, "/outages?limit=1", leader).json()
    assert len(first["items"]) == 1 and first["storms"] == []
    assert sorted(o["area"] for o in _all_pages(system, first, leader)) == sorted(
        OUTAGES["areas"])

    # the org overview's posts, five at a time
    first = get(system, "/org?limit=5", hr).json()
    posts = _all_pages(system, first, hr)
    assert len(first["items"]) == 5 and len(posts) > 5 and first["departments"]
    assert [p["code"] for p in posts] == sorted(p["code"] for p in posts)
    assert len({p["code"] for p in posts}) == len(posts)

    # the attendance report: JSON pages of people, CSV with every row
    month = "2026-03"
    first = get(system, f"/attendance/report?month={month}&limit=3", hr).json()
    people = _all_pages(system, first, hr)
    with stores["staffing"].transaction() as session:
        staff = session.scalar(select(func.count()).select_from(StaffMember))
    assert len(first["items"]) == 3 and len({p["staff_id"] for p in people}) == staff > 3
    sheet = get(system, f"/attendance/report?month={month}&format=csv&by=person", hr)
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert sorted(int(row["staff_id"]) for row in rows) == sorted(p["staff_id"] for p in people)
