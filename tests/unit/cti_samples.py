"""Sample payloads of the CTI events (issue 16), for the catalogue tests."""

from datetime import UTC, datetime

from contracts.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallbackAttempted,
    CallbackOutcome,
    CallCompleted,
    CallRingNoAnswer,
    Payload,
)

AT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
LEG = {"call_uniqueid": "1772411400.17", "linkedid": "1772411400.17", "queue": "direct",
       "work_order_id": "0b6f3c1e-8f7e-4d0a-9a53-5d2f1c0e9b11"}

CTI_SAMPLES: dict[type[Payload], Payload] = {
    AgentStateChanged: AgentStateChanged(staff_id=7, extension="1001", state=AgentState.ON_CALL,
                                         previous=AgentState.RINGING, since=AT),
    CallAnswered: CallAnswered(**LEG, staff_id=7, extension="1001", hold_seconds=12.0,
                               answered_at=AT),
    CallAbandoned: CallAbandoned(**{**LEG, "queue": "95598"}, waited_seconds=41.0,
                                 abandoned_at=AT),
    CallCompleted: CallCompleted(**LEG, staff_id=7, extension="1001", hold_seconds=12.0,
                                 talk_seconds=180.0, wrapup_seconds=15.0, answered_at=AT,
                                 ended_at=AT),
    CallRingNoAnswer: CallRingNoAnswer(**LEG, staff_id=7, extension="1001", at=AT),
    CallbackAttempted: CallbackAttempted(attempt_id="5b0c7a52-3f59-4f0e-9a43-16a1c3c4c6a2",
                                         outcome=CallbackOutcome.REACHED, at=AT),
}
CTI_BAD_ENUM: dict[type[Payload], tuple[str, object]] = {
    AgentStateChanged: ("state", "asleep"),
    CallAnswered: ("hold_seconds", -1),
    CallAbandoned: ("waited_seconds", -5),
    CallCompleted: ("talk_seconds", 10**6),
    CallRingNoAnswer: ("call_uniqueid", "x" * 65),
    CallbackAttempted: ("outcome", "maybe"),
}
