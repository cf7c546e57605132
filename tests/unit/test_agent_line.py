"""Agent states and call outcomes from AMI facts (issue 16): the pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import AgentState, Category, Role
from services.staffing import agent_line as line
from services.staffing import call_facts as facts
from services.staffing.routing import Candidate, Reason, route
from svckit.ami import Message

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WRAPUP = timedelta(seconds=15)


@pytest.mark.parametrize(("channel", "device"), [
    ("PJSIP/1001-0000002a", "PJSIP/1001"), ("PJSIP/1001", "PJSIP/1001"),
    ("SIP/8001-0a1b;2", "SIP/8001"), ("Local/1001@agents-00000001;1", None), ("", None)])
def test_device_of_a_channel(channel, device):
    assert line.device_of(channel) == device


def test_a_call_rings_talks_then_wraps_up_before_ready():
    steps, before = [], None
    for device_state in ("NOT_INUSE", "RINGING", "INUSE", "NOT_INUSE", "NOT_INUSE", "UNKNOWN"):
        before = line.line_after(before, device_state)
        steps.append(before)
    assert steps == ["ready", "ringing", "on_call", "wrap_up", "wrap_up", "wrap_up"]


def test_a_ring_that_ends_unanswered_goes_straight_back_to_ready():
    assert line.line_after("ringing", "NOT_INUSE") == "ready"
    assert line.line_after("ready", "UNAVAILABLE") == "offline"


def test_wrap_up_lasts_its_time_and_is_not_restarted_by_a_repeat():
    until = line.wrapup_until("wrap_up", "on_call", T0, WRAPUP, None)
    assert until == T0 + WRAPUP
    later = T0 + timedelta(seconds=9)
    assert line.wrapup_until("wrap_up", "wrap_up", later, WRAPUP, until) == until
    assert line.state_of("wrap_up", False, until, T0 + timedelta(seconds=14)) is AgentState.WRAP_UP
    assert line.state_of("wrap_up", False, until, T0 + WRAPUP) is AgentState.READY


def test_a_call_outranks_presence_and_presence_outranks_the_line():
    assert line.state_of("on_call", True, None, T0) is AgentState.ON_CALL
    assert line.state_of("ringing", True, None, T0) is AgentState.RINGING
    assert line.state_of("ready", True, None, T0) is AgentState.PAUSED
    assert line.state_of("offline", False, None, T0) is AgentState.OFFLINE
    assert line.state_of(None, False, None, T0) is AgentState.READY  # Asterisk said nothing yet


def _agent(staff_id, state=None, idle=None, orders=0, away=False):
    return Candidate(staff_id, f"a{staff_id}", Role.SEAT_AGENT, str(1000 + staff_id), orders,
                     away, state, idle)


@pytest.mark.parametrize("busy", [AgentState.RINGING, AgentState.ON_CALL, AgentState.PAUSED,
                                  AgentState.OFFLINE])
def test_routing_never_picks_a_busy_agent_even_as_the_callers_owner(busy):
    decision = route(Category.INQUIRY, [_agent(1, busy), _agent(2, AgentState.READY, T0)],
                     caller_order_owner=1)
    assert decision.assignee.staff_id == 2
    assert decision.reason == Reason.LEAST_LOADED_SEAT_AGENT


def test_among_equals_ready_before_wrap_up_then_idle_longest():
    agents = [_agent(1, AgentState.WRAP_UP, T0 - timedelta(hours=1)),
              _agent(2, AgentState.READY, T0 - timedelta(minutes=1)),
              _agent(3, AgentState.READY, T0 - timedelta(minutes=9)),
              _agent(4, AgentState.READY, T0 - timedelta(hours=2), orders=1)]
    assert route(Category.INQUIRY, agents).assignee.staff_id == 3


def test_nobody_free_on_the_phone_means_the_queue():
    agents = [_agent(1, AgentState.ON_CALL), _agent(2, AgentState.RINGING)]
    assert route(Category.INQUIRY, agents).assignee is None


def _event(name, **fields):
    return Message([("Event", name), *fields.items()])


CALLER = {"Channel": "PJSIP/trunk-00000001", "Uniqueid": "1700.1", "Linkedid": "1700.1",
          "ChanVariable": "WORK_ORDER_ID=wo-7"}
LEG = {**CALLER, "DestChannel": "PJSIP/1001-00000002", "DestUniqueid": "1700.2"}


def test_facts_of_app_queue_app_dial_and_hangup_events():
    connect = facts.fact_of(_event("AgentConnect", **LEG, Queue="95598",
                                   Interface="PJSIP/1001", HoldTime="12", RingTime="3"))
    assert (connect.kind, connect.key, connect.queue, connect.device, connect.seconds,
            connect.work_order_id) == ("answered", "1700.1", "95598", "PJSIP/1001", 12.0, "wo-7")
    assert facts.fact_of(_event("DialEnd", **LEG, DialStatus="BUSY")).kind == "no_answer"
    assert facts.fact_of(_event("DialEnd", **LEG, DialStatus="CANCEL")) is None
    agent_leg_hangup = facts.fact_of(_event("Hangup", Uniqueid="1700.2", Linkedid="1700.1"))
    assert (agent_leg_hangup.key, agent_leg_hangup.caller_leg) == ("1700.1", False)
    assert facts.fact_of(_event("Newchannel", **CALLER)) is None
    assert facts.fact_of(_event("AgentConnect", HoldTime="1")) is None  # no ids: ignored


def _play(*steps):
    call, said = None, []
    for at, fact in steps:
        call, news = facts.advance(call, fact, T0 + timedelta(seconds=at))
        said.append(news)
    return call, said


def test_a_direct_call_rung_out_then_answered_then_hung_up():
    ring = facts.Fact("ring", "k", device="PJSIP/1001")
    call, said = _play(
        (0, ring), (15, facts.Fact("no_answer", "k", device="PJSIP/1001")),
        (15, facts.Fact("no_answer", "k", device="PJSIP/1001")),  # AgentRingNoAnswer + DialEnd
        (16, facts.Fact("ring", "k", device="PJSIP/1002")),
        (19, facts.Fact("answered", "k", device="PJSIP/1002")),
        (19, facts.Fact("answered", "k", device="PJSIP/1002", seconds=99)),  # repeated: ignored
        (139, facts.Fact("hangup", "k", caller_leg=True)),
        (139, facts.Fact("hangup", "k")))
    assert said == [None, "no_answer", None, None, "answered", None, "ended", None]
    assert (call.queue, call.device, call.hold_seconds, call.talk_seconds, call.no_answers) == (
        "direct", "PJSIP/1002", 19.0, 120.0, 1)


def test_asterisk_times_win_and_a_queue_caller_who_gives_up_is_abandoned():
    call, said = _play((0, facts.Fact("offered", "q", queue="95598")),
                       (30, facts.Fact("ring", "q", queue="95598", device="PJSIP/1001")),
                       (41, facts.Fact("abandoned", "q", queue="95598", seconds=40)),
                       (41, facts.Fact("hangup", "q", caller_leg=True)))
    assert said == [None, None, "abandoned", None]
    assert (call.queue, call.waited_seconds, call.answered_at) == ("95598", 40.0, None)


def test_the_agent_legs_hangup_after_no_answer_is_not_an_abandon():
    _, said = _play((0, facts.Fact("ring", "k", device="PJSIP/1001")),
                    (15, facts.Fact("no_answer", "k", device="PJSIP/1001")),
                    (15, facts.Fact("hangup", "k")))
    assert said == [None, "no_answer", None]


def test_a_hangup_of_a_call_never_offered_is_ignored_and_wrap_up_is_capped():
    assert facts.advance(None, facts.Fact("hangup", "ivr", caller_leg=True), T0) == (None, None)
    assert facts.wrapup_seconds(T0, T0 + timedelta(seconds=9), WRAPUP) == 9
    assert facts.wrapup_seconds(T0, T0 + timedelta(minutes=9), WRAPUP) == 15


@pytest.mark.parametrize(("leader", "agent", "state", "allowed"), [
    ("duty_leader", "seat_agent", AgentState.ON_CALL, True),
    ("deputy_team_lead", "duty_leader", AgentState.ON_CALL, True),
    ("seat_agent", "seat_agent", AgentState.ON_CALL, False),  # nobody else may (S3.2)
    ("duty_leader", "duty_leader", AgentState.ON_CALL, False),  # not her peer
    ("duty_leader", "deputy_team_lead", AgentState.ON_CALL, False),
    ("duty_leader", "seat_agent", AgentState.READY, False),  # no live call to join
    ("staff", "seat_agent", AgentState.ON_CALL, False),
])
def test_only_a_leader_coaches_an_agent_below_her_on_a_live_call(leader, agent, state, allowed):
    from services.staffing.coaching import refusal

    assert (refusal(leader, False, agent, False, state, False) is None) is allowed


def test_coaching_originates_into_the_fixed_dialplan_context():
    from services.staffing.coaching import Mode, originate

    fields = originate("PJSIP/8101", "PJSIP/8001", Mode.WHISPER)
    assert (fields["Channel"], fields["Context"], fields["Exten"], fields["Variable"]) == (
        "PJSIP/8101", "csc-coach", "whisper", "SPY_TARGET=PJSIP/8001")


def test_callback_outcomes_from_the_customer_leg_and_the_agents_phone():
    from contracts.events import CallbackOutcome
    from services.staffing import callbacks

    leg = {"Channel": "PJSIP/8001-0000000a", "Uniqueid": "1700.9", "Linkedid": "1700.9",
           "ChanVariable": "CSC_CALLBACK=a1", "DestChannel": "PJSIP/trunk-0000000b"}
    assert callbacks.outcome_of(_event("DialEnd", **leg, DialStatus="ANSWER")) == (
        "a1", CallbackOutcome.REACHED)
    assert callbacks.outcome_of(_event("DialEnd", **leg, DialStatus="BUSY"))[1] == "busy"
    assert facts.fact_of(_event("DialBegin", **leg)) is None  # not a call offered to agents
    failed = Message([("Event", "OriginateResponse"), ("ActionID", "callback-a2"),
                      ("Response", "Failure"), ("Reason", "3")])
    assert callbacks.outcome_of(failed) == ("a2", CallbackOutcome.AGENT_UNAVAILABLE)
    assert callbacks.dialable("0571-8888 6666") == "057188886666"
    assert callbacks.dialable("8001@agents") is None and callbacks.dialable("s") is None
