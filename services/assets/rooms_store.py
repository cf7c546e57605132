"""Training rooms in storage (S2): bookings, the supervising leader's approvals, equipment
faults and charges for misuse. The rules are in ``rooms``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from contracts.events import (
    Capacity,
    PostKind,
    RoomApprovalRequested,
    RoomBookingReferred,
    RoomFaultReported,
)
from services.assets import rooms
from services.assets.models import Asset, Room, RoomBooking, RoomFault
from services.assets.org_view import notified, recipients
from services.assets.refusals import Conflict, Invalid, NotFound
from services.assets.schemas import BookingQuery, Charge, NewBooking, NewFault, parse
from services.assets.unit import Unit


def room_list(unit: Unit, caller: int) -> dict:
    unit.caller(caller)
    found = unit.session.scalars(select(Room).order_by(Room.code)).all()
    equipment = unit.session.scalars(select(Asset).where(
        Asset.location_kind == "room", Asset.disposed_on.is_(None)).order_by(Asset.id)).all()
    return {"items": [{"code": r.code, "name": r.name, "equipment": [
        {"id": a.id, "tag": a.tag, "kind": a.kind, "name": a.name, "custodian_id": a.custodian_id}
        for a in equipment if a.location == r.code]} for r in found]}


def book(unit: Unit, caller: int, room_code: str, data: dict) -> dict:
    """Confirmed, pending the supervising leader (S2.4), or referred to the general office
    (S2.3). Two bookings racing for one slot: the database lets one through (Conflict)."""
    body = parse(NewBooking, data)
    unit.caller(caller)
    room = _room(unit, room_code)
    try:
        rooms.check_times(body.starts_at, body.ends_at, unit.now)
        verdict = rooms.decide(body.purpose, body.attendees, body.company_wide)
    except rooms.BookingRule as exc:
        raise Invalid(str(exc)) from None
    booking = RoomBooking(room=room.code, starts_at=body.starts_at, ends_at=body.ends_at,
                          purpose=body.purpose, title=body.title, attendees=body.attendees,
                          company_wide=body.company_wide, state=verdict.state,
                          reason=verdict.reason, booked_by=caller, created_at=unit.now)
    if verdict.state in rooms.HOLDING:
        _check_free(unit, booking)
    unit.session.add(booking)
    unit.session.flush()  # the database's guarantee: IntegrityError (service.py: Conflict)
    if verdict.state == "referred":
        unit.publish(RoomBookingReferred(
            booking_id=booking.id, room=room.code, title=booking.title,
            attendees=booking.attendees, company_wide=booking.company_wide,
            starts_at=booking.starts_at, ends_at=booking.ends_at, booked_by=caller,
            reason=verdict.reason))
    elif verdict.state == "pending":
        leader = unit.org.acting(PostKind.SUPERVISING_LEADER)
        unit.publish(RoomApprovalRequested(
            booking_id=booking.id, room=room.code, title=booking.title,
            starts_at=booking.starts_at, ends_at=booking.ends_at, booked_by=caller,
            notify=recipients(notified(leader, Capacity.SUPERVISING_LEADER))))
    return booking_view(booking)


def decide(unit: Unit, caller: int, booking_id: int, approve: bool) -> dict:
    """The supervising leader approves or rejects a use other than training or meetings."""
    unit.require(caller, PostKind.SUPERVISING_LEADER,
                 rule="S2.4: other uses of the training rooms")
    booking = unit.session.get(RoomBooking, booking_id) if isinstance(booking_id, int) else None
    if booking is None:
        raise NotFound(f"booking {booking_id} not found")
    if booking.state != "pending":
        raise Conflict(f"booking {booking.id} is {booking.state}, not waiting for approval")
    booking.state, booking.decided_by = ("confirmed" if approve else "rejected"), caller
    return booking_view(booking)


def bookings(unit: Unit, caller: int, room_code: str, data: dict) -> dict:
    """A room's bookings of a day (today by default), in order."""
    query = parse(BookingQuery, data)
    unit.caller(caller)
    room = _room(unit, room_code)
    day = query.day or unit.today()
    first = datetime.combine(day, time(0), tzinfo=unit.zone)
    found = unit.session.scalars(select(RoomBooking).where(
        RoomBooking.room == room.code, RoomBooking.starts_at < first + timedelta(days=1),
        RoomBooking.ends_at > first).order_by(RoomBooking.starts_at, RoomBooking.id))
    return {"room": room.code, "day": day.isoformat(), "items": [booking_view(b) for b in found]}


def booking_view(booking: RoomBooking) -> dict:
    return {"id": booking.id, "room": booking.room, "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(), "purpose": booking.purpose,
            "title": booking.title, "attendees": booking.attendees,
            "company_wide": booking.company_wide, "state": booking.state,
            "reason": booking.reason, "booked_by": booking.booked_by,
            "decided_by": booking.decided_by}


def report_fault(unit: Unit, caller: int, room_code: str, data: dict) -> dict:
    """A fault of the room's equipment, reported at once to the trainer who keeps it (S2.5)."""
    body = parse(NewFault, data)
    unit.caller(caller)
    room = _room(unit, room_code)
    if body.asset_id is not None:
        asset = unit.session.get(Asset, body.asset_id)
        if asset is None or asset.location != room.code:
            raise Invalid(f"asset {body.asset_id} is not equipment of room {room.code}")
    fault = RoomFault(room=room.code, asset_id=body.asset_id, description=body.description,
                      reported_by=caller, reported_at=unit.now)
    unit.session.add(fault)
    unit.session.flush()
    _announce(unit, fault, "room.fault_reported")
    return fault_view(fault)


def charge(unit: Unit, caller: int, fault_id: int, data: dict) -> dict:
    """The trainer charges damage from misuse at cost to the person and department (S2.5)."""
    body = parse(Charge, data)
    unit.require(caller, PostKind.TRAINER, rule="S2.5: the trainer keeps the rooms' equipment")
    fault = unit.session.get(RoomFault, fault_id) if isinstance(fault_id, int) else None
    if fault is None:
        raise NotFound(f"fault {fault_id} not found")
    if fault.charged_by is not None:
        raise Conflict(f"fault {fault.id} is charged already")
    person = unit.staff_of(body.staff_id)
    if person is None:
        raise Invalid(f"staff member {body.staff_id} not found")
    fault.charged_staff_id, fault.charged_department = body.staff_id, body.department
    fault.charge_cents, fault.charged_by = body.charge_cents, caller
    _announce(unit, fault, "room.damage_charged")
    return fault_view(fault)


def fault_view(fault: RoomFault) -> dict:
    return {"id": fault.id, "room": fault.room, "asset_id": fault.asset_id,
            "description": fault.description, "reported_by": fault.reported_by,
            "reported_at": fault.reported_at.isoformat(),
            "charged_staff_id": fault.charged_staff_id,
            "charged_department": fault.charged_department, "charge_cents": fault.charge_cents}


def _announce(unit: Unit, fault: RoomFault, event_type: str) -> None:
    trainer = notified(unit.org.acting(PostKind.TRAINER), Capacity.TRAINER)
    charged = notified(fault.charged_staff_id, Capacity.CUSTODIAN)
    unit.publish(RoomFaultReported(
        fault_id=fault.id, room=fault.room, asset_id=fault.asset_id,
        description=fault.description, reported_by=fault.reported_by,
        charged_staff_id=fault.charged_staff_id, charged_department=fault.charged_department,
        charge_cents=fault.charge_cents, notify=recipients(trainer, charged), at=unit.now),
        event_type)


def _room(unit: Unit, code: str) -> Room:
    room = unit.session.get(Room, code) if isinstance(code, str) else None
    if room is None:
        raise NotFound(f"room {code} not found")
    return room


def _check_free(unit: Unit, booking: RoomBooking) -> None:
    """A readable refusal before the database's guarantee (which also catches a race)."""
    clash = unit.session.scalar(select(RoomBooking.id).where(
        RoomBooking.room == booking.room, RoomBooking.state.in_(rooms.HOLDING),
        RoomBooking.starts_at < booking.ends_at, RoomBooking.ends_at > booking.starts_at))
    if clash is not None:
        raise Conflict(f"room {booking.room} is booked at that time already (booking {clash}, S2)")
