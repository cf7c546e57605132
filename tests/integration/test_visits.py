"""Customer visits (issue 14, S5) through the gateway, on both databases: a month from plan to
evaluation, a late report, a hosting expense without approval, and a visit that opens a 95598
work order in calls. One system per database, the visits service's clock pinned and moved."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from contracts.catalogue_check import validate_published
from gateway import replies
from gateway import visits_replies as vr
from services.staffing.models import Post, StaffMember
from tests.integration import harness
from tests.integration.amqp import Listener
from tests.integration.client import get, login, post, put

ZONE = ZoneInfo("Asia/Shanghai")
EXTRA_DATABASES = ("visits",)  # tests/conftest.py db_urls


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).isoformat()


@pytest.fixture
def sales_system(stores, hotline_staff, run_service, amqp_uri):
    harness.add_departments(stores["staffing"], "marketing")
    harness.add_staff(stores["staffing"], [
        ("mkt_chief", "staff", "", "marketing"), ("win01", "staff", "", "marketing"),
        ("sales01", "staff", "", "marketing"), ("sales02", "staff", "", "marketing"),
    ])
    with stores["staffing"].transaction() as session:
        ids = {u: i for u, i in session.execute(select(StaffMember.username, StaffMember.id))}
        session.add(Post(code="chief:marketing", kind="section_chief", name="营销部科长",
                         department="marketing", a_holder_id=ids["mkt_chief"],
                         b_holder_id=ids["win01"]))
    listener = Listener(amqp_uri, "visits.events")  # stands in for the inbox (helper B)
    run_service("staffing")
    run_service("calls")
    run_service("visits", at=datetime.fromisoformat(local(10, 28, 10)))
    gateway = run_service("gateway")
    system = {"api": f"http://127.0.0.1:{harness.http_port(gateway)}/api",
              "amqp_uri": amqp_uri, "ids": ids, "events": listener}
    yield system
    listener.close()


def visits_rpc(system, method: str, *args):
    with ServiceRpcProxy("visits", {"AMQP_URI": system["amqp_uri"]}) as visits:
        return getattr(visits, method)(*args)


def at(system, when: str) -> None:
    visits_rpc(system, "set_test_clock", when)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def events_of(system, expect: int) -> list[dict]:
    received = system["events"].drain(expect, timeout=10)
    for body in received:
        validate_published(body)
    return received


def test_a_month_of_visits_from_plan_to_evaluation(sales_system):
    system, ids = sales_system, sales_system["ids"]
    head, seller, other = (login(system, u) for u in ("mkt_chief", "sales01", "sales02"))

    # S5.2.3: the head keeps the requirement and puts people on sales positions
    ok(put(system, "/visits/quotas/account_manager", head, {"required_per_month": 2}))
    problem(put(system, "/visits/quotas/account_manager", seller, {"required_per_month": 9}),
            403)
    for username in ("sales01", "sales02"):
        ok(put(system, f"/visits/salespeople/{ids[username]}", head,
               {"position": "account_manager"}))

    # S5.2.2: customers; bad input is a problem naming the field
    bad = problem(post(system, "/visits/customers", seller, {"name": "x", "kind": "friend"}),
                  400)
    assert bad["errors"][0]["loc"] == ["body", "kind"]
    factory = ok(post(system, "/visits/customers", seller, {
        "name": "城南纺织厂", "kind": "existing", "phone": "0571-87001234",
        "contact_person": "王经理", "address": "城南区工业路8号"}))
    mall = ok(post(system, "/visits/customers", seller, {
        "name": "江滨商业综合体", "kind": "target", "phone": "0571-86005678"}))

    # S5.3.1: next month's plan, returned with comments, submitted again, approved
    first = ok(post(system, "/visits/plans/2026-11/visits", seller, {
        "customer_id": factory["id"], "purpose": "care_payment", "person_to_meet": "王经理",
        "planned_on": "2026-11-03"}))
    second = ok(post(system, "/visits/plans/2026-11/visits", seller, {
        "customer_id": mall["id"], "purpose": "new_products", "planned_on": "2026-11-05"}))
    problem(post(system, "/visits/plans/2026-11/visits", seller, {
        "customer_id": mall["id"], "purpose": "new_products", "planned_on": "2026-12-01"}), 400)
    plan_id = first["plan_id"]
    assert ok(post(system, f"/visits/plans/{plan_id}/submit", seller))["status"] == "submitted"
    assert "S5.3.1" in problem(post(system, f"/visits/plans/{plan_id}/review", head,
                                    {"approve": False}), 409)["detail"]
    problem(post(system, f"/visits/plans/{plan_id}/review", seller, {"approve": True}), 403)
    returned = ok(post(system, f"/visits/plans/{plan_id}/review", head,
                       {"approve": False, "comment": "写明拜访对象"}))
    assert returned["status"] == "returned"
    ok(post(system, f"/visits/plans/{plan_id}/submit", seller))
    approved = ok(post(system, f"/visits/plans/{plan_id}/review", head, {"approve": True}))
    vr.PlanDetail.model_validate(approved)
    assert approved["revision"] == 2 and all(v["approved"] for v in approved["visits"])
    submitted = [e for e in events_of(system, 4) if e["type"] == "visit_plan.submitted"]
    assert submitted[0]["payload"]["notify"] == [ids["mkt_chief"]]

    # sales02 submitted nothing by the last working day of October: one alert, once
    assert visits_rpc(system, "sweep", local(10, 31, 0, 30))["plans_missing"] == 1
    assert visits_rpc(system, "sweep", local(11, 1, 8))["plans_missing"] == 0
    (missing,) = [e for e in events_of(system, 1) if e["type"] == "visit_plan.missing"]
    assert missing["payload"]["staff_id"] == ids["sales02"]
    assert missing["payload"]["notify"] == [ids["sales02"], ids["mkt_chief"]]

    # a change after approval is reviewed again; the visits approved before stay approved
    at(system, local(11, 2))
    extra = ok(post(system, "/visits/plans/2026-11/visits", seller, {
        "customer_id": factory["id"], "purpose": "coverage", "planned_on": "2026-11-20"}))
    changed = ok(get(system, f"/visits/plans/{plan_id}", seller))
    assert changed["status"] == "draft" and changed["changed_after_approval"]
    ok(post(system, f"/visits/{extra['id']}/cancel", seller))
    ok(post(system, f"/visits/plans/{plan_id}/submit", seller))
    ok(post(system, f"/visits/plans/{plan_id}/review", head, {"approve": True}))

    # S5.3.2: not done before the customer was contacted; hosting applied but never approved
    refused = problem(post(system, f"/visits/{first['id']}/done", seller, {}), 409)
    assert "S5.3.2" in refused["detail"]
    ok(post(system, f"/visits/{first['id']}/preparation", seller,
            {"contacted": True, "materials": ["电费账单", "缴费协议"]}))
    hosting = ok(post(system, f"/visits/{first['id']}/expenses", seller,
                      {"kind": "hosting", "amount_cents": 50000, "description": "工作餐"}))
    assert hosting["status"] == "applied"
    at(system, local(11, 3, 15))
    done = ok(post(system, f"/visits/{first['id']}/done", seller, {"outcome": "约定月底结清"}))
    assert done["flags"] == ["expense_unapproved"]
    ok(post(system, f"/visits/{first['id']}/report", seller, {
        "report": "客户同意月底前结清欠费",
        "promises": [{"what": "寄送缴费协议", "due_on": "2026-11-06"}]}))
    ok(post(system, f"/visits/{first['id']}/report/review", head, {"comment": "好"}))

    # the second visit: a gift approved the day before, a business trip, and a fault the
    # customer raises becomes a 95598 work order (the salesperson its first contact, S1.6)
    at(system, local(11, 4, 10))
    ok(post(system, f"/visits/{second['id']}/preparation", seller, {
        "contacted": True, "person_to_meet": "李主任", "business_trip": True,
        "trip_destination": "滨江区"}))
    gift = ok(post(system, f"/visits/{second['id']}/expenses", seller,
                   {"kind": "gift", "amount_cents": 20000}))
    problem(post(system, f"/visits/expenses/{gift['id']}/approve", seller), 403)
    ok(post(system, f"/visits/expenses/{gift['id']}/approve", head))
    at(system, local(11, 5, 10))
    assert ok(post(system, f"/visits/{second['id']}/done", seller, {}))["flags"] == []
    problem(post(system, f"/visits/{second['id']}/matters", seller,
                 {"category": "inquiry", "description": "?"}), 400)
    matter = ok(post(system, f"/visits/{second['id']}/matters", seller, {
        "category": "fault_report", "description": "商场配电房变压器异响"}))

    def opened():
        page = ok(get(system, f"/visits/customers/{mall['id']}", seller))
        return page["open_work_orders"]

    (order,) = harness.wait_for(opened, timeout=15)
    assert order["channel"] == "visit" and order["category"] == "fault_report"
    in_calls = ok(get(system, f"/work-orders/{order['work_order_id']}", seller))
    replies.WorkOrderDetail.model_validate(in_calls)  # the answers are as described
    vr.VisitCustomerDetail.model_validate(ok(get(system, f"/visits/customers/{mall['id']}",
                                                 seller)))
    assert in_calls["channel"] == "visit"
    assert in_calls["first_contact"]["id"] == ids["sales01"]
    assert in_calls["matter"] == "商场配电房变压器异响"
    page = vr.VisitDetail.model_validate(ok(get(system, f"/visits/{second['id']}", seller)))
    page = page.model_dump()
    assert page["matters"][0]["id"] == matter["id"]
    assert page["matters"][0]["work_order_id"] == order["work_order_id"]
    problem(get(system, f"/visits/{second['id']}", other), 403)

    # follow-up reminded the day before, done on time; the second report is late (S5.3.4)
    sweep = visits_rpc(system, "sweep", local(11, 5, 12))
    assert sweep["follow_up_reminders"] == 1 and sweep["reports_overdue"] == 0
    at(system, local(11, 6, 10))
    (follow_up,) = ok(get(system, "/visits/follow-ups?state=open", seller))["items"]
    ok(post(system, f"/visits/follow-ups/{follow_up['id']}/done", seller, {"result": "已寄出"}))
    assert visits_rpc(system, "sweep", local(11, 10, 1))["reports_overdue"] == 1
    assert visits_rpc(system, "sweep", local(11, 10, 2))["reports_overdue"] == 0
    alerts = {e["type"]: e["payload"] for e in events_of(system, 6)}
    assert alerts["visit.flagged"]["notify"] == [ids["mkt_chief"]]
    assert alerts["follow_up.reminder"]["phase"] == "due_soon"
    assert alerts["visit.report_overdue"]["notify"] == [ids["sales01"], ids["mkt_chief"]]
    at(system, local(11, 10, 9))
    late = ok(post(system, f"/visits/{second['id']}/report", seller, {"report": "推介新产品"}))
    assert late["report_late"] is True

    # progress at any time; the month's evaluation: the head the department, a salesperson hers
    progress = ok(get(system, "/visits/progress?month=2026-11", seller))["items"]
    assert [(p["visits_done"], p["required_visits"]) for p in progress] == [(2, 2)]
    at(system, local(12, 1))
    evaluation = ok(get(system, "/visits/evaluations/2026-11", head))
    vr.VisitEvaluation.model_validate(evaluation)
    rows = {r["staff_id"]: r for r in evaluation["items"]}
    mine = rows[ids["sales01"]]
    assert (mine["visits_done"], mine["requirement_met"], mine["plan_on_time"]) == (2, True, True)
    assert (mine["reports_on_time"], mine["reports_late"]) == (1, 1)
    assert (mine["follow_ups_on_time"], mine["follow_ups_late"]) == (1, 0)
    assert mine["expenses_without_approval"] == 1 and not mine["expenses_within_approval"]
    assert not rows[ids["sales02"]]["plan_submitted"] and rows[ids["sales02"]]["visits_short"] == 2
    own = ok(get(system, "/visits/evaluations/2026-11", seller))["items"]
    assert [r["staff_id"] for r in own] == [ids["sales01"]]
    csv = get(system, "/visits/evaluations/2026-11?format=csv", head)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 3
    problem(get(system, "/visits/evaluations/2026-13", head), 400)
