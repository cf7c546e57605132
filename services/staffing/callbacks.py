"""Click-to-call callbacks (S1.10, issue 16): pure rules over AMI.

The agent's phone rings first (``Originate`` into the dialplan's ``[csc-callback]``, which then
dials the customer); the originated channel carries ``CSC_CALLBACK=<attempt id>`` (manager.conf
``channelvars``), so the customer leg's ``DialEnd`` names the attempt; an ``OriginateResponse``
failure (the agent did not answer her own phone) names it by the action's ``ActionID``.
"""

from __future__ import annotations

import re

from contracts.events import CallbackOutcome
from svckit.ami import Message

ACTION_PREFIX = "callback-"
VARIABLE = "CSC_CALLBACK"
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
DIAL_OUTCOMES = {"ANSWER": CallbackOutcome.REACHED, "NOANSWER": CallbackOutcome.NO_ANSWER,
                 "BUSY": CallbackOutcome.BUSY, "CHANUNAVAIL": CallbackOutcome.FAILED,
                 "CONGESTION": CallbackOutcome.FAILED}


def dialable(number: str) -> str | None:
    """The customer's number as the dialplan may dial it (digits, an optional +), else None:
    anything else could reach another extension or context."""
    cleaned = re.sub(r"[\s\-()]", "", number or "")
    return cleaned if _NUMBER.match(cleaned) else None


def originate(attempt_id: str, agent_interface: str, number: str) -> dict[str, str]:
    return {"Channel": agent_interface, "Context": "csc-callback", "Exten": number,
            "Priority": "1", "Async": "true", "Timeout": "30000",
            "CallerID": "95598 <95598>", "Variable": f"{VARIABLE}={attempt_id}"}


def outcome_of(m: Message) -> tuple[str, CallbackOutcome] | None:
    """(attempt id, outcome) an AMI event states about a callback, else None."""
    if m.event == "OriginateResponse" and m.action_id.startswith(ACTION_PREFIX):
        if m.get("Response").lower() == "failure":
            return m.action_id[len(ACTION_PREFIX):][:36], CallbackOutcome.AGENT_UNAVAILABLE
        return None
    attempt = m.variables().get(VARIABLE)
    if m.event == "DialEnd" and attempt:
        outcome = DIAL_OUTCOMES.get(m.get("DialStatus").upper())
        return (attempt[:36], outcome) if outcome else None
    return None


def is_callback_leg(m: Message) -> bool:
    """An event of a callback's legs: not an inbound call (call_facts leaves it out)."""
    return bool(m.variables().get(VARIABLE))
