"""Leave requests in storage (S1.17-19): filing, deciding step by step, coming back.

Who may see a request: the leaver, the HR section and the hall director (it is filed with them,
S1.17), and the approvers of its chain (or whoever covers their post, S1.5). Who may decide: only
the acting holder of the current step's post; everyone else is refused (403). Which post decides
each step is fixed when the request is filed (``organisation.deciding_posts``: a department head
goes one level up, S1.2-4).

A/B posts (S1.5): leave is asked for a day ahead (``leave.check_notice``); a leave that would
leave one of the leaver's posts with neither holder present is approved only once a cover is
named for that post (``name_cover``: by the current approver, an approver who decided it, the
acting head of the post's department, who arranges temporary changes, or the HR section); the
cover must be of the post's department and not away then."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.events import (
    ApprovalStep,
    EmploymentType,
    HandoverReason,
    LeaveAdvanced,
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    LeaveType,
    make_event,
)
from services.staffing import leave as rules
from services.staffing import organisation as org
from services.staffing import posts as ab
from services.staffing.attendance_store import excuse
from services.staffing.leave import LeaveStatus
from services.staffing.models import LeaveCover, LeaveDecision, LeaveRequest, Post, StaffMember
from services.staffing.refusals import Conflict, Forbidden, Invalid, NotFound
from svckit import paging, workdays
from svckit.outbox import emit


def _chain(leave: LeaveRequest) -> list[ApprovalStep]:
    return [ApprovalStep(step) for step in leave.chain.split(",") if step]


def _slots(leave: LeaveRequest) -> list[rules.Slot]:
    return rules.slots(leave.starts_on, leave.start_pm, leave.half_days)


def uncovers(session: Session, staff_id: int, slots: list[rules.Slot]) -> list[str]:
    """The posts of ``staff_id`` with nobody present in some slot were they away (S1.5)."""
    held = [post for post in org.all_posts(session) if staff_id in post.holders]
    if not held:
        return []
    codes: set[str] = set()
    for slot in slots:
        codes.update(p.code for p in ab.would_uncover(held, staff_id, org.away_in(session, slot)))
    return sorted(codes)


def _parse(data: dict) -> tuple[LeaveType, date, bool, int, bool]:
    try:
        leave_type = LeaveType(data.get("leave_type"))
        starts_on = date.fromisoformat(data.get("starts_on"))
    except (ValueError, TypeError) as exc:
        raise Invalid(f"leave_type (one of {[t.value for t in LeaveType]}) and starts_on "
                      "(YYYY-MM-DD) are required") from exc
    half_days, start_pm, emergency = (
        data.get("half_days"), data.get("start_pm", False), data.get("emergency", False)
    )
    if not isinstance(half_days, int) or isinstance(half_days, bool) or not 1 <= half_days <= 720:
        raise Invalid("half_days must be a whole number of half days, 1 to 720")
    if not isinstance(start_pm, bool) or not isinstance(emergency, bool):
        raise Invalid("start_pm and emergency must be true or false")
    return leave_type, starts_on, start_pm, half_days, emergency


def request(session: Session, caller: int, data: dict, now: datetime, zone: tzinfo) -> dict:
    """File a leave request for the caller (S1.17-18); an emergency is approved on recording."""
    member = org.person(session, caller)
    leave_type, starts_on, start_pm, half_days, emergency = _parse(data)
    today = workdays.local_date(now, zone)
    record = data.get("hospital_record") or None
    try:
        chain = rules.check_request(leave_type, half_days, emergency, record,
                                    EmploymentType(member.employment), member.joined_on, today)
        slots = rules.slots(starts_on, start_pm, half_days)
    except rules.LeaveRuleError as exc:
        raise Invalid(str(exc)) from exc
    try:
        rules.check_notice(leave_type, emergency, slots[0][0], today)
    except rules.LeaveRuleError as exc:
        raise Invalid(str(exc)) from exc
    deciding = org.deciding_posts(session, chain, member)
    chain = [step for step, _ in deciding]
    leave = LeaveRequest(
        staff_id=caller, leave_type=leave_type.value, starts_on=slots[0][0],
        start_pm=slots[0][1], half_days=half_days, ends_on=slots[-1][0], end_pm=slots[-1][1],
        emergency=emergency, hospital_record=record, reason=str(data.get("reason", ""))[:500],
        chain=",".join(chain), step=0, status=LeaveStatus.PENDING.value, requested_at=now,
        chain_posts=",".join(post.code for _, post in deciding),
    )
    session.add(leave)
    session.flush()
    flagged = uncovers(session, caller, slots)
    emit(session, make_event("staffing", LeaveRequested(
        leave_id=leave.id, staff_id=caller, leave_type=leave_type, starts_on=leave.starts_on,
        start_pm=leave.start_pm, half_days=half_days, chain=chain, uncovers=flagged,
        approver_id=_approver_now(session, leave, now, zone) if chain else None,
    ), occurred_at=now))
    if not chain:
        _approved(session, leave, None, now, zone)
    return _view(session, leave, now, zone, flagged)


def decide(session: Session, caller: int, leave_id: int, approve: bool, note: str,
           now: datetime, zone: tzinfo) -> dict:
    """The current step's acting approver approves or rejects; anyone else gets Forbidden."""
    leave = _leave(session, leave_id)
    if leave.status != LeaveStatus.PENDING.value:
        raise Conflict(f"leave request {leave_id} is already {leave.status}")
    step, post = _current_step(session, leave)
    # no one decides their own leave: when the leaver holds the step's post, its B decides
    away = org.away_at(session, now, zone) | {leave.staff_id}
    deciding = _post_now(session, post, now, zone)
    approver = ab.acting_holder(deciding, away) if post else None
    if approver is None:
        raise Conflict(f"nobody holds or covers the {step.value} post now: the request waits")
    if caller != approver:
        raise Forbidden(f"leave request {leave_id} waits for the {step.value} (staff "
                        f"{approver}); only they, or the B holder covering for them, may decide")
    if approve:
        lacking = needs_cover(session, leave)
        if lacking:
            raise Conflict(f"leave request {leave_id} would leave {', '.join(lacking)} with "
                           "nobody (S1.5): name a cover first (POST /api/leave/"
                           f"{leave_id}/cover)")
    session.add(LeaveDecision(
        leave_id=leave.id, step=leave.step, position=step.value, decided_by=caller,
        acting_for=ab.covering_for(deciding, caller, away), approved=approve,
        note=note[:500], decided_at=now,
    ))
    if not approve:
        leave.status, leave.decided_at = LeaveStatus.REJECTED.value, now
        emit(session, make_event("staffing", LeaveRejected(
            leave_id=leave.id, staff_id=leave.staff_id, leave_type=LeaveType(leave.leave_type),
            step=step, rejected_by=caller, note=note[:500],
        ), occurred_at=now))
    elif leave.step + 1 < len(_chain(leave)):
        leave.step += 1
        emit(session, make_event("staffing", LeaveAdvanced(
            leave_id=leave.id, staff_id=leave.staff_id, leave_type=LeaveType(leave.leave_type),
            step=_chain(leave)[leave.step], approved_by=caller,
            approver_id=_approver_now(session, leave, now, zone),
        ), occurred_at=now))
    else:
        _approved(session, leave, caller, now, zone)
    session.flush()
    return _view(session, leave, now, zone)


def _slot_start(slot: rules.Slot, zone: tzinfo) -> datetime:
    return datetime.combine(slot[0], rules.AFTERNOON_STARTS if slot[1] else time(0), tzinfo=zone)


def _approved(session: Session, leave: LeaveRequest, approver: int | None, now: datetime,
              zone: tzinfo) -> None:
    """Approved (S1.17-19): announce it, hand work over to the B holder, flag uncovered posts."""
    leave.status, leave.decided_at = LeaveStatus.APPROVED.value, now
    slots = _slots(leave)
    due = rules.return_due(slots[-1], zone)
    emit(session, make_event("staffing", LeaveApproved(
        leave_id=leave.id, staff_id=leave.staff_id, leave_type=LeaveType(leave.leave_type),
        starts_on=leave.starts_on, ends_on=leave.ends_on, return_due=due,
        emergency=leave.emergency, approved_by=approver,
    ), occurred_at=now))
    session.flush()
    starts = max(now, _slot_start(slots[0], zone))
    org.request_handover(session, leave.staff_id, HandoverReason.LEAVE, starts, due, leave.id)
    for slot in slots:  # an emergency, or a holder away since: nobody named, alert (S1.5)
        held = [p for p in org.all_posts(session, slot=slot) if leave.staff_id in p.holders]
        for post in ab.uncovered(held, org.away_in(session, slot)):
            org.record_uncovered(session, post, slot[0], now)
    org.update_on_leave(session, now, zone)
    days = sorted({slot[0] for slot in slots})  # a half day excuses the day (attendance seam)
    excuse(session, leave.staff_id, days, f"{leave.leave_type} leave", f"leave:{leave.id}")


def back(session: Session, caller: int, leave_id: int, now: datetime) -> dict:
    """The leaver reports back (S1.19); only the leaver may."""
    leave = _leave(session, leave_id)
    if leave.staff_id != caller:
        raise Forbidden("only the person on leave reports back from it")
    if leave.status != LeaveStatus.APPROVED.value:
        raise Conflict(f"leave request {leave_id} is {leave.status}, not approved")
    leave.returned_at = leave.returned_at or now
    return {"id": leave.id, "returned_at": leave.returned_at.isoformat()}


def get(session: Session, caller: int, leave_id: int, now: datetime, zone: tzinfo) -> dict:
    leave = _leave(session, leave_id)
    if not _may_see(session, caller, leave, org.away_at(session, now, zone), now, zone):
        raise Forbidden(f"leave request {leave_id} is visible to the leaver, its approvers, HR "
                        "and the hall director only")
    return _view(session, leave, now, zone)


def mine(session: Session, caller: int, now: datetime, zone: tzinfo,
         cursor: str | None = None, limit: int = paging.DEFAULT_LIMIT) -> dict:
    """The caller's own requests, those waiting for the caller's decision, and (for HR and the
    hall director) every request; newest first, a page of ``limit`` requests looked at after
    ``cursor`` (those the caller may not see are left out, so a page may be shorter), with
    ``next_cursor`` while more follow."""
    away = org.away_at(session, now, zone)
    query = select(LeaveRequest)
    if not org.is_hr_or_hall_director(session, caller, away):
        query = query.where(or_(LeaveRequest.staff_id == caller,
                                LeaveRequest.status == LeaveStatus.PENDING.value))
    query = paging.keyset(query, (LeaveRequest.id,), cursor, limit, descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda leave: (leave.id,))
    leaves = [leave for leave in rows
              if leave.staff_id == caller or _may_see(session, caller, leave, away, now, zone)]
    return {"items": [_view(session, leave, now, zone) for leave in leaves], "next_cursor": after}


def _waiting_for(session: Session, leave: LeaveRequest, away: set[int], now: datetime,
                 zone: tzinfo) -> dict | None:
    if leave.status != LeaveStatus.PENDING.value:
        return None
    step, post = _current_step(session, leave)
    away = away | {leave.staff_id}
    deciding = _post_now(session, post, now, zone)
    acting = ab.acting_holder(deciding, away) if post else None
    return {"step": step.value, "post": post.code if post else None, "staff_id": acting,
            "covering_for": ab.covering_for(deciding, acting, away) if acting else None}


def _approver_now(session: Session, leave: LeaveRequest, now: datetime,
                  zone: tzinfo) -> int | None:
    """Who decides the leave's current step now (its acting holder): told in its event, so the
    request reaches their inbox (issue 11)."""
    waiting = _waiting_for(session, leave, org.away_at(session, now, zone), now, zone)
    return waiting["staff_id"] if waiting else None


def _post_now(session: Session, post: Post | None, now: datetime, zone: tzinfo):
    return org.view(post, org.covers_in(session, rules.slot_of(now, zone))) if post else None


def _current_step(session: Session, leave: LeaveRequest) -> tuple[ApprovalStep, Post | None]:
    step = _chain(leave)[leave.step]
    if leave.chain_posts:
        code = leave.chain_posts.split(",")[leave.step]
        return step, session.scalar(select(Post).where(Post.code == code))
    return step, org.step_post(session, step, org.person(session, leave.staff_id).department)


# --- covers for posts a leave would leave with nobody (S1.5) ---


def _covers(session: Session, leave_id: int) -> list[tuple[LeaveCover, str]]:
    return list(session.execute(
        select(LeaveCover, Post.code).join(Post, Post.id == LeaveCover.post_id)
        .where(LeaveCover.leave_id == leave_id).order_by(Post.code)).tuples())


def needs_cover(session: Session, leave: LeaveRequest) -> list[str]:
    """The posts this leave would leave with nobody that have no cover named yet (S1.5)."""
    named = {code for _, code in _covers(session, leave.id)}
    return [code for code in uncovers(session, leave.staff_id, _slots(leave))
            if code not in named]


def name_cover(session: Session, caller: int, leave_id: int, data: dict, now: datetime,
               zone: tzinfo) -> dict:
    """Name who acts for one of the leaver's posts while the leave runs (S1.5); naming again
    replaces the earlier cover."""
    leave = _leave(session, leave_id)
    if leave.status == LeaveStatus.REJECTED.value:
        raise Conflict(f"leave request {leave_id} is rejected")
    code, staff_id = data.get("post"), data.get("staff_id")
    if not isinstance(code, str) or not isinstance(staff_id, int) or isinstance(staff_id, bool):
        raise Invalid("post (a post code) and staff_id (a staff id) are required")
    post = session.scalar(select(Post).where(Post.code == code[:40]))
    if post is None or leave.staff_id not in (post.a_holder_id, post.b_holder_id):
        raise Invalid(f"{code[:40]} is not a post of the leaver's (staff {leave.staff_id})")
    if not _may_name_cover(session, caller, leave, post, now, zone):
        raise Forbidden("a cover is named by the leave's approver, the acting head of the post's "
                        "department or the HR section (S1.5)")
    cover = session.get(StaffMember, staff_id)
    if cover is None or cover.left_on is not None or staff_id == leave.staff_id:
        raise Invalid(f"staff {staff_id} cannot cover: not a serving colleague of the leaver")
    if cover.department != post.department:
        raise Invalid(f"a cover for {post.code} is of its department {post.department} (S1.5); "
                      f"staff {staff_id} is of {cover.department}")
    busy = [slot for slot in _slots(leave) if staff_id in org.away_in(session, slot)]
    if busy:
        raise Invalid(f"staff {staff_id} is away on {busy[0][0]} and cannot cover")
    found = session.scalar(select(LeaveCover).where(
        LeaveCover.leave_id == leave.id, LeaveCover.post_id == post.id))
    found = found or LeaveCover(leave_id=leave.id, post_id=post.id)
    found.staff_id, found.named_by, found.named_at = staff_id, caller, now
    session.add(found)
    session.flush()
    return _view(session, leave, now, zone)


def _may_name_cover(session: Session, caller: int, leave: LeaveRequest, post: Post,
                    now: datetime, zone: tzinfo) -> bool:
    if org.is_hr(session, caller):
        return True
    away = org.away_at(session, now, zone)
    waiting = _waiting_for(session, leave, away, now, zone)
    if waiting and waiting["staff_id"] == caller:
        return True
    decided = session.scalar(select(LeaveDecision.id).where(
        LeaveDecision.leave_id == leave.id, LeaveDecision.decided_by == caller))
    head = org.head_post(session, post.department)
    return decided is not None or (
        head is not None and ab.acting_holder(org.view(head), away | {leave.staff_id}) == caller)


def _may_see(session: Session, caller: int, leave: LeaveRequest, away: set[int],
             now: datetime, zone: tzinfo) -> bool:
    if caller == leave.staff_id or org.is_hr_or_hall_director(session, caller, away):
        return True
    waiting = _waiting_for(session, leave, away, now, zone)
    if waiting and waiting["staff_id"] == caller:
        return True
    return session.scalar(select(LeaveDecision.id).where(
        LeaveDecision.leave_id == leave.id, LeaveDecision.decided_by == caller)) is not None


def _leave(session: Session, leave_id: int) -> LeaveRequest:
    leave = session.get(LeaveRequest, leave_id)
    if leave is None:
        raise NotFound(f"leave request {leave_id} not found")
    return leave


def _name(session: Session, staff_id: int) -> str | None:
    """The leaver's name, for people reading the list (the console)."""
    member = session.get(StaffMember, staff_id)
    return member.name if member is not None else None


def _view(session: Session, leave: LeaveRequest, now: datetime, zone: tzinfo,
          flagged: list[str] | None = None) -> dict:
    slots = _slots(leave)
    decisions = session.scalars(select(LeaveDecision).where(LeaveDecision.leave_id == leave.id)
                                .order_by(LeaveDecision.step))
    return {
        "id": leave.id, "staff_id": leave.staff_id, "leave_type": leave.leave_type,
        "staff_name": _name(session, leave.staff_id),
        "starts_on": leave.starts_on.isoformat(), "start_pm": leave.start_pm,
        "half_days": leave.half_days, "ends_on": leave.ends_on.isoformat(),
        "end_pm": leave.end_pm, "emergency": leave.emergency,
        # the span was counted in working days of a year not published yet (issue 8)
        "provisional": workdays.provisional_between(leave.starts_on, leave.ends_on),
        "hospital_record": leave.hospital_record, "reason": leave.reason,
        "status": leave.status, "chain": leave.chain.split(",") if leave.chain else [],
        "waiting_for": _waiting_for(session, leave, org.away_at(session, now, zone), now, zone),
        "decisions": [
            {"step": d.position, "decided_by": d.decided_by, "acting_for": d.acting_for,
             "approved": d.approved, "note": d.note} for d in decisions
        ],
        # S1.5: posts this leave would leave with neither holder present, for the approver
        "uncovers": flagged if flagged is not None else uncovers(session, leave.staff_id, slots),
        "covers": [{"post": code, "staff_id": c.staff_id, "named_by": c.named_by}
                   for c, code in _covers(session, leave.id)],
        "needs_cover": needs_cover(session, leave) if leave.status == LeaveStatus.PENDING.value
        else [],
        "return_due": rules.return_due(slots[-1], zone).isoformat(),
        "returned_at": leave.returned_at.isoformat() if leave.returned_at else None,
    }
