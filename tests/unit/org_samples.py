"""Sample payloads of the organisation events (issue 4), for the catalogue tests."""

from datetime import UTC, date, datetime

from contracts.events import (
    ApprovalStep,
    DepartureReason,
    EmploymentType,
    HandoverReason,
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    LeaveType,
    LockoutLiftReason,
    LoginLockedOut,
    LoginLockoutLifted,
    Payload,
    PostKind,
    PostUncovered,
    Recipient,
    Role,
    RotaHandoverMissing,
    StaffAbsent,
    StaffJoined,
    StaffLeft,
    StaffRoleChanged,
    StaffTransferred,
    WorkOrdersHandoverRequested,
)

AT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
DAY = date(2026, 3, 2)
NOTIFY = [Recipient(staff_id=3, post=PostKind.SECTION_CHIEF),
          Recipient(staff_id=1, post=PostKind.HALL_DIRECTOR)]

ORG_SAMPLES: dict[type[Payload], Payload] = {
    StaffJoined: StaffJoined(
        staff_id=21, username="win05", name="王五", department="marketing",
        hotline_role=None, employment=EmploymentType.CONTRACT, joined_on=DAY,
    ),
    StaffTransferred: StaffTransferred(
        staff_id=21, from_department="marketing", to_department="metering",
        employment=EmploymentType.CONTRACT, effective_on=DAY, posts_released=["W01"],
    ),
    StaffRoleChanged: StaffRoleChanged(
        staff_id=21, from_role=Role.SEAT_AGENT, to_role=Role.DUTY_LEADER, department=None,
        effective_on=DAY,
    ),
    StaffLeft: StaffLeft(
        staff_id=21, department="metering", left_on=DAY, reason=DepartureReason.RESIGNED,
        posts_released=["W02"],
    ),
    PostUncovered: PostUncovered(
        post_code="W01", post_kind=PostKind.WINDOW, department="marketing", day=DAY,
        a_holder_id=21, b_holder_id=22, notify=NOTIFY,
    ),
    LeaveRequested: LeaveRequested(
        leave_id=7, staff_id=21, leave_type=LeaveType.PERSONAL, starts_on=DAY, start_pm=False,
        half_days=2, chain=[ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER],
        uncovers=["W01"],
    ),
    LeaveApproved: LeaveApproved(
        leave_id=7, staff_id=21, leave_type=LeaveType.PERSONAL, starts_on=DAY, ends_on=DAY,
        return_due=AT, emergency=False, approved_by=2,
    ),
    LeaveRejected: LeaveRejected(
        leave_id=7, staff_id=21, leave_type=LeaveType.PERSONAL,
        step=ApprovalStep.DEPARTMENT_HEAD, rejected_by=3, note="window W01 would be unstaffed",
    ),
    StaffAbsent: StaffAbsent(
        staff_id=21, day=DAY, leave_id=7, leave_type=LeaveType.SICK, due_back_at=AT,
    ),
    WorkOrdersHandoverRequested: WorkOrdersHandoverRequested(
        from_staff_id=21, to_staff_id=22, reason=HandoverReason.LEAVE, leave_id=7,
        effective_from=AT, until=AT,
    ),
    RotaHandoverMissing: RotaHandoverMissing(
        day=DAY, post_code="W01", on_duty_staff_id=21, next_post_code="W02", notify=NOTIFY,
    ),
    LoginLockedOut: LoginLockedOut(
        staff_id=21, username="win05", address="10.1.2.3", failures=10, locked_at=AT,
        notify=[Recipient(staff_id=5, post=PostKind.HR_HEAD),
                Recipient(staff_id=1, post=PostKind.HALL_DIRECTOR)],
    ),
    LoginLockoutLifted: LoginLockoutLifted(
        staff_id=21, username="win05", reason=LockoutLiftReason.LIFTED, lifted_by=5,
        lifted_at=AT,
    ),
}
# A field of each payload that holds an enum (or a list of enum-bearing objects), and a bad value.
ORG_BAD_ENUM: dict[type[Payload], tuple[str, object]] = {
    StaffJoined: ("employment", "intern"),
    StaffTransferred: ("employment", "intern"),
    StaffLeft: ("reason", "vanished"),
    StaffRoleChanged: ("to_role", "boss"),
    PostUncovered: ("post_kind", "desk"),
    LeaveRequested: ("leave_type", "sabbatical"),
    LeaveApproved: ("leave_type", "sabbatical"),
    LeaveRejected: ("step", "janitor"),
    StaffAbsent: ("leave_type", "sabbatical"),
    WorkOrdersHandoverRequested: ("reason", "boredom"),
    RotaHandoverMissing: ("notify", [{"staff_id": 1, "post": "janitor"}]),
    LoginLockedOut: ("notify", [{"staff_id": 1, "post": "janitor"}]),
    LoginLockoutLifted: ("reason", "forgotten"),
}
