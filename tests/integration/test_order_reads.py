"""Work-order reads served again by the gateway, and forgotten the moment the order changes
(gateway/order_reads.py): through the gateway that made the change at once, through another
gateway as soon as the order's event reaches it."""

import requests
from prometheus_client import REGISTRY

from tests.integration import harness
from tests.integration.client import call, login, routed_order


def hits() -> float:
    return REGISTRY.get_sample_value("csc_gateway_order_reads_total", {"result": "hit"}) or 0.0


def test_a_read_is_served_again_and_forgotten_when_the_order_changes(system, run_service):
    other_api = remembering_gateway(run_service)
    order_id = call(system, caller_num="13700000001", digits=["4"]).variables["WORK_ORDER_ID"]
    leader = login(system, "leader01")
    routed_order(system, leader, order_id)

    def read(api: str) -> dict:
        reply = requests.get(f"{api}/work-orders/{order_id}", headers=leader, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    before, served_before = read(other_api), hits()
    assert read(other_api) == before and hits() == served_before + 1
    # a view in memory is still only served to a valid token
    forged = requests.get(f"{other_api}/work-orders/{order_id}", timeout=10,
                          headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and "WWW-Authenticate" in forged.headers

    described = requests.post(f"{system['api']}/work-orders/{order_id}/describe",
                              headers=leader, json={"matter": "停电三小时"}, timeout=10)
    assert described.status_code == 200, described.text
    changed = len(before["history"]) + 1
    # the gateway that took the action shows it at once
    assert len(read(system["api"])["history"]) == changed
    # the other learns it from work_order.described, long before its ten minutes
    harness.wait_for(lambda: len(read(other_api)["history"]) == changed, timeout=5)


def remembering_gateway(run_service) -> str:
    """A gateway that would keep a view for ten minutes if no event made it forget."""
    gateway = run_service("gateway", GATEWAY={**harness.config("")["GATEWAY"],
                                              "read_cache_seconds": 600})
    return f"http://127.0.0.1:{harness.http_port(gateway)}/api"


def test_a_refused_read_is_never_served_from_memory(system, run_service):
    api = remembering_gateway(run_service)
    order_id = call(system, caller_num="13700000002", digits=["4"]).variables["WORK_ORDER_ID"]
    leader = login(system, "leader01")
    order = routed_order(system, leader, order_id)
    assert requests.get(f"{api}/work-orders/{order_id}", headers=leader, timeout=10).ok
    other_agent = "agent02" if order["assignee"]["name"].lower() == "agent01" else "agent01"
    outsider = login(system, other_agent)
    for _ in range(2):
        reply = requests.get(f"{api}/work-orders/{order_id}", headers=outsider, timeout=10)
        assert reply.status_code == 403, reply.text
