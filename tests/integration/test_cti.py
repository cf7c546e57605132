"""CTI end to end (issue 16): the IVR by FastAGI, then Asterisk's manager interface (the AMI
simulator) reports the agent's phone ringing, answered, hung up; staffing keeps agent states
and routes around a busy agent; the work order shows hold, talk and wrap-up; an abandoned call
is counted; presence and the queue pause agree both ways; a dropped AMI line is reconciled."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client import REGISTRY
from sqlalchemy import select

from asterisk_sim import place_call
from asterisk_sim.ami import AmiSimulator
from contracts.catalogue_check import validate_published
from services.staffing.models import AgentCall, StaffMember
from svckit.clock import Clock
from tests.integration import amqp, harness
from tests.integration.client import KNOWN_CALLER, call, get, login, post, routed_order

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing
PHONES = [("PJSIP/8001", "Agent01"), ("PJSIP/8002", "Agent02"), ("PJSIP/8101", "Leader01"),
          ("PJSIP/8201", "Lead01")]


@pytest.fixture
def pbx():
    sim = AmiSimulator(users={"csc-staffing": "ami-secret"}, members=PHONES)
    sim.port = sim.start()
    yield sim
    sim.stop()


def ami_settings(pbx) -> dict:
    return {"host": "127.0.0.1", "port": pbx.port, "username": "csc-staffing",
            "secret": "ami-secret", "wrapup_seconds": 15, "wrapup_check_seconds": 0.1}


def clock_of(container) -> Clock:
    return next(d for d in container.dependencies if isinstance(d, Clock))


@pytest.fixture
def cti(stores, hotline_staff, run_service, amqp_uri, pbx):
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    staffing = run_service("staffing", at=T0, AMI=ami_settings(pbx))
    calls, gateway = run_service("calls", at=T0), run_service("gateway")
    return {"agi": harness.agi_port(calls), "stores": stores, "amqp_uri": amqp_uri,
            "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api",
            "clock": clock_of(staffing)}


def states(system) -> dict[str, str | None]:
    with system["stores"]["staffing"].transaction() as session:
        return dict(session.execute(
            select(StaffMember.extension, StaffMember.agent_state)).all())


def state_is(system, extension: str, wanted: str):
    return harness.wait_for(lambda: states(system)[extension] == wanted)


def offered_at(system, key: str) -> datetime | None:
    with system["stores"]["staffing"].transaction() as session:
        return session.scalar(select(AgentCall.offered_at).where(AgentCall.key == key))


def at(system, seconds: float) -> None:
    for clock in (system["clock"], *system.get("more_clocks", ())):
        clock.set(T0 + timedelta(seconds=seconds))


def handling(system, headers, order_id: str, key: str):
    def known():
        found = (get(system, f"/work-orders/{order_id}", headers).json().get("handling") or {})
        return found if found.get(key) is not None else None
    return harness.wait_for(known)


def dialled_back(system, headers, order_id: str) -> str:
    """Ask for a click-to-call on the order and wait for its outcome."""
    asked = post(system, f"/work-orders/{order_id}/callback-calls", headers)
    assert asked.status_code == 200 and asked.json()["outcome"] is None, asked.text

    def told():
        items = get(system, f"/work-orders/{order_id}/callback-calls", headers).json()["items"]
        return next(i["outcome"] for i in items if i["id"] == asked.json()["id"])
    return harness.wait_for(told)


def clock(system, headers, order_id: str, name: str) -> dict:
    order = get(system, f"/work-orders/{order_id}", headers).json()
    return next(c for c in order["clocks"] if c["clock"] == name)


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_answered_talked_wrapped_up_and_an_abandon_counted(cti, pbx):
    system, published = cti, amqp.Listener(cti["amqp_uri"], "staffing.events")
    harness.wait_for(lambda: pbx.logged_in() == 1)
    state_is(system, "8001", "ready")  # the reconciliation after login read QueueStatus
    abandoned_before = counted("csc_calls_abandoned_total", queue="direct")

    rang_out_before = counted("csc_ring_no_answer_total", queue="direct")

    first = call(system, caller_num=KNOWN_CALLER[0], digits=["1"])
    order_id = first.variables["WORK_ORDER_ID"]
    assert first.variables["ROUTE_TARGET"] == "PJSIP/8001"
    line = pbx.arrive(first.uniqueid, variables={"WORK_ORDER_ID": order_id})
    pbx.ring(line, "PJSIP/8001")
    state_is(system, "8001", "ringing")
    pbx.no_answer(line)  # Dial rang out: the dialplan asks for the next choice
    again = place_call("127.0.0.1", system["agi"], script="95598-next", uniqueid=first.uniqueid,
                       args=[order_id, "PJSIP/8001"])
    assert again.variables["ROUTE_TARGET"] == "PJSIP/8002"
    pbx.ring(line, "PJSIP/8002")
    state_is(system, "8002", "ringing")
    at(system, 8)
    pbx.answer_call(line)
    state_is(system, "8002", "on_call")
    headers = login(system, "leader01")
    board = get(system, "/board", headers).json()  # the leaders see who is on a call
    assert board["agents"]["on_call"] == 1
    assert {a["name"]: a["state"] for a in board["agent_list"]}["Agent02"] == "on_call"

    second = call(system, caller_num="13900000002", digits=["1"])  # agent02 is on a call
    assert second.variables["ROUTE_TARGET"] == "PJSIP/8001"

    at(system, 128)
    pbx.hang_up(line)
    state_is(system, "8002", "wrap_up")
    at(system, 143)  # the queue's wrap-up time is over
    state_is(system, "8002", "ready")
    done = handling(system, headers, order_id, "wrapup_seconds")
    assert (done["answered_by"], done["hold_seconds"], done["talk_seconds"],
            done["wrapup_seconds"], done["ring_no_answers"]) == (2, 8.0, 120.0, 15.0, 1)
    moved = routed_order(system, headers, order_id)
    assert (moved["assignee"]["id"], moved["routing_reason"]) == (2, "ring_no_answer_next_choice")
    assert counted("csc_ring_no_answer_total", queue="direct") == rang_out_before + 1

    waiting = pbx.arrive(second.uniqueid, caller="13900000002")
    pbx.ring(waiting, "PJSIP/8001")
    state_is(system, "8001", "ringing")  # its events are heard in order: the ring is known
    at(system, 170)
    pbx.abandon(waiting)
    gave_up = handling(system, headers, second.variables["WORK_ORDER_ID"],
                       "abandoned_after_seconds")
    assert gave_up["abandoned_after_seconds"] == 27.0 and gave_up["answered_by"] is None
    assert counted("csc_calls_abandoned_total", queue="direct") == abandoned_before + 1

    today = get(system, "/staffing-plan?date=2026-03-02", headers).json()
    assert {k: today["happened"][k] for k in ("offered", "answered_in_target", "abandoned")} == {
        "offered": 2, "answered_in_target": 1, "abandoned": 1}
    tomorrow = get(system, "/staffing-plan?date=2026-03-03", headers).json()["basis"]
    assert tomorrow["handling_time_seconds"] == 135.0  # talk 120 + wrap-up 15, measured
    assert tomorrow["handling_time_source"].startswith("measured: talk + wrap-up")

    # click-to-call (S1.10): agent02 promised a callback; a busy line leaves its clock running,
    # the customer reached stops it
    agent = login(system, "agent02")
    promised = post(system, f"/work-orders/{order_id}/promise_callback", agent,
                    {"matter": "峰谷电价"})
    assert promised.status_code == 200, promised.text
    pbx.customer_dial_status = "BUSY"
    assert dialled_back(system, agent, order_id) == "busy"
    assert clock(system, agent, order_id, "callback")["stopped_at"] is None
    pbx.customer_dial_status = "ANSWER"
    assert dialled_back(system, agent, order_id) == "reached"
    assert clock(system, agent, order_id, "callback")["stopped_at"] is not None
    assert pbx.originated[-1].get("Exten") == KNOWN_CALLER[3].replace("-", "")  # the contact

    events = []
    while not any(e["type"] == "call.abandoned" for e in events):
        more = published.drain(expect=1, timeout=5)
        assert more, [e["type"] for e in events]
        events += more
    kinds = [e["type"] for e in events]
    for wanted in ("agent.state_changed", "call.answered", "call.completed", "call.abandoned"):
        assert wanted in kinds
    for event in events:
        validate_published(event)


def test_presence_and_queue_pause_agree_and_a_dropped_line_is_reconciled(cti, pbx):
    system = cti
    harness.wait_for(lambda: pbx.logged_in() == 1)
    state_is(system, "8002", "ready")
    headers = login(system, "agent02")
    put = requests.put(f"{system['api']}/presence", headers=headers,
                                     json={"state": "away", "reason": "meal"}, timeout=10)
    assert put.status_code == 200 and put.json()["phone_in_step"] is True, put.text
    assert (pbx.members["PJSIP/8002"].paused, pbx.members["PJSIP/8002"].reason) == (True, "meal")
    state_is(system, "8002", "paused")

    pbx.pause("PJSIP/8001", True, "break")  # paused from the phone: the screen follows
    state_is(system, "8001", "paused")
    mine = get(system, "/presence", login(system, "agent01")).json()
    assert (mine["state"], mine["reason"]) == ("away", "break")

    pbx.drop_connections(mid_event=True)
    pbx.members["PJSIP/8001"].device = "INUSE"  # missed while the line was down
    pbx.members["PJSIP/8002"].paused = False  # and a pause lost on the PBX
    harness.wait_for(lambda: pbx.logged_in() == 1)
    state_is(system, "8001", "on_call")
    harness.wait_for(lambda: pbx.members["PJSIP/8002"].paused)  # the screen's pause pushed back

    # coaching (S3.2): the duty leader listens in on agent01's live call; agent02 may not
    leader = login(system, "leader01")
    joined = requests.post(f"{system['api']}/coaching", headers=leader, timeout=10,
                           json={"staff_id": 1, "mode": "listen"})
    assert joined.status_code == 200 and joined.json()["outcome"] == "originated", joined.text
    spy = pbx.originated[-1]
    assert (spy.get("Channel"), spy.get("Context"), spy.get("Exten"), spy.get("Variable")) == (
        "PJSIP/8101", "csc-coach", "listen", "SPY_TARGET=PJSIP/8001")
    refused = requests.post(f"{system['api']}/coaching", headers=headers, timeout=10,
                            json={"staff_id": 1, "mode": "whisper"})
    assert refused.status_code == 403
    trail = get(system, "/coaching", leader).json()["items"]
    assert [(e["leader_id"], e["outcome"]) for e in trail] == [(2, "refused"), (3, "originated")]
    assert get(system, "/coaching", headers).status_code == 403


def test_a_call_that_hung_up_while_the_line_was_down_is_closed_once_on_reconnect(
        cti, pbx, run_service):
    """Two staffing instances both reconcile after the line comes back; the call is closed
    and published once, its end marked inferred, and the agent is routable again."""
    system, published = cti, amqp.Listener(cti["amqp_uri"], "staffing.events")
    system["more_clocks"] = [clock_of(run_service("staffing", at=T0, AMI=ami_settings(pbx)))]
    harness.wait_for(lambda: pbx.logged_in() == 2)
    state_is(system, "8001", "ready")
    inferred_before = counted("csc_call_ends_inferred_total", queue="direct", outcome="ended")
    first = call(system, caller_num=KNOWN_CALLER[0], digits=["1"])
    assert first.variables["ROUTE_TARGET"] == "PJSIP/8001"
    line = pbx.arrive(first.uniqueid, variables={"WORK_ORDER_ID": first.variables[
        "WORK_ORDER_ID"]})
    pbx.ring(line, "PJSIP/8001")
    at(system, 6)
    pbx.answer_call(line)
    state_is(system, "8001", "on_call")

    pbx.users["csc-staffing"] = "rotated"  # logins refused: the line stays down meanwhile
    pbx.drop_connections(mid_event=True)
    harness.wait_for(lambda: pbx.logged_in() == 0)
    pbx.hang_up(line)  # heard by nobody
    assert call(system, caller_num="13900000003", digits=["1"]).variables[
        "ROUTE_TARGET"] != "PJSIP/8001"  # she still looks on a call
    at(system, 66)
    pbx.users["csc-staffing"] = "ami-secret"
    harness.wait_for(lambda: pbx.logged_in() == 2)
    state_is(system, "8001", "wrap_up")
    at(system, 81)
    state_is(system, "8001", "ready")
    headers = login(system, "leader01")
    done = handling(system, headers, first.variables["WORK_ORDER_ID"], "wrapup_seconds")
    assert (done["answered_by"], done["talk_seconds"], done["wrapup_seconds"],
            done["end_inferred"]) == (1, 60.0, 15.0, True)  # talk runs to the reconciliation
    assert call(system, caller_num=KNOWN_CALLER[0], digits=["1"]).variables[
        "ROUTE_TARGET"] == "PJSIP/8001"

    events = []
    while not any(e["type"] == "call.completed" for e in events):
        more = published.drain(expect=1, timeout=5)
        assert more, [e["type"] for e in events]
        events += more
    events += published.drain(expect=100, timeout=0.5)  # a second one would be here by now
    ends = [e for e in events if e["type"] in ("call.completed", "call.abandoned")
            and e["payload"]["call_uniqueid"] == first.uniqueid]
    assert [(e["type"], e["payload"]["end_inferred"]) for e in ends] == [
        ("call.completed", True)]
    assert counted("csc_call_ends_inferred_total", queue="direct",
                   outcome="ended") == inferred_before + 1
    for event in ends:
        validate_published(event)


def test_nobody_free_the_queue_connects_an_agent_and_the_platform_records_it(cti, pbx):
    """The queue path end to end: every phone paused, so routing finds nobody and the call goes
    to ``Queue(95598)``; agent02 comes back and the queue connects her with the events app_queue
    raises (AgentCalled and DialBegin, DialEnd ANSWER, QueueCallerLeave, AgentConnect,
    AgentComplete before the Hangups), timed by the services' clock. The order nobody owned
    becomes hers."""
    system, published = cti, amqp.Listener(cti["amqp_uri"], "staffing.events")
    pbx.ticks = lambda: system["clock"].now().timestamp()
    harness.wait_for(lambda: pbx.logged_in() == 1)
    for interface, _ in PHONES:
        pbx.pause(interface, True, "meeting")
    harness.wait_for(lambda: set(states(system).values()) == {"paused"})
    before = {"offered": counted("csc_calls_offered_total", queue="95598"),
              "in_target": counted("csc_calls_answered_total", queue="95598", within_target="yes")}

    queued = call(system, caller_num=KNOWN_CALLER[0], digits=["1"])
    assert queued.variables["ROUTE_TARGET"] == "Queue(95598)"
    order_id = queued.variables["WORK_ORDER_ID"]
    line = pbx.arrive(queued.uniqueid, variables={"WORK_ORDER_ID": order_id})
    pbx.join_queue(line)
    offered = harness.wait_for(lambda: offered_at(system, queued.uniqueid))
    assert offered.replace(tzinfo=None) == T0.replace(tzinfo=None)  # the clock moves after it
    at(system, 9)
    pbx.pause("PJSIP/8002", False)
    state_is(system, "8002", "ready")
    pbx.ring(line, "PJSIP/8002")
    state_is(system, "8002", "ringing")
    at(system, 12)
    pbx.answer_call(line)
    state_is(system, "8002", "on_call")
    at(system, 102)
    pbx.hang_up(line)
    state_is(system, "8002", "wrap_up")
    at(system, 117)
    state_is(system, "8002", "ready")

    headers = login(system, "leader01")
    done = handling(system, headers, order_id, "wrapup_seconds")
    assert (done["answered_by"], done["hold_seconds"], done["talk_seconds"],
            done["wrapup_seconds"], done["ring_no_answers"]) == (2, 12.0, 90.0, 15.0, 0)
    owned = get(system, f"/work-orders/{order_id}", headers).json()  # nobody owned it: hers now
    assert (owned["assignee"]["id"], owned["routing_reason"]) == (2, "answered_from_queue")
    mine = get(system, "/queues/mine", login(system, "agent02")).json()["items"]
    assert [o["id"] for o in mine] == [order_id]
    assert counted("csc_calls_offered_total", queue="95598") == before["offered"] + 1
    assert counted("csc_calls_answered_total", queue="95598",
                   within_target="yes") == before["in_target"] + 1
    today = get(system, "/staffing-plan?date=2026-03-02", headers).json()
    assert {k: today["happened"][k] for k in ("offered", "answered_in_target", "abandoned")} == {
        "offered": 1, "answered_in_target": 1, "abandoned": 0}

    events = []
    while not any(e["type"] == "call.completed" for e in events):
        more = published.drain(expect=1, timeout=5)
        assert more, [e["type"] for e in events]
        events += more
    told = [e for e in events if e["type"].startswith("call.")]
    assert [(e["type"], e["payload"]["queue"], e["payload"]["work_order_id"]) for e in told] == [
        ("call.answered", "95598", order_id), ("call.completed", "95598", order_id)]
    for event in events:
        validate_published(event)
