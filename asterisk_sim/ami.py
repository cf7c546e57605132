"""Asterisk's Manager Interface (AMI) as Asterisk 18-22 speaks it, for tests and ``make run``.

A TCP server: the banner ``Asterisk Call Manager/<version>``, ``Login`` (a wrong secret is
answered ``Authentication failed`` and the line closed, as manager.c does), ``Logoff``,
``Ping``, ``QueuePause``, ``QueueStatus`` and ``CoreShowChannels`` (event lists:
``EventList: start`` ... ``<Action>Complete`` with ``EventList: Complete`` and ``ListItems``),
``Originate`` (queued; an ``OriginateResponse`` follows, and into ``csc-callback`` the dial to the
customer: a click-to-call callback); every answer echoes ``ActionID``.
Anything else before login: ``Permission denied``; an unknown action: ``Invalid/unknown
command``.

It can play a call after the IVR (a test drives it step by step): joining the queue or dialling
the routed extension, the agent's phone ringing, answered or not, talk, hang-up or abandon,
with the events app_queue, app_dial and the core raise (``QueueCallerJoin``, ``AgentCalled``,
``AgentConnect``, ``AgentComplete``, ``AgentRingNoAnswer``, ``QueueCallerAbandon``,
``QueueCallerLeave``, ``DialBegin``, ``DialEnd``, ``DeviceStateChange``, ``QueueMemberStatus``,
``Hangup``), with the real field names, ``Uniqueid``/``Linkedid`` and manager.conf ``channelvars``
as ``ChanVariable``. In the queue, as app_queue does, each member rung also raises ``DialBegin``
and ``DialEnd`` (``ANSWER`` before ``QueueCallerLeave`` and ``AgentConnect``; ``NOANSWER`` after
``AgentRingNoAnswer``), and ``AgentComplete`` comes before the legs' ``Hangup``. ``ticks`` is
the clock of HoldTime and TalkTime: a test may drive it with the services' clock.
``drop_connections(mid_event=True)`` cuts every line in the middle of an event.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from svckit.ami.protocol import Message, MessageReader, encode

DEVICE_STATUS = {  # QueueMember(Status) numbers for device states (app_queue, devicestate.h)
    "UNKNOWN": 0, "NOT_INUSE": 1, "INUSE": 2, "BUSY": 3, "INVALID": 4, "UNAVAILABLE": 5,
    "RINGING": 6, "RINGINUSE": 7, "ONHOLD": 8,
}
CHANNEL_STATE = {"Down": 0, "Ring": 4, "Ringing": 5, "Up": 6}
_seq = itertools.count(1)


@dataclass
class Member:
    interface: str  # PJSIP/1001
    name: str
    paused: bool = False
    reason: str = ""
    device: str = "NOT_INUSE"
    in_call: bool = False
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    caller: str = ""
    caller_name: str = ""
    state: str = "Up"
    context: str = "95598"
    exten: str = "s"
    application: str = "AGI"
    data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)


@dataclass
class SimCall:
    """A caller's channel after the IVR, and the agent leg being rung or talking."""

    caller: Channel
    via: str = ""  # "queue" or "dial"
    joined: float = 0.0
    agent: Member | None = None
    agent_leg: Channel | None = None
    answered: float | None = None


def _uniqueid() -> str:
    return f"{int(time.time())}.{next(_seq)}"


def _channel_fields(channel: Channel, prefix: str = "") -> list[tuple[str, str]]:
    return [(prefix + key, str(value)) for key, value in (
        ("Channel", channel.name), ("ChannelState", CHANNEL_STATE.get(channel.state, 6)),
        ("ChannelStateDesc", channel.state), ("CallerIDNum", channel.caller or "<unknown>"),
        ("CallerIDName", channel.caller_name or "<unknown>"), ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"), ("Language", "zh"), ("AccountCode", ""),
        ("Context", channel.context), ("Exten", channel.exten), ("Priority", "1"),
        ("Uniqueid", channel.uniqueid), ("Linkedid", channel.linkedid))]


def _member_fields(queue: str, member: Member) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in (
        ("Queue", queue), ("MemberName", member.name), ("Interface", member.interface),
        ("StateInterface", member.interface), ("Membership", "static"), ("Penalty", 0),
        ("CallsTaken", member.calls_taken), ("LastCall", member.last_call),
        ("LastPause", member.last_pause), ("LoginTime", 0), ("InCall", int(member.in_call)),
        ("Status", DEVICE_STATUS[member.device]), ("Paused", int(member.paused)),
        ("PausedReason", member.reason), ("Ringinuse", 0), ("Wrapuptime", 0))]


class _Session(socketserver.BaseRequestHandler):
    server: _Server

    def setup(self) -> None:
        self.authenticated = False
        self.lock = threading.Lock()
        self.write(f"Asterisk Call Manager/{self.server.sim.version}\r\n".encode())

    def write(self, data: bytes) -> None:
        with self.lock, contextlib.suppress(OSError):
            self.request.sendall(data)

    def send(self, pairs: Iterable[tuple[str, object]]) -> None:
        self.write(encode(pairs))

    def handle(self) -> None:
        sim = self.server.sim
        with sim.lock:
            sim.sessions.append(self)
        try:
            for message in MessageReader(self.request).messages():
                if not sim.answer(self, message):
                    break
        except (OSError, ConnectionError):
            pass
        finally:
            with sim.lock:
                if self in sim.sessions:
                    sim.sessions.remove(self)
            with contextlib.suppress(OSError):
                self.request.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: AmiSimulator


class AmiSimulator:
    """An Asterisk with one queue whose static members are the agents' phones."""

    def __init__(self, users: dict[str, str] | None = None, queue: str = "95598",
                 members: Iterable[tuple[str, str]] = (), version: str = "7.0.3",
                 channelvars: Iterable[str] = ("WORK_ORDER_ID", "CSC_CALLBACK")) -> None:
        self.users = dict(users or {"csc": "secret"})
        self.queue = queue
        self.members = {i: Member(i, n) for i, n in members}
        self.version = version
        self.channelvars = tuple(channelvars)
        self.channels: dict[str, Channel] = {}
        self.sessions: list[_Session] = []
        self.actions: list[Message] = []  # every action received, for tests
        self.originated: list[Message] = []
        self.agent_answers = True  # Originate: the agent's own phone answers
        self.customer_dial_status = "ANSWER"  # then the customer's line: NOANSWER, BUSY...
        #: seconds for a call's HoldTime/TalkTime; a test may drive it with the service's clock
        self.ticks: Callable[[], float] = time.monotonic
        self.lock = threading.RLock()
        self._server: _Server | None = None

    # -- server ---------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = _Server((host, port), _Session)
        self._server.sim = self
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         kwargs={"poll_interval": 0.05}).start()
        return self._server.server_address[1]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.drop_connections()

    def drop_connections(self, mid_event: bool = False) -> None:
        """Close every manager session (Asterisk restarting); ``mid_event``: after half an
        event, as a crash would."""
        with self.lock:
            sessions = list(self.sessions)
        for session in sessions:
            if mid_event:
                session.write(b"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevi")
            with contextlib.suppress(OSError):
                session.request.shutdown(socket.SHUT_RDWR)

    def logged_in(self) -> int:
        with self.lock:
            return sum(1 for s in self.sessions if s.authenticated)

    def emit(self, event: str, pairs: Iterable[tuple[str, str]], privilege: str) -> None:
        data = encode([("Event", event), ("Privilege", privilege), *pairs])
        with self.lock:
            sessions = [s for s in self.sessions if s.authenticated]
        for session in sessions:
            session.write(data)

    # -- actions --------------------------------------------------------------------------------

    def answer(self, session: _Session, m: Message) -> bool:
        """Answer one action; False ends the session."""
        self.actions.append(m)
        action = m.get("Action").lower()
        ids = [("ActionID", m.action_id)] if m.has("ActionID") else []
        if not action:
            session.send([("Response", "Error"), *ids, ("Message", "Missing action in request")])
            return True
        if action == "login":
            if self.users.get(m.get("Username")) != m.get("Secret") or not m.get("Username"):
                session.send([("Response", "Error"), *ids, ("Message", "Authentication failed")])
                return False
            session.authenticated = True
            session.send([("Response", "Success"), *ids, ("Message", "Authentication accepted")])
            session.send([("Event", "FullyBooted"), ("Privilege", "system,all"),
                          ("Uptime", "100"), ("LastReload", "100"), ("Status", "Fully Booted")])
            return True
        if not session.authenticated:
            session.send([("Response", "Error"), *ids, ("Message", "Permission denied")])
            return True
        handler = getattr(self, f"_action_{action}", None)
        if handler is None:
            session.send([("Response", "Error"), *ids, ("Message", "Invalid/unknown command")])
            return True
        return handler(session, m, ids) is not False

    def _action_logoff(self, session, m, ids):
        session.send([("Response", "Goodbye"), *ids, ("Message", "Thanks for all the fish.")])
        return False

    def _action_ping(self, session, m, ids):
        session.send([("Response", "Success"), *ids, ("Ping", "Pong"),
                      ("Timestamp", f"{time.time():.6f}")])

    def _action_queuepause(self, session, m, ids):
        member = self.members.get(m.get("Interface"))
        queue = m.get("Queue")
        if member is None or (queue and queue != self.queue):
            session.send([("Response", "Error"), *ids, ("Message", "Interface not found")])
            return
        paused = m.get("Paused").lower() in ("true", "yes", "1", "on")
        session.send([("Response", "Success"), *ids, ("Message", "Interface paused successfully"
                      if paused else "Interface unpaused successfully")])
        self.pause(member.interface, paused, m.get("Reason"))

    def _action_queuestatus(self, session, m, ids):
        session.send([("Response", "Success"), *ids, ("EventList", "start"),
                      ("Message", "Queue status will follow")])
        with self.lock:
            members = list(self.members.values())
            waiting = [c for c in self.channels.values() if c.application == "Queue"]
        items = [[("Queue", self.queue), ("Max", "0"), ("Strategy", "rrmemory"),
                  ("Calls", str(len(waiting))), ("Holdtime", "0"), ("TalkTime", "0"),
                  ("Completed", "0"), ("Abandoned", "0"), ("ServiceLevel", "20"),
                  ("ServicelevelPerf", "0.0"), ("ServicelevelPerf2", "0.0"), ("Weight", "0")]]
        names = ["QueueParams"]
        for member in members:
            fields = dict(_member_fields(self.queue, member))
            fields["Location"] = fields.pop("Interface")
            fields["Name"] = fields.pop("MemberName")
            items.append(list(fields.items()))
            names.append("QueueMember")
        for position, channel in enumerate(waiting, 1):
            items.append([("Queue", self.queue), ("Position", str(position)),
                          *_channel_fields(channel),
                          ("Wait", str(int(time.monotonic() - channel.created))),
                          ("Priority", "0")])
            names.append("QueueEntry")
        for name, pairs in zip(names, items, strict=True):
            session.send([("Event", name), *pairs, *ids])
        session.send([("Event", "QueueStatusComplete"), *ids, ("EventList", "Complete"),
                      ("ListItems", str(len(items)))])

    def _action_coreshowchannels(self, session, m, ids):
        session.send([("Response", "Success"), *ids, ("EventList", "start"),
                      ("Message", "Channels will follow")])
        with self.lock:
            channels = list(self.channels.values())
        for channel in channels:
            seconds = int(time.monotonic() - channel.created)
            session.send([("Event", "CoreShowChannel"), *ids, *_channel_fields(channel),
                          ("BridgeId", ""), ("Application", channel.application),
                          ("ApplicationData", channel.data),
                          ("Duration", time.strftime("%H:%M:%S", time.gmtime(seconds))),
                          ("BridgedChannel", ""), ("BridgedUniqueID", "")])
        session.send([("Event", "CoreShowChannelsComplete"), *ids, ("EventList", "Complete"),
                      ("ListItems", str(len(channels)))])

    def _action_originate(self, session, m, ids):
        if not m.get("Channel") or not (m.get("Exten") or m.get("Application")):
            session.send([("Response", "Error"), *ids,
                          ("Message", "Channel and Exten or Application are required")])
            return
        session.send([("Response", "Success"), *ids, ("Message", "Originate successfully queued")])
        self.originated.append(m)
        threading.Thread(target=self._originated, args=(m,), daemon=True).start()

    def _originated(self, m: Message) -> None:
        """An async Originate: the first channel (an agent's phone) rings and answers unless
        ``agent_answers`` is False; into ``csc-callback`` the dialplan then dials the customer,
        whose line answers with ``customer_dial_status``."""
        variables = dict(v.partition("=")[::2] for item in m.all("Variable")
                         for v in item.split(",") if "=" in v)
        member = self.members.get(m.get("Channel"))
        ids = [("ActionID", m.action_id)] if m.action_id else []
        leg = Channel(f"{m.get('Channel')}-{next(_seq):08x}", _uniqueid(), "", m.get("Exten"),
                      context=m.get("Context"), exten=m.get("Exten"), variables=variables)
        leg.linkedid = leg.uniqueid
        answered = member is not None and self.agent_answers and member.device == "NOT_INUSE"
        self.emit("OriginateResponse", [*ids, ("Response", "Success" if answered else "Failure"),
                  ("Channel", leg.name), ("Context", leg.context), ("Exten", leg.exten),
                  ("Application", ""), ("Data", ""), ("Reason", "4" if answered else "3"),
                  ("Uniqueid", leg.uniqueid if answered else "<null>"),
                  ("CallerIDNum", "95598"), ("CallerIDName", "")], "call,all")
        if not answered:
            return
        with self.lock:
            self.channels[leg.uniqueid] = leg
        self.set_device(member.interface, "INUSE")
        if leg.context == "csc-callback":
            customer = Channel(f"PJSIP/trunk-{next(_seq):08x}", _uniqueid(), leg.linkedid,
                               leg.exten, state="Ringing")
            dest = _channel_fields(customer, "Dest")
            self.emit("DialBegin", [*self._with_variables(leg), *dest,
                                    ("DialString", f"{leg.exten}@trunk")], "call,all")
            self.emit("DialEnd", [*self._with_variables(leg), *dest,
                                  ("DialStatus", self.customer_dial_status)], "call,all")
            self._hang_up(customer, 16, "Normal Clearing")
        self._hang_up(leg, 16, "Normal Clearing")
        self.set_device(member.interface, "NOT_INUSE")

    def _action_simplaycall(self, session, m, ids):
        """Not an Asterisk action: the simulator's own, so ``python -m asterisk_sim call
        --ami-port`` can play the rest of a call it placed by FastAGI (``make run``)."""
        target, outcome = m.get("RouteTarget"), m.get("Outcome").lower() or "answer"
        if not m.get("Uniqueid") or outcome not in ("answer", "abandon", "no_answer"):
            session.send([("Response", "Error"), *ids, ("Message", "Uniqueid and Outcome "
                          "(answer, abandon, no_answer) are required")])
            return
        session.send([("Response", "Success"), *ids, ("Message", "Call is being played")])
        threading.Thread(target=self.play, daemon=True, args=(
            m.get("Uniqueid"), target, outcome, float(m.get("RingSeconds") or 2),
            float(m.get("TalkSeconds") or 5), m.get("WorkOrderId"))).start()

    def play(self, uniqueid: str, target: str, outcome: str, ring: float, talk: float,
             work_order_id: str = "") -> None:
        """The rest of a call after the IVR: the routed phone (or the queue's first free
        member) rings, then it is answered and talked, abandoned, or rings out."""
        call = self.arrive(uniqueid, variables={"WORK_ORDER_ID": work_order_id})
        interface = target if target in self.members else None
        if interface is None:
            self.join_queue(call)
            free = [i for i, member in self.members.items()
                    if not member.paused and member.device == "NOT_INUSE"]
            interface = free[0] if free else None
        if interface is None:
            time.sleep(ring)
            self.abandon(call)
            return
        self.ring(call, interface)
        time.sleep(ring)
        if outcome == "abandon":
            self.abandon(call)
        elif outcome == "no_answer":
            self.no_answer(call)
            self.abandon(call)
        else:
            self.answer_call(call)
            time.sleep(talk)
            self.hang_up(call)

    # -- devices and members --------------------------------------------------------------------

    def set_device(self, interface: str, state: str) -> None:
        """The phone's device state changes (``DeviceStateChange``, ``QueueMemberStatus``)."""
        member = self.members.get(interface)
        if member is not None:
            member.device = state
        self.emit("DeviceStateChange", [("Device", interface), ("State", state)], "call,all")
        if member is not None:
            self.emit("QueueMemberStatus", _member_fields(self.queue, member), "agent,all")

    def pause(self, interface: str, paused: bool, reason: str = "") -> None:
        """Pause or unpause a member, from an action or from the phone's feature code."""
        member = self.members[interface]
        member.paused, member.reason = paused, reason if paused else ""
        member.last_pause = int(time.time()) if paused else member.last_pause
        self.emit("QueueMemberPause", _member_fields(self.queue, member), "agent,all")

    # -- a call after the IVR -------------------------------------------------------------------

    def arrive(self, uniqueid: str | None = None, caller: str = "13800138000",
               variables: dict[str, str] | None = None) -> SimCall:
        """A caller's channel, as the FastAGI session left it (``agi_uniqueid`` = Uniqueid)."""
        uid = uniqueid or _uniqueid()
        channel = Channel(f"PJSIP/trunk-{next(_seq):08x}", uid, uid, caller,
                          variables=dict(variables or {}))
        with self.lock:
            self.channels[uid] = channel
        return SimCall(channel)

    def _caller_fields(self, call: SimCall) -> list[tuple[str, str]]:
        return self._with_variables(call.caller)

    def _with_variables(self, channel: Channel) -> list[tuple[str, str]]:
        """A channel's fields and manager.conf's ``channelvars`` as ``ChanVariable`` lines."""
        return _channel_fields(channel) + [
            ("ChanVariable", f"{name}={channel.variables.get(name, '')}")
            for name in self.channelvars]

    def join_queue(self, call: SimCall) -> None:
        call.via, call.joined = "queue", self.ticks()
        call.caller.application, call.caller.data = "Queue", self.queue
        waiting = sum(1 for c in self.channels.values() if c.application == "Queue")
        self.emit("QueueCallerJoin", [*self._caller_fields(call), ("Queue", self.queue),
                                      ("Position", str(waiting)), ("Count", str(waiting))],
                  "agent,all")

    def ring(self, call: SimCall, interface: str) -> None:
        """The agent's phone rings: app_queue's ``AgentCalled`` in the queue, else app_dial's
        ``DialBegin`` (the dialplan's ``Dial(${ROUTE_TARGET})``)."""
        member = self.members[interface]
        if not call.via:
            call.via, call.joined = "dial", self.ticks()
            call.caller.application, call.caller.data = "Dial", interface
        leg_id = _uniqueid()
        call.agent, call.agent_leg = member, Channel(
            f"{interface}-{next(_seq):08x}", leg_id, call.caller.linkedid, interface.split("/")[-1],
            state="Ringing", context="agents", exten=interface.split("/")[-1])
        with self.lock:
            self.channels[leg_id] = call.agent_leg
        dest = _channel_fields(call.agent_leg, "Dest")
        if call.via == "queue":  # app_queue's ring_entry: AgentCalled, then the Dial event
            self.emit("AgentCalled", [*self._caller_fields(call), *dest, ("Queue", self.queue),
                                      ("MemberName", member.name), ("Interface", interface)],
                      "agent,all")
        self.emit("DialBegin", [*self._caller_fields(call), *dest, ("DialString",
                  interface if call.via == "queue" else interface.split("/")[-1])], "call,all")
        self.set_device(interface, "RINGING")  # device state follows (devstate taskprocessor)

    def no_answer(self, call: SimCall, ring_seconds: int = 15) -> None:
        """The rung phone is not answered in time: ``AgentRingNoAnswer`` (in the queue), then
        ``DialEnd NOANSWER``."""
        member, leg = call.agent, call.agent_leg
        dest = _channel_fields(leg, "Dest")
        if call.via == "queue":
            self.emit("AgentRingNoAnswer", [*self._caller_fields(call), *dest,
                      ("Queue", self.queue), ("MemberName", member.name),
                      ("Interface", member.interface), ("RingTime", str(ring_seconds))],
                      "agent,all")
        self.emit("DialEnd", [*self._caller_fields(call), *dest,
                              ("DialStatus", "NOANSWER")], "call,all")
        self._hang_up(leg, 19, "User alerting, no answer")
        self.set_device(member.interface, "NOT_INUSE")
        call.agent, call.agent_leg = None, None

    def answer_call(self, call: SimCall) -> None:
        member, leg = call.agent, call.agent_leg
        call.answered = self.ticks()
        leg.state = "Up"
        member.in_call = True
        dest = _channel_fields(leg, "Dest")
        self.emit("DialEnd", [*self._caller_fields(call), *dest, ("DialStatus", "ANSWER")],
                  "call,all")
        if call.via == "queue":  # app_queue: the caller leaves the queue, then AgentConnect
            self.emit("QueueCallerLeave", [*self._caller_fields(call), ("Queue", self.queue),
                      ("Position", "1"), ("Count", "0")], "agent,all")
            self.emit("AgentConnect", [*self._caller_fields(call), *dest, ("Queue", self.queue),
                      ("MemberName", member.name), ("Interface", member.interface),
                      ("RingTime", "3"), ("HoldTime", str(self._held(call)))], "agent,all")
        self.set_device(member.interface, "INUSE")

    def _held(self, call: SimCall) -> int:
        return int(round((call.answered or self.ticks()) - call.joined))

    def hang_up(self, call: SimCall, by: str = "caller") -> None:
        """End an answered call (``AgentComplete`` in the queue), both legs hung up."""
        member, leg = call.agent, call.agent_leg
        now = self.ticks()
        talk = int(round(now - (call.answered or now)))
        if call.via == "queue" and member is not None:
            self.emit("AgentComplete", [*self._caller_fields(call), *_channel_fields(leg, "Dest"),
                      ("Queue", self.queue), ("MemberName", member.name),
                      ("Interface", member.interface), ("HoldTime", str(self._held(call))),
                      ("TalkTime", str(talk)), ("Reason", by)], "agent,all")
        first, second = (call.caller, leg) if by == "caller" else (leg, call.caller)
        self._hang_up(first, 16, "Normal Clearing")
        if second is not None:
            self._hang_up(second, 16, "Normal Clearing")
        if member is not None:
            member.in_call, member.calls_taken = False, member.calls_taken + 1
            member.last_call = int(time.time())
            self.set_device(member.interface, "NOT_INUSE")

    def abandon(self, call: SimCall) -> None:
        """The caller gives up waiting (in the queue: ``QueueCallerAbandon``)."""
        if call.agent is not None:  # still ringing an agent: that leg is cancelled
            self.emit("DialEnd", [*self._caller_fields(call),
                                  *_channel_fields(call.agent_leg, "Dest"),
                                  ("DialStatus", "CANCEL")], "call,all")
            self._hang_up(call.agent_leg, 16, "Normal Clearing")
            self.set_device(call.agent.interface, "NOT_INUSE")
        if call.via == "queue":
            self.emit("QueueCallerAbandon", [*self._caller_fields(call), ("Queue", self.queue),
                      ("Position", "1"), ("OriginalPosition", "1"),
                      ("HoldTime", str(self._held(call)))], "agent,all")
            self.emit("QueueCallerLeave", [*self._caller_fields(call), ("Queue", self.queue),
                      ("Position", "1"), ("Count", "0")], "agent,all")
        self._hang_up(call.caller, 16, "Normal Clearing")

    def _hang_up(self, channel: Channel, cause: int, text: str) -> None:
        with self.lock:
            self.channels.pop(channel.uniqueid, None)
        self.emit("Hangup", [*_channel_fields(channel), ("Cause", str(cause)),
                             ("Cause-txt", text)], "call,all")
