"""The organisation in storage (S1.2-5): departments, posts with A/B holders, who is away, who
holds authority, staff joining, transferring and leaving. Functions over a SQLAlchemy session;
the rules themselves are in ``posts``, ``leave``, ``office_hours`` and ``rota``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from contracts.events import (
    LEADER_ROLES,
    ApprovalStep,
    DepartureReason,
    EmploymentType,
    HandoverReason,
    PostKind,
    PostUncovered,
    Recipient,
    Role,
    StaffJoined,
    StaffLeft,
    StaffRoleChanged,
    StaffTransferred,
    WorkOrdersHandoverRequested,
    at_least,
    make_event,
    roles_from,
)
from services.staffing import leave as leave_rules
from services.staffing import login_store, roster_store
from services.staffing import posts as ab
from services.staffing.accounts import hash_password
from services.staffing.leave import LeaveStatus, Slot, slot_of
from services.staffing.models import (
    Absence,
    Department,
    LeaveCover,
    LeaveRequest,
    Post,
    StaffMember,
    UncoveredPost,
)
from services.staffing.office_hours import OnDuty, ShiftView, on_duty
from services.staffing.refusals import Conflict, Forbidden, Invalid, NotFound
from svckit import paging, workdays
from svckit.outbox import emit

PRODUCER = "staffing"
NON_HOTLINE_ROLE = "staff"  # staff.role of people outside the hotline (S3.2 roles only there)
HR_KIND = "hr"
STEP_POST = {  # requests filed before migration 0006 (no chain_posts): the step's own post
    ApprovalStep.DEPARTMENT_HEAD: PostKind.SECTION_CHIEF,
    ApprovalStep.SUPERVISING_LEADER: PostKind.SUPERVISING_LEADER,
    ApprovalStep.BUREAU_DIRECTOR: PostKind.BUREAU_DIRECTOR,
}
# Who heads a department for leave (S1.17's "department head", S1.2-4), by department kind:
# - a section of the bureau (marketing, metering, finance): its section chief (S1.4);
# - the hotline team: the deputy team lead, who runs the call center and checks on its staff
#   (S3.2): she holds the hotline's head post (a section-chief post of the hotline) as A, a duty
#   leader as B (a duty leader does her work when she is away);
# - the hall: its director, who runs the hall (S1.3); the deputy director is B;
# - the HR section: its head (the hr_head post);
# - the bureau's leadership: the bureau director (局长).
# Someone who heads a department has that step decided one level up (leave.deciding_levels).
HEAD_POST_KIND = {
    "hall": PostKind.HALL_DIRECTOR,
    "hr": PostKind.HR_HEAD,
    "bureau": PostKind.BUREAU_DIRECTOR,
}
HOTLINE_KIND = "hotline"
# The hotline's head post: A the deputy team lead, B a duty leader or deputy team lead (S3.2).
HOTLINE_HEAD_ROLES = (roles_from(Role.DEPUTY_TEAM_LEAD), LEADER_ROLES)


def view(post: Post, covers: dict[int, int] | None = None) -> ab.PostView:
    return ab.PostView(post.id, post.code, post.kind, post.department, post.a_holder_id,
                       post.b_holder_id, (covers or {}).get(post.id))


def all_posts(
    session: Session, kind: PostKind | None = None, slot: Slot | None = None
) -> list[ab.PostView]:
    """The posts (of ``kind``); with ``slot``, with the covers named for leave running then."""
    query = select(Post).order_by(Post.code)
    if kind is not None:
        query = query.where(Post.kind == kind.value)
    covers = covers_in(session, slot) if slot is not None else None
    return [view(post, covers) for post in session.scalars(query)]


def covers_in(session: Session, slot: Slot) -> dict[int, int]:
    """Post id → the cover named for an approved leave running in ``slot`` (S1.5)."""
    day = slot[0]
    rows = session.execute(
        select(LeaveCover.post_id, LeaveCover.staff_id, LeaveRequest.starts_on,
               LeaveRequest.start_pm, LeaveRequest.ends_on, LeaveRequest.end_pm)
        .join(LeaveRequest, LeaveRequest.id == LeaveCover.leave_id)
        .where(LeaveRequest.status == LeaveStatus.APPROVED.value,
               LeaveRequest.starts_on <= day, LeaveRequest.ends_on >= day)
        .order_by(LeaveCover.id)
    )
    covers: dict[int, int] = {}
    for row in rows:
        if (row.starts_on, row.start_pm) <= slot <= (row.ends_on, row.end_pm):
            covers.setdefault(row.post_id, row.staff_id)
    return covers


def head_post(session: Session, department: str | None) -> Post | None:
    """The post whose A holder heads ``department`` (see HEAD_POST_KIND)."""
    found = session.get(Department, department) if department else None
    if found is None:
        return None
    kind = HEAD_POST_KIND.get(found.kind, PostKind.SECTION_CHIEF)
    query = select(Post).where(Post.kind == kind.value)
    if kind in (PostKind.SECTION_CHIEF, PostKind.HR_HEAD):
        query = query.where(Post.department == found.code)
    return session.scalars(query.order_by(Post.id)).first()


def deciding_posts(
    session: Session, chain: list[ApprovalStep], member: StaffMember
) -> list[tuple[ApprovalStep, Post]]:
    """Each step of ``member``'s leave with the post that decides it (S1.2-4, S1.17-18): the
    ladder is their department's head, the supervising leader, the bureau director; see
    ``leave.deciding_levels``. A missing post is refused."""
    ladder = [head_post(session, member.department),
              position(session, PostKind.SUPERVISING_LEADER),
              position(session, PostKind.BUREAU_DIRECTOR)]
    heads = [level for level, post in enumerate(ladder)
             if post is not None and post.a_holder_id == member.id]
    decided = leave_rules.deciding_levels(
        chain, [post.id if post else None for post in ladder], max(heads, default=-1))
    for step, level in decided:
        if ladder[level] is None:
            where = f"department {member.department}" if level == 0 else "the bureau"
            raise Invalid(f"no {step.value} post is set up for {where}")
    return [(step, ladder[level]) for step, level in decided]


def person(session: Session, staff_id: int) -> StaffMember:
    found = session.get(StaffMember, staff_id)
    if found is None:
        raise NotFound(f"staff member {staff_id} not found")
    return found


def away_in(session: Session, slot: Slot) -> set[int]:
    """Who is away in a half-day slot: approved leave covering it (up to reporting back), an
    absence that day not ended (``absence_store``), or gone."""
    day = slot[0]
    leaves = session.execute(
        select(LeaveRequest.staff_id, LeaveRequest.starts_on, LeaveRequest.start_pm,
               LeaveRequest.ends_on, LeaveRequest.end_pm, LeaveRequest.returned_at)
        .where(LeaveRequest.status == LeaveStatus.APPROVED.value,
               LeaveRequest.starts_on <= day, LeaveRequest.ends_on >= day)
    )
    away = {row.staff_id for row in leaves
            if (row.starts_on, row.start_pm) <= slot <= (row.ends_on, row.end_pm)
            and (row.returned_at is None
                 or slot < slot_of(row.returned_at, workdays.DEFAULT_ZONE))}
    away.update(session.scalars(select(Absence.staff_id).where(
        Absence.day == day, Absence.cleared_at.is_(None))))
    away.update(session.scalars(select(StaffMember.id).where(StaffMember.left_on <= day)))
    return away


def away_at(session: Session, at: datetime, zone: tzinfo) -> set[int]:
    return away_in(session, slot_of(at, zone))


def position(session: Session, kind: PostKind, department: str | None = None) -> Post | None:
    query = select(Post).where(Post.kind == kind.value)
    if kind == PostKind.SECTION_CHIEF:
        query = query.where(Post.department == department)
    return session.scalars(query.order_by(Post.id)).first()


def step_post(session: Session, step: ApprovalStep, department: str | None) -> Post | None:
    """The post whose holder decides ``step`` for a leaver of ``department`` (S1.17-18)."""
    return position(session, STEP_POST[step], department)


def acting(session: Session, kind: PostKind, away: set[int], department: str | None = None):
    """The acting holder of a position (A, or B covering), or None."""
    post = position(session, kind, department)
    return ab.acting_holder(view(post), away) if post else None


def is_hr(session: Session, caller: int) -> bool:
    """A serving member of the HR section, which supervises the staff's efficiency, attitude and
    quality (S1.21)."""
    member = session.get(StaffMember, caller)
    if member is None or member.left_on is not None:
        return False
    department = session.get(Department, member.department) if member.department else None
    return department is not None and department.kind == HR_KIND


def is_hr_or_hall_director(session: Session, caller: int, away: set[int]) -> bool:
    """HR section members and the acting hall director keep the staff records (S1.17, S1.21)."""
    if is_hr(session, caller):
        return True
    member = session.get(StaffMember, caller)
    if member is None or member.left_on is not None:
        return False
    return acting(session, PostKind.HALL_DIRECTOR, away) == caller


def attendance_scope(
    session: Session, caller: int, department: str | None, now: datetime, zone: tzinfo
) -> str | None:
    """The department whose attendance ``caller`` may read (None: all), S1.16, S1.21, S3.2.

    The hotline's duty leaders and deputy team lead check on staff (S3.2), HR supervises and the
    hall director runs the hall (S1.21, S1.2-4): all departments. An acting section chief: their
    own department. Anyone else is refused.
    """
    member = session.get(StaffMember, caller)
    if member is not None and member.left_on is None and at_least(member.role, Role.DUTY_LEADER):
        return department
    away = away_at(session, now, zone)
    if is_hr_or_hall_director(session, caller, away):
        return department
    chiefs = {
        post.department
        for post in all_posts(session, PostKind.SECTION_CHIEF)
        if ab.acting_holder(post, away) == caller
    }
    if department in chiefs or (department is None and len(chiefs) == 1):
        return department or next(iter(chiefs))
    raise Forbidden(
        "the attendance report is for the hotline's leaders, HR, the hall director, and a "
        "section chief for their own department"
    )


def require_staff_office(session: Session, caller: int, now: datetime, zone: tzinfo) -> None:
    if not is_hr_or_hall_director(session, caller, away_at(session, now, zone)):
        raise Forbidden("only the HR section or the hall director may change staff records")


def notify_for(session: Session, department: str | None, away: set[int]) -> list[Recipient]:
    """Alert recipients (S1.5): the department's section chief and the hall director, as acting."""
    found = [
        (acting(session, PostKind.SECTION_CHIEF, away, department), PostKind.SECTION_CHIEF),
        (acting(session, PostKind.HALL_DIRECTOR, away), PostKind.HALL_DIRECTOR),
    ]
    return [Recipient(staff_id=who, post=kind) for who, kind in found if who is not None]


def record_uncovered(session: Session, post: ab.PostView, day: date, now: datetime) -> bool:
    """Record and announce an uncovered post once per day (S1.5); False if already known."""
    known = session.scalar(select(UncoveredPost.id).where(
        UncoveredPost.post_id == post.id, UncoveredPost.day == day))
    if known is not None:
        return False
    session.add(UncoveredPost(post_id=post.id, day=day, detected_at=now))
    payload = PostUncovered(
        post_code=post.code, post_kind=PostKind(post.kind), department=post.department, day=day,
        a_holder_id=post.a_holder, b_holder_id=post.b_holder,
        notify=notify_for(session, post.department, away_in(session, (day, False))),
    )
    emit(session, make_event(PRODUCER, payload, occurred_at=now))
    session.flush()
    return True


def request_handover(session: Session, leaver: int, reason: HandoverReason, at: datetime,
                     until: datetime | None, leave_id: int | None = None) -> int | None:
    """Ask the calls service to hand ``leaver``'s open work orders over (S1.19); returns to whom
    (the B holder covering, S1.5) or None (re-routed)."""
    away = away_at(session, at, workdays.DEFAULT_ZONE)
    windows = all_posts(session, PostKind.WINDOW, slot_of(at, workdays.DEFAULT_ZONE))
    to = ab.cover_for(windows, leaver, away)
    emit(session, make_event(PRODUCER, WorkOrdersHandoverRequested(
        from_staff_id=leaver, to_staff_id=to, reason=reason, leave_id=leave_id,
        effective_from=at, until=until,
    )))
    return to


# --- staff join, transfer, leave ---


def _department(session: Session, code: object) -> Department:
    department = session.get(Department, code) if isinstance(code, str) else None
    if department is None:
        raise Invalid(f"unknown department {code!r}")
    return department


def _release_posts(session: Session, staff_id: int) -> list[str]:
    """Take ``staff_id`` off every post they hold; the codes of those posts."""
    held = session.scalars(select(Post).where(
        or_(Post.a_holder_id == staff_id, Post.b_holder_id == staff_id)).order_by(Post.code))
    codes = []
    for post in held:
        codes.append(post.code)
        post.a_holder_id = None if post.a_holder_id == staff_id else post.a_holder_id
        post.b_holder_id = None if post.b_holder_id == staff_id else post.b_holder_id
    return codes


def join(session: Session, data: dict, today: date) -> StaffMember:
    """A person joins (issue 4): a staff record, ``staff.joined``."""
    missing = [key for key in ("username", "name", "password") if not isinstance(
        data.get(key), str) or not data.get(key)]
    if missing:
        raise Invalid(f"required (strings): {', '.join(missing)}")
    if session.scalar(select(StaffMember.id).where(StaffMember.username == data["username"])):
        raise Invalid(f"username {data['username']!r} is taken")
    department = _department(session, data.get("department"))
    try:
        employment = EmploymentType(data.get("employment", "permanent"))
        role = Role(data["hotline_role"]) if data.get("hotline_role") else None
        joined_on = date.fromisoformat(data["joined_on"]) if data.get("joined_on") else today
    except (ValueError, TypeError) as exc:
        raise Invalid(f"bad employment, hotline_role or joined_on: {exc}") from exc
    member = StaffMember(
        username=data["username"], name=data["name"], department=department.code,
        role=role.value if role else NON_HOTLINE_ROLE, extension=str(data.get("extension", "")),
        password_hash=hash_password(data["password"]), employment=employment.value,
        joined_on=joined_on,
    )
    session.add(member)
    session.flush()
    emit(session, make_event(PRODUCER, StaffJoined(
        staff_id=member.id, username=member.username, name=member.name,
        department=member.department, hotline_role=role, employment=employment,
        joined_on=joined_on,
    )))
    return member


def transfer(session: Session, staff_id: int, to_department: object, now: datetime,
             zone: tzinfo) -> list[str]:
    """A person moves to another department; their posts are released (``staff.transferred``);
    the tokens they hold stop working, refresh tokens included, in this transaction (issue 10:
    they sign in again, and the new token carries the new department)."""
    today = workdays.local_date(now, zone)
    member = _active(session, staff_id)
    department = _department(session, to_department)
    if department.code == member.department:
        raise Invalid(f"staff member {staff_id} is already in {department.code}")
    released = _release_posts(session, staff_id)
    emit(session, make_event(PRODUCER, StaffTransferred(
        staff_id=staff_id, from_department=member.department, to_department=department.code,
        employment=EmploymentType(member.employment), effective_on=today,
        posts_released=released,
    )))
    member.department = department.code
    login_store.revoke_member(session, staff_id, now, "transferred")
    return released


def change_role(session: Session, staff_id: int, to_role: object, now: datetime,
                zone: tzinfo) -> StaffMember:
    """A person's hotline role changes (S3.2; ``None``: they leave the hotline's roles),
    ``staff.role_changed``; the tokens they hold stop working, refresh tokens included, in
    this transaction (issue 10). Refused while the
    new role would not fit the hotline's head post they hold (reassign it first)."""
    member = _active(session, staff_id)
    try:
        role = Role(to_role) if to_role is not None else None
    except ValueError as exc:
        raise Invalid(f"hotline_role must be one of {[r.value for r in Role]} or null") from exc
    new = role.value if role else NON_HOTLINE_ROLE
    if new == member.role:
        raise Invalid(f"staff member {staff_id} is a {member.role} already")
    for post in session.scalars(select(Post).where(
            Post.kind == PostKind.SECTION_CHIEF,
            or_(Post.a_holder_id == staff_id, Post.b_holder_id == staff_id))):
        department = session.get(Department, post.department) if post.department else None
        if department is None or department.kind != HOTLINE_KIND:
            continue
        roles = HOTLINE_HEAD_ROLES[0 if post.a_holder_id == staff_id else 1]
        if new not in roles:
            raise Conflict(f"staff member {staff_id} holds the hotline's head post {post.code}: "
                           f"reassign it before the role changes (S3.2)")
    previous = Role(member.role) if member.role in set(Role) else None
    member.role = new
    emit(session, make_event(PRODUCER, StaffRoleChanged(
        staff_id=staff_id, from_role=previous, to_role=role, department=member.department,
        effective_on=workdays.local_date(now, zone),
    )))
    login_store.revoke_member(session, staff_id, now, "role_changed")
    return member


def depart(session: Session, staff_id: int, reason: object, now: datetime, zone: tzinfo) -> list[
    str
]:
    """A person leaves (``staff.left``): their work orders are handed over, posts released."""
    member = _active(session, staff_id)
    try:
        why = DepartureReason(reason)
    except ValueError as exc:
        raise Invalid(f"reason must be one of {[r.value for r in DepartureReason]}") from exc
    today = workdays.local_date(now, zone)
    request_handover(session, staff_id, HandoverReason.DEPARTURE, now, None)
    released = _release_posts(session, staff_id)
    member.left_on = today
    emit(session, make_event(PRODUCER, StaffLeft(
        staff_id=staff_id, department=member.department, left_on=today, reason=why,
        posts_released=released,
    )))
    login_store.revoke_member(session, staff_id, now, "left")
    return released


def assign_post(session: Session, code: str, data: dict) -> Post:
    """Set a post's A and B holders: two active staff of the post's department (S1.5); the
    hotline's head post is the deputy team lead's, a duty leader as B (HEAD_POST_KIND)."""
    post = session.scalar(select(Post).where(Post.code == code))
    if post is None:
        raise NotFound(f"post {code} not found")
    holders: dict[str, StaffMember | None] = {}
    for key in ("a_holder_id", "b_holder_id"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise Invalid(f"{key} must be a staff id")
        holders[key] = _active(session, value) if value is not None else None
    a_holder, b_holder = holders["a_holder_id"], holders["b_holder_id"]
    try:
        ab.check_holders(
            post.department, a_holder.id if a_holder else None, b_holder.id if b_holder else None,
            {m.id: m.department for m in (a_holder, b_holder) if m is not None},
        )
    except ab.HolderRuleError as exc:
        raise Invalid(str(exc)) from exc
    department = session.get(Department, post.department) if post.department else None
    if post.kind == PostKind.SECTION_CHIEF and department and department.kind == HOTLINE_KIND:
        for member, roles in zip((a_holder, b_holder), HOTLINE_HEAD_ROLES, strict=True):
            if member.role not in roles:
                raise Invalid(f"the hotline is headed by the deputy team lead, a duty leader as "
                              f"B (S3.2): staff {member.id} is a {member.role}")
    post.a_holder_id, post.b_holder_id = a_holder.id, b_holder.id
    return post


def _active(session: Session, staff_id: int) -> StaffMember:
    member = person(session, staff_id)
    if member.left_on is not None:
        raise Invalid(f"staff member {staff_id} left on {member.left_on}")
    return member


# --- views ---


def public(member: StaffMember) -> dict:
    return {
        "id": member.id, "username": member.username, "name": member.name, "role": member.role,
        "department": member.department, "extension": member.extension,
        "employment": member.employment,
        "joined_on": member.joined_on.isoformat() if member.joined_on else None,
        "left_on": member.left_on.isoformat() if member.left_on else None,
    }


def post_view(post: ab.PostView, away: set[int]) -> dict:
    acting_now = ab.acting_holder(post, away)
    return {
        "code": post.code, "kind": post.kind, "department": post.department,
        "a_holder_id": post.a_holder, "b_holder_id": post.b_holder, "cover_id": post.cover,
        "acting": acting_now,
        "covering_for": ab.covering_for(post, acting_now, away) if acting_now else None,
        "uncovered": acting_now is None,
    }


def overview(session: Session, now: datetime, zone: tzinfo, cursor: str | None = None,
             limit: int = paging.DEFAULT_LIMIT) -> dict:
    """Departments, a page of the posts and windows by code with who acts for each right now
    (``items``, ``next_cursor``: svckit.paging), and who is away now."""
    away = away_at(session, now, zone)
    departments = session.scalars(select(Department).order_by(Department.code))
    query = paging.keyset(select(Post), (Post.code,), cursor, limit)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda post: (post.code,))
    covers = covers_in(session, slot_of(now, zone))
    posts = [view(post, covers) for post in rows]
    return {
        "departments": [{"code": d.code, "name": d.name, "kind": d.kind} for d in departments],
        "items": [post_view(post, away) for post in posts],
        "next_cursor": after,
        "away": sorted(away),
        "names": _names(session, posts, away),
    }


def _names(session: Session, posts: list[ab.PostView], away: set[int]) -> dict[str, str]:
    """The names of the people the overview mentions by id (the console shows names)."""
    ids = set(away) | {i for p in posts for i in (p.a_holder, p.b_holder, p.cover) if i}
    rows = session.execute(select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(ids)))
    return {str(staff_id): name for staff_id, name in rows}


def duty_at(session: Session, at: datetime, zone: tzinfo) -> OnDuty:
    """Who is on duty at ``at`` (S1.7): see ``office_hours.on_duty``."""
    day = workdays.local_date(at, zone)
    view = roster_store.load(session, day - timedelta(days=1), day)
    present = session.scalars(select(StaffMember.id).where(
        StaffMember.id.in_(view.people()), StaffMember.left_on.is_(None), ~StaffMember.away))
    shifts = [ShiftView(staff_id, starts, ends) for staff_id in present
              for starts, ends in view.cover(staff_id, day)]
    away = away_at(session, at, zone)
    windows = all_posts(session, PostKind.WINDOW, slot_of(at, zone))
    return on_duty(at, windows, shifts, away, zone)


def duty_view(duty: OnDuty) -> dict:
    return {
        "at": duty.at.isoformat(), "hall_open": duty.hall_open, "windows": duty.windows,
        "covering": duty.covering, "uncovered": duty.uncovered, "hotline": duty.hotline,
    }


def update_on_leave(session: Session, now: datetime, zone: tzinfo) -> None:
    """Keep ``staff.on_leave`` (which routing honours) equal to approved leave right now."""
    away = away_at(session, now, zone)
    session.execute(update(StaffMember).where(StaffMember.id.in_(away), ~StaffMember.on_leave)
                    .values(on_leave=True))
    session.execute(update(StaffMember).where(StaffMember.id.not_in(away), StaffMember.on_leave)
                    .values(on_leave=False))
