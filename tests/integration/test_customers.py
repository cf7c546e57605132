"""The customer registry and the customer's words end to end (S1.10, S3.2, S3.2a): hotline
staff search, register and update customers through the gateway; a call from a registered
number fills in the order (name, work unit, contact, address); the agent records the matter,
the place and her promise; the customer's page lists their orders and calls as history."""

from __future__ import annotations

import pytest
import requests

from tests.integration import harness
from tests.integration.client import KNOWN_CALLER, call, get, login, post, put, routed_order

NEW = {"number": "13911112222", "name": "赵六", "work_unit": "城东小学",
       "contact": "0571-86661234", "address": "城东区 新华路 3 号"}


@pytest.fixture
def crew(stores):
    harness.add_staff(stores["staffing"], [("repair01", "department_staff", "9001", "运检部")])


def test_hotline_staff_search_register_and_update_customers(system, crew):
    agent = login(system, "agent01")
    listed = get(system, "/customers", agent).json()
    assert (listed["total"], [c["number"] for c in listed["items"]]) == (1, [KNOWN_CALLER[0]])

    created = post(system, "/customers", agent, NEW)
    assert created.status_code == 200, created.text
    assert created.json()["updated_by"] == "agent01" and created.json()["address"] == NEW["address"]
    assert post(system, "/customers", agent, NEW).status_code == 409
    for bad in ({**NEW, "number": "12-34"}, {**NEW, "number": "13911113333", "name": ""},
                {**NEW, "number": "13911113333", "address": "路" * 257},
                {**NEW, "number": "13911113333", "vip": True}):
        refused = post(system, "/customers", agent, bad)
        assert refused.status_code == 400, (bad, refused.text)
    for number, name in (("13911113333", "赵七"), ("02011112222", "钱八")):
        assert post(system, "/customers", login(system, "leader01"),
                    {"number": number, "name": name}).status_code == 200

    def search(query: str) -> dict:
        response = get(system, f"/customers?{query}", agent)
        assert response.status_code == 200, response.text
        return response.json()

    assert [c["number"] for c in search("q=1391111")["items"]] == ["13911112222", "13911113333"]
    assert [c["name"] for c in search("q=赵")["items"]] == ["赵六", "赵七"]
    assert search("q=%25")["total"] == 0  # a wildcard is a character, not a pattern
    paged = search("per_page=2&page=2")
    assert (paged["total"], [c["number"] for c in paged["items"]]) == (
        4, ["13911112222", "13911113333"])
    assert get(system, "/customers?per_page=101", agent).status_code == 400
    assert get(system, "/customers?page=x", agent).status_code == 400

    moved = put(system, "/customers/13911112222", agent, {"address": "城东区 新华路 5 号"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["address"] == "城东区 新华路 5 号" and moved.json()["name"] == "赵六"
    assert put(system, "/customers/13911112222", agent, {"number": "1"}).status_code == 400
    assert put(system, "/customers/13900000000", agent, {"name": "x"}).status_code == 404
    assert get(system, "/customers/13900000000", agent).status_code == 404

    repair = login(system, "repair01")  # not hotline staff
    assert get(system, "/customers", repair).status_code == 403
    assert post(system, "/customers", repair, {**NEW, "number": "13700000000"}).status_code == 403
    assert requests.get(f"{system['api']}/customers", timeout=10).status_code == 401


def test_a_known_caller_s_order_holds_their_words_and_their_page_shows_history(system):
    agent = login(system, "agent01")
    assert post(system, "/customers", agent, NEW).status_code == 200
    transcript = call(system, caller_num=NEW["number"], caller_name="ZHAO", digits=["2"])
    oid = transcript.variables["WORK_ORDER_ID"]
    order = routed_order(system, login(system, "leader01"), oid)
    assert order["caller"] == {"number": NEW["number"], "name": "赵六",
                               "work_unit": "城东小学", "contact": "0571-86661234"}
    assert order["place"] == {"address": NEW["address"], "meter_number": None,
                              "transformer_area": None}
    owner = login(system, order["assignee"]["name"].lower())

    words = {"matter": "客户说:家里突然没电了,邻居家也没电,闻到烧焦味",
             "meter_number": "3301000012345", "transformer_area": "新华路2号台区",
             "promise": "已告知抢修人员45分钟内到达现场", "note": "客户语气着急"}
    described = post(system, f"/work-orders/{oid}/describe", owner, words)
    assert described.status_code == 200, described.text
    too_long = post(system, f"/work-orders/{oid}/describe", owner, {"meter_number": "9" * 33})
    assert too_long.status_code == 400 and "at most 32" in too_long.json()["error"]
    nothing = post(system, f"/work-orders/{oid}/describe", owner, {})
    assert nothing.status_code == 400

    view = get(system, f"/work-orders/{oid}", owner).json()
    assert view["matter"] == words["matter"] and view["promise"] == words["promise"]
    assert view["place"] == {"address": NEW["address"], "meter_number": "3301000012345",
                             "transformer_area": "新华路2号台区"}
    [entry] = [h for h in view["history"] if h["action"] == "describe"]
    assert entry["data"]["matter"] == words["matter"] and entry["note"] == "客户语气着急"

    page = get(system, f"/customers/{NEW['number']}", agent)
    assert page.status_code == 200, page.text
    page = page.json()
    assert page["name"] == "赵六"
    assert [o["id"] for o in page["work_orders"]["items"]] == [oid]
    assert page["work_orders"]["items"][0]["matter"] == words["matter"]
    assert [c["work_order_id"] for c in page["calls"]["items"]] == [oid]
    known = get(system, f"/customers/{KNOWN_CALLER[0]}", agent).json()
    assert known["work_orders"] == known["calls"] == {"items": [], "next": None}
