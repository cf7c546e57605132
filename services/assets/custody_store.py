"""Custody in storage: seals (S1.11), keys (S1.12), and the handover of what a moving person
holds (S1.13, S1.19). The rules are in ``custody``; this applies them to the tables."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from contracts.events import (
    Capacity,
    CustodyHandedOver,
    CustodyHandoverRequested,
    HeldItem,
    PostKind,
    SealNotReturned,
)
from services.assets import custody, register_store
from services.assets.models import Asset, HallKey, HandoverTask, KeyHandover, Seal, SealMovement
from services.assets.org_view import notified, recipients
from services.assets.refusals import Conflict, Forbidden, Invalid, NotFound
from services.assets.schemas import KeyGiven, SealOut, parse
from services.assets.unit import Unit
from svckit import paging

# --- seals (S1.11) ------------------------------------------------------------------------


def seal_view(unit: Unit, seal: Seal) -> dict:
    out = unit.session.get(SealMovement, seal.out_movement_id) if seal.out_movement_id else None
    return {
        "id": seal.id, "department": seal.department, "name": seal.name,
        "custodian_id": seal.custodian_id, "out": out is not None,
        "out_since": out.at.isoformat() if out else None, "out_by": out.by_id if out else None,
        "due_back_at": out.due_at.isoformat() if out and out.due_at else None,
        "alert_open": bool(out and out.alerted_at),
    }


def seals(unit: Unit, caller: int) -> dict:
    unit.caller(caller)
    return {"items": [seal_view(unit, s) for s in
                      unit.session.scalars(select(Seal).order_by(Seal.department))]}


def take_out(unit: Unit, caller: int, seal_id: int, data: dict) -> dict:
    body = parse(SealOut, data)
    seal = _seal_for(unit, caller, seal_id)
    if seal.out_movement_id is not None:
        raise Conflict(f"the {seal.department} seal is out already")
    movement = SealMovement(seal_id=seal.id, action="out", by_id=caller, at=unit.now,
                            purpose=body.purpose, due_at=custody.seal_due(unit.now, unit.zone))
    unit.session.add(movement)
    unit.session.flush()
    seal.out_movement_id = movement.id
    return seal_view(unit, seal)


def bring_back(unit: Unit, caller: int, seal_id: int) -> dict:
    seal = _seal_for(unit, caller, seal_id)
    out = unit.session.get(SealMovement, seal.out_movement_id) if seal.out_movement_id else None
    if out is None:
        raise Conflict(f"the {seal.department} seal is in its department")
    out.closed_at = unit.now  # an open seal.not_returned ends here
    unit.session.add(SealMovement(seal_id=seal.id, action="back", by_id=caller, at=unit.now))
    seal.out_movement_id = None
    return {**seal_view(unit, seal), "returned_at": unit.now.isoformat(),
            "was_overdue": out.alerted_at is not None}


def seal_log(unit: Unit, caller: int, seal_id: int) -> dict:
    unit.caller(caller)
    seal = _get(unit, Seal, seal_id, "seal")
    moves = unit.session.scalars(select(SealMovement).where(SealMovement.seal_id == seal.id)
                                 .order_by(SealMovement.id))
    return {**seal_view(unit, seal), "log": [
        {"action": m.action, "by": m.by_id, "at": m.at.isoformat(), "purpose": m.purpose}
        for m in moves]}


def raise_overdue_seals(unit: Unit) -> int:
    """seal.not_returned, once per taking-out, for every seal past its due time (S1.11): to
    the custodian, the department's section chief and the hall director."""
    late = unit.session.execute(
        select(SealMovement, Seal).join(Seal, Seal.out_movement_id == SealMovement.id)
        .where(SealMovement.due_at <= unit.now, SealMovement.alerted_at.is_(None))).all()
    raised = 0
    for movement, seal in late:
        claimed = unit.session.execute(  # two replicas sweeping at once: one raises it
            update(SealMovement).where(SealMovement.id == movement.id,
                                       SealMovement.alerted_at.is_(None))
            .values(alerted_at=unit.now)).rowcount
        if not claimed:
            continue
        raised += 1
        unit.publish(SealNotReturned(
            seal_id=seal.id, department=seal.department, custodian_id=seal.custodian_id,
            taken_out_by=movement.by_id, taken_out_at=movement.at, due_at=movement.due_at,
            notify=recipients(notified(seal.custodian_id, Capacity.CUSTODIAN),
                              unit.org.leaders(seal.department))))
    return raised


def _seal_for(unit: Unit, caller: int, seal_id: int) -> Seal:
    """The seal, if the caller may take it out or return it: its custodian or a member of its
    department (the seal's log names who)."""
    record = unit.caller(caller)
    seal = _get(unit, Seal, seal_id, "seal")
    if caller != seal.custodian_id and record.get("department") != seal.department:
        raise Forbidden(f"the {seal.department} seal is used by its custodian and that "
                        "department's staff (S1.11)")
    return seal


# --- keys (S1.12) -------------------------------------------------------------------------


def key_view(key: HallKey) -> dict:
    return {"id": key.id, "tag": key.tag, "kind": key.kind, "name": key.name,
            "holder_id": key.holder_id}


def keys(unit: Unit, caller: int) -> dict:
    unit.caller(caller)
    return {"items": [key_view(k) for k in unit.session.scalars(select(HallKey)
                                                               .order_by(HallKey.tag))]}


def hand_key(unit: Unit, caller: int, key_id: int, data: dict) -> dict:
    """The holder hands the key to someone (S1.12); both are recorded."""
    body = parse(KeyGiven, data)
    unit.caller(caller)
    key = _get(unit, HallKey, key_id, "key")
    if key.holder_id != caller:
        raise Forbidden(f"only the key's holder (staff {key.holder_id}) hands it over (S1.12)")
    if body.to_staff_id == caller:
        raise Invalid("the key is yours already")
    receiver = unit.member(body.to_staff_id)
    others = _door_keys_with_others(unit) - {caller}
    try:
        custody.check_key_receiver(key.kind, caller, body.to_staff_id,
                                   receiver.get("department"), unit.org, others)
    except custody.CustodyRule as exc:
        raise Invalid(str(exc)) from None
    _give_key(unit, key, body.to_staff_id, caller, body.note)
    return key_view(key)


def key_log(unit: Unit, caller: int, key_id: int) -> dict:
    unit.caller(caller)
    key = _get(unit, HallKey, key_id, "key")
    moves = unit.session.scalars(select(KeyHandover).where(KeyHandover.key_id == key.id)
                                 .order_by(KeyHandover.id))
    return {**key_view(key), "handovers": [
        {"from": m.from_id, "to": m.to_id, "recorded_by": m.recorded_by,
         "at": m.at.isoformat(), "note": m.note} for m in moves]}


def _give_key(unit: Unit, key: HallKey, to: int, by: int, note: str) -> None:
    unit.session.add(KeyHandover(key_id=key.id, from_id=key.holder_id, to_id=to,
                                 recorded_by=by, at=unit.now, note=note))
    key.holder_id = to


def _door_keys_with_others(unit: Unit) -> set[int]:
    """Holders of door keys who are not the hall's director or deputy (A or B)."""
    holders = unit.session.scalars(select(HallKey.holder_id).where(
        HallKey.kind.in_(custody.DOOR_KEYS), HallKey.holder_id.is_not(None)))
    return {h for h in holders if not any(unit.org.holds(h, k) for k in custody.HALL_LEADERS)}


# --- handover when people move (S1.13, S1.19) ----------------------------------------------


def held_by(unit: Unit, staff_id: int) -> list[custody.Held]:
    session = unit.session
    found = [custody.Held("asset", a.id, f"{a.tag} {a.name}", a.location, a.location_kind)
             for a in session.scalars(select(Asset).where(
                 Asset.custodian_id == staff_id, Asset.disposed_on.is_(None)).order_by(Asset.id))]
    found += [custody.Held("seal", s.id, s.name, s.department)
              for s in session.scalars(select(Seal).where(Seal.custodian_id == staff_id))]
    found += [custody.Held("key", k.id, f"{k.tag} {k.name}", None, k.kind)
              for k in session.scalars(select(HallKey).where(HallKey.holder_id == staff_id))]
    return found


def request_handover(unit: Unit, mover: int, reason: str, department: str | None) -> list[int]:
    """Open a task for each thing ``mover`` holds (none twice) and alert the receivers, the
    section chief, the hall director and the fixed-asset administrator, naming each item."""
    open_items = set(unit.session.execute(select(HandoverTask.item, HandoverTask.item_id).where(
        HandoverTask.mover_id == mover, HandoverTask.state == "open")).tuples())
    held = [h for h in custody.to_hand_over(held_by(unit, mover), reason)
            if (h.item, h.item_id) not in open_items]
    if not held:
        return []
    org, items = unit.org, []
    for thing in held:
        task = HandoverTask(mover_id=mover, reason=reason, department=department, item=thing.item,
                            item_id=thing.item_id, label=thing.label[:140],
                            to_id=custody.successor(thing, mover, org), state="open",
                            created_at=unit.now)
        unit.session.add(task)
        unit.session.flush()
        items.append(HeldItem(item=task.item, item_id=task.item_id, label=task.label,
                              task_id=task.id, to_staff_id=task.to_id))
    notify = recipients(
        [notified(i.to_staff_id, Capacity.SUCCESSOR) for i in items if i.to_staff_id],
        org.leaders(department),
        notified(org.acting(PostKind.FIXED_ASSET_ADMIN), Capacity.FIXED_ASSET_ADMIN))
    unit.publish(CustodyHandoverRequested(staff_id=mover, reason=reason, department=department,
                                          items=items, notify=notify, at=unit.now))
    return [i.task_id for i in items]


def confirm(unit: Unit, caller: int, task_id: int) -> dict:
    """The one who receives confirms (S1.13); with no successor found, the administrator."""
    unit.caller(caller)
    task = _get(unit, HandoverTask, task_id, "handover task")
    receiver = task.to_id or unit.org.acting(PostKind.FIXED_ASSET_ADMIN)
    if caller != receiver:
        raise Forbidden(f"the handover is confirmed by the one who receives it (staff "
                        f"{receiver}), S1.13")
    if task.state != "open":
        raise Conflict(f"handover task {task.id} is {task.state} already")
    if task.item == "asset":
        register_store.set_custodian(unit, register_store.get(unit, task.item_id), caller,
                                     caller, f"handover from staff {task.mover_id}")
    elif task.item == "seal":
        _get(unit, Seal, task.item_id, "seal").custodian_id = caller
    else:
        _give_key(unit, _get(unit, HallKey, task.item_id, "key"), caller, caller,
                  f"handover from staff {task.mover_id} ({task.reason})")
    task.state, task.to_id, task.confirmed_at = "confirmed", caller, unit.now
    unit.publish(CustodyHandedOver(task_id=task.id, item=task.item, item_id=task.item_id,
                                   label=task.label, from_staff_id=task.mover_id,
                                   to_staff_id=caller, at=unit.now))
    return task_view(task)


def task_view(task: HandoverTask) -> dict:
    return {"id": task.id, "mover_id": task.mover_id, "reason": task.reason,
            "department": task.department, "item": task.item, "item_id": task.item_id,
            "label": task.label, "to_staff_id": task.to_id, "state": task.state,
            "created_at": task.created_at.isoformat(),
            "confirmed_at": task.confirmed_at.isoformat() if task.confirmed_at else None}


def tasks(unit: Unit, caller: int, query: dict) -> dict:
    """Handover tasks the caller may see: their own (moving or receiving); a section chief's
    department's; all for the hall's leaders and the fixed-asset administrator (S1.13)."""
    unit.caller(caller)
    org = unit.org
    statement = select(HandoverTask)
    if query.get("state") in ("open", "confirmed"):
        statement = statement.where(HandoverTask.state == query["state"])
    if not org.acts_as(caller, PostKind.HALL_DIRECTOR, PostKind.HALL_DEPUTY_DIRECTOR,
                       PostKind.FIXED_ASSET_ADMIN):
        chief_of = [p.department for p in org.posts
                    if p.kind == PostKind.SECTION_CHIEF.value and p.acting == caller]
        statement = statement.where(or_(HandoverTask.mover_id == caller,
                                        HandoverTask.to_id == caller,
                                        HandoverTask.department.in_(chief_of)))
    limit = query.get("limit") or paging.DEFAULT_LIMIT
    rows = unit.session.scalars(paging.keyset(statement, [HandoverTask.id], query.get("cursor"),
                                              limit)).all()
    items, cursor = paging.page(rows, limit, lambda t: [t.id])
    return {"items": [task_view(t) for t in items], "next_cursor": cursor}


def custody_of(unit: Unit, caller: int, staff_id: int) -> dict:
    """What a person holds now, and their open handovers (a leave's approver checks it)."""
    unit.caller(caller)
    open_tasks = unit.session.scalars(select(HandoverTask).where(
        HandoverTask.mover_id == staff_id, HandoverTask.state == "open")
        .order_by(HandoverTask.id))
    return {"staff_id": staff_id,
            "holds": [{"item": h.item, "item_id": h.item_id, "label": h.label}
                      for h in held_by(unit, staff_id)],
            "open_handovers": [task_view(t) for t in open_tasks]}


def _get(unit: Unit, model, row_id: int, what: str):
    found = unit.session.get(model, row_id) if isinstance(row_id, int) else None
    if found is None:
        raise NotFound(f"{what} {row_id} not found")
    return found
