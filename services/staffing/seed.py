"""Demo data for a first run: the hotline's 14 people rostered for the coming weeks (S3.2), and
the organisation around the hall (issue 4)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update

from contracts.events import Role
from services.staffing.accounts import hash_password
from services.staffing.models import (
    Department,
    Post,
    RosterEntry,
    Shift,
    ShiftTemplate,
    StaffMember,
)
from services.staffing.roster import REST
from svckit import workdays
from svckit.db import ServiceStore

ROSTER_DAYS = 28
WEEK = 7

# username, name, role, extension, shift template (services/staffing/migrations 0007)
DEMO_STAFF = [
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", "early")
      for n in range(1, 6)],
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", "late")
      for n in range(6, 9)],
    *[(f"agent{n:02d}", f"坐席员{n:02d}", Role.SEAT_AGENT, f"80{n:02d}", "night")
      for n in range(9, 12)],
    ("leader01", "值长01", Role.DUTY_LEADER, "8101", "leader_day"),
    ("leader02", "值长02", Role.DUTY_LEADER, "8102", "leader_night"),
    ("lead01", "副班长01", Role.DEPUTY_TEAM_LEAD, "8201", "office"),
]


# The demo's agent on call round the clock: a standing all-day shift instead of rota entries,
# so that a first try (sign in as agent01, `make call`) reaches her at any hour (issue 11);
# routing breaks ties by staff id, and she is the first.
ON_CALL = "agent01"


def seed_demo(store: ServiceStore, password: str) -> bool:
    """Insert the demo staff unless staff exist already; True when it seeded."""
    with store.transaction() as session:
        if session.scalar(select(func.count(StaffMember.id))):
            return False
        hashed = hash_password(password)
        for username, name, role, extension, _ in DEMO_STAFF:
            member = StaffMember(username=username, name=name, role=role.value,
                                 extension=extension, password_hash=hashed)
            if username == ON_CALL:
                member.shifts.append(Shift(starts=time(0), ends=time(0)))
            session.add(member)
    return True


def rest_days(template: str, index: int) -> set[int]:
    """Which days of each week (0 = the first rostered day) a demo person rests: staggered in
    a shift group so that the group always has someone on; duty leaders rest one day a week
    on different days; the deputy team lead works the office week (weekday numbers)."""
    if template.startswith("leader"):
        return {6 - 3 * index}
    return {(2 * index) % WEEK, (2 * index + 1) % WEEK}


def seed_roster(store: ServiceStore, now: datetime, days: int = ROSTER_DAYS) -> int:
    """Roster the demo hotline staff from the local date of ``now`` (the service clock's) for
    ``days`` days, from their shift templates with rest days; dates already rostered are kept,
    so running it again only extends the roster. Returns how many entries it added."""
    today, added = workdays.local_date(now, workdays.DEFAULT_ZONE), 0
    with store.transaction() as session:
        templates = {t.code: t for t in session.scalars(select(ShiftTemplate))}
        people = {m.username: m for m in session.scalars(select(StaffMember))}
        rostered = set(session.execute(select(RosterEntry.staff_id, RosterEntry.day).where(
            RosterEntry.day.between(today, today + timedelta(days=days - 1)))).tuples())
        in_group: dict[str, int] = {}
        for username, _, _, _, code in DEMO_STAFF:
            member, index = people.get(username), in_group.get(code, 0)
            in_group[code] = index + 1
            if member is None or member.left_on is not None or code not in templates \
                    or username == ON_CALL:
                continue
            resting = rest_days(code, index)
            for n in range(days):
                day = today + timedelta(days=n)
                if (member.id, day) in rostered:
                    continue
                rest = day.weekday() >= 5 if code == "office" else n % WEEK in resting
                template = templates[code]
                session.add(RosterEntry(
                    staff_id=member.id, day=day, template=REST if rest else code,
                    starts=None if rest else template.starts, ends=None if rest else template.ends,
                    planned_by=None, planned_at=now,
                ))
                added += 1
    return added


# --- The organisation (issue 4): departments, leaders, HR, windows with A and B holders ---

DEPARTMENTS = [
    ("hall", "客户服务中心营业厅", "hall"),
    ("hotline", "95598热线班", "hotline"),
    ("bureau", "局领导", "bureau"),
    ("hr", "人力资源部", "hr"),
    ("marketing", "营销部", "section"),
    ("metering", "计量室", "section"),
    ("finance", "财务部", "section"),
    ("office", "局办公室", "section"),  # the bureau office: broken parts, supplies (S1.13-14)
]
# username, name, department, employment, joined_on
ORG_STAFF = [
    ("director01", "营业厅主任", "hall", "permanent", date(2010, 3, 1)),
    ("deputy01", "营业厅副主任", "hall", "permanent", date(2012, 7, 1)),
    ("supervisor01", "分管领导", "bureau", "permanent", date(2005, 1, 4)),
    ("bureau01", "局长", "bureau", "permanent", date(2003, 9, 1)),
    ("hr01", "人资专责", "hr", "permanent", date(2015, 4, 1)),
    ("hr02", "人资专员", "hr", "permanent", date(2020, 7, 1)),
    ("mkt_chief", "营销部科长", "marketing", "permanent", date(2008, 6, 1)),
    ("met_chief", "计量室主任", "metering", "permanent", date(2009, 6, 1)),
    ("fin_chief", "财务部科长", "finance", "permanent", date(2011, 6, 1)),
    ("win01", "窗口01", "marketing", "permanent", date(2016, 3, 1)),
    ("win02", "窗口02", "marketing", "contract", date(2024, 5, 6)),
    ("win03", "窗口03", "metering", "permanent", date(2018, 3, 1)),
    ("win04", "窗口04", "metering", "contract", date(2026, 9, 1)),
    ("win05", "窗口05", "finance", "permanent", date(2019, 3, 1)),
    ("win06", "窗口06", "finance", "contract", date(2023, 3, 1)),
    # issue 13: the fixed-asset administrator the hall's leaders name (S1.13), the center
    # trainer (S2.5), the bureau office's head and clerk (S1.13-14)
    ("assets01", "固定资产专管员", "hall", "permanent", date(2014, 5, 1)),
    ("trainer01", "中心培训员", "hall", "permanent", date(2013, 9, 1)),
    ("office_chief", "局办公室主任", "office", "permanent", date(2007, 3, 1)),
    ("office01", "局办公室文员", "office", "permanent", date(2017, 3, 1)),
]
# code, kind, name, department, A holder, B holder: every post has both, of its department
# (S1.5); the bureau's two leaders stand in for each other.
ORG_POSTS = [
    ("hall_director", "hall_director", "营业厅主任", "hall", "director01", "deputy01"),
    ("hall_deputy_director", "hall_deputy_director", "营业厅副主任", "hall", "deputy01",
     "director01"),
    ("supervising_leader", "supervising_leader", "分管领导", "bureau", "supervisor01",
     "bureau01"),
    ("bureau_director", "bureau_director", "局长", "bureau", "bureau01", "supervisor01"),
    ("hr_head", "hr_head", "人力资源部负责人", "hr", "hr01", "hr02"),
    ("chief:marketing", "section_chief", "营销部科长", "marketing", "mkt_chief", "win01"),
    ("chief:metering", "section_chief", "计量室主任", "metering", "met_chief", "win03"),
    ("chief:finance", "section_chief", "财务部科长", "finance", "fin_chief", "win05"),
    ("W01", "window", "1号窗口 业扩报装", "marketing", "win01", "win02"),
    ("W02", "window", "2号窗口 电费缴纳", "marketing", "win02", "win01"),
    ("W03", "window", "3号窗口 计量业务", "metering", "win03", "win04"),
    ("W04", "window", "4号窗口 财务收费", "finance", "win05", "win06"),
    ("chief:office", "section_chief", "局办公室主任", "office", "office_chief", "office01"),
    ("fixed_asset_admin", "fixed_asset_admin", "固定资产专管员", "hall", "assets01", "deputy01"),
    ("trainer", "trainer", "中心培训员", "hall", "trainer01", "deputy01"),
    ("bureau_office", "bureau_office", "局办公室(备品备件、办公用品)", "office", "office01",
     "office_chief"),
]
# The hotline team's head for leave (S1.17): the deputy team lead, who runs the call center
# (S3.2), as A; a duty leader, who does her work when she is away, as B.
HOTLINE_HEAD = ("chief:hotline", "section_chief", "95598热线班负责人(副班长)", "hotline")


def seed_org(store: ServiceStore, password: str) -> bool:
    """Insert the demo organisation unless departments exist; True when it seeded. Hotline
    staff without a department join the hotline team."""
    with store.transaction() as session:
        if session.scalar(select(func.count()).select_from(Department)):
            return False
        session.add_all(Department(code=c, name=n, kind=k) for c, n, k in DEPARTMENTS)
        hashed = hash_password(password)
        people = {
            username: StaffMember(
                username=username, name=name, role="staff", department=department,
                extension="", password_hash=hashed, employment=employment, joined_on=joined,
            )
            for username, name, department, employment, joined in ORG_STAFF
        }
        session.add_all(people.values())
        session.flush()
        for code, kind, name, department, a_holder, b_holder in ORG_POSTS:
            session.add(Post(
                code=code, kind=kind, name=name, department=department,
                a_holder_id=people[a_holder].id, b_holder_id=people[b_holder].id if b_holder
                else None,
            ))
        session.execute(
            update(StaffMember)
            .where(StaffMember.department.is_(None), StaffMember.role.in_([r.value for r in Role]))
            .values(department="hotline")
        )
        lead, leader = (
            session.scalar(select(StaffMember.id).where(
                StaffMember.role == role.value, StaffMember.department == "hotline",
                StaffMember.left_on.is_(None)).order_by(StaffMember.id).limit(1))
            for role in (Role.DEPUTY_TEAM_LEAD, Role.DUTY_LEADER)
        )
        if lead is not None and leader is not None:  # a hotline is seeded (seed_demo) first
            code, kind, name, department = HOTLINE_HEAD
            session.add(Post(code=code, kind=kind, name=name, department=department,
                             a_holder_id=lead, b_holder_id=leader))
    return True


# --- The sales staff of the marketing section (issue 14, S5): visits keeps their positions ---

SALES_DEPARTMENT = "marketing"
SALES_STAFF = [
    ("sales01", "销售员01", "permanent", date(2019, 7, 1)),
    ("sales02", "销售员02", "contract", date(2024, 3, 4)),
]


def seed_sales(store: ServiceStore, password: str) -> dict[str, int]:
    """Add the demo salespeople to the marketing section unless they exist (the section is
    seeded by ``seed_org``); the staff ids of them and of the section's chief, by username."""
    with store.transaction() as session:
        if session.get(Department, SALES_DEPARTMENT) is None:
            return {}
        existing = {m.username: m for m in session.scalars(select(StaffMember).where(
            StaffMember.username.in_([u for u, *_ in SALES_STAFF] + ["mkt_chief"])))}
        hashed = None
        for username, name, employment, joined in SALES_STAFF:
            if username in existing:
                continue
            hashed = hashed or hash_password(password)
            existing[username] = StaffMember(
                username=username, name=name, role="staff", department=SALES_DEPARTMENT,
                extension="", password_hash=hashed, employment=employment, joined_on=joined)
            session.add(existing[username])
        session.flush()
        return {username: member.id for username, member in existing.items()}
def staff_ids(store: ServiceStore) -> dict[str, int]:
    """username → staff id, for the operator's seeding of other services' demo data (issue 13:
    the assets service's custodians); the services themselves never read these tables."""
    with store.transaction() as session:
        rows = session.execute(select(StaffMember.username, StaffMember.id))
        return {username: staff_id for username, staff_id in rows}
