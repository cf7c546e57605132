"""Coaching (S3.2: the duty leader coaches the seat agents): a leader listens to, or whispers
into, an agent's live call. Pure rules; every attempt, allowed or refused, is kept
(coaching_store) and the PBX is asked by AMI ``Originate`` into the dialplan's ``[csc-coach]``
(ChanSpy), whose application is fixed there, never named by the request.
"""

from __future__ import annotations

from enum import StrEnum

from contracts.events import AgentState, Role, above, at_least


class Mode(StrEnum):
    LISTEN = "listen"  # ChanSpy q: the agent and the caller hear nothing
    WHISPER = "whisper"  # ChanSpy w: the agent hears the leader, the caller does not


def refusal(leader_role: object, leader_left: bool, agent_role: object, agent_left: bool,
            agent_state: AgentState | None, same_person: bool) -> str | None:
    """Why this leader may not coach this agent now (None: she may)."""
    if leader_left or not at_least(leader_role, Role.DUTY_LEADER):
        return "coaching is for a duty leader or the deputy team lead (S3.2)"
    if same_person or agent_left or not above(leader_role, agent_role):
        return "a leader coaches the hotline members below her role (S3.2)"
    if agent_state is not AgentState.ON_CALL:
        return "the agent is not on a call now"
    return None


def originate(leader_interface: str, agent_interface: str, mode: Mode) -> dict[str, str]:
    """The AMI Originate: the leader's phone rings, then joins the agent's call as ``mode``."""
    return {"Channel": leader_interface, "Context": "csc-coach", "Exten": mode.value,
            "Priority": "1", "Variable": f"SPY_TARGET={agent_interface}", "Async": "true",
            "Timeout": "30000", "CallerID": f"Coaching <{agent_interface.split('/')[-1]}>"}
