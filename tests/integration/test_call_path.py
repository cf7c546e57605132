"""A 95598 call through FastAGI becomes a routed work order (S3.1, S3.2, S1.6, S1.10).

Everything real but Asterisk: the services run on a real RabbitMQ and on SQLite and PostgreSQL;
the call comes over a TCP socket from the Asterisk simulator.
"""

import pytest

from contracts.catalogue_check import validate_published
from tests.integration import amqp, harness
from tests.integration.client import KNOWN_CALLER, call, get, login, routed_order


def finished_call(system, headers, uniqueid: str) -> dict:
    """The call record once the session's end has been written."""

    def ended():
        record = get(system, f"/calls/{uniqueid}", headers).json()
        return record if record.get("ended_at") else None

    return harness.wait_for(ended)


def test_a_fault_report_becomes_a_work_order_routed_to_a_seat_agent(system):
    published = amqp.Listener(system["amqp_uri"], "calls.events")
    decisions = amqp.Listener(system["amqp_uri"], "staffing.events")
    number, name, work_unit, contact = KNOWN_CALLER

    transcript = call(system, caller_num=number, caller_name="ZHANG SAN", digits=["2"])

    assert transcript.ended == "completed", transcript.format()
    assert transcript.command_names[:3] == ["ANSWER", "STREAM FILE", "GET DATA"]
    order_id = transcript.variables["WORK_ORDER_ID"]
    assert transcript.variables["ROUTE_TARGET"] == "PJSIP/8001"

    headers = login(system)
    order = routed_order(system, headers, order_id)
    assert order["category"] == "fault_report"
    assert order["status"] == "assigned"
    assert order["caller"] == {
        "number": number, "name": name, "work_unit": work_unit, "contact": contact,
    }
    assert order["assignee"] == {
        "id": 1, "name": "Agent01", "role": "seat_agent", "extension": "8001",
    }
    assert order["routing_reason"] == "least_loaded_seat_agent"

    record = get(system, f"/calls/{transcript.uniqueid}", headers).json()
    assert record["caller_number"] == number and record["caller_name"] == "ZHANG SAN"
    assert record["digits"] == "2" and record["outcome"] == "routed"
    assert record["work_order_id"] == order_id and record["route_target"] == "PJSIP/8001"
    assert record["dnid"] == "95598" and record["ended_at"] >= record["started_at"]

    listed = get(system, f"/work-orders?caller={number}", headers).json()["items"]
    assert [item["id"] for item in listed] == [order_id]

    events = published.drain(expect=4) + decisions.drain(expect=1)
    assert sorted(e["type"] for e in events) == [
        "call.ended", "work_order.assigned", "work_order.clock_started",  # on site (issue 3)
        "work_order.created", "work_order.routed",
    ]
    for event in events:
        validate_published(event)  # what the code publishes is what the catalogue documents


@pytest.mark.parametrize(
    ("digits", "category", "target", "keyed"),
    [
        (["1"], "inquiry", "PJSIP/8001", "1"),
        (["4"], "service_application", "PJSIP/8001", "4"),
        (["3"], "complaint", "PJSIP/8101", "3"),
        ([None, "3"], "complaint", "PJSIP/8101", "3"),  # timeout, asked once more
        (["9", None], "unclassified", "PJSIP/8101", "9"),  # wrong digit, then timeout
        ([None, None], "unclassified", "PJSIP/8101", ""),
    ],
)
def test_the_menu_decides_the_category_and_the_role(system, digits, category, target, keyed):
    transcript = call(system, caller_num="13900000001", digits=digits)
    assert transcript.variables["ROUTE_TARGET"] == target
    headers = login(system, "leader01")  # a leader reads every order (issue 10)
    order = routed_order(system, headers, transcript.variables["WORK_ORDER_ID"])
    assert order["category"] == category
    record = get(system, f"/calls/{transcript.uniqueid}", headers).json()
    assert record["digits"] == keyed
    assert transcript.command_names.count("GET DATA") == len(digits)


@pytest.mark.parametrize(
    ("hangup_at", "mode"),
    [
        ("ANSWER", "hangup_line"),  # HANGUP, then 200 result=-1
        ("STREAM FILE", "result"),  # 200 result=-1, then HANGUP
        ("GET DATA", "close"),  # the socket just closes
        ("GET DATA", "dead"),  # HANGUP, then 511 on a dead channel
    ],
)
def test_a_hang_up_before_choosing_leaves_a_call_record_and_no_order(system, hangup_at, mode):
    transcript = call(system, caller_num="13900000002", hangup_at=hangup_at, hangup_mode=mode)
    assert "WORK_ORDER_ID" not in transcript.variables
    headers = login(system)
    record = finished_call(system, headers, transcript.uniqueid)
    assert record["outcome"] == "hangup" and record["work_order_id"] is None
    assert get(system, "/work-orders?caller=13900000002", headers).json()["items"] == []


def test_a_hang_up_after_choosing_still_leaves_the_work_order(system):
    transcript = call(system, caller_num="13900000003", digits=["2"], hangup_at="SET VARIABLE")
    headers = login(system)
    record = finished_call(system, headers, transcript.uniqueid)
    assert record["outcome"] == "hangup" and record["category"] == "fault_report"
    order = routed_order(system, headers, record["work_order_id"])
    assert order["caller"]["number"] == "13900000003"


def test_a_retried_session_reuses_the_work_order_of_its_call(system):
    uniqueid = "1764100000.777"
    first = call(system, uniqueid=uniqueid, digits=["2"], hangup_at="SET VARIABLE")
    second = call(system, uniqueid=uniqueid, digits=["2"])
    headers = login(system)
    record = get(system, f"/calls/{uniqueid}", headers).json()
    assert record["sessions"] == 2 and record["outcome"] == "routed"
    order_id = second.variables["WORK_ORDER_ID"]
    assert record["work_order_id"] == order_id
    assert [o["id"] for o in get(system, "/work-orders?caller=13800138000", headers).json()[
        "items"
    ]] == [order_id]
    assert "WORK_ORDER_ID" not in first.variables


HOSTILE_NAMES = [
    'Zhang "San"',
    "a;b;c|d|e",
    "back\\slash \\\" quote",
    "$(reboot) `id` ${PATH}",
    "名字 with ünïcode",
    "x" * 10_000,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_a_hostile_caller_name_is_stored_verbatim_and_never_breaks_a_command(system, name):
    transcript = call(system, caller_num="13900000004", caller_name=name, digits=["1"])
    assert transcript.ended == "completed", transcript.format()
    assert set(transcript.variables) == {"WORK_ORDER_ID", "ROUTE_TARGET"}
    headers = login(system)
    record = get(system, f"/calls/{transcript.uniqueid}", headers).json()
    assert record["caller_name"] == name[:256]
    order = routed_order(system, headers, transcript.variables["WORK_ORDER_ID"])
    assert order["caller"]["name"] == name[:256]


@pytest.mark.parametrize(
    ("staffing_seen_before", "archive"),
    [(False, None), (True, None), (False, {"max_age": "1D", "max_bytes": 10**8})],
    ids=["never-started", "stopped", "never-started-archived"],
)
def test_with_staffing_away_the_call_goes_to_the_queue_and_the_order_is_routed_later(
    stores, hotline_staff, run_service, amqp_uri, staffing_seen_before, archive
):
    """Held for staffing: by its queue (stopped); unroutable in calls' outbox (never started,
    no archive); in the event archive, which staffing's new queue catches up from."""
    if staffing_seen_before:  # its queues exist and hold the requests until it is back
        harness.stop(run_service("staffing"))
    calls = run_service("calls", HOTLINE={"route_timeout_ms": 300, "prompts": {"timeout_ms": 100}},
                        EVENT_ARCHIVE=archive)
    gateway = run_service("gateway")
    system = {
        "agi": harness.agi_port(calls),
        "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api",
    }
    transcript = call(system, digits=["2"])
    assert transcript.variables["ROUTE_TARGET"] == "Queue(95598)"
    order_id = transcript.variables["WORK_ORDER_ID"]

    run_service("staffing", EVENT_ARCHIVE=archive)
    headers = login(system)
    order = routed_order(system, headers, order_id)
    assert order["assignee"]["role"] == "seat_agent"
    record = get(system, f"/calls/{transcript.uniqueid}", headers).json()
    assert record["outcome"] == "fallback_queue"
