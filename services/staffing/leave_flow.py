"""Leave requests in storage (S1.17-19): filing, deciding step by step, coming back.

Who may see a request: the leaver, the HR section and the hall director (it is filed with them,
S1.17), and the approvers of its chain (or whoever covers their post, S1.5). Who may decide: only
the acting holder of the current step's post; everyone else is refused (403)."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.events import (
    ApprovalStep,
    EmploymentType,
    HandoverReason,
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
from services.staffing.models import LeaveDecision, LeaveRequest
from services.staffing.refusals import Conflict, Forbidden, Invalid, NotFound
from svckit import workdays
from svckit.outbox import emit

LIST_LIMIT = 200


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
    if starts_on < today and not emergency:
        raise Invalid("leave is requested beforehand; only emergency hospitalisation is "
                      "recorded after the fact (S1.17)")
    for step in chain:
        if org.step_post(session, step, member.department) is None:
            raise Invalid(f"no {step.value} post is set up for department {member.department}")
    leave = LeaveRequest(
        staff_id=caller, leave_type=leave_type.value, starts_on=slots[0][0],
        start_pm=slots[0][1], half_days=half_days, ends_on=slots[-1][0], end_pm=slots[-1][1],
        emergency=emergency, hospital_record=record, reason=str(data.get("reason", ""))[:500],
        chain=",".join(chain), step=0, status=LeaveStatus.PENDING.value, requested_at=now,
    )
    session.add(leave)
    session.flush()
    flagged = uncovers(session, caller, slots)
    emit(session, make_event("staffing", LeaveRequested(
        leave_id=leave.id, staff_id=caller, leave_type=leave_type, starts_on=leave.starts_on,
        start_pm=leave.start_pm, half_days=half_days, chain=chain, uncovers=flagged,
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
    approver = ab.acting_holder(org.view(post), away) if post else None
    if approver is None:
        raise Conflict(f"nobody holds or covers the {step.value} post now: the request waits")
    if caller != approver:
        raise Forbidden(f"leave request {leave_id} waits for the {step.value} (staff "
                        f"{approver}); only they, or the B holder covering for them, may decide")
    session.add(LeaveDecision(
        leave_id=leave.id, step=leave.step, position=step.value, decided_by=caller,
        acting_for=ab.covering_for(org.view(post), caller, away), approved=approve,
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
    held = [post for post in org.all_posts(session) if leave.staff_id in post.holders]
    for slot in slots:
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
    if not _may_see(session, caller, leave, org.away_at(session, now, zone)):
        raise Forbidden(f"leave request {leave_id} is visible to the leaver, its approvers, HR "
                        "and the hall director only")
    return _view(session, leave, now, zone)


def mine(session: Session, caller: int, now: datetime, zone: tzinfo) -> dict:
    """The caller's own requests, those waiting for the caller's decision, and (for HR and the
    hall director) every request."""
    away = org.away_at(session, now, zone)
    query = select(LeaveRequest).order_by(LeaveRequest.id.desc()).limit(LIST_LIMIT)
    if not org.is_hr_or_hall_director(session, caller, away):
        query = query.where(or_(LeaveRequest.staff_id == caller,
                                LeaveRequest.status == LeaveStatus.PENDING.value))
    leaves = [leave for leave in session.scalars(query)
              if leave.staff_id == caller or _may_see(session, caller, leave, away)]
    return {"items": [_view(session, leave, now, zone) for leave in leaves]}


def _waiting_for(session: Session, leave: LeaveRequest, away: set[int]) -> dict | None:
    if leave.status != LeaveStatus.PENDING.value:
        return None
    step, post = _current_step(session, leave)
    away = away | {leave.staff_id}
    acting = ab.acting_holder(org.view(post), away) if post else None
    return {"step": step.value, "staff_id": acting,
            "covering_for": ab.covering_for(org.view(post), acting, away) if acting else None}


def _current_step(session: Session, leave: LeaveRequest):
    step = _chain(leave)[leave.step]
    return step, org.step_post(session, step, org.person(session, leave.staff_id).department)


def _may_see(session: Session, caller: int, leave: LeaveRequest, away: set[int]) -> bool:
    if caller == leave.staff_id or org.is_hr_or_hall_director(session, caller, away):
        return True
    waiting = _waiting_for(session, leave, away)
    if waiting and waiting["staff_id"] == caller:
        return True
    return session.scalar(select(LeaveDecision.id).where(
        LeaveDecision.leave_id == leave.id, LeaveDecision.decided_by == caller)) is not None


def _leave(session: Session, leave_id: int) -> LeaveRequest:
    leave = session.get(LeaveRequest, leave_id)
    if leave is None:
        raise NotFound(f"leave request {leave_id} not found")
    return leave


def _view(session: Session, leave: LeaveRequest, now: datetime, zone: tzinfo,
          flagged: list[str] | None = None) -> dict:
    slots = _slots(leave)
    decisions = session.scalars(select(LeaveDecision).where(LeaveDecision.leave_id == leave.id)
                                .order_by(LeaveDecision.step))
    return {
        "id": leave.id, "staff_id": leave.staff_id, "leave_type": leave.leave_type,
        "starts_on": leave.starts_on.isoformat(), "start_pm": leave.start_pm,
        "half_days": leave.half_days, "ends_on": leave.ends_on.isoformat(),
        "end_pm": leave.end_pm, "emergency": leave.emergency,
        "hospital_record": leave.hospital_record, "reason": leave.reason,
        "status": leave.status, "chain": leave.chain.split(",") if leave.chain else [],
        "waiting_for": _waiting_for(session, leave, org.away_at(session, now, zone)),
        "decisions": [
            {"step": d.position, "decided_by": d.decided_by, "acting_for": d.acting_for,
             "approved": d.approved, "note": d.note} for d in decisions
        ],
        # S1.5: posts this leave would leave with neither holder present, for the approver
        "uncovers": flagged if flagged is not None else uncovers(session, leave.staff_id, slots),
        "return_due": rules.return_due(slots[-1], zone).isoformat(),
        "returned_at": leave.returned_at.isoformat() if leave.returned_at else None,
    }
