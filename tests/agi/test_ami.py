"""The AMI simulator and the green client over real sockets: framing, login, ActionID, event
lists, a whole call's events, a line cut mid-event, and the nameko extension reconnecting."""

import socket
import time

import eventlet
import pytest
from nameko.containers import ServiceContainer

from asterisk_sim.ami import AmiSimulator
from svckit.ami import AmiClient, AmiError, AmiUnavailable, Message
from svckit.ami.extension import CONNECTED, Ami, ami_event
from svckit.ami.protocol import AmiProtocolError, MessageReader, encode

AGENTS = [("PJSIP/1001", "Li Na"), ("PJSIP/1002", "Wang Fang")]


@pytest.fixture
def sim():
    simulator = AmiSimulator(users={"csc": "s3cret"}, members=AGENTS)
    simulator.port = simulator.start()
    yield simulator
    simulator.stop()


def _client(sim, events=None):
    client = AmiClient((events if events is not None else []).append)
    assert client.connect("127.0.0.1", sim.port) == "7.0.3"
    client.login("csc", "s3cret")
    return client


def _wait(predicate, seconds=3.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        eventlet.sleep(0.01)


def test_raw_wire_banner_login_action_id_and_logoff(sim):
    sock = socket.create_connection(("127.0.0.1", sim.port))
    reader = MessageReader(sock)
    assert reader.banner() == "7.0.3"
    sock.sendall(b"Action: Ping\r\nActionID: early\r\n\r\n")
    assert reader.message().pairs == [("Response", "Error"), ("ActionID", "early"),
                                      ("Message", "Permission denied")]
    sock.sendall(b"action: login\r\nactionid: 7\r\nusername: csc\r\nsecret: s3cret\r\n\r\n")
    accepted = reader.message()
    assert (accepted.response, accepted.action_id, accepted.get("message")) == (
        "Success", "7", "Authentication accepted")
    assert reader.message().event == "FullyBooted"
    sock.sendall(encode([("Action", "Bogus"), ("ActionID", "8")]))
    assert reader.message().get("Message") == "Invalid/unknown command"
    sock.sendall(encode([("Action", "Logoff"), ("ActionID", "9")]))
    goodbye = reader.message()
    assert (goodbye.response, goodbye.action_id) == ("Goodbye", "9")
    assert reader.message() is None  # Asterisk closes the line after Logoff
    sock.close()


def test_wrong_secret_is_refused_and_the_line_closed(sim):
    client = AmiClient(lambda m: None)
    client.connect("127.0.0.1", sim.port)
    with pytest.raises(AmiError, match="Authentication failed"):
        client.login("csc", "wrong")
    assert client.closed.wait() is None  # a clean close by Asterisk
    with pytest.raises(AmiUnavailable):
        client.send("Ping")


def test_not_an_ami_banner_is_refused():
    server = eventlet.listen(("127.0.0.1", 0))

    def greet():
        conn, _ = server.accept()
        conn.sendall(b"SSH-2.0-OpenSSH\r\n")

    eventlet.spawn(greet)
    with pytest.raises(AmiProtocolError):
        AmiClient(lambda m: None).connect("127.0.0.1", server.getsockname()[1])
    server.close()


def test_header_injection_is_refused():
    with pytest.raises(ValueError):
        encode([("Action", "QueuePause"), ("Reason", "x\r\nAction: Originate")])


def test_event_lists_are_collected_for_their_action(sim):
    client = _client(sim)
    sim.arrive(uniqueid="1700000000.1")
    status = client.send_list("QueueStatus")
    assert status.response.get("EventList") == "start"
    assert [m.event for m in status.items] == ["QueueParams", "QueueMember", "QueueMember"]
    member = status.items[1]
    assert (member.get("Location"), member.get("Status"), member.get("Paused")) == (
        "PJSIP/1001", "1", "0")
    channels = client.send_list("CoreShowChannels")
    assert [m.get("Uniqueid") for m in channels.items] == ["1700000000.1"]
    client.close()


def test_queue_pause_answers_and_tells_every_listener(sim):
    seen = []
    client, other = _client(sim), _client(sim, seen)
    reply = client.send("QueuePause", Interface="PJSIP/1002", Paused="true", Reason="meal")
    assert reply.get("Message") == "Interface paused successfully"
    _wait(lambda: any(m.event == "QueueMemberPause" for m in seen))
    paused = next(m for m in seen if m.event == "QueueMemberPause")
    assert (paused.get("Interface"), paused.get("Paused"), paused.get("PausedReason")) == (
        "PJSIP/1002", "1", "meal")
    with pytest.raises(AmiError, match="Interface not found"):
        client.send("QueuePause", Interface="PJSIP/9999", Paused="false")
    client.close()
    other.close()


def test_a_queue_call_plays_app_queue_events_with_ids_and_channel_variables(sim):
    seen: list[Message] = []
    client = _client(sim, seen)
    call = sim.arrive(uniqueid="1700000000.5", variables={"WORK_ORDER_ID": "wo-1"})
    sim.join_queue(call)
    sim.ring(call, "PJSIP/1001")
    sim.no_answer(call)
    sim.ring(call, "PJSIP/1002")
    sim.answer_call(call)
    sim.hang_up(call)
    _wait(lambda: sum(m.event == "Hangup" for m in seen) == 3)
    wanted = ["QueueCallerJoin", "AgentCalled", "AgentRingNoAnswer", "AgentCalled",
              "AgentConnect", "AgentComplete"]
    assert [m.event for m in seen if m.event in wanted] == wanted
    connect = next(m for m in seen if m.event == "AgentConnect")
    assert connect.get("Uniqueid") == connect.get("Linkedid") == "1700000000.5"
    assert connect.get("DestLinkedid") == "1700000000.5"
    assert connect.get("Interface") == "PJSIP/1002" and connect.has("HoldTime")
    assert connect.variables() == {"WORK_ORDER_ID": "wo-1", "CSC_CALLBACK": ""}  # set or not
    states = [(m.get("Device"), m.get("State")) for m in seen if m.event == "DeviceStateChange"]
    assert states == [("PJSIP/1001", "RINGING"), ("PJSIP/1001", "NOT_INUSE"),
                      ("PJSIP/1002", "RINGING"), ("PJSIP/1002", "INUSE"),
                      ("PJSIP/1002", "NOT_INUSE")]
    client.close()


def test_a_line_cut_mid_event_fails_waiting_actions_and_says_why(sim):
    client = _client(sim)
    sim.drop_connections(mid_event=True)
    assert isinstance(client.closed.wait(), AmiProtocolError)
    with pytest.raises(AmiUnavailable):
        client.send("Ping")


class _Listener:
    name = "ami_listener"
    ami = Ami()
    seen: list[str] = []

    @ami_event(CONNECTED, "DeviceStateChange")
    def on_event(self, message):
        if message.event == CONNECTED:  # reconciliation runs with the line up
            self.seen.append(f"connected:{len(self.ami.send_list('QueueStatus').items)}")
        else:
            self.seen.append(message.get("State"))


def test_extension_reconnects_after_a_drop_and_reconciles_first(sim):
    _Listener.seen = []
    config = {"AMQP_URI": "memory://", "AMI": {"host": "127.0.0.1", "port": sim.port,
                                                 "username": "csc", "secret": "s3cret"}}
    container = ServiceContainer(_Listener, config)
    container.start()
    try:
        _wait(lambda: _Listener.seen == ["connected:3"])
        sim.set_device("PJSIP/1001", "RINGING")
        _wait(lambda: _Listener.seen[-1:] == ["RINGING"])
        sim.drop_connections(mid_event=True)
        _wait(lambda: _Listener.seen.count("connected:3") == 2 and sim.logged_in() == 1)
        sim.set_device("PJSIP/1001", "INUSE")
        _wait(lambda: _Listener.seen[-1:] == ["INUSE"])
    finally:
        container.stop()
    assert sim.logged_in() == 0


def test_sim_play_call_plays_the_agent_side_of_a_routed_call(sim):
    seen: list[Message] = []
    client = _client(sim, seen)
    reply = client.send("SimPlayCall", Uniqueid="1700000000.9", RouteTarget="PJSIP/1002",
                        WorkOrderId="wo-9", Outcome="answer", RingSeconds=0.01,
                        TalkSeconds=0.01)
    assert reply.get("Message") == "Call is being played"
    _wait(lambda: sum(m.event == "Hangup" for m in seen) == 2)
    dial = [(m.event, m.get("DialStatus")) for m in seen if m.event.startswith("Dial")]
    assert dial == [("DialBegin", ""), ("DialEnd", "ANSWER")]
    assert {m.variables()["WORK_ORDER_ID"] for m in seen if m.event == "DialEnd"} == {"wo-9"}
    with pytest.raises(AmiError):
        client.send("SimPlayCall", Uniqueid="x", Outcome="explode")
    client.close()


def test_a_click_to_call_originate_rings_the_agent_then_dials_the_customer(sim):
    seen: list[Message] = []
    client = _client(sim, seen)
    sim.customer_dial_status = "BUSY"
    client.send("Originate", action_id="callback-a1", Channel="PJSIP/1001",
                Context="csc-callback", Exten="13800138000", Priority="1", Async="true",
                Variable="CSC_CALLBACK=a1")
    _wait(lambda: any(m.event == "DialEnd" for m in seen))
    response = next(m for m in seen if m.event == "OriginateResponse")
    assert (response.action_id, response.get("Response"), response.get("Reason")) == (
        "callback-a1", "Success", "4")
    dial_end = next(m for m in seen if m.event == "DialEnd")
    assert (dial_end.variables()["CSC_CALLBACK"], dial_end.get("DialStatus")) == ("a1", "BUSY")
    sim.agent_answers = False
    client.send("Originate", action_id="callback-a2", Channel="PJSIP/1001",
                Context="csc-callback", Exten="13800138000", Variable="CSC_CALLBACK=a2")
    _wait(lambda: any(m.action_id == "callback-a2" for m in seen))
    assert next(m for m in seen if m.action_id == "callback-a2").get("Response") == "Failure"
    client.close()
