"""Window checks (S1.9), repairs of broken parts (S1.13) and daily supplies (S1.14) in
storage; the rules are in ``upkeep``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from contracts.events import Capacity, PostKind, RepairStatusChanged, WindowUnchecked
from services.assets import upkeep
from services.assets.models import Asset, Repair, SupplyRequest, WindowAlert, WindowCheck
from services.assets.org_view import notified, recipients
from services.assets.refusals import Conflict, Forbidden, Invalid, NotFound
from services.assets.schemas import NewRepair, NewSupply, SupplyReportQuery, WindowCheckIn, parse
from services.assets.unit import Unit
from svckit import paging

BUREAU_RULE = "S1.13-14: the bureau office registers, orders and issues"

# --- window checks (S1.9) -----------------------------------------------------------------


def record_check(unit: Unit, caller: int, window: str, data: dict) -> dict:
    """The window's holder (or whoever acts for it) checks before or after work; a fault found
    opens a repair with the bureau office."""
    body = parse(WindowCheckIn, data)
    unit.caller(caller)
    if not unit.org.serves_window(caller, window):
        raise Forbidden(f"window {window}'s equipment is checked by its own staff (S1.9)")
    if body.kind == "check_out" and body.locked_and_off is None:
        raise Invalid("after work: locked_and_off says whether cabinets are locked and power off")
    day = unit.today()
    if unit.session.scalar(select(WindowCheck.id).where(
            WindowCheck.window == window, WindowCheck.day == day,
            WindowCheck.kind == body.kind)) is not None:
        raise Conflict(f"window {window}'s {body.kind} of {day} is recorded already")
    check = WindowCheck(window=window, day=day, kind=body.kind, by_id=caller, at=unit.now,
                        equipment_ok=body.equipment_ok and not body.fault,
                        locked_and_off=body.locked_and_off, fault=body.fault)
    if body.fault or not body.equipment_ok:
        repair = _register(unit, caller, body.fault or "equipment check failed", None, window)
        check.repair_id = repair.id
    unit.session.add(check)
    return check_view(check)


def check_view(check: WindowCheck) -> dict:
    return {"window": check.window, "day": check.day.isoformat(), "kind": check.kind,
            "by": check.by_id, "at": check.at.isoformat(), "equipment_ok": check.equipment_ok,
            "locked_and_off": check.locked_and_off, "fault": check.fault,
            "repair_id": check.repair_id}


def checks_of_day(unit: Unit, caller: int, day: date | None) -> dict:
    unit.caller(caller)
    day = day or unit.today()
    done = unit.session.scalars(select(WindowCheck).where(WindowCheck.day == day)
                                .order_by(WindowCheck.window, WindowCheck.kind)).all()
    windows = sorted({p.code for p in unit.org.windows()} | {c.window for c in done})
    return {"day": day.isoformat(), "windows": [
        {"window": w, "checks": [check_view(c) for c in done if c.window == w],
         "missing": upkeep.missing_checks(c.kind for c in done if c.window == w)}
        for w in windows]}


def raise_unchecked_windows(unit: Unit, grace: timedelta) -> int:
    """After the close of a working day: each window open that day (someone acts for it)
    lacking a check raises window.unchecked once (S1.9)."""
    day = unit.today()
    if not upkeep.day_closed(day, unit.now, grace, unit.zone):
        return 0
    raised = 0
    alerted = set(unit.session.scalars(select(WindowAlert.window).where(WindowAlert.day == day)))
    for post in unit.org.windows():
        if post.acting is None or post.code in alerted:
            continue
        done = unit.session.scalars(select(WindowCheck.kind).where(
            WindowCheck.window == post.code, WindowCheck.day == day))
        missing = upkeep.missing_checks(done)
        if not missing:
            continue
        unit.session.add(WindowAlert(window=post.code, day=day, raised_at=unit.now))
        unit.publish(WindowUnchecked(
            window=post.code, department=post.department, day=day, missing=missing,
            notify=recipients(notified(post.acting, Capacity.WINDOW_HOLDER),
                              unit.org.leaders(post.department))))
        raised += 1
    return raised


# --- repairs: broken parts through the bureau office (S1.13) -------------------------------


def register_repair(unit: Unit, caller: int, data: dict) -> dict:
    body = parse(NewRepair, data)
    unit.caller(caller)
    if body.asset_id is not None and unit.session.get(Asset, body.asset_id) is None:
        raise Invalid(f"asset {body.asset_id} not found")
    return repair_view(_register(unit, caller, body.description, body.asset_id, body.window))


def advance_repair(unit: Unit, caller: int, repair_id: int, step: str) -> dict:
    """ordered and received: the bureau office; fitted: the bureau office or the fixed-asset
    administrator."""
    kinds = (PostKind.BUREAU_OFFICE, PostKind.FIXED_ASSET_ADMIN) if step == "fitted" \
        else (PostKind.BUREAU_OFFICE,)
    unit.require(caller, *kinds, rule=BUREAU_RULE)
    repair = unit.session.get(Repair, repair_id) if isinstance(repair_id, int) else None
    if repair is None:
        raise NotFound(f"repair {repair_id} not found")
    try:
        repair.status = upkeep.next_repair_status(repair.status, step)
    except upkeep.UpkeepRule as exc:
        raise Conflict(str(exc)) from None
    repair.updated_by, repair.updated_at = caller, unit.now
    _announce(unit, repair, caller)
    return repair_view(repair)


def repairs(unit: Unit, caller: int, query: dict) -> dict:
    unit.caller(caller)
    statement = select(Repair)
    if query.get("status"):
        statement = statement.where(Repair.status == str(query["status"]))
    limit = query.get("limit") or paging.DEFAULT_LIMIT
    rows = unit.session.scalars(paging.keyset(statement, [Repair.id], query.get("cursor"),
                                              limit)).all()
    items, cursor = paging.page(rows, limit, lambda r: [r.id])
    return {"items": [repair_view(r) for r in items], "next_cursor": cursor}


def repair_view(repair: Repair) -> dict:
    return {"id": repair.id, "description": repair.description, "asset_id": repair.asset_id,
            "window": repair.window, "status": repair.status,
            "registered_by": repair.registered_by,
            "registered_at": repair.registered_at.isoformat(),
            "updated_at": repair.updated_at.isoformat()}


def _register(unit: Unit, caller: int, description: str, asset_id: int | None,
              window: str | None) -> Repair:
    repair = Repair(description=description[:200], asset_id=asset_id, window=window,
                    status="registered", registered_by=caller, registered_at=unit.now,
                    updated_by=caller, updated_at=unit.now)
    unit.session.add(repair)
    unit.session.flush()
    _announce(unit, repair, caller)
    return repair


def _announce(unit: Unit, repair: Repair, by: int) -> None:
    """Who acts next: the bureau office until received, then the administrator fits it."""
    org = unit.org
    after = [notified(org.acting(PostKind.BUREAU_OFFICE), Capacity.BUREAU_OFFICE)]
    if repair.status in ("received", "fitted"):
        after.append(notified(org.acting(PostKind.FIXED_ASSET_ADMIN), Capacity.FIXED_ASSET_ADMIN))
    if repair.status == "fitted":
        after.append(notified(repair.registered_by, Capacity.CUSTODIAN))
    unit.publish(RepairStatusChanged(
        repair_id=repair.id, status=repair.status, description=repair.description,
        asset_id=repair.asset_id, window=repair.window, by_staff_id=by,
        notify=recipients(after), at=unit.now))


# --- daily supplies (S1.14) ---------------------------------------------------------------


def request_supply(unit: Unit, caller: int, data: dict) -> dict:
    body = parse(NewSupply, data)
    record = unit.caller(caller)
    if not record.get("department"):
        raise Invalid("supplies are requested for a department: yours is not known")
    request = SupplyRequest(department=record["department"], requester_id=caller,
                            item=body.item, quantity=body.quantity, status="requested",
                            requested_at=unit.now)
    unit.session.add(request)
    unit.session.flush()
    return supply_view(request)


def advance_supply(unit: Unit, caller: int, request_id: int, step: str) -> dict:
    unit.require(caller, PostKind.BUREAU_OFFICE, rule=BUREAU_RULE)
    request = unit.session.get(SupplyRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        raise NotFound(f"supply request {request_id} not found")
    if step not in upkeep.SUPPLY_STEPS:
        raise Invalid(f"a supply request is approved, rejected or collected, not {step}")
    try:
        request.status = upkeep.next_supply_status(request.status, step)
    except upkeep.UpkeepRule as exc:
        raise Conflict(str(exc)) from None
    if step == "collect":
        request.collected_at = unit.now
    else:
        request.decided_by, request.decided_at = caller, unit.now
    return supply_view(request)


def supply_view(request: SupplyRequest) -> dict:
    return {"id": request.id, "department": request.department,
            "requester_id": request.requester_id, "item": request.item,
            "quantity": request.quantity, "status": request.status,
            "requested_at": request.requested_at.isoformat(),
            "collected_at": request.collected_at.isoformat() if request.collected_at else None}


def monthly_report(unit: Unit, caller: int, data: dict) -> dict:
    """What each department collected in a month (S1.14): the bureau office and the hall's
    leaders read every department; anyone else their own."""
    query = parse(SupplyReportQuery, data)
    record = unit.caller(caller)
    department = query.department
    if not unit.org.acts_as(caller, PostKind.BUREAU_OFFICE, PostKind.HALL_DIRECTOR,
                            PostKind.HALL_DEPUTY_DIRECTOR):
        if department not in (None, record.get("department")):
            raise Forbidden("the supplies report of another department is for the bureau "
                            "office and the hall's leaders")
        department = record.get("department")
    year, month = (int(part) for part in query.month.split("-"))
    first = datetime(year, month, 1, tzinfo=unit.zone)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=unit.zone)
    statement = select(SupplyRequest.department, SupplyRequest.item, SupplyRequest.quantity) \
        .where(SupplyRequest.collected_at >= first, SupplyRequest.collected_at < after)
    if department:
        statement = statement.where(SupplyRequest.department == department)
    rows = upkeep.monthly_use(unit.session.execute(statement).tuples())
    return {"month": query.month, "department": department, "items": rows}

