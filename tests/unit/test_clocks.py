"""Deadline clocks (issue 3): start, replan on classification, stop, and the sweep's decisions,
on real calendar dates (chinese-calendar 1.11.0: Spring Festival 2026 holiday 02-15 .. 02-23,
make-up working Saturdays 02-14 and 02-28; Labour Day 2026 holiday 05-01 .. 05-05)."""

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.events import Role
from contracts.events import WorkOrderStatus as Status
from services.calls import clocks
from services.calls.clocks import Clock, OrderFacts, SweepSettings, decide
from services.calls.deadlines import Unit, default_policies, warning_points
from services.calls.lifecycle import Action

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def complaint(opened: datetime) -> dict[str, Clock]:
    return {c.clock: c for c in clocks.opening_clocks("complaint", None, None, opened)}


FRIDAY_BEFORE_FESTIVAL = at(2, 13, 16)


# --- start ----------------------------------------------------------------------------------


def test_a_complaint_opened_before_the_spring_festival_counts_the_make_up_saturday():
    running = complaint(FRIDAY_BEFORE_FESTIVAL)
    assert running["contact"].due_at == at(2, 14, 16)  # Saturday 02-14 is a working day
    # 02-14, 02-24 .. 02-27, Saturday 02-28 and Monday 03-02: seven working days
    assert running["reply"].due_at == at(3, 2, 16)
    assert {c.policy_key for c in running.values()} == {"complaint.contact", "complaint.reply"}


def test_opening_clocks_by_ivr_category():
    opened = at(5, 6, 9)
    kinds = {
        category: [(c.clock, c.policy_key) for c in clocks.opening_clocks(category, None, None,
                                                                          opened)]
        for category in ("inquiry", "fault_report", "service_application", "unclassified")
    }
    assert kinds == {
        "inquiry": [],  # the callback clock starts only when a callback is promised (S1.10)
        "fault_report": [("on_site", "fault_repair.urban")],  # no area yet: the strictest
        "service_application": [("completion", "service_application.other")],
        "unclassified": [],
    }


@pytest.mark.parametrize(
    ("key", "action"),
    [
        ("fault_repair.urban", "start"), ("fault_repair.remote", "start"),
        ("complaint.contact", "contact"), ("complaint.contact", "reply"),
        ("complaint.reply", "reply"), ("service_application.meter_fault", "record_result"),
        ("service_application.reconnection", "record_result"), ("inquiry.callback", "reply"),
    ],
)
def test_each_clock_stops_on_the_action_that_fulfils_it(key, action):
    policy = clocks.policy_by_key(key)
    running = clocks.clock_of(policy, at(5, 6, 9))
    assert clocks.stopped_by([running], action) == ([running], [])
    assert clocks.stopped_by([running], "urge") == ([], [])


def test_complaint_contact_does_not_stop_the_reply_clock():
    running = list(complaint(at(5, 6, 9)).values())
    fulfilled, _ = clocks.stopped_by(running, "contact")
    assert [c.clock for c in fulfilled] == ["contact"]


@pytest.mark.parametrize("action", ["merge", "close"])
def test_merge_and_close_cancel_running_clocks_only(action):
    contact, reply = complaint(at(5, 6, 9)).values()
    done = replace(contact, stopped_at=at(5, 6, 10))
    assert clocks.stopped_by([done, reply], action) == ([], [reply])


def test_every_start_and_stop_names_a_lifecycle_action():
    actions = {a.value for a in Action}
    for policy in default_policies():  # or a stop Asterisk reports (issue 16)
        assert set(policy.stops_on) <= actions | clocks.EXTERNAL_STOPS, policy.key
        assert policy.starts_on in actions | {"open"}, policy.key
        assert policy.stops_on, f"{policy.key} never stops"


# --- classification -----------------------------------------------------------------------------


def fault(area=None) -> Clock:
    return clocks.opening_clocks("fault_report", None, area, at(5, 6, 9))[0]


def test_classifying_an_area_replaces_the_running_clock_from_the_opening():
    plan = clocks.replan([fault()], "fault_report", None, "rural", at(5, 6, 9))
    rural = [("fault_repair.rural", at(5, 6, 10, 30))]
    assert [(c.policy_key, c.due_at) for c in plan.start] == rural
    assert plan.cancel == ()


def test_the_same_policy_again_changes_nothing():
    assert clocks.replan([fault("urban")], "fault_report", None, "urban", at(5, 6, 9)) == (
        clocks.Replan()
    )


def test_a_stopped_clock_is_not_restarted_by_a_classification():
    stopped = replace(fault(), stopped_at=at(5, 6, 9, 30))
    assert clocks.replan([stopped], "fault_report", None, "remote", at(5, 6, 9)) == clocks.Replan()


def test_a_kind_without_the_clock_cancels_it_and_a_new_kind_starts_its_own():
    running = list(complaint(at(5, 6, 9)).values())
    plan = clocks.replan(running, "report", None, None, at(5, 6, 9))
    assert (plan.start, [c.clock for c in plan.cancel]) == ((), ["contact", "reply"])
    appliance = clocks.replan([], "service_application", "damaged_appliance", None, at(5, 6, 9))
    assert [(c.policy_key, c.due_at) for c in appliance.start] == [
        ("service_application.damaged_appliance", at(5, 7, 9))
    ]


def test_a_callback_clock_is_left_alone_by_a_classification():
    callback = clocks.clock_of(clocks.policy_by_key("inquiry.callback"), at(5, 6, 9))
    assert clocks.replan([callback], "opinion", None, None, at(5, 6, 9)) == clocks.Replan()


def test_a_reopening_restarts_every_clock_of_the_kind_from_then():
    done = [replace(c, stopped_at=at(5, 7, 9), sent=frozenset({50}))
            for c in complaint(at(5, 6, 9)).values()]
    callback = clocks.clock_of(clocks.policy_by_key("inquiry.callback"), at(5, 6, 9))
    plan = clocks.restart([*done, callback], "complaint", None, None, at(5, 11, 9))
    assert sorted((c.clock, c.started_at, c.running, c.sent) for c in plan.start) == [
        ("contact", at(5, 11, 9), True, frozenset()), ("reply", at(5, 11, 9), True, frozenset()),
    ]
    assert plan.cancel == ()  # the callback is left alone


def test_a_reopening_cancels_a_running_clock_the_kind_does_not_have():
    running = list(complaint(at(5, 6, 9)).values())
    plan = clocks.restart(running, "report", None, None, at(5, 7, 9))
    assert (plan.start, sorted(c.clock for c in plan.cancel)) == ((), ["contact", "reply"])


# --- warning points -----------------------------------------------------------------------------


@pytest.mark.parametrize("policy", default_policies(), ids=lambda p: p.key)
@pytest.mark.parametrize(
    "opened",
    [FRIDAY_BEFORE_FESTIVAL, at(2, 14, 10), at(2, 18, 11), at(4, 30, 17, 30), at(5, 9, 8)],
    ids=["fri-before-festival", "make-up-saturday", "in-festival", "before-labour-day",
         "make-up-saturday-may"],
)
def test_points_of_a_policy_clock_are_the_policy_s_warning_points(policy, opened):
    clock = clocks.clock_of(policy, opened)
    assert [(p, clocks.point(clock, p)) for p in (50, 75, 90, 100)] == warning_points(
        policy, opened
    )


def test_an_explicit_callback_time_is_its_100_percent_point_even_on_a_holiday():
    promised = at(2, 13, 16)
    callback = clocks.clock_of(clocks.policy_by_key("inquiry.callback"), promised, at(2, 16, 10))
    assert clocks.point(callback, 100) == at(2, 16, 10)
    assert clocks.point(callback, 50) == at(2, 14, 8)  # half of Friday's 8 h + Saturday's 24 h


def test_further_overdue_counts_on_in_working_time_after_the_holiday():
    contact = complaint(FRIDAY_BEFORE_FESTIVAL)["contact"]
    assert clocks.point(contact, 150) == at(2, 24, 4)  # 8 h of 02-14, then 4 h of 02-24


# --- the sweep's decision -----------------------------------------------------------------------


def sent(decision) -> list[tuple[str, int]]:
    return [(c.clock, p) for c, p in decision.warnings]


AT_DEPT = OrderFacts(Status.DISPATCHED, last_action_at=at(2, 14, 19))


def test_a_sweep_after_an_outage_catches_up_on_every_threshold_once():
    running = list(complaint(FRIDAY_BEFORE_FESTIVAL).values())
    decision = decide(AT_DEPT, running, at(2, 14, 20))
    assert sent(decision) == [("contact", 50), ("contact", 75), ("contact", 90), ("contact", 100)]
    assert decision.urge.startswith("催办 (system): the contact clock is overdue")
    assert [(e.level, e.clock) for e in decision.escalations] == [(Role.DUTY_LEADER, "contact")]
    after = [replace(running[0], sent=frozenset({50, 75, 90, 100})), running[1]]
    again = decide(replace(AT_DEPT, escalated=frozenset({Role.DUTY_LEADER})), after, at(2, 14, 20))
    assert (again.warnings, again.urge, again.escalations) == ((), None, ())
    # next: the idle escalation (a day after the last action), before 150 % (02-24 04:00)
    assert again.next_check == {"contact": at(2, 15, 19), "reply": at(2, 15, 19)}
    settled = replace(AT_DEPT, escalated=frozenset({Role.DEPUTY_TEAM_LEAD}))
    assert decide(settled, after, at(2, 14, 20)).next_check == {"contact": None,
                                                                  "reply": at(2, 26, 4)}


def test_urging_only_at_the_chosen_thresholds_and_only_at_a_department():
    contact = complaint(FRIDAY_BEFORE_FESTIVAL)["contact"]
    assert decide(AT_DEPT, [contact], at(2, 14, 5)).urge is None  # 50 %: the owner only
    assert "75% of its time limit used" in decide(AT_DEPT, [contact], at(2, 14, 10)).urge
    assigned = replace(AT_DEPT, status=Status.ASSIGNED)
    decision = decide(assigned, [contact], at(2, 14, 10))
    assert decision.urge is None and sent(decision) == [("contact", 50), ("contact", 75)]
    custom = SweepSettings(urge_at=frozenset({50}))
    assert decide(AT_DEPT, [contact], at(2, 14, 5), custom).urge is not None


def test_further_overdue_goes_to_the_deputy_team_lead_after_the_holiday():
    contact = replace(complaint(FRIDAY_BEFORE_FESTIVAL)["contact"], sent=frozenset({50, 75, 90,
                                                                                    100}))
    order = replace(AT_DEPT, escalated=frozenset({Role.DUTY_LEADER}),
                    last_action_at=at(2, 23, 23))
    assert decide(order, [contact], at(2, 24, 3, 59)).escalations == ()
    assert decide(order, [contact], at(2, 24, 3, 59)).next_check == {"contact": at(2, 24, 4)}
    [escalation] = decide(order, [contact], at(2, 24, 4)).escalations
    assert escalation.level is Role.DEPUTY_TEAM_LEAD and "overdue by 50%" in escalation.reason


def test_no_action_for_the_idle_time_goes_to_the_deputy_team_lead():
    reply = complaint(at(5, 6, 9))["reply"]
    order = OrderFacts(Status.IN_PROGRESS, last_action_at=at(5, 6, 9))
    settings = SweepSettings(idle=timedelta(hours=24))
    assert decide(order, [reply], at(5, 7, 8, 59), settings).escalations == ()
    [escalation] = decide(order, [reply], at(5, 7, 9), settings).escalations
    assert (escalation.level, escalation.clock) == (Role.DEPUTY_TEAM_LEAD, None)
    assert escalation.reason == "no action on the order for 24 h"


def test_escalation_never_goes_back_down_the_ladder():
    contact = complaint(FRIDAY_BEFORE_FESTIVAL)["contact"]
    order = replace(AT_DEPT, escalated=frozenset({Role.DEPUTY_TEAM_LEAD}))
    assert decide(order, [contact], at(2, 14, 20)).escalations == ()


def test_stopped_clocks_are_not_swept():
    contact = replace(complaint(FRIDAY_BEFORE_FESTIVAL)["contact"], stopped_at=at(2, 14, 9))
    assert decide(AT_DEPT, [contact], at(3, 9)) == clocks.Decision()


def test_the_sweep_needs_a_zoned_now():
    with pytest.raises(ValueError, match="naive"):
        decide(AT_DEPT, [], datetime(2026, 2, 14))


def test_settings_from_config():
    settings = SweepSettings.from_config(
        {"urge_at_percents": [90, 100], "further_overdue_percent": 25, "idle_escalation_hours": 2}
    )
    assert settings == SweepSettings(frozenset({90, 100}), 25, timedelta(hours=2))
    assert SweepSettings.from_config(None) == SweepSettings()


def test_a_minutes_clock_is_wall_clock():
    clock = clocks.clock_of(clocks.policy_by_key("fault_repair.rural"), at(2, 17, 3))
    assert clock.unit is Unit.MINUTES
    assert [clocks.point(clock, p) for p in (50, 100, 150)] == [
        at(2, 17, 3, 45), at(2, 17, 4, 30), at(2, 17, 5, 15)
    ]
