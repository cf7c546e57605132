"""Presence (issue 11): a hotline member says she is ready for calls or away (a break, a meal,
training, a meeting), and routing honours it at once (routing.present). Pure rules; storage is
``presence_store``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.events import AwayReason, PresenceState, hotline_role


class PresenceError(ValueError):
    """A presence that cannot be set: the message says why."""


@dataclass(frozen=True)
class Presence:
    staff_id: int
    state: PresenceState
    reason: AwayReason | None
    since: datetime | None

    def view(self) -> dict:
        return {"staff_id": self.staff_id, "state": self.state.value,
                "reason": self.reason.value if self.reason else None,
                "since": self.since.isoformat() if self.since else None}


def wanted(state: object, reason: object) -> tuple[PresenceState, AwayReason | None]:
    """The presence asked for: ready takes no reason; away gives one (``other`` if none)."""
    try:
        chosen = PresenceState(state)
    except ValueError:
        raise PresenceError(f"state must be ready or away, not {state!r}") from None
    if chosen is PresenceState.READY:
        if reason not in (None, ""):
            raise PresenceError("ready takes no reason")
        return chosen, None
    try:
        return chosen, AwayReason(reason) if reason not in (None, "") else AwayReason.OTHER
    except ValueError:
        allowed = ", ".join(r.value for r in AwayReason)
        raise PresenceError(f"reason must be one of {allowed}, not {reason!r}") from None


def may_set(role: object, left: bool) -> str | None:
    """Why a member may not set a presence (None: she may): only serving hotline staff take
    calls, so only they are ready or away."""
    if left:
        return "a member who left has no presence"
    if hotline_role(role) is None:
        return "presence is for the hotline's staff (seat agents and leaders) who take calls"
    return None
