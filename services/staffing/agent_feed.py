"""Staffing's end of the AMI connection (issue 16): agent states, pauses in step with presence,
call outcomes, and the reconciliation after each (re)connection. A mixin of the service class,
so the service module stays about its RPCs.

Why staffing owns the connection: it owns routing and presence, so the agent state that routing
reads is decided once, here, from current data; calls learns each call's outcome from the
``call.*`` events (keyed by the caller channel's uniqueid, which its FastAGI session stored as
``agi_uniqueid``) and ties it to the work order.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from contracts.events import CallbackAttempted, PresenceState, make_event
from services.staffing import (
    agent_line,
    agent_store,
    call_facts,
    callbacks,
    coaching,
    coaching_store,
)
from services.staffing.refusals import REFUSALS, Forbidden, Invalid
from svckit import paging
from svckit.ami import AmiError, AmiUnavailable, Message
from svckit.ami.extension import CONNECTED, Ami, ami_event
from svckit.clock import configured_timer
from svckit.outbox import emit
from svckit.rpc import rpc

_log = logging.getLogger(__name__)

CALL_EVENTS = ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentRingNoAnswer",
               "AgentComplete", "QueueCallerAbandon", "DialBegin", "DialEnd", "Hangup")


class AgentFeed:
    """Mixed into StaffingService (needs ``db``, ``clock``, ``config``)."""

    ami = Ami()

    def _ami_settings(self) -> dict:
        return dict(self.config.get("AMI") or {})

    def _wrapup(self) -> timedelta:
        return timedelta(seconds=float(self._ami_settings().get("wrapup_seconds") or 0))

    def _interface(self, extension: str) -> str:
        return f"{self._ami_settings().get('technology') or 'PJSIP'}/{extension}"

    @ami_event("DeviceStateChange", "QueueMemberStatus")
    def on_device_state(self, message: Message) -> None:
        if message.event == "DeviceStateChange":
            device, state = message.get("Device"), message.get("State")
        else:
            device = message.get("StateInterface") or message.get("Interface")
            state = agent_line.STATUS_DEVICES.get(message.get("Status"), "UNKNOWN")
        with self.db.transaction() as session:
            agent_store.apply_device(session, device, state, self.clock.now(), self._wrapup())

    @ami_event("QueueMemberPause")
    def on_member_pause(self, message: Message) -> None:
        with self.db.transaction() as session:
            agent_store.apply_pause(session, message.get("Interface"),
                                    message.get("Paused") == "1",
                                    message.get("PausedReason") or message.get("Reason"),
                                    self.clock.now(), self._wrapup())

    @ami_event(*CALL_EVENTS, "OriginateResponse")
    def on_call_event(self, message: Message) -> None:
        told = callbacks.outcome_of(message)
        fact = call_facts.fact_of(message)
        if told is None and fact is None:
            return
        with self.db.transaction() as session:
            now = self.clock.now()
            if told is not None:
                emit(session, make_event(agent_store.PRODUCER, CallbackAttempted(
                    attempt_id=told[0], outcome=told[1], at=now), occurred_at=now))
            if fact is not None:
                agent_store.apply_call_fact(session, fact, now, self._wrapup())

    # --- click-to-call callbacks (S1.10): the agent's phone first, then the customer --------

    @rpc(expected_exceptions=REFUSALS)
    def originate_callback(self, attempt_id: str, extension: str, number: str) -> dict:
        """Ask Asterisk to ring ``extension``, then the customer's ``number``; the outcome
        comes later as ``callback.attempted``. ``{"queued": false, "error"}`` when Asterisk
        cannot be asked now."""
        dialled = callbacks.dialable(number)
        if dialled is None or not str(extension).isalnum():
            raise Invalid("a callback needs the agent's extension and a dialable number")
        fields = callbacks.originate(str(attempt_id)[:36], self._interface(extension), dialled)
        try:
            self.ami.send("Originate", action_id=f"{callbacks.ACTION_PREFIX}{attempt_id}",
                          **fields)
        except (AmiError, AmiUnavailable) as exc:
            return {"queued": False, "error": str(exc)[:200]}
        return {"queued": True, "error": None}

    @ami_event(CONNECTED)
    def reconcile(self, message: Message) -> None:
        """After each login: what changed while the line was down. Phones' states and calls
        come from Asterisk; pauses from our presence (the screen wins: it is what the agent set
        last that we know of), pushed back with QueuePause. A call we hold in progress whose
        channel is gone hung up meanwhile: closed, its end inferred."""
        queue = self._ami_settings().get("queue") or "95598"
        members = self.ami.send_list("QueueStatus", Queue=queue).items
        asked_at = self.clock.now()
        channels = self.ami.send_list("CoreShowChannels").items
        pushes = []
        with self.db.transaction() as session:
            now, wrapup = self.clock.now(), self._wrapup()
            for member in (m for m in members if m.event == "QueueMember"):
                device = member.get("StateInterface") or member.get("Location")
                state = agent_line.STATUS_DEVICES.get(member.get("Status"), "UNKNOWN")
                agent_store.apply_device(session, device, state, now, wrapup)
                person = agent_store.member_of(session, device)
                if person is not None and bool(person.away) != (member.get("Paused") == "1"):
                    pushes.append((person.extension, bool(person.away), person.away_reason))
            for channel in channels:
                device = agent_line.device_of(channel.get("Channel"))
                if channel.get("ChannelStateDesc") == "Up" and device and channel.get("Linkedid"):
                    fact = call_facts.Fact("answered", channel.get("Linkedid")[:64],
                                           device=device)
                    agent_store.apply_call_fact(session, fact, now, wrapup)
            closed = agent_store.close_missed_ends(
                session, call_facts.listing(channels, asked_at), now, wrapup)
        for extension, away, reason in pushes:
            self._queue_pause(extension, away, reason)
        _log.info("AMI reconciled: %d queue members, %d channels, %d pauses pushed, "
                  "%d calls closed whose hang-up was missed", sum(m.event == "QueueMember"
                  for m in members), len(channels), len(pushes), len(closed))

    @configured_timer("AMI", "wrapup_check_seconds", 2)
    def end_wrapups(self) -> None:
        """Wrap-ups whose time is over; the agents-by-state gauge."""
        with self.db.transaction() as session:
            now = self.clock.now()
            agent_store.expire_wrapups(session, now, self._wrapup())
            agent_store.refresh_gauge(session, now)

    # --- coaching (S3.2): a leader listens to or whispers into an agent's live call ----------

    @rpc(expected_exceptions=REFUSALS)
    def coach_call(self, caller: int, staff_id: int, mode: str) -> dict:
        """Ring the leader's phone into the agent's call (ChanSpy through the dialplan);
        every attempt is in the audit trail, a refused one too."""
        chosen = coaching_store.mode_of(mode)
        with self.db.transaction() as session:
            why, leader, agent = coaching_store.check(session, caller, staff_id, self.clock.now())
            if why:
                coaching_store.record(session, caller, staff_id, chosen, self.clock.now(),
                                      "refused", why)
        if why:
            raise Forbidden(why)
        fields = coaching.originate(self._interface(leader), self._interface(agent), chosen)
        try:
            self.ami.send("Originate", **fields)
            outcome, note = "originated", ""
        except (AmiError, AmiUnavailable) as exc:
            outcome, note = "pbx_unavailable", str(exc)
        with self.db.transaction() as session:
            return coaching_store.record(session, caller, staff_id, chosen, self.clock.now(),
                                         outcome, note)

    @rpc(expected_exceptions=REFUSALS)
    def coaching_trail(self, caller: int, cursor: str | None = None,
                       limit: int = paging.DEFAULT_LIMIT) -> dict:
        with self.db.transaction() as session:
            return coaching_store.trail(session, caller, cursor, limit)

    def _queue_pause(self, extension: str, away: bool, reason: str | None) -> bool | None:
        """Pause or unpause her queue membership, so the phone agrees with the screen; False
        when Asterisk cannot be told now (the next reconciliation does it), None without a
        PBX configured."""
        if not self._ami_settings().get("host"):
            return None
        try:
            self.ami.send("QueuePause", Interface=self._interface(extension),
                          Paused="true" if away else "false", Reason=reason or "")
            return True
        except (AmiError, AmiUnavailable) as exc:
            _log.warning("QueuePause for %s not sent: %s", extension, exc)
            return False

    def _presence_to_phone(self, view: dict, extension: str) -> dict:
        paused = view["state"] == PresenceState.AWAY.value
        return {**view, "phone_in_step": self._queue_pause(extension, paused, view["reason"])}
