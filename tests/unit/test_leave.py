"""Leave rules (S1.17-19): every approval-chain rule, the hospital record, the contract-staff
advice, the half-day slots and when the leaver is due back, on real calendar dates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from contracts.events import ApprovalStep, EmploymentType, LeaveType
from services.staffing.leave import (
    NOT_A_HEAD,
    LeaveRuleError,
    approval_chain,
    check_notice,
    check_request,
    deciding_levels,
    return_due,
    served_a_year,
    slot_of,
    slots,
)

SH = ZoneInfo("Asia/Shanghai")
HEAD, LEADER, DIRECTOR = (
    ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER, ApprovalStep.BUREAU_DIRECTOR
)
OTHER_TYPES = [
    LeaveType.ANNUAL, LeaveType.FAMILY_VISIT, LeaveType.MARRIAGE, LeaveType.MATERNITY,
    LeaveType.FUNERAL,
]


@pytest.mark.parametrize(
    ("leave_type", "half_days", "chain"),
    [
        (LeaveType.PERSONAL, 1, [HEAD]),  # S1.17 half a day
        (LeaveType.PERSONAL, 2, [HEAD, LEADER]),  # one day
        (LeaveType.PERSONAL, 3, [HEAD, LEADER, DIRECTOR]),  # more than one day
        (LeaveType.PERSONAL, 10, [HEAD, LEADER, DIRECTOR]),
        (LeaveType.SICK, 1, [HEAD, LEADER]),  # up to 2 days
        (LeaveType.SICK, 4, [HEAD, LEADER]),
        (LeaveType.SICK, 5, [LEADER, DIRECTOR]),  # 2.5 days: read as "more than 2"
        (LeaveType.SICK, 6, [LEADER, DIRECTOR]),  # 3 days or more
        *[(t, n, [HEAD, LEADER]) for t in OTHER_TYPES for n in (1, 2, 30)],  # S1.18
    ],
)
def test_approval_chain_follows_the_rules(leave_type, half_days, chain):
    assert approval_chain(leave_type, half_days) == chain


def test_emergency_hospitalisation_needs_no_approval_beforehand():
    assert approval_chain(LeaveType.SICK, 8, emergency=True) == []
    with pytest.raises(LeaveRuleError):
        approval_chain(LeaveType.ANNUAL, 2, emergency=True)


def test_a_leave_is_at_least_half_a_day():
    with pytest.raises(LeaveRuleError, match="half a day"):
        approval_chain(LeaveType.PERSONAL, 0)


def request(leave_type, half_days, record=None, emergency=False, employment="permanent",
            joined=None, today=date(2026, 3, 2)):
    return check_request(leave_type, half_days, emergency, record, EmploymentType(employment),
                         joined, today)


def test_long_sick_leave_and_hospitalisation_need_a_hospital_record():
    with pytest.raises(LeaveRuleError, match="hospital record"):
        request(LeaveType.SICK, 6)
    with pytest.raises(LeaveRuleError, match="hospital record"):
        request(LeaveType.SICK, 2, emergency=True)
    assert request(LeaveType.SICK, 6, record="市一院 2026-0301") == [LEADER, DIRECTOR]
    assert request(LeaveType.SICK, 4) == [HEAD, LEADER]


def test_contract_staff_of_a_year_take_annual_leave_not_personal_leave():
    with pytest.raises(LeaveRuleError, match="annual leave"):
        request(LeaveType.PERSONAL, 1, employment="contract", joined=date(2025, 3, 2))
    # a day short of a year, or permanent staff: personal leave is fine
    assert request(LeaveType.PERSONAL, 1, employment="contract", joined=date(2025, 3, 3))
    assert request(LeaveType.PERSONAL, 1, joined=date(2000, 1, 1)) == [HEAD]
    assert request(LeaveType.ANNUAL, 2, employment="contract", joined=date(2020, 1, 1))


def test_a_year_from_29_february():
    joined = date(2024, 2, 29)
    assert not served_a_year(EmploymentType.CONTRACT, joined, date(2025, 2, 28))
    assert served_a_year(EmploymentType.CONTRACT, joined, date(2025, 3, 1))


def test_slots_skip_holidays_and_weekends():
    # Fri 2026-02-13 afternoon, then Sat 02-14 is a make-up working day, then Spring Festival
    # 02-15..02-23: the fourth half day is Tue 02-24 morning.
    assert slots(date(2026, 2, 13), True, 4) == [
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), False),
        (date(2026, 2, 14), True),
        (date(2026, 2, 24), False),
    ]
    # a start on a holiday starts on the next working day's morning
    assert slots(date(2026, 10, 1), True, 1) == [(date(2026, 10, 8), False)]


def test_return_due_is_the_next_office_opening():
    assert return_due((date(2026, 3, 2), False)) == datetime(2026, 3, 2, 14, 30, tzinfo=SH)
    # Friday 2026-05-08 afternoon: Sat 05-09 is a make-up working day
    assert return_due((date(2026, 5, 8), True)) == datetime(2026, 5, 9, 8, 30, tzinfo=SH)
    # Thu 2026-04-30 afternoon: Labour Day holiday 05-01..05-05
    assert return_due((date(2026, 4, 30), True)) == datetime(2026, 5, 6, 8, 30, tzinfo=SH)


def test_slot_of_an_instant():
    assert slot_of(datetime(2026, 3, 2, 11, 59, tzinfo=SH)) == (date(2026, 3, 2), False)
    assert slot_of(datetime(2026, 3, 2, 4, 0, tzinfo=ZoneInfo("UTC"))) == (date(2026, 3, 2), True)


# --- issue 9: a day's notice (S1.5), and who decides each step (S1.2-4, S1.17) ---

MON = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("leave_type", "emergency", "first_day", "words"),
    [
        (LeaveType.PERSONAL, False, MON, "a day ahead"),  # same day: no notice
        (LeaveType.ANNUAL, False, MON, "a day ahead"),
        (LeaveType.PERSONAL, False, date(2026, 3, 1), "beforehand"),
        (LeaveType.SICK, False, date(2026, 3, 1), "beforehand"),
    ],
)
def test_leave_needs_a_days_notice(leave_type, emergency, first_day, words):
    with pytest.raises(LeaveRuleError, match=words):
        check_notice(leave_type, emergency, first_day, MON)


@pytest.mark.parametrize(
    ("leave_type", "emergency", "first_day"),
    [
        (LeaveType.PERSONAL, False, date(2026, 3, 3)),  # filed the day before
        (LeaveType.SICK, False, MON),  # one falls ill without notice
        (LeaveType.SICK, True, date(2026, 2, 27)),  # hospitalisation: after the fact
    ],
)
def test_what_a_days_notice_allows(leave_type, emergency, first_day):
    assert check_notice(leave_type, emergency, first_day, MON) is None


# the ladder: post ids of the department head, the supervising leader, the bureau director
SECTION = [100, 200, 300]  # a section, the hotline, the hall or HR: its own head post
BUREAU = [300, 200, 300]  # the bureau's leadership: headed by the bureau director


@pytest.mark.parametrize(
    ("chain", "ladder", "leaver_level", "decided"),
    [
        # staff: each step at its own level
        ([HEAD, LEADER, DIRECTOR], SECTION, NOT_A_HEAD, [(HEAD, 0), (LEADER, 1), (DIRECTOR, 2)]),
        ([HEAD], SECTION, NOT_A_HEAD, [(HEAD, 0)]),
        # a department head (section chief, deputy team lead, hall director, HR head): the
        # department-head step goes to the supervising leader, decided once
        ([HEAD], SECTION, 0, [(HEAD, 1)]),
        ([HEAD, LEADER], SECTION, 0, [(LEADER, 1)]),
        ([HEAD, LEADER, DIRECTOR], SECTION, 0, [(LEADER, 1), (DIRECTOR, 2)]),
        ([LEADER, DIRECTOR], SECTION, 0, [(LEADER, 1), (DIRECTOR, 2)]),
        # the supervising leader: his department head and he himself give way to the director
        ([HEAD], BUREAU, 1, [(HEAD, 2)]),
        ([HEAD, LEADER], BUREAU, 1, [(LEADER, 2)]),
        ([HEAD, LEADER, DIRECTOR], BUREAU, 1, [(DIRECTOR, 2)]),
        # the bureau director: nobody above him within the bureau
        ([HEAD, LEADER, DIRECTOR], BUREAU, 2, []),
        ([HEAD, LEADER], BUREAU, 2, []),
    ],
)
def test_who_decides_each_step(chain, ladder, leaver_level, decided):
    assert deciding_levels(chain, ladder, leaver_level) == decided


def test_a_missing_post_is_not_merged_with_another():
    assert deciding_levels([HEAD, LEADER], [None, None, 300], NOT_A_HEAD) == [
        (HEAD, 0), (LEADER, 1)]
