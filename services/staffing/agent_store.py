"""Agent states and call outcomes in storage (issue 16): the AMI facts applied to ``staff``
and ``agent_calls``, and the events they raise, in one transaction each.

Each row is read ``FOR UPDATE`` (PostgreSQL; SQLite has one writer anyway), so two staffing
instances that both hear one AMI event publish it once: the second finds it applied.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, fields
from datetime import datetime, timedelta

from prometheus_client import Counter as MetricCounter
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallCompleted,
    CallRingNoAnswer,
    make_event,
)
from services.staffing import agent_line, call_facts, presence_store
from services.staffing.models import AgentCall, StaffMember
from svckit.metrics import AGENTS_BY_STATE
from svckit.outbox import emit

PRODUCER = "staffing"
ANSWER_TARGET_SECONDS = 20.0  # service level: answered within 20 s (the plan's target_seconds)

CALLS_OFFERED = MetricCounter("csc_calls_offered_total",
                              "Hotline calls offered to agents (queue or the routed extension); "
                              "one that rang out on the routed extension, then joined the queue, "
                              "is offered to both.", ["queue"])
CALLS_ANSWERED = MetricCounter("csc_calls_answered_total",
                               "Offered calls answered, within the 20 s target or not.",
                               ["queue", "within_target"])
CALLS_ABANDONED = MetricCounter("csc_calls_abandoned_total",
                                "Offered calls the caller gave up on before an answer.", ["queue"])
RING_NO_ANSWER = MetricCounter("csc_ring_no_answer_total",
                               "Agent phones that rang out unanswered (the order re-routed).",
                               ["queue"])
ENDS_INFERRED = MetricCounter("csc_call_ends_inferred_total",
                              "Calls closed at an AMI reconciliation: their hang-up came while "
                              "the manager line was down (ended or abandoned, time inferred).",
                              ["queue", "outcome"])
QUEUES = ("95598", call_facts.DIRECT)
for _queue in (*QUEUES, "other"):  # every series from the start: a rate reads 0, not "no data"
    CALLS_OFFERED.labels(_queue), CALLS_ABANDONED.labels(_queue), RING_NO_ANSWER.labels(_queue)
    CALLS_ANSWERED.labels(_queue, "yes"), CALLS_ANSWERED.labels(_queue, "no")
    ENDS_INFERRED.labels(_queue, "ended"), ENDS_INFERRED.labels(_queue, "abandoned")


def _label(queue: str) -> str:
    """Bounded label values: the hotline queue, direct, or other."""
    return queue if queue in QUEUES else "other"


def member_of(session: Session, device: str | None) -> StaffMember | None:
    """The serving member whose extension the device ``PJSIP/1001`` rings, locked."""
    extension = agent_line.extension_of(device or "")
    if extension is None:
        return None
    return session.scalar(select(StaffMember).where(
        StaffMember.extension == extension, StaffMember.left_on.is_(None))
        .order_by(StaffMember.id).limit(1).with_for_update())


# --- agent states -------------------------------------------------------------------------------


def apply_device(session: Session, device: str, device_state: str, now: datetime,
                 wrapup: timedelta) -> AgentState | None:
    """A phone's device state (DeviceStateChange, QueueMemberStatus, QueueStatus)."""
    member = member_of(session, device)
    if member is None:
        return None
    before = member.line_state
    line = agent_line.line_after(before, device_state)
    if line != before:
        until = agent_line.wrapup_until(line, before, now, wrapup, member.wrapup_until)
        if line == AgentState.WRAP_UP and until is not None and until <= now:
            line, until = AgentState.READY.value, None  # no wrap-up configured
        member.line_state, member.line_since, member.wrapup_until = line, now, until
    return publish_state(session, member, now, wrapup)


def apply_pause(session: Session, device: str, paused: bool, reason: str, now: datetime,
                wrapup: timedelta) -> AgentState | None:
    """A pause from the phone (QueueMemberPause): her presence follows, so the screen agrees."""
    member = member_of(session, device)
    if member is None:
        return None
    if paused != bool(member.away):
        presence_store.set_presence(session, member.id, "away" if paused else "ready",
                                    _away_reason(reason) if paused else None, now)
    return publish_state(session, member, now, wrapup)


def _away_reason(text: str) -> str:
    reason = text.strip().lower()
    return reason if reason in ("break", "meal", "training", "meeting") else "other"


def publish_state(session: Session, member: StaffMember, now: datetime,
                  wrapup: timedelta) -> AgentState:
    """Publish ``agent.state_changed`` when her state differs from the one last published;
    leaving wrap-up completes the calls waiting for it."""
    state = agent_line.state_of(member.line_state, bool(member.away), member.wrapup_until, now)
    previous = AgentState(member.agent_state) if member.agent_state else None
    if state is previous:
        return state
    member.agent_state = state.value
    emit(session, make_event(PRODUCER, AgentStateChanged(
        staff_id=member.id, extension=member.extension, state=state, previous=previous,
        since=now), occurred_at=now))
    if previous is AgentState.WRAP_UP or state in (AgentState.RINGING, AgentState.ON_CALL):
        _complete_wrapups(session, member.id, now, wrapup)
    return state


def expire_wrapups(session: Session, now: datetime, wrapup: timedelta) -> int:
    """Wrap-ups whose time is over: the agent is ready (the timer calls this)."""
    due = list(session.scalars(select(StaffMember).where(
        StaffMember.line_state == AgentState.WRAP_UP.value,
        StaffMember.wrapup_until <= now).with_for_update()))
    for member in due:
        member.line_state, member.line_since = AgentState.READY.value, member.wrapup_until
        member.wrapup_until = None
        publish_state(session, member, now, wrapup)
    return len(due)


def refresh_gauge(session: Session, now: datetime) -> dict[str, int]:
    """``csc_agents{state}`` from the members Asterisk has told about, every state named."""
    rows = session.execute(select(StaffMember.line_state, StaffMember.away,
                                  StaffMember.wrapup_until)
                           .where(StaffMember.left_on.is_(None),
                                  StaffMember.line_state.is_not(None)))
    seen = Counter(agent_line.state_of(line, bool(away), until, now).value
                   for line, away, until in rows)
    counts = {state.value: seen[state.value] for state in AgentState}
    for state, count in counts.items():
        AGENTS_BY_STATE.labels(state).set(count)
    return counts


# --- call outcomes ------------------------------------------------------------------------------

_PROGRESS = [f.name for f in fields(call_facts.Progress)]


def _progress(row: AgentCall | None) -> call_facts.Progress | None:
    if row is None:
        return None
    return call_facts.Progress(**{name: getattr(row, name) for name in _PROGRESS})


def apply_call_fact(session: Session, fact: call_facts.Fact, now: datetime,
                    wrapup: timedelta) -> str | None:
    """One AMI call fact; publishes call.answered / call.abandoned / call.ring_no_answer (and
    call.completed once the agent's wrap-up is over). Returns what it announced."""
    row = session.scalar(select(AgentCall).where(AgentCall.key == fact.key).with_for_update())
    call, news = call_facts.advance(_progress(row), fact, now)
    if call is None:
        return None
    if row is None or row.queue != call.queue:  # new, or it went on to the queue: offered there
        CALLS_OFFERED.labels(_label(call.queue)).inc()
    if row is None:
        row = AgentCall(key=call.key, queue=call.queue, offered_at=call.offered_at)
        session.add(row)
    for name, value in asdict(call).items():
        setattr(row, name, value)
    member = member_of(session, fact.device) if fact.device else None
    if news == "answered" and member is not None:
        row.staff_id = member.id
    session.flush()
    if news == "answered":
        within = "yes" if (row.hold_seconds or 0) <= ANSWER_TARGET_SECONDS else "no"
        CALLS_ANSWERED.labels(_label(row.queue), within).inc()
        _emit(session, CallAnswered(**_leg(row), staff_id=row.staff_id,
                                    extension=_ext(row.device), hold_seconds=row.hold_seconds,
                                    answered_at=row.answered_at), now)
    elif news == "abandoned":
        CALLS_ABANDONED.labels(_label(row.queue)).inc()
        _emit(session, CallAbandoned(**_leg(row), waited_seconds=row.waited_seconds,
                                     abandoned_at=row.abandoned_at,
                                     end_inferred=row.end_inferred), now)
    elif news == "no_answer":
        RING_NO_ANSWER.labels(_label(row.queue)).inc()
        _emit(session, CallRingNoAnswer(**_leg(row), staff_id=member.id if member else None,
                                        extension=_ext(fact.device), at=now), now)
    elif news == "ended" and wrapup <= timedelta(0):
        _complete(session, row, now, wrapup)
    return news


def close_missed_ends(session: Session, listed: call_facts.Listing, now: datetime,
                      wrapup: timedelta) -> list[str]:
    """At a reconciliation: close every call in progress that has no channel in Asterisk's
    ``listed`` channels (call_facts.missed_ends), as its heard hang-up would, its end
    marked inferred; then free her phone's line if no channel of hers is listed either (a
    phone QueueStatus did not report). Rows are locked and re-read, so a second instance or a
    second reconciliation finds them closed and publishes nothing. Returns the keys closed."""
    rows = session.scalars(select(AgentCall).where(
        AgentCall.ended_at.is_(None), AgentCall.abandoned_at.is_(None),
        AgentCall.offered_at <= listed.at).order_by(AgentCall.id).with_for_update())
    calls = {row.key: _progress(row) for row in rows}
    closed = []
    for key in call_facts.missed_ends(calls.values(), listed):
        fact = call_facts.lost_hangup(calls[key])
        news = apply_call_fact(session, fact, now, wrapup)
        if news is None:
            continue
        closed.append(key)
        ENDS_INFERRED.labels(_label(calls[key].queue), news).inc()
        if fact.device and fact.device not in listed.devices:
            apply_device(session, fact.device, "NOT_INUSE", now, wrapup)
    return closed


def _complete_wrapups(session: Session, staff_id: int, now: datetime, wrapup: timedelta) -> None:
    rows = session.scalars(select(AgentCall).where(
        AgentCall.staff_id == staff_id, AgentCall.ended_at.is_not(None),
        AgentCall.wrapup_seconds.is_(None)).with_for_update())
    for row in rows:
        _complete(session, row, now, wrapup)


def _complete(session: Session, row: AgentCall, ready_at: datetime, wrapup: timedelta) -> None:
    row.wrapup_seconds = call_facts.wrapup_seconds(row.ended_at, ready_at, wrapup)
    _emit(session, CallCompleted(
        **_leg(row), staff_id=row.staff_id, extension=_ext(row.device),
        hold_seconds=row.hold_seconds or 0.0, talk_seconds=row.talk_seconds or 0.0,
        wrapup_seconds=row.wrapup_seconds, answered_at=row.answered_at,
        ended_at=row.ended_at, end_inferred=row.end_inferred), ready_at)


def _leg(row: AgentCall) -> dict:
    return {"call_uniqueid": row.key, "linkedid": row.key, "queue": row.queue,
            "work_order_id": row.work_order_id}


def _ext(device: str | None) -> str:
    return (agent_line.extension_of(device or "") or "")[:20]


def _emit(session: Session, payload, now: datetime) -> None:
    emit(session, make_event(PRODUCER, payload, occurred_at=now))
