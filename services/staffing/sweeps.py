"""What the staffing timer checks (S1.5, S1.9, S1.19), and the duty-rota handover it checks for.

Each check records what it found under a unique key (absence: person and day; uncovered post:
post and day; rota alert: day) in the transaction that emits the event, so a repeated sweep, a
restart or two instances sweeping at once never announce a finding twice."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.events import (
    HandoverReason,
    LeaveType,
    PostKind,
    Recipient,
    RotaHandoverMissing,
    StaffAbsent,
    make_event,
)
from services.staffing import absence_store, rota
from services.staffing import leave as rules
from services.staffing import organisation as org
from services.staffing import posts as ab
from services.staffing.leave import LeaveStatus
from services.staffing.models import (
    Absence,
    Installation,
    LeaveRequest,
    Post,
    RotaAlert,
    RotaHandover,
)
from services.staffing.refusals import Conflict, Forbidden, Invalid
from svckit import workdays
from svckit.db import ServiceStore, WorkerDatabase
from svckit.outbox import emit

log = logging.getLogger(__name__)
ABSENCE_LOOKBACK = timedelta(days=14)


def uncovered_now(session: Session, now: datetime, zone: tzinfo) -> int:
    """Posts with neither holder present on a working day (S1.5): alerted once per day."""
    day = workdays.local_date(now, zone)
    if not workdays.is_working_day(day):
        return 0
    posts = org.all_posts(session, slot=rules.slot_of(now, zone))  # covers named count (S1.5)
    found = ab.uncovered(posts, org.away_at(session, now, zone))
    return sum(org.record_uncovered(session, post, day, now) for post in found)


def absences(session: Session, now: datetime, zone: tzinfo, grace: timedelta) -> int:
    """Approved leave over, the leaver not back, no approved extension, and no proof of work
    on the day they were due (a clock-in or an action on a work order): absence (S1.19)."""
    since = workdays.local_date(now - ABSENCE_LOOKBACK, zone)
    ended = session.scalars(select(LeaveRequest).where(
        LeaveRequest.status == LeaveStatus.APPROVED.value, LeaveRequest.returned_at.is_(None),
        LeaveRequest.ends_on >= since))
    found = 0
    for leave in ended:
        last = (leave.ends_on, leave.end_pm)
        due = rules.return_due(last, zone)
        if now < due + grace:
            continue
        if leave.staff_id in org.away_at(session, due, zone):  # extended, or absent already
            continue
        if absence_store.worked_on(session, leave.staff_id, workdays.local_date(due, zone)):
            continue
        found += _record_absence(session, leave, due, now, zone)
    return found


def _record_absence(session: Session, leave: LeaveRequest, due: datetime, now: datetime,
                    zone: tzinfo) -> int:
    day = workdays.local_date(due, zone)
    if session.scalar(select(Absence.id).where(Absence.staff_id == leave.staff_id,
                                               Absence.day == day)):
        return 0
    session.add(Absence(staff_id=leave.staff_id, day=day, leave_id=leave.id, detected_at=now))
    emit(session, make_event(org.PRODUCER, StaffAbsent(
        staff_id=leave.staff_id, day=day, leave_id=leave.id,
        leave_type=LeaveType(leave.leave_type), due_back_at=due,
        notify=_told_of_absence(session, leave.staff_id, now, zone),
    ), occurred_at=now))
    session.flush()
    org.request_handover(session, leave.staff_id, HandoverReason.ABSENCE, now, None, leave.id)
    return 1


def _told_of_absence(session: Session, staff_id: int, now: datetime,
                     zone: tzinfo) -> list[Recipient]:
    """Who is told of an absence (S1.19, S1.21): the acting head of the absentee's department
    and the acting HR head, each once, never the absentee."""
    away = org.away_at(session, now, zone) | {staff_id}
    head = org.head_post(session, org.person(session, staff_id).department)
    found = [(ab.acting_holder(org.view(head), away), PostKind(head.kind)) if head else
             (None, None), (org.acting(session, PostKind.HR_HEAD, away), PostKind.HR_HEAD)]
    told: list[Recipient] = []
    for who, kind in found:
        if who is not None and who != staff_id and all(r.staff_id != who for r in told):
            told.append(Recipient(staff_id=who, post=kind))
    return told


def installed_on(session: Session, now: datetime | None = None,
                 zone: tzinfo = workdays.DEFAULT_ZONE) -> date | None:
    """The day the system was installed (S1.9: the rota's duties start then). Recorded by the
    first sweep (``now``: the service clock) when not known yet; two sweeps recording it at once
    collide on the key and the loser's pass is retried."""
    found = session.get(Installation, 1)
    if found is not None:
        return found.installed_on
    if now is None:
        return None
    session.add(Installation(id=1, installed_on=workdays.local_date(now, zone), recorded_at=now))
    session.flush()
    return workdays.local_date(now, zone)


def missing_handovers(session: Session, now: datetime, zone: tzinfo, grace: timedelta) -> int:
    """Working days since the install whose rota handover was not recorded by the close plus
    ``grace`` (S1.9)."""
    since = installed_on(session, now, zone)
    raised = 0
    for day in rota.days_overdue(now, grace, zone, since):
        windows = org.all_posts(session, PostKind.WINDOW, (day, True))
        on_duty = rota.duty_window(day, windows)
        if on_duty is None or _handled(session, day):
            continue
        away = org.away_in(session, (day, True))
        _, following = rota.next_duty(day, windows)
        director = org.acting(session, PostKind.HALL_DIRECTOR, away)
        session.add(RotaAlert(day=day, post_id=on_duty.id, raised_at=now))
        emit(session, make_event(org.PRODUCER, RotaHandoverMissing(
            day=day, post_code=on_duty.code, on_duty_staff_id=ab.acting_holder(on_duty, away),
            next_post_code=following.code if following else on_duty.code,
            notify=[Recipient(staff_id=director, post=PostKind.HALL_DIRECTOR)] if director
            else [],
        ), occurred_at=now))
        session.flush()
        raised += 1
    return raised


def _handled(session: Session, day: date) -> bool:
    return bool(session.get(RotaHandover, day) or session.get(RotaAlert, day))


def duty_today(session: Session, day: date) -> dict:
    """The rota for a day (S1.9): the window on duty, who serves it, the next window, the
    handover it made (confirmed by the next window or still awaiting it) and the one it received.
    ``status``: before_install, open (not recorded yet), missing (alerted), recorded (awaiting
    the next window's confirmation) or confirmed."""
    windows = org.all_posts(session, PostKind.WINDOW, (day, True))
    on_duty = rota.duty_window(day, windows)
    since = installed_on(session)
    # working days of a year not published yet are the statutory rule's (issue 8)
    provisional = workdays.provisional_between(day, workdays.next_working_day(day))
    if on_duty is None:  # every member, null: the same shape as a working day's (issue 10)
        return {"day": day.isoformat(), "working_day": False, "window": None, "on_duty": None,
                "next": None, "equipment": [],
                "installed_on": since.isoformat() if since else None, "status": None,
                "handover": None, "received": None, "provisional": provisional}
    away = org.away_in(session, (day, True))
    next_day, following = rota.next_duty(day, windows)
    handover = session.get(RotaHandover, day)
    previous = session.scalar(select(RotaHandover).where(RotaHandover.day < day)
                              .order_by(RotaHandover.day.desc()).limit(1))
    received = previous if previous is not None and previous.to_post_id == on_duty.id and \
        workdays.next_working_day(previous.day) == day else None
    return {
        "day": day.isoformat(), "working_day": True, "window": on_duty.code,
        "on_duty": ab.acting_holder(on_duty, away),
        "next": {"day": next_day.isoformat(), "window": following.code if following else None},
        "equipment": list(rota.EQUIPMENT),
        "installed_on": since.isoformat() if since else None,
        "status": _status(session, day, handover, since),
        "handover": None if handover is None else _handover_view(session, handover),
        "received": None if received is None else _handover_view(session, received),
        "provisional": provisional,
    }


def _status(session: Session, day: date, handover: RotaHandover | None,
            since: date | None) -> str:
    if handover is not None:
        return "confirmed" if handover.confirmed_at else "recorded"
    if since is not None and day < since:
        return "before_install"
    return "missing" if session.get(RotaAlert, day) else "open"


def _handover_view(session: Session, handover: RotaHandover) -> dict:
    codes = {post_id: code for post_id, code in session.execute(select(Post.id, Post.code).where(
        Post.id.in_((handover.post_id, handover.to_post_id))))}
    return {
        "day": handover.day.isoformat(), "from_window": codes.get(handover.post_id),
        "to_window": codes.get(handover.to_post_id),
        "recorded_by": handover.recorded_by, "items": json.loads(handover.items),
        "recorded_at": handover.recorded_at.isoformat(),
        "confirmed": handover.confirmed_at is not None, "confirmed_by": handover.confirmed_by,
        "confirmed_at": handover.confirmed_at.isoformat() if handover.confirmed_at else None,
        "note": handover.confirm_note,
    }


def record_handover(session: Session, caller: int, items: object, now: datetime,
                    zone: tzinfo) -> dict:
    """The person on duty today counts the equipment and hands over to the next window (S1.9)."""
    day = workdays.local_date(now, zone)
    windows = org.all_posts(session, PostKind.WINDOW, rules.slot_of(now, zone))
    on_duty = rota.duty_window(day, windows)
    if on_duty is None:
        raise Invalid(f"{day} is not a working day: there is no duty to hand over")
    serving = ab.acting_holder(on_duty, org.away_at(session, now, zone))
    if caller != serving:
        raise Forbidden(f"window {on_duty.code} is on duty today, served by staff {serving}: "
                        "only they record its handover")
    if session.get(RotaHandover, day) is not None:
        raise Conflict(f"the handover of {day} is recorded already")
    try:
        counted = rota.check_items(items if isinstance(items, dict) else {})
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    _, following = rota.next_duty(day, windows)
    session.add(RotaHandover(
        day=day, post_id=on_duty.id, to_post_id=(following or on_duty).id, recorded_by=caller,
        items=json.dumps(counted), recorded_at=now,
    ))
    session.flush()
    return duty_today(session, day)


def confirm_handover(session: Session, caller: int, day: date, note: object, now: datetime,
                     zone: tzinfo) -> dict:
    """The window that receives the duty confirms the handover it was given (S1.9): a present
    holder of it, or whoever acts for it; once."""
    if note is not None and not isinstance(note, str):
        raise Invalid("note must be text")
    handover = session.get(RotaHandover, day)
    if handover is None:
        raise Conflict(f"no handover of {day} is recorded: there is nothing to confirm")
    if handover.confirmed_at is not None:
        raise Conflict(f"the handover of {day} was confirmed already by staff "
                       f"{handover.confirmed_by}")
    receiving = next(post for post in org.all_posts(session, PostKind.WINDOW,
                                                     rules.slot_of(now, zone))
                     if post.id == handover.to_post_id)
    if not rota.may_confirm(receiving, caller, org.away_at(session, now, zone)):
        raise Forbidden(f"the handover of {day} went to window {receiving.code}: only its "
                        "holders, or whoever acts for it, confirm it")
    handover.confirmed_by, handover.confirmed_at = caller, now
    handover.confirm_note = (note or "").strip()[:500] or None
    session.flush()
    return duty_today(session, day)


def run_all(
    db: WorkerDatabase | ServiceStore, now: datetime, zone: tzinfo, grace: timedelta
) -> dict[str, int]:
    """One pass of every check, each in its own transaction (one failing spares the others)."""
    checks = {
        "on_leave": lambda s: org.update_on_leave(s, now, zone) or 0,
        "uncovered": lambda s: uncovered_now(s, now, zone),
        "absences": lambda s: absences(s, now, zone, grace),
        "rota": lambda s: missing_handovers(s, now, zone, grace),
    }
    found = {}
    for name, check in checks.items():
        try:
            with db.transaction() as session:
                found[name] = check(session)
        except Exception:
            log.exception("staffing sweep %s failed; next pass retries", name)
    return found
