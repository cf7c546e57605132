"""Sample payloads of the visits events (issue 14), for the catalogue tests."""

from datetime import UTC, date, datetime

from contracts.events import (
    Caller,
    FollowUpReminder,
    MatterCategory,
    Payload,
    VisitFlagged,
    VisitMatterRaised,
    VisitPlanMissing,
    VisitPlanReviewed,
    VisitPlanSubmitted,
    VisitReportOverdue,
)

AT = datetime(2026, 10, 30, 8, 0, tzinfo=UTC)

VISIT_SAMPLES: dict[type[Payload], Payload] = {
    VisitPlanSubmitted: VisitPlanSubmitted(
        plan_id=4, staff_id=31, month="2026-11", revision=2, visits=6,
        changed_after_approval=True, notify=[7], at=AT,
    ),
    VisitPlanReviewed: VisitPlanReviewed(
        plan_id=4, staff_id=31, month="2026-11", revision=2, approved=False,
        comment="再安排一次新产品推广", reviewed_by=7, notify=[31], at=AT,
    ),
    VisitPlanMissing: VisitPlanMissing(
        staff_id=32, month="2026-11", due_at=AT, notify=[32, 7], at=AT,
    ),
    VisitFlagged: VisitFlagged(
        visit_id=12, staff_id=31, flag="expense_unapproved", detail="hosting #3 (applied)",
        notify=[7], at=AT,
    ),
    VisitReportOverdue: VisitReportOverdue(visit_id=12, staff_id=31, due_at=AT, notify=[31, 7],
                                           at=AT),
    FollowUpReminder: FollowUpReminder(
        follow_up_id=5, visit_id=12, owner_id=31, phase="due_soon", due_on=date(2026, 11, 9),
        what="寄送峰谷电价方案", notify=[31], at=AT,
    ),
    VisitMatterRaised: VisitMatterRaised(
        matter_id=9, visit_id=12, category=MatterCategory.FAULT_REPORT,
        description="厂区变压器异响", customer=Caller(number="0571-87001234", name="王经理",
                                                work_unit="城南纺织厂", contact="0571-87001234"),
        address="城南区工业路8号", salesperson_id=31, salesperson_name="销售员01", raised_at=AT,
    ),
}
VISIT_BAD_ENUM: dict[type[Payload], tuple[str, object]] = {
    VisitPlanSubmitted: ("month", "2026-13"),
    VisitPlanReviewed: ("revision", 0),
    VisitPlanMissing: ("month", "26-11"),
    VisitFlagged: ("flag", "f" * 41),
    VisitReportOverdue: ("visit_id", "twelve"),
    FollowUpReminder: ("phase", "someday"),
    VisitMatterRaised: ("category", "inquiry"),
}
