"""The visits rules (S5), without a broker: deadlines, the plan's life, preparation, authority,
the evaluation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.visits import authority, deadlines, plans, preparation
from services.visits.evaluation import FollowUpFact, VisitFact, evaluate
from services.visits.plans import PlanState, PlanStatus
from services.visits.preparation import ExpenseFact
from services.visits.refusals import Conflict, Forbidden
from services.visits.vocabulary import ExpenseKind

ZONE = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, tzinfo=ZONE)


def test_a_plan_is_due_by_the_end_of_the_last_working_day_of_the_month_before():
    # 2026-10-31 is a Saturday: the last working day of October is Friday the 30th
    assert deadlines.plan_due("2026-11") == at(2026, 10, 31, 0)
    # 2026-09-30 is a Wednesday
    assert deadlines.plan_due("2026-10") == at(2026, 10, 1, 0)
    with pytest.raises(ValueError):
        deadlines.plan_due("2026-13")


def test_a_report_is_due_two_working_days_after_the_visit_day():
    # Thursday's visit: Friday and Monday
    assert deadlines.report_due(date(2026, 11, 5)) == at(2026, 11, 10, 0)
    # Friday's visit: Monday and Tuesday, not Sunday
    assert deadlines.report_due(date(2026, 11, 6)) == at(2026, 11, 11, 0)
    # the day before the National Day holiday (2026-10-01..07): back at work on the 8th (a
    # calendar-day rule would have made it late on the 2nd of October)
    assert deadlines.report_due(date(2026, 9, 30)) > at(2026, 10, 8, 0)


def test_follow_up_reminders_before_and_after_due():
    due = date(2026, 11, 6)
    assert deadlines.reminder_due(due, at(2026, 11, 4), 1) is None
    assert deadlines.reminder_due(due, at(2026, 11, 5), 1) == "due_soon"
    assert deadlines.reminder_due(due, at(2026, 11, 6, 23), 1) == "due_soon"
    assert deadlines.reminder_due(due, at(2026, 11, 7, 0), 1) == "overdue"


def test_the_plan_is_reviewed_and_reviewed_again_after_a_change():
    draft = PlanState(PlanStatus.DRAFT, 0, False)
    with pytest.raises(Conflict):
        plans.submit(draft, 0)
    submitted = plans.submit(draft, 3)
    assert (submitted.status, submitted.revision) == (PlanStatus.SUBMITTED, 1)
    with pytest.raises(Conflict, match="S5.3.1"):
        plans.change(submitted)
    with pytest.raises(Conflict, match="comments"):
        plans.review(submitted, approve=False, comment=" ")
    returned = plans.review(submitted, approve=False, comment="add a visit")
    approved = plans.review(plans.submit(returned, 3), approve=True, comment="")
    assert approved.status is PlanStatus.APPROVED and approved.revision == 2
    with pytest.raises(Conflict):
        plans.submit(approved, 3)
    changed = plans.change(approved)
    assert changed.status is PlanStatus.DRAFT and changed.changed_after_approval
    assert plans.submit(changed, 4).changed_after_approval


def test_a_visit_is_done_only_when_prepared():
    day = date(2026, 11, 3)
    with pytest.raises(Conflict) as refused:
        preparation.require_ready(False, None, "", day)
    assert all(rule in str(refused.value) for rule in ("S5.3.1", "S5.3.2 (2)", "S5.3.2 (3)"))
    with pytest.raises(Conflict, match="after the visit day"):
        preparation.require_ready(True, at(2026, 11, 4), "王经理", day)
    preparation.require_ready(True, at(2026, 11, 2), "王经理", day)


def test_gifts_and_hosting_need_approval_before_the_visit_date():
    day = date(2026, 11, 5)
    travel = ExpenseFact(1, ExpenseKind.TRAVEL, "approved", at(2026, 11, 5))
    gift_in_time = ExpenseFact(2, ExpenseKind.GIFT, "approved", at(2026, 11, 4))
    gift_that_day = ExpenseFact(3, ExpenseKind.GIFT, "approved", at(2026, 11, 5, 8))
    hosting_pending = ExpenseFact(4, ExpenseKind.HOSTING, "applied", None)
    assert preparation.flags([travel, gift_in_time], day) == []
    assert preparation.flags([gift_that_day], day) == [preparation.UNAPPROVED_EXPENSE]
    assert preparation.flags([hosting_pending], day) == [preparation.UNAPPROVED_EXPENSE]
    assert "hosting #4" in preparation.unapproved_detail([hosting_pending], day)


def test_the_head_is_whoever_acts_as_head_of_the_department_now():
    heads = {"marketing": 8, "metering": None}  # staffing's department_heads
    head = authority.caller_from({"id": 8, "name": "科长", "department": "marketing"}, 8, heads)
    window = authority.caller_from({"id": 9, "department": "marketing"}, 9, heads)
    assert head.heads == {"marketing"} and window.heads == frozenset()
    assert authority.head_of("marketing", heads) == 8
    assert authority.head_of("metering", heads) is None
    authority.require_head(head, "marketing", "x")
    with pytest.raises(Forbidden):
        authority.require_head(window, "marketing", "x")
    with pytest.raises(Forbidden):
        authority.caller_from({"id": 9, "left_on": "2026-01-01"}, 9, heads)
    assert authority.may_read(window, 9, "marketing") and authority.may_read(head, 9, "marketing")
    assert not authority.may_read(window, 10, "marketing")


def test_the_evaluation_counts_what_the_rules_count():
    due = at(2026, 11, 10, 0)
    now = at(2026, 12, 1)
    row = evaluate(
        staff_id=5, name="销售员01", position="account_manager", month="2026-11", required=3,
        plan_first_submitted=at(2026, 10, 29), plan_due=deadlines.plan_due("2026-11"),
        visits=[VisitFact(True, due, due - timedelta(hours=1), 0),
                VisitFact(True, due, due + timedelta(hours=1), 2),
                VisitFact(True, due, None, 0)],
        follow_ups=[FollowUpFact(due, due - timedelta(days=1)), FollowUpFact(due, None)],
        applied_cents=700, approved_cents=200, now=now,
    )
    assert (row.visits_done, row.visits_short, row.requirement_met) == (3, 0, True)
    assert row.plan_on_time
    assert (row.reports_on_time, row.reports_late, row.reports_missing) == (1, 1, 1)
    assert (row.follow_ups_on_time, row.follow_ups_late) == (1, 1)
    assert row.expenses_without_approval == 2 and not row.expenses_within_approval
    late_plan = evaluate(
        staff_id=5, name="", position="p", month="2026-11", required=1,
        plan_first_submitted=at(2026, 11, 2), plan_due=deadlines.plan_due("2026-11"),
        visits=[], follow_ups=[], applied_cents=0, approved_cents=0, now=now)
    assert late_plan.plan_submitted and not late_plan.plan_on_time and late_plan.visits_short == 1


def test_the_console_page_knows_every_value_of_s5():
    import json
    import re
    from pathlib import Path

    from services.visits.vocabulary import CustomerKind, Purpose

    root = Path("gateway/console")
    page = (root / "js/views/visits.js").read_text("utf-8")
    catalogue = json.loads((root / "i18n/zh-CN.json").read_text("utf-8"))
    for name, kind, prefix in (("KINDS", CustomerKind, "visits.kind"),
                               ("PURPOSES", Purpose, "visits.purpose"),
                               ("EXPENSES", ExpenseKind, "visits.expense")):
        listed = re.search(rf"const {name} = \[(.*?)\];", page, re.S).group(1)
        assert re.findall(r'"(\w+)"', listed) == [member.value for member in kind]
        assert [m.value for m in kind if f"{prefix}.{m.value}" not in catalogue] == []
