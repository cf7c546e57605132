"""Leave (S1.17-19): the approval chain from the rules, the half-day slots a leave covers, and
who may act on it. Pure: no storage, no clock.

Reading of the rules (cited by id):
- S1.17 personal leave: half a day → department head; one day → department head, supervising
  leader; more than one day → department head, supervising leader, bureau director.
- S1.17 sick leave: up to 2 days → department head, supervising leader; more than 2 days (the rule
  says "3 days or more"; 2.5 days, which it leaves open, is read the stricter way) → a hospital
  record is required, then supervising leader, bureau director.
- S1.17 emergency hospitalisation: exempt from approval beforehand; recorded after the fact (with
  its hospital record), approved on recording, with an empty chain.
- S1.18 annual, family-visit, marriage, maternity, funeral leave → department head, then the leader
  in charge (分管领导, the hall's supervising leader of S1.2).
- S1.18 contract staff with a year of service or more take annual leave, not personal leave: such
  a personal-leave request is refused with that advice (no annual-leave balance is kept here).
- S1.5 a holder who will be away asks a day ahead (提前一天): leave is filed on a day before its
  first working half-day; sick leave (one falls ill without notice) and emergency hospitalisation
  are exempt.
- Who decides a step (S1.2-4, S1.17): the organisation is a ladder of three levels: the head of
  the leaver's department, the supervising leader (分管领导, whom the bureau's party group puts in
  charge of the centre, S1.2), the bureau director (局长, who leads the bureau). A step is decided
  at its own level, but never by the leaver or anyone below them: someone who heads a level
  (holds its post as A) has each step at or below that level decided one level up. Steps that land
  on the same post are decided once (the higher step kept). The bureau director has no level
  above him within the bureau: his steps all fall away and his leave is recorded (filed with HR
  and the hall director, S1.17) without approval.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from contracts.events import ApprovalStep, EmploymentType, LeaveType
from svckit import workdays

HALF_DAYS_PER_DAY = 2
AFTERNOON_STARTS = time(12, 0)  # a time before noon is in the morning slot, else the afternoon
SICK_WITHOUT_RECORD_MAX = 2 * HALF_DAYS_PER_DAY
S1_18_TYPES = {
    LeaveType.ANNUAL, LeaveType.FAMILY_VISIT, LeaveType.MARRIAGE, LeaveType.MATERNITY,
    LeaveType.FUNERAL,
}


# The ladder of S1.2-4 (see above): the level each step is decided at.
STEP_LEVEL = {
    ApprovalStep.DEPARTMENT_HEAD: 0,
    ApprovalStep.SUPERVISING_LEADER: 1,
    ApprovalStep.BUREAU_DIRECTOR: 2,
}
NOT_A_HEAD = -1


class LeaveStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LeaveRuleError(ValueError):
    """A request the rules do not allow, with the reason to show the requester."""


Slot = tuple[date, bool]  # (working day, afternoon?)


def approval_chain(leave_type: LeaveType, half_days: int, emergency: bool = False) -> list[
    ApprovalStep
]:
    """The approvers of a leave, in order (S1.17, S1.18); empty for emergency hospitalisation."""
    if half_days < 1:
        raise LeaveRuleError("a leave is at least half a day")
    head, leader, director = (
        ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER, ApprovalStep.BUREAU_DIRECTOR
    )
    if emergency:
        if leave_type != LeaveType.SICK:
            raise LeaveRuleError("only sick leave (emergency hospitalisation) is recorded after "
                                 "the fact")
        return []
    if leave_type == LeaveType.PERSONAL:
        if half_days == 1:
            return [head]
        return [head, leader] if half_days == HALF_DAYS_PER_DAY else [head, leader, director]
    if leave_type == LeaveType.SICK:
        return [head, leader] if half_days <= SICK_WITHOUT_RECORD_MAX else [leader, director]
    if leave_type in S1_18_TYPES:
        return [head, leader]
    raise LeaveRuleError(f"unknown leave type {leave_type}")


def needs_hospital_record(leave_type: LeaveType, half_days: int, emergency: bool) -> bool:
    """Sick leave over 2 days, and every emergency hospitalisation, needs a hospital record."""
    return leave_type == LeaveType.SICK and (emergency or half_days > SICK_WITHOUT_RECORD_MAX)


def check_request(
    leave_type: LeaveType,
    half_days: int,
    emergency: bool,
    hospital_record: str | None,
    employment: EmploymentType,
    joined_on: date | None,
    today: date,
) -> list[ApprovalStep]:
    """Validate a request against S1.17/S1.18; returns its approval chain or raises."""
    chain = approval_chain(leave_type, half_days, emergency)
    if needs_hospital_record(leave_type, half_days, emergency) and not hospital_record:
        raise LeaveRuleError("sick leave of more than 2 days (and emergency hospitalisation) "
                             "needs a hospital record (S1.17)")
    if leave_type == LeaveType.PERSONAL and served_a_year(employment, joined_on, today):
        raise LeaveRuleError("contract staff with a year of service or more take annual leave, "
                             "not personal leave (S1.18): request annual leave instead")
    return chain


def check_notice(leave_type: LeaveType, emergency: bool, first_day: date, today: date) -> None:
    """Leave is asked for beforehand, a day ahead (S1.5, S1.17): it must start on a later day than
    it is filed (``first_day``: its first working half-day). Sick leave may start the day it is
    filed; emergency hospitalisation is recorded after the fact."""
    if emergency:
        return
    if first_day < today:
        raise LeaveRuleError("leave is requested beforehand; only emergency hospitalisation is "
                             "recorded after the fact (S1.17)")
    if first_day == today and leave_type != LeaveType.SICK:
        raise LeaveRuleError("leave is asked for a day ahead (S1.5): file it by the day before "
                             "it starts; only sick leave and emergencies may start today")


def deciding_levels(
    chain: list[ApprovalStep], ladder: list[int | None], leaver_level: int
) -> list[tuple[ApprovalStep, int]]:
    """Who decides each step (S1.2-4, S1.17): ``ladder`` holds the post at each level (the
    leaver's department head, the supervising leader, the bureau director; None: not set up),
    ``leaver_level`` the highest level the leaver heads (``NOT_A_HEAD`` if none). Returns the
    steps kept with the level whose post decides them; see the module docstring."""
    decided: list[tuple[ApprovalStep, int]] = []
    for step in chain:
        level = max(STEP_LEVEL[step], leaver_level + 1)
        if level >= len(ladder):
            continue  # nobody above the leaver within the bureau
        if decided and ladder[decided[-1][1]] is not None and \
                ladder[decided[-1][1]] == ladder[level]:
            decided.pop()  # the same post decides once, for the higher step
        decided.append((step, level))
    return decided


def served_a_year(employment: EmploymentType, joined_on: date | None, today: date) -> bool:
    """Contract staff who joined a year ago or earlier (S1.18)."""
    if employment != EmploymentType.CONTRACT or joined_on is None:
        return False
    try:
        anniversary = joined_on.replace(year=joined_on.year + 1)
    except ValueError:  # joined on 29 February
        anniversary = date(joined_on.year + 1, 3, 1)
    return today >= anniversary


def slots(starts_on: date, start_pm: bool, half_days: int) -> list[Slot]:
    """The working half-days a leave covers, from its first slot on (non-working days skipped)."""
    day, pm = starts_on, start_pm
    if not workdays.is_working_day(day):
        day, pm = workdays.next_working_day(day), False
    covered: list[Slot] = []
    while len(covered) < half_days:
        covered.append((day, pm))
        if pm:
            day, pm = workdays.next_working_day(day), False
        else:
            pm = True
    return covered


def slot_of(at: datetime, zone: tzinfo = workdays.DEFAULT_ZONE) -> Slot:
    """The half-day slot an instant falls in (morning before noon)."""
    local = workdays.require_aware(at).astimezone(zone)
    return local.date(), local.time() >= AFTERNOON_STARTS


def return_due(last: Slot, zone: tzinfo = workdays.DEFAULT_ZONE) -> datetime:
    """When the leaver is due back: the hall's next opening after the last slot (S1.7)."""
    day, pm = last
    if pm:
        after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        after = datetime.combine(day, AFTERNOON_STARTS, tzinfo=zone)
    return workdays.next_office_open(after, zone)
