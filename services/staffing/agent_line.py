"""An agent's state from Asterisk (issue 16): pure rules over AMI facts.

Asterisk tells a phone's device state (``DeviceStateChange``; ``Status`` numbers in
``QueueMemberStatus`` and ``QueueStatus``). The line follows it: ringing, on a call, free,
offline; a call that ends leaves the agent in wrap-up for the queue's ``wrapuptime`` (the same
number as ``AMI.wrapup_seconds``) before she is ready. Her presence (presence.py) pauses her:
away on the screen is paused in the queue and the reverse (QueuePause / QueueMemberPause).
A ringing or talking agent is shown so even when paused: the call comes first.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from contracts.events import AgentState

#: Device states (devicestate.h) → the line; UNKNOWN changes nothing.
DEVICE_LINES = {
    "NOT_INUSE": AgentState.READY,
    "INUSE": AgentState.ON_CALL,
    "BUSY": AgentState.ON_CALL,
    "ONHOLD": AgentState.ON_CALL,
    "RINGINUSE": AgentState.ON_CALL,
    "RINGING": AgentState.RINGING,
    "UNAVAILABLE": AgentState.OFFLINE,
    "INVALID": AgentState.OFFLINE,
}
#: ``Status`` numbers of QueueMember/QueueMemberStatus (app_queue) → device states.
STATUS_DEVICES = {"0": "UNKNOWN", "1": "NOT_INUSE", "2": "INUSE", "3": "BUSY", "4": "INVALID",
                  "5": "UNAVAILABLE", "6": "RINGING", "7": "RINGINUSE", "8": "ONHOLD"}
#: Never routed to (routing.present).
BUSY = frozenset({AgentState.RINGING, AgentState.ON_CALL, AgentState.PAUSED, AgentState.OFFLINE})
_DEVICE = re.compile(r"^(?P<tech>[A-Za-z0-9]+)/(?P<ext>[A-Za-z0-9_.+*#]{1,20})(-[0-9a-fA-F;]+)?$")


def device_of(channel: str) -> str | None:
    """``PJSIP/1001-0000002a`` or ``PJSIP/1001`` → ``PJSIP/1001``; None for other shapes
    (trunks with ``@``, Local channels...)."""
    match = _DEVICE.match(channel.strip())
    return f"{match['tech']}/{match['ext']}" if match else None


def extension_of(channel: str) -> str | None:
    device = device_of(channel)
    return device.split("/", 1)[1] if device else None


def line_after(before: str | None, device_state: str) -> str | None:
    """The line after a device state: a call that ends goes to wrap-up, which only its time
    (or the next call) ends; a ring that ends unanswered goes back to ready."""
    mapped = DEVICE_LINES.get(device_state.upper())
    if mapped is None:
        return before
    if mapped is AgentState.READY and before in (AgentState.ON_CALL, AgentState.WRAP_UP):
        return AgentState.WRAP_UP.value
    return mapped.value


def wrapup_until(line: str | None, before: str | None, now: datetime, wrapup: timedelta,
                 current: datetime | None) -> datetime | None:
    """When the wrap-up a change starts ends (kept while it lasts; None outside one)."""
    if line != AgentState.WRAP_UP:
        return None
    return current if before == AgentState.WRAP_UP and current else now + wrapup


def state_of(line: str | None, away: bool, wrapup_end: datetime | None,
             now: datetime) -> AgentState:
    """The agent's state: a call first, then her presence, then the line. No word from
    Asterisk yet (``line`` None) reads as ready: routing then works as before issue 16."""
    if line in (AgentState.RINGING, AgentState.ON_CALL):
        return AgentState(line)
    if away:
        return AgentState.PAUSED
    if line == AgentState.OFFLINE:
        return AgentState.OFFLINE
    if line == AgentState.WRAP_UP and wrapup_end is not None and now < wrapup_end:
        return AgentState.WRAP_UP
    return AgentState.READY


def idle_since(line_since: datetime | None, wrapup_end: datetime | None) -> datetime | None:
    """Since when a ready agent has been idle: the end of her wrap-up, else her line's last
    change (None: never seen, which ranks as idle longest)."""
    return wrapup_end or line_since
