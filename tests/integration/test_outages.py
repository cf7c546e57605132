"""Outages and storms end to end: a real broker, SQLite and PostgreSQL, simulated calls.

Callers in a declared outage's area hear the notice before the menu and their fault reports are
merged into one parent; N reports from one area within M minutes make a storm; the grid's
events work as a leader's declaration does; closing the parent closes the merged reports.
"""

import time
import uuid
from datetime import UTC, datetime

import eventlet
import pytest

from contracts.catalogue_check import validate_published
from contracts.events import OutageDeclared, OutageLifted, make_event
from tests.integration import amqp, harness
from tests.integration.client import call, get, login, post, start_system

NOTICE = "custom/95598-outage-notice"
OUTAGES = {
    "storm": {"reports": 3, "window_minutes": 30},
    "areas": {"望江街道": ["上城区望江街道"], "城南区": ["城南区"]},
}
# number → registered address
WANGJIANG = {
    "13911110001": "浙江省杭州市上城区望江街道近江村 3 幢 201",
    "13911110002": "杭州市 上城区 望江街道 秋涛路 8 号",
    "13911110003": "上城区望江街道婺江路 17 号",
}
CHENGNAN = {f"1370000000{i}": f"城南区 建设路 {i} 号" for i in range(1, 6)}
ELSEWHERE = "13922220001"  # 城北区: no area


@pytest.fixture
def system(stores, hotline_staff, run_service, amqp_uri):
    customers = {**WANGJIANG, **CHENGNAN, ELSEWHERE: "城北区 人民路 8 号"}
    for number, address in customers.items():
        harness.add_customer(stores["calls"], number, f"客户{number[-2:]}", "", number, address)
    return start_system(stores, run_service, amqp_uri, OUTAGES=OUTAGES)


def fault_call(system, number: str, digits: str = "2"):
    """A call keying ``digits``: its work order id and the prompts it heard, in order."""
    transcript = call(system, caller_num=number, digits=[digits])
    assert transcript.ended == "completed", transcript.format()
    heard = [
        c.argv[2] if c.name == "STREAM FILE" else "MENU"
        for c in transcript.commands
        if c.name in ("STREAM FILE", "GET DATA")
    ]
    return transcript.variables["WORK_ORDER_ID"], heard


def order(system, headers, order_id: str) -> dict:
    return get(system, f"/work-orders/{order_id}", headers).json()


def merged_into(system, headers, order_id: str) -> dict:
    def merged():
        current = order(system, headers, order_id)
        return current if current["status"] == "merged" else None

    return harness.wait_for(merged)


def outages(system, headers) -> dict:
    response = get(system, "/outages", headers)
    assert response.status_code == 200, response.text
    return response.json()


def declare(system, headers, area: str, **body):
    return post(system, "/outages", headers, {"area": area, "description": "10kV 线路故障", **body})


def test_an_outage_notice_merges_the_area_reports_and_closing_the_parent_closes_them(system):
    leader, agent = login(system, "leader01"), login(system, "agent01")
    declared = declare(system, leader, "望江街道", expected_restore_at="2025-07-01T18:00:00+08:00")
    assert declared.status_code == 200, declared.text
    outage = declared.json()
    assert outage["active"] and outage["declared_by"] == "leader01"
    assert outage["expected_restore_at"] == "2025-07-01T10:00:00+00:00"
    assert outage["parent_work_order_id"] is None  # the first report becomes the parent

    first, heard = fault_call(system, "13911110001")
    assert heard == ["custom/95598-welcome", NOTICE, "MENU"]
    outsider, heard = fault_call(system, ELSEWHERE)
    assert heard == ["custom/95598-welcome", "MENU"]

    def parent_set():
        return outages(system, agent)["items"][0]["parent_work_order_id"]

    assert harness.wait_for(parent_set) == first
    children = []
    for number in ("13911110002", "13911110003"):
        child, heard = fault_call(system, number)
        assert heard == ["custom/95598-welcome", NOTICE, "MENU"]
        assert merged_into(system, leader, child)["parent_id"] == first
        children.append(child)
    history = order(system, leader, children[0])["history"]
    assert history[-1]["action"] == "merge" and history[-1]["actor"]["role"] == "system"
    assert order(system, leader, first)["status"] == "assigned"
    assert order(system, leader, outsider)["parent_id"] is None

    reply = "近江线故障已抢修完毕, 已恢复供电"
    assert post(system, f"/work-orders/{first}/reply", leader, {"reply": reply}).status_code == 200
    closed = post(system, f"/work-orders/{first}/close", leader, {"note": "停电抢修, 统一答复"})
    assert closed.status_code == 200, closed.text
    for child in children:
        final = order(system, leader, child)
        assert (final["status"], final["reply"]) == ("closed", reply)
        assert final["history"][-1]["data"]["reply"] == reply

    # the outage goes on: the next report from the area starts a new parent
    later, _ = fault_call(system, "13911110003")
    assert harness.wait_for(lambda: parent_set() == later)
    assert order(system, leader, later)["parent_id"] is None

    lifted = post(system, f"/outages/{outage['id']}/lift", leader)
    assert lifted.status_code == 200 and lifted.json()["lifted_by"] == "leader01"
    assert outages(system, agent)["items"] == []
    after, heard = fault_call(system, "13911110001")
    assert heard == ["custom/95598-welcome", "MENU"]
    again = post(system, f"/outages/{outage['id']}/lift", leader)
    assert again.status_code == 409 and "lifted already" in again.json()["error"]


def test_outage_requests_are_checked_with_clear_refusals(system):
    leader, agent = login(system, "leader01"), login(system, "agent01")
    refused = declare(system, agent, "望江街道")
    assert refused.status_code == 403 and "duty leader" in refused.json()["error"]
    unknown = declare(system, leader, "火星")
    assert unknown.status_code == 400 and "望江街道, 城南区" in unknown.json()["error"]
    assert declare(system, leader, "").status_code == 400
    bad_time = declare(system, leader, "望江街道", expected_restore_at="18:00")
    assert bad_time.status_code == 400 and "ISO 8601" in bad_time.json()["error"]
    assert declare(system, leader, "望江街道", address_keywords="上城区").status_code == 400
    lead = login(system, "lead01")
    assert declare(system, lead, "望江街道").status_code == 200
    twice = declare(system, leader, "望江街道")
    assert twice.status_code == 409 and "active outage already" in twice.json()["error"]
    ad_hoc = declare(system, leader, "近江村", address_keywords=["近江村"])
    assert ad_hoc.status_code == 200 and ad_hoc.json()["address_keywords"] == ["近江村"]
    assert post(system, "/outages/no-such-outage/lift", leader).status_code == 404
    assert post(system, f"/outages/{ad_hoc.json()['id']}/lift", agent).status_code == 403
    assert get(system, "/outages", {}).status_code == 401
    assert [o["area"] for o in outages(system, agent)["items"]] == ["望江街道", "近江村"]


def test_a_storm_of_reports_from_one_area_is_merged_and_announced(system):
    published = amqp.Listener(system["amqp_uri"], "calls.events", "storm.detected")
    leader = login(system, "leader01")
    numbers = list(CHENGNAN)
    first, heard = fault_call(system, numbers[0])
    assert heard == ["custom/95598-welcome", "MENU"]  # no outage declared: no notice
    fault_call(system, numbers[1], digits="1")  # an inquiry is no fault report
    second, _ = fault_call(system, numbers[1])
    harness.wait_for(lambda: order(system, leader, second)["status"] == "assigned")
    assert order(system, leader, first)["parent_id"] is None  # two reports: no storm yet
    third, _ = fault_call(system, numbers[2])

    for child in (second, third):
        assert merged_into(system, leader, child)["parent_id"] == first
    [event] = published.drain(expect=1)
    validate_published(event)
    assert event["payload"]["area"] == "城南区" and event["payload"]["reports"] == 3
    assert event["payload"]["work_order_ids"] == [first, second, third]
    assert event["payload"]["parent_work_order_id"] == first
    [storm] = outages(system, leader)["storms"]
    assert (storm["parent_work_order_id"], storm["reports"]) == (first, 3)

    fourth, _ = fault_call(system, numbers[3])  # the storm is open: it joins quietly
    assert merged_into(system, leader, fourth)["parent_id"] == first
    assert published.drain(expect=1, timeout=1.0) == []

    declared = declare(system, leader, "城南区")  # the leader declares: it takes the storm
    assert declared.json()["parent_work_order_id"] == first
    assert outages(system, leader)["storms"] == []
    fifth, heard = fault_call(system, numbers[4])
    assert heard == ["custom/95598-welcome", NOTICE, "MENU"]
    assert merged_into(system, leader, fifth)["parent_id"] == first


def grid_event(payload) -> dict:
    return make_event("grid", payload).body()


def test_the_grid_declares_and_lifts_an_outage_once_per_event(system):
    agent = login(system, "agent01")
    grid_id = f"GRID-{uuid.uuid4().hex[:8]}"
    declared = grid_event(
        OutageDeclared(
            outage_id=grid_id, area="近江片区", address_keywords=["上城区望江街道"],
            description="10kV 近江线跳闸", declared_at=datetime.now(UTC),
        )
    )
    for _ in range(2):  # a redelivery, and the same outage announced again in a new event
        amqp.publish(system["amqp_uri"], "grid.events", "outage.declared", declared)
    again = grid_event(OutageDeclared.model_validate({**declared["payload"]}))
    amqp.publish(system["amqp_uri"], "grid.events", "outage.declared", again)

    def active():
        return outages(system, agent)["items"]

    [outage] = harness.wait_for(active)
    assert (outage["source"], outage["external_id"]) == ("grid", grid_id)
    assert outage["area"] == "近江片区"
    first, heard = fault_call(system, "13911110001")
    assert heard == ["custom/95598-welcome", NOTICE, "MENU"]
    harness.wait_for(lambda: active()[0]["parent_work_order_id"] == first)
    second, _ = fault_call(system, "13911110002")
    leader = login(system, "leader01")  # another agent's order: a leader reads it (issue 10)
    assert merged_into(system, leader, second)["parent_id"] == first
    assert len(active()) == 1

    lifted = grid_event(OutageLifted(outage_id=grid_id, lifted_at=datetime.now(UTC)))
    for _ in range(2):
        amqp.publish(system["amqp_uri"], "grid.events", "outage.lifted", lifted)
    harness.wait_for(lambda: active() == [])
    _, heard = fault_call(system, "13911110003")
    assert heard == ["custom/95598-welcome", "MENU"]


def test_a_retried_session_of_a_fault_report_is_linked_once(system):
    leader = login(system, "leader01")
    assert declare(system, leader, "望江街道").status_code == 200
    first, second = list(WANGJIANG)[:2]
    uniqueid = f"1764200000.{uuid.uuid4().int % 10**6}"
    opened = call(system, caller_num=first, digits=["2"], uniqueid=uniqueid)  # the parent
    retried = call(system, caller_num=first, digits=["2"], uniqueid=uniqueid)  # Asterisk retried
    parent_id = opened.variables["WORK_ORDER_ID"]
    assert retried.variables["WORK_ORDER_ID"] == parent_id  # one call, one order, two call.ended
    later, _ = fault_call(system, second)
    assert merged_into(system, leader, later)["parent_id"] == parent_id

    time.sleep(1.0)  # a failing redelivery would be parked by now (3 tries, 0.05 s backoff)
    parked = "evt-calls-call.ended--calls.link_fault_report.dlq"
    assert amqp.queue_depth(system["amqp_uri"], parked) == 0
    assert order(system, leader, parent_id)["status"] != "merged"


def test_a_fault_report_an_agent_refined_joins_the_outage_like_one_from_the_menu(system):
    leader = login(system, "leader01")
    assert declare(system, leader, "望江街道").status_code == 200
    first, _ = fault_call(system, "13911110001")
    assert harness.wait_for(lambda: outages(system, leader)["items"][0]["parent_work_order_id"])
    unclassified = call(system, caller_num="13911110002", digits=["9", "9"])  # no menu choice
    refined = unclassified.variables["WORK_ORDER_ID"]
    owner = harness.wait_for(lambda: order(system, leader, refined)["assignee"])
    assert owner["role"] == "duty_leader"
    classified = post(system, f"/work-orders/{refined}/classify", leader,
                      {"category": "fault_report", "area": "urban"})
    assert classified.status_code == 200, classified.text
    assert merged_into(system, leader, refined)["parent_id"] == first


def test_two_leaders_declaring_one_area_at_once_get_one_outage(system):
    leader, lead = login(system, "leader01"), login(system, "lead01")
    racing = [eventlet.spawn(declare, system, who, "城南区") for who in (leader, lead) * 3]
    codes = sorted(response.status_code for response in (r.wait() for r in racing))
    assert codes == [200, 409, 409, 409, 409, 409]
    assert [o["area"] for o in outages(system, leader)["items"]] == ["城南区"]


def test_the_database_keeps_one_active_outage_per_area(stores):
    """The partial unique index itself: a second active row for an area is refused, a lifted
    one is not in the way."""
    from sqlalchemy.exc import IntegrityError

    from services.calls.models import Outage

    def outage(lifted: bool) -> Outage:
        now = datetime(2026, 3, 2, tzinfo=UTC)
        return Outage(id=str(uuid.uuid4()), area="城南区", keywords=["城南区"], description="",
                      source="hotline", declared_by="leader01", declared_at=now,
                      lifted_at=now if lifted else None)

    with stores["calls"].transaction() as session:
        session.add_all([outage(lifted=True), outage(lifted=True), outage(lifted=False)])
    with pytest.raises(IntegrityError), stores["calls"].transaction() as session:
        session.add(outage(lifted=False))
