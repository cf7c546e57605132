"""A hotline call's progress after the IVR, from AMI events (issue 16): pure rules.

Two paths reach an agent. The dialplan dials the routed extension (``Dial(${ROUTE_TARGET})``:
app_dial's ``DialBegin``/``DialEnd``) or, as its fallback, the queue (app_queue's
``QueueCallerJoin``, ``AgentCalled``, ``AgentConnect``, ``AgentRingNoAnswer``,
``AgentComplete``, ``QueueCallerAbandon``; app_queue raises the Dial events as well for each
member it rings). Every event names the caller's call by its ``Linkedid`` (the oldest channel's
``Uniqueid``: the caller channel that ran the FastAGI session, ``agi_uniqueid``); a second
report of one fact (``AgentConnect`` and ``DialEnd ANSWER``) changes nothing.

A hang-up Asterisk sent while our AMI line was down is lost; the reconciliation after the next
login finds those calls by their absence from ``CoreShowChannels`` (:func:`missed_ends`) and
closes them with an ``inferred`` hang-up: its time is the reconciliation's, not observed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.staffing.agent_line import device_of
from svckit.ami import Message

DIRECT = "direct"  # the queue label of a call dialled straight to the routed extension
NO_ANSWER_STATUSES = {"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"}
MAX_SECONDS = 86400.0


@dataclass(frozen=True)
class Fact:
    kind: str  # offered | ring | answered | no_answer | abandoned | ended | hangup
    key: str  # the call: its Linkedid
    queue: str = DIRECT
    device: str | None = None  # the agent's phone, PJSIP/1001
    seconds: float | None = None  # HoldTime / TalkTime when Asterisk says them
    work_order_id: str | None = None
    caller_leg: bool = False  # a Hangup of the caller's own channel
    inferred: bool = False  # not heard: concluded from the channel's absence (reconciliation)


def _seconds(text: str) -> float | None:
    try:
        return min(MAX_SECONDS, max(0.0, float(text)))
    except ValueError:
        return None


def fact_of(m: Message) -> Fact | None:
    """The call fact an AMI event states, or None (not about a hotline call's agent leg)."""
    key = m.get("Linkedid") or m.get("Uniqueid")
    if not key or m.variables().get("CSC_CALLBACK"):
        return None  # no ids, or a click-to-call callback's leg (callbacks.py): not offered
    base = {"key": key[:64], "work_order_id": (m.variables().get("WORK_ORDER_ID") or None)}
    queue = m.get("Queue")[:32] or DIRECT
    member = device_of(m.get("Interface")) if m.has("Interface") else None
    event = m.event
    if event == "QueueCallerJoin":
        return Fact("offered", queue=queue, **base)
    if event == "AgentCalled":
        return Fact("ring", queue=queue, device=member, **base)
    if event == "AgentConnect":
        return Fact("answered", queue=queue, device=member, seconds=_seconds(m.get("HoldTime")),
                    **base)
    if event == "AgentRingNoAnswer":
        return Fact("no_answer", queue=queue, device=member, **base)
    if event == "AgentComplete":
        return Fact("ended", queue=queue, device=member, seconds=_seconds(m.get("TalkTime")),
                    **base)
    if event == "QueueCallerAbandon":
        return Fact("abandoned", queue=queue, seconds=_seconds(m.get("HoldTime")), **base)
    dest = device_of(m.get("DestChannel"))
    if event == "DialBegin" and dest:
        return Fact("ring", device=dest, **base)
    if event == "DialEnd" and dest:
        status = m.get("DialStatus").upper()
        if status == "ANSWER":
            return Fact("answered", device=dest, **base)
        if status in NO_ANSWER_STATUSES:
            return Fact("no_answer", device=dest, **base)
        return None
    if event == "Hangup":
        return Fact("hangup", caller_leg=m.get("Uniqueid") == key, **base)
    return None


@dataclass(frozen=True)
class Progress:
    """One call from the moment it was offered to agents (queue join or first ring)."""

    key: str
    queue: str
    offered_at: datetime
    work_order_id: str | None = None
    ringing: str | None = None  # the device ringing now
    device: str | None = None  # who answered
    answered_at: datetime | None = None
    hold_seconds: float | None = None
    ended_at: datetime | None = None
    talk_seconds: float | None = None
    abandoned_at: datetime | None = None
    waited_seconds: float | None = None
    no_answers: int = 0
    end_inferred: bool = False  # its end was not heard: ended_at/abandoned_at are upper bounds

    @property
    def over(self) -> bool:
        return self.ended_at is not None or self.abandoned_at is not None


def _since(start: datetime, now: datetime) -> float:
    return min(MAX_SECONDS, max(0.0, (now - start).total_seconds()))


def advance(call: Progress | None, fact: Fact, now: datetime) -> tuple[Progress | None, str | None]:
    """The call after ``fact`` at ``now`` and what to announce: ``answered``, ``abandoned``,
    ``ended`` or ``no_answer`` (None: nothing new)."""
    if call is None:
        if fact.kind not in ("offered", "ring", "answered"):
            return None, None  # a call we never saw offered (an internal call, the IVR)
        call = Progress(fact.key, fact.queue, now, fact.work_order_id)
    call = replace(call, work_order_id=call.work_order_id or fact.work_order_id,
                   queue=fact.queue if fact.queue != DIRECT else call.queue)
    if call.over:
        return call, None
    kind = fact.kind
    if kind == "ring" and call.answered_at is None:
        return replace(call, ringing=fact.device), None
    if kind == "no_answer" and call.answered_at is None and fact.device == call.ringing:
        return replace(call, ringing=None, no_answers=call.no_answers + 1), "no_answer"
    if kind == "answered" and call.answered_at is None:
        hold = fact.seconds if fact.seconds is not None else _since(call.offered_at, now)
        return replace(call, ringing=None, device=fact.device, answered_at=now,
                       hold_seconds=hold), "answered"
    if kind in ("ended", "hangup") and call.answered_at is not None:
        talk = fact.seconds if fact.seconds is not None else _since(call.answered_at, now)
        return replace(call, ended_at=now, talk_seconds=talk,
                       end_inferred=fact.inferred), "ended"
    if (kind == "abandoned" or (kind == "hangup" and fact.caller_leg)) \
            and call.answered_at is None:
        waited = fact.seconds if fact.seconds is not None else _since(call.offered_at, now)
        return replace(call, ringing=None, abandoned_at=now, waited_seconds=waited,
                       end_inferred=fact.inferred), "abandoned"
    return call, None


@dataclass(frozen=True)
class Listing:
    """Asterisk's channels (``CoreShowChannels``) as asked for at ``at``: the call ids
    (``Uniqueid`` and ``Linkedid``) and the phones that still have a channel."""

    at: datetime
    ids: frozenset[str]
    devices: frozenset[str]


def listing(channels: Iterable[Message], at: datetime) -> Listing:
    channels = list(channels)
    ids = {key[:64] for c in channels for key in (c.get("Uniqueid"), c.get("Linkedid")) if key}
    devices = {device_of(c.get("Channel")) for c in channels} - {None}
    return Listing(at, frozenset(ids), frozenset(devices))


def missed_ends(calls: Iterable[Progress], listed: Listing) -> list[str]:
    """The calls in progress (offered, ringing or answered; not over) that were offered before
    Asterisk was asked for its channels and have none in the list: they hung up while our line
    was down. A call offered after the asking (another staffing instance heard it) is left
    alone: its absence proves nothing."""
    return [call.key for call in calls
            if not call.over and call.offered_at <= listed.at and call.key not in listed.ids]


def lost_hangup(call: Progress) -> Fact:
    """The hang-up that :func:`missed_ends` concluded: of the caller's channel, so an answered
    call ends and an unanswered one is abandoned, as a heard one would be."""
    return Fact("hangup", call.key, call.queue, device=call.device or call.ringing,
                caller_leg=True, inferred=True)


def wrapup_seconds(ended_at: datetime, ready_at: datetime, longest: timedelta) -> float:
    """The wrap-up measured: from hang-up until the agent is ready again (or takes the next
    call), at most the queue's wrap-up time."""
    return min(_since(ended_at, ready_at), longest.total_seconds())
