"""One authority through the gateway (issue 10): the services decide from the caller's current
record, not the token; least privilege for work orders; assign, dispatch and score targets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.auth import issue_token
from services.staffing.models import Department, StaffMember
from tests.integration import harness
from tests.integration.client import call, get, login, post, put, routed_order

REPAIR, SALES, HR = "运检部", "营销部", "人力资源部"
SECRET = harness.config("")["GATEWAY"]["token_secret"]


@pytest.fixture
def crew(stores):
    with stores["staffing"].transaction() as session:
        session.add(Department(code=HR, name=HR, kind="hr"))
        session.add(Department(code="hall", name="大厅", kind="hall"))
    harness.add_departments(stores["staffing"], REPAIR, SALES)
    harness.add_staff(stores["staffing"], [
        ("repair01", "staff", "9001", REPAIR), ("clerk01", "staff", "9002", SALES),
        ("hr01", "staff", "9003", HR), ("hall01", "staff", "9004", "hall"),
        ("gone01", "seat_agent", "8009"),
    ])
    with stores["staffing"].transaction() as session:
        gone = session.query(StaffMember).filter_by(username="gone01").one()
        gone.left_on = date(2026, 1, 1)
    return {name: n for n, name in enumerate(
        ["agent01", "agent02", "leader01", "lead01", "repair01", "clerk01", "hr01", "hall01",
         "gone01"], start=1)}


@pytest.fixture
def system(stores, hotline_staff, crew, run_service, amqp_uri):
    """Calls keeps staff records an hour: only staffing's events make it forget them."""
    from tests.integration.client import start_system

    return start_system(stores, run_service, amqp_uri, STAFF={"cache_seconds": 3600})


def open_order(system):
    transcript = call(system, caller_num="13700000001", digits=["4"])
    order = routed_order(system, login(system, "leader01"), transcript.variables["WORK_ORDER_ID"])
    owner = order["assignee"]["name"].lower()
    return order, owner, "agent02" if owner == "agent01" else "agent01", transcript.uniqueid


def act(system, headers, order_id, action, **fields):
    return post(system, f"/work-orders/{order_id}/{action}", headers, fields)


def test_personal_data_is_read_only_by_those_the_order_concerns(system, crew):
    order, owner_name, other_name, uniqueid = open_order(system)
    oid = order["id"]
    owner, other = login(system, owner_name), login(system, other_name)
    leader, lead = login(system, "leader01"), login(system, "lead01")
    repair, clerk, hr = (login(system, n) for n in ("repair01", "clerk01", "hr01"))

    def status(headers, path=f"/work-orders/{oid}"):
        return get(system, path, headers).status_code

    assert [status(h) for h in (owner, leader, lead)] == [200, 200, 200]
    assert [status(h) for h in (other, repair, clerk, hr)] == [403, 403, 403, 403]
    assert "not yours to read" in get(system, f"/work-orders/{oid}", hr).json()["error"]

    assert act(system, owner, oid, "dispatch", department=REPAIR).status_code == 200
    assert status(repair) == 200  # dispatched to her department
    assert [status(h) for h in (other, clerk, hr)] == [403, 403, 403]

    # queues: the department's own staff and the hotline; an agent sees only her orders in it
    def queue(headers):
        reply = get(system, f"/queues/departments/{REPAIR}", headers)
        return reply.status_code, [o["id"] for o in reply.json().get("items", [])]

    assert queue(repair) == queue(leader) == queue(owner) == (200, [oid])
    assert queue(other) == (200, [])
    assert queue(clerk)[0] == queue(hr)[0] == 403

    # searches, the customer's page, the call record
    def by_caller(headers):
        reply = get(system, "/work-orders?caller=13700000001", headers)
        return reply.status_code, [o["id"] for o in reply.json().get("items", [])]

    assert by_caller(owner) == by_caller(leader) == by_caller(repair) == (200, [oid])
    assert by_caller(other) == by_caller(clerk) == by_caller(hr) == (200, [])
    assert post(system, "/customers", leader,
                {"number": "13700000001", "name": "孙九"}).status_code == 200
    page = {name: get(system, "/customers/13700000001", login(system, name))
            for name in (owner_name, other_name, "leader01", "hr01")}
    assert [o["id"] for o in page[owner_name].json()["work_orders"]["items"]] == [oid]
    assert [o["id"] for o in page["leader01"].json()["work_orders"]["items"]] == [oid]
    not_served = page[other_name].json()
    assert not_served["work_orders"]["items"] == [] and not_served["calls"]["items"] == []
    assert page["hr01"].status_code == 403
    assert [status(h, f"/calls/{uniqueid}") for h in (owner, leader, other, hr)] == [
        200, 200, 403, 403]


def test_no_decision_rests_on_the_token_s_claims(system, crew):
    order, _, other_name, _ = open_order(system)
    forged = issue_token({"id": crew[other_name], "username": other_name,
                          "role": "deputy_team_lead"}, SECRET, timedelta(minutes=5))
    headers = {"Authorization": f"Bearer {forged}"}
    assert get(system, f"/work-orders/{order['id']}", headers).status_code == 403
    assert post(system, "/outages", headers, {"area": "城南区"}).status_code == 403
    assert get(system, "/staffing-plan?date=2026-11-03", headers).status_code == 403
    clerk_as_agent = issue_token({"id": crew["clerk01"], "username": "clerk01",
                                  "role": "seat_agent"}, SECRET, timedelta(minutes=5))
    assert get(system, "/customers", {"Authorization": f"Bearer {clerk_as_agent}"}
               ).status_code == 403
    gone = issue_token({"id": crew["gone01"], "username": "gone01", "role": "seat_agent"},
                       SECRET, timedelta(minutes=5))
    reply = get(system, "/queues/mine", {"Authorization": f"Bearer {gone}"})
    assert reply.status_code == 403 and "has left" in reply.json()["error"]


def test_a_transfer_takes_the_old_department_s_orders_away_at_once(system, crew):
    order, owner_name, _, _ = open_order(system)
    owner, repair = login(system, owner_name), login(system, "repair01")
    assert act(system, owner, order["id"], "dispatch", department=REPAIR).status_code == 200
    assert get(system, f"/work-orders/{order['id']}", repair).status_code == 200  # now cached
    moved = post(system, f"/org/staff/{crew['repair01']}/transfer", login(system, "hr01"),
                 {"department": SALES})
    assert moved.status_code == 200, moved.text
    # staffing's staff.transferred event: the old token is revoked at the gateway, and calls
    # forgets the cached record (which it would keep an hour) for a fresh token
    harness.wait_for(
        lambda: get(system, f"/work-orders/{order['id']}", repair).status_code == 401)
    fresh = login(system, "repair01")
    assert get(system, f"/work-orders/{order['id']}", fresh).status_code == 403


def test_assign_and_dispatch_take_only_valid_targets(system, crew):
    order, owner_name, _, _ = open_order(system)
    oid, leader = order["id"], login(system, "leader01")
    for target, says in ((crew["clerk01"], "not on the hotline"),
                         (crew["gone01"], "left on 2026-01-01"), (999, "no staff member")):
        refused = act(system, leader, oid, "assign", assignee=str(target))
        assert refused.status_code == 400 and says in refused.json()["error"], refused.text
    assert act(system, leader, oid, "assign", assignee=str(crew["agent02"])).status_code == 200
    agent2 = login(system, "agent02")
    refused = act(system, agent2, oid, "dispatch", department="不存在部")
    assert refused.status_code == 400 and "no department" in refused.json()["error"]
    assert act(system, agent2, oid, "dispatch", department=REPAIR).status_code == 200


def test_a_duty_leader_scores_only_lower_roles(system, crew):
    def score(who, staff_id):
        return put(system, f"/evaluations/2026-11/{staff_id}", login(system, who),
                   {"score": 90, "comment": "ok"})

    for target in ("leader01", "lead01", "hall01"):
        refused = score("leader01", crew[target])
        assert refused.status_code == 403, (target, refused.text)
    assert score("leader01", crew["agent01"]).status_code == 200
    assert score("lead01", crew["leader01"]).status_code == 200
    assert score("lead01", crew["lead01"]).status_code == 403
    assert score("hr01", crew["agent01"]).status_code == 403
