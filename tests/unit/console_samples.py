"""Sample payloads of the console's events (issue 11), for the catalogue tests."""

from datetime import UTC, datetime

from contracts.events import (
    ApprovalStep,
    AwayReason,
    LeaveAdvanced,
    LeaveType,
    NoticeCreated,
    NoticeSubject,
    OutageEnded,
    OutageInEffect,
    Payload,
    PresenceState,
    StaffPresenceChanged,
)

AT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)

CONSOLE_SAMPLES: dict[type[Payload], Payload] = {
    LeaveAdvanced: LeaveAdvanced(
        leave_id=12, staff_id=21, leave_type=LeaveType.PERSONAL,
        step=ApprovalStep.SUPERVISING_LEADER, approved_by=3, approver_id=5,
    ),
    StaffPresenceChanged: StaffPresenceChanged(
        staff_id=7, state=PresenceState.AWAY, reason=AwayReason.TRAINING, since=AT,
    ),
    OutageInEffect: OutageInEffect(
        outage_id="0b6f3c1e-8f7e-4d0a-9a53-5d2f1c0e9b11", area="望江街道",
        description="10kV 近江线故障跳闸", source="hotline", declared_by="leader01",
        declared_at=AT, expected_restore_at=AT,
    ),
    OutageEnded: OutageEnded(
        outage_id="0b6f3c1e-8f7e-4d0a-9a53-5d2f1c0e9b11", area="望江街道",
        lifted_by="leader01", lifted_at=AT,
    ),
    NoticeCreated: NoticeCreated(
        notice_id=41, recipient_id=7, kind="screen_pop",
        subject=NoticeSubject(type="work_order", id="WO-20250301-0001"),
        params={"work_order_id": "WO-20250301-0001", "caller_number": "13800138000",
                "category": "fault_report"},
        created_at=AT,
    ),
}
CONSOLE_BAD_ENUM: dict[type[Payload], tuple[str, object]] = {
    LeaveAdvanced: ("step", "janitor"),
    StaffPresenceChanged: ("state", "asleep"),
    OutageInEffect: ("outage_id", "x" * 65),
    OutageEnded: ("outage_id", "x" * 65),
    NoticeCreated: ("kind", "k" * 41),
}
