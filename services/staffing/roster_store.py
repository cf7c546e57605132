"""The hotline roster in storage (S3.2): shift templates, dated entries planned by a duty leader,
swaps the duty leader approves. The rules are in ``roster.py``; routing (``assignment``),
attendance (``attendance_store``), the staffing plan (``plan_store``) and who is on duty
(``organisation.duty_at``) all read the roster through :func:`load`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contracts.events import LEADER_ROLES, ROLE_LADDER
from services.staffing import roster
from services.staffing.models import RosterEntry, Shift, ShiftSwap, ShiftTemplate, StaffMember
from services.staffing.refusals import Conflict, Forbidden, Invalid, NotFound
from svckit import paging, workdays

PLANNERS = LEADER_ROLES  # duty leaders and up arrange the agents' work (S3.2)
HOTLINE = ROLE_LADDER
VIEW_DAYS = 28
MAX_VIEW_DAYS = 62


class SwapStatus:
    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


_entries, _shifts = RosterEntry.__table__, Shift.__table__


def load(
    session: Session, first: date, last: date, staff_ids: Iterable[int] | None = None
) -> roster.RosterView:
    """The roster from ``first`` to ``last`` (both included): entries and standing shifts."""
    ids = None if staff_ids is None else list(staff_ids)
    entry_query = select(_entries.c.staff_id, _entries.c.day, _entries.c.template,
                         _entries.c.starts, _entries.c.ends).where(
        _entries.c.day.between(first, last))
    standing_query = select(_shifts.c.staff_id, _shifts.c.starts, _shifts.c.ends)
    if ids is not None:
        entry_query = entry_query.where(_entries.c.staff_id.in_(ids))
        standing_query = standing_query.where(_shifts.c.staff_id.in_(ids))
    entries = {
        (row.staff_id, row.day): roster.REST if row.template == roster.REST
        else (row.starts, row.ends)
        for row in session.execute(entry_query)
    }
    standing: dict[int, list[roster.Shift]] = defaultdict(list)
    for row in session.execute(standing_query):
        standing[row.staff_id].append((row.starts, row.ends))
    return roster.RosterView(entries, dict(standing))


def templates(session: Session) -> dict[str, roster.Template]:
    return {
        t.code: roster.Template(t.code, t.name, t.starts, t.ends)
        for t in session.scalars(select(ShiftTemplate).order_by(ShiftTemplate.starts))
    }


def template_view(template: roster.Template) -> dict:
    return {"code": template.code, "name": template.name,
            "starts": template.starts.strftime("%H:%M"), "ends": template.ends.strftime("%H:%M")}


def require_planner(session: Session, caller: int) -> StaffMember:
    """A duty leader or the deputy team lead arranges the agents' work (S3.2)."""
    member = session.get(StaffMember, caller)
    if member is None or member.left_on is not None or member.role not in PLANNERS:
        raise Forbidden("the roster is arranged by a duty leader or the deputy team lead (S3.2)")
    return member


def add_template(session: Session, caller: int, data: dict) -> dict:
    require_planner(session, caller)
    try:
        template = roster.parse_template(data if isinstance(data, dict) else {})
    except roster.RosterRuleError as exc:
        raise Invalid(str(exc)) from exc
    if session.get(ShiftTemplate, template.code) is not None:
        raise Conflict(f"shift template {template.code} exists already")
    session.add(ShiftTemplate(code=template.code, name=template.name, starts=template.starts,
                              ends=template.ends))
    return template_view(template)


def _date(value: object, name: str) -> date:
    try:
        return date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{name} must be a date written YYYY-MM-DD") from exc


def _hotline_member(session: Session, staff_id: object) -> StaffMember:
    if not isinstance(staff_id, int) or isinstance(staff_id, bool):
        raise Invalid("staff_id must be a staff id")
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise NotFound(f"staff member {staff_id} not found")
    if member.role not in HOTLINE or member.left_on is not None:
        raise Invalid(f"staff member {staff_id} is not on the hotline's staff")
    return member


def plan(session: Session, caller: int, data: dict, now: datetime, zone: tzinfo) -> dict:
    """Roster people from templates with rest days (S3.2): ``{from, days, assignments:
    [{staff_id, pattern: [template code | "rest", ...]}]}``; the dates planned are replaced."""
    require_planner(session, caller)
    today = workdays.local_date(now, zone)
    first, days = _date(data.get("from"), "from"), data.get("days")
    if first < today:
        raise Invalid(f"the roster is planned for the coming days: {first} is past")
    if not isinstance(days, int) or isinstance(days, bool):
        raise Invalid(f"days must be a whole number, 1 to {roster.MAX_PLAN_DAYS}")
    assignments = data.get("assignments")
    if not isinstance(assignments, list) or not assignments or len(assignments) > 200:
        raise Invalid("assignments must be a list of 1 to 200 {staff_id, pattern}")
    known = templates(session)
    planned: dict[int, list[tuple[date, str]]] = {}
    for item in assignments:
        if not isinstance(item, dict):
            raise Invalid("each assignment is {staff_id, pattern}")
        member = _hotline_member(session, item.get("staff_id"))
        if member.id in planned:
            raise Invalid(f"staff member {member.id} appears twice")
        try:
            days_planned = roster.expand(first, days, item.get("pattern") or [])
            roster.check_plan(days_planned, known, zone)
        except roster.RosterRuleError as exc:
            raise Invalid(f"staff member {member.id}: {exc}") from exc
        if member.joined_on is not None and first < member.joined_on:
            raise Invalid(f"staff member {member.id} joins on {member.joined_on}")
        planned[member.id] = days_planned
    last = first + timedelta(days=days - 1)
    for staff_id, days_planned in planned.items():
        _replace(session, staff_id, days_planned, known, caller, now)
        _check_edges(session, staff_id, first, last, zone)
    session.flush()
    return {
        "from": first.isoformat(), "to": last.isoformat(),
        "people": [entries_view(session, sid, first, last) for sid in planned],
    }


def _replace(session, staff_id, days_planned, known, caller, now) -> None:
    days = [day for day, _ in days_planned]
    session.execute(delete(RosterEntry).where(RosterEntry.staff_id == staff_id,
                                              RosterEntry.day.in_(days)))
    for day, code in days_planned:
        shift = known.get(code)
        session.add(RosterEntry(
            staff_id=staff_id, day=day, template=code,
            starts=shift.starts if shift else None, ends=shift.ends if shift else None,
            planned_by=caller, planned_at=now,
        ))
    session.flush()


def _check_edges(session: Session, staff_id: int, first: date, last: date, zone: tzinfo) -> None:
    """No overlap with the shifts rostered just before or after the planned dates."""
    view = load(session, first - timedelta(days=1), last + timedelta(days=1), [staff_id])
    dated = [(day, shift) for (sid, day), shift in view.entries.items()
             if sid == staff_id and shift != roster.REST]
    try:
        roster.check_no_overlap(dated, zone)
    except roster.RosterRuleError as exc:
        raise Invalid(f"staff member {staff_id}: {exc}") from exc


def entries_view(session: Session, staff_id: int, first: date, last: date) -> dict:
    """A person's days from ``first`` to ``last``: the roster entry, else standing shifts."""
    rows = {e.day: e for e in session.scalars(select(RosterEntry).where(
        RosterEntry.staff_id == staff_id, RosterEntry.day.between(first, last)))}
    view = load(session, first, last, [staff_id])
    days = []
    day = first
    while day <= last:
        entry = rows.get(day)
        days.append({
            "day": day.isoformat(),
            "template": entry.template if entry else None,
            "rest": bool(entry) and entry.template == roster.REST,
            "shifts": [{"starts": s.strftime("%H:%M"), "ends": e.strftime("%H:%M")}
                       for s, e in view.shifts(staff_id, day)],
            "source": "roster" if entry else ("standing" if view.standing else "none"),
        })
        day += timedelta(days=1)
    return {"staff_id": staff_id, "days": days}


def shifts_of(session: Session, caller: int, query: dict, now: datetime, zone: tzinfo) -> dict:
    """The roster from ``from`` (today) for ``days`` (28): the caller's own, or (a duty leader,
    the deputy team lead) anyone's with ``staff_id``, or everyone's with ``staff_id=all``."""
    member = session.get(StaffMember, caller)
    if member is None:
        raise NotFound(f"staff member {caller} not found")
    first = _date(query["from"], "from") if query.get("from") else workdays.local_date(now, zone)
    try:
        days = int(query.get("days") or VIEW_DAYS)
    except ValueError as exc:
        raise Invalid("days must be a whole number") from exc
    if not 1 <= days <= MAX_VIEW_DAYS:
        raise Invalid(f"days must be 1 to {MAX_VIEW_DAYS}")
    last = first + timedelta(days=days - 1)
    wanted = query.get("staff_id")
    if wanted in (None, "", str(caller)):
        ids = [caller]
    else:
        require_planner(session, caller)
        if wanted == "all":
            ids = list(session.scalars(select(StaffMember.id).where(
                StaffMember.role.in_(HOTLINE), StaffMember.left_on.is_(None))
                .order_by(StaffMember.id)))
        else:
            try:
                ids = [org_person(session, int(wanted)).id]
            except ValueError as exc:
                raise Invalid("staff_id must be a staff id or 'all'") from exc
    return {"from": first.isoformat(), "to": last.isoformat(),
            "people": [entries_view(session, sid, first, last) for sid in ids]}


def org_person(session: Session, staff_id: int) -> StaffMember:
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise NotFound(f"staff member {staff_id} not found")
    return member


# --- swaps: two people exchange their roster entries; the duty leader decides (S3.2) ---


def request_swap(session: Session, caller: int, data: dict, now: datetime, zone: tzinfo) -> dict:
    """``{partner_id, day, partner_day?, reason?}``: exchange the caller's and the partner's
    roster entries on ``day`` (and ``partner_day``)."""
    requester = _hotline_member(session, caller)
    partner = _hotline_member(session, data.get("partner_id"))
    day = _date(data.get("day"), "day")
    other = _date(data["partner_day"], "partner_day") if data.get("partner_day") else day
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise Invalid("reason must be text of at most 500 characters")
    try:
        roster.check_swap(requester.role, partner.role, requester.id, partner.id)
    except roster.RosterRuleError as exc:
        raise Invalid(str(exc)) from exc
    _swappable(session, requester.id, partner.id, roster.swap_days(day, other), now, zone)
    swap = ShiftSwap(requester_id=requester.id, partner_id=partner.id, day=day, partner_day=other,
                     reason=reason, status=SwapStatus.PENDING, requested_at=now, note="")
    session.add(swap)
    session.flush()
    return swap_view(swap)


def _swappable(session, requester: int, partner: int, days: list[date], now, zone) -> None:
    today = workdays.local_date(now, zone)
    if days[0] < today:
        raise Invalid(f"{days[0]} is past: only coming days are swapped")
    for staff_id in (requester, partner):
        for day in days:
            if _entry(session, staff_id, day) is None:
                raise Invalid(f"staff member {staff_id} is not rostered on {day}: plan it first")


def _entry(session: Session, staff_id: int, day: date) -> RosterEntry | None:
    return session.scalar(select(RosterEntry).where(RosterEntry.staff_id == staff_id,
                                                    RosterEntry.day == day))


def decide_swap(session: Session, caller: int, swap_id: int, approve: bool, note: str,
                now: datetime, zone: tzinfo) -> dict:
    """The duty leader (or deputy team lead) approves or rejects a pending swap; approval
    exchanges the entries at once, so routing and attendance follow."""
    require_planner(session, caller)
    swap = session.get(ShiftSwap, swap_id)
    if swap is None:
        raise NotFound(f"swap {swap_id} not found")
    if swap.status != SwapStatus.PENDING:
        raise Conflict(f"swap {swap_id} is already {swap.status}")
    if not isinstance(note, str) or len(note) > 500:
        raise Invalid("note must be text of at most 500 characters")
    days = roster.swap_days(swap.day, swap.partner_day)
    if approve:
        _swappable(session, swap.requester_id, swap.partner_id, days, now, zone)
        for day in days:
            mine = _entry(session, swap.requester_id, day)
            theirs = _entry(session, swap.partner_id, day)
            for column in ("template", "starts", "ends"):
                held = getattr(mine, column)
                setattr(mine, column, getattr(theirs, column))
                setattr(theirs, column, held)
            mine.planned_by = theirs.planned_by = caller
            mine.planned_at = theirs.planned_at = now
    swap.status = SwapStatus.APPROVED if approve else SwapStatus.REJECTED
    swap.decided_by, swap.decided_at, swap.note = caller, now, note
    session.flush()
    return swap_view(swap)


def list_swaps(session: Session, caller: int, cursor: str | None = None,
               limit: int = paging.DEFAULT_LIMIT) -> dict:
    """The caller's swaps, newest first, a page after ``cursor`` (svckit.paging); a duty
    leader or the deputy team lead sees every swap."""
    query = select(ShiftSwap)
    member = session.get(StaffMember, caller)
    if member is None or member.role not in PLANNERS or member.left_on is not None:
        query = query.where((ShiftSwap.requester_id == caller) | (ShiftSwap.partner_id == caller))
    query = paging.keyset(query, (ShiftSwap.id,), cursor, limit, descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda swap: (swap.id,))
    return {"items": [swap_view(swap) for swap in rows], "next_cursor": after}


def swap_view(swap: ShiftSwap) -> dict:
    return {
        "id": swap.id, "requester_id": swap.requester_id, "partner_id": swap.partner_id,
        "day": swap.day.isoformat(), "partner_day": swap.partner_day.isoformat(),
        "reason": swap.reason, "status": swap.status, "decided_by": swap.decided_by,
        "decided_at": swap.decided_at.isoformat() if swap.decided_at else None,
        "note": swap.note,
    }


# --- the roster against the staffing plan's needs (S3.3) ---

_COVER_FIELDS = ("seat_agents", "duty_leaders", "deputy_team_leads")


def coverage_view(plan: dict) -> dict:
    """Per half hour, each role's need (the staffing plan) against the people rostered."""
    return {
        "date": plan["date"],
        "roster_short": plan["summary"]["roster_short"],
        "intervals": [
            {"starts": interval["starts"], **{
                f"{role}_{part}": interval[f"{role}_{part}"]
                for role in _COVER_FIELDS for part in ("needed", "rostered", "short")
            }}
            for interval in plan["intervals"]
        ],
    }


def coverage_summary(plan: dict) -> dict:
    """A planned day in one line: whether the roster falls short, and where."""
    summary = plan["summary"]
    return {
        "date": plan["date"],
        "roster_short": summary["roster_short"],
        "short": {role: summary[role]["short_intervals"] for role in HOTLINE
                  if summary[role]["short_intervals"]},
    }
