"""The assets service's storage: fixed assets and their history, seals, keys, custody
handovers, window checks, repairs, supplies, training rooms. Staff are ids only: the
organisation is staffing's (svckit/staff_cache.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svckit.tables import UtcDateTime, add_platform_tables


class Base(DeclarativeBase):
    pass


class Asset(Base):
    """A fixed asset of the hall (S1.13): where it is, who keeps it, what it cost."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100))
    location_kind: Mapped[str] = mapped_column(String(10))  # window, room, office
    location: Mapped[str] = mapped_column(String(40), index=True)
    custodian_id: Mapped[int | None] = mapped_column(index=True)
    acquired_on: Mapped[date] = mapped_column(Date)
    value_cents: Mapped[int] = mapped_column(BigInteger)
    disposed_on: Mapped[date | None] = mapped_column(Date)
    disposal_reason: Mapped[str | None] = mapped_column(String(200))


class AssetChange(Base):
    """One change of an asset (added, moved, disposed): its history, never rewritten."""

    __tablename__ = "asset_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    change: Mapped[str] = mapped_column(String(10))
    on_day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by_id: Mapped[int]
    from_location: Mapped[str | None] = mapped_column(String(40))
    to_location: Mapped[str | None] = mapped_column(String(40))
    from_custodian: Mapped[int | None]
    to_custodian: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(200))


class Seal(Base):
    """A department's seal (S1.11) and its named custodian; ``out_movement_id`` while out."""

    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    custodian_id: Mapped[int | None] = mapped_column(index=True)
    out_movement_id: Mapped[int | None]


class SealMovement(Base):
    """The seal log: taken out of its department, or returned (S1.11)."""

    __tablename__ = "seal_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"), index=True)
    action: Mapped[str] = mapped_column(String(5))  # out, back
    by_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    purpose: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # for "out"
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # seal.not_returned
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # back in its department


class HallKey(Base):
    """A key of the hall (S1.12): main-door remote, automatic door, finance room."""

    __tablename__ = "hall_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    holder_id: Mapped[int | None] = mapped_column(index=True)


class KeyHandover(Base):
    """A key handed from one person to another, both recorded (S1.12)."""

    __tablename__ = "key_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("hall_keys.id"), index=True)
    from_id: Mapped[int | None]
    to_id: Mapped[int]
    recorded_by: Mapped[int]
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")


class HandoverTask(Base):
    """An item in a mover's custody to be handed over (S1.13, S1.19); the receiver confirms."""

    __tablename__ = "handover_tasks"
    __table_args__ = (Index("ix_handover_open", "state", "to_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mover_id: Mapped[int] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(10))  # transfer, departure, leave
    department: Mapped[str | None] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(5))  # asset, seal, key
    item_id: Mapped[int]
    label: Mapped[str] = mapped_column(String(140))
    to_id: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(10))  # open, confirmed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WindowCheck(Base):
    """A window's equipment check before work (check_in) or after it (check_out), S1.9."""

    __tablename__ = "window_checks"
    __table_args__ = (UniqueConstraint("window", "day", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    window: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    equipment_ok: Mapped[bool]
    locked_and_off: Mapped[bool | None]
    fault: Mapped[str | None] = mapped_column(String(200))
    repair_id: Mapped[int | None]


class WindowAlert(Base):
    """A ``window.unchecked`` raised for a window and day: once (S1.9)."""

    __tablename__ = "window_alerts"
    __table_args__ = (UniqueConstraint("window", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    window: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Repair(Base):
    """A broken part registered with the bureau office, which orders it (S1.13)."""

    __tablename__ = "repairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    window: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), index=True)
    registered_by: Mapped[int]
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SupplyRequest(Base):
    """Daily supplies asked of the bureau office: requested, approved, collected (S1.14)."""

    __tablename__ = "supply_requests"
    __table_args__ = (Index("ix_supply_department_collected", "department", "collected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(64))
    requester_id: Mapped[int]
    item: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None]
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Room(Base):
    """A training room (S2.1-3)."""

    __tablename__ = "rooms"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class RoomBooking(Base):
    """A booking of a training room. Those holding the room (``confirmed``, ``pending``
    approval) never overlap: an exclusion constraint on PostgreSQL, triggers on SQLite
    (migration 0001)."""

    __tablename__ = "room_bookings"
    __table_args__ = (Index("ix_booking_room_time", "room", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room: Mapped[str] = mapped_column(ForeignKey("rooms.code"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    purpose: Mapped[str] = mapped_column(String(10))  # training, meeting, other
    title: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int]
    company_wide: Mapped[bool]
    state: Mapped[str] = mapped_column(String(10))  # confirmed, pending, referred, rejected
    reason: Mapped[str] = mapped_column(String(200), default="")
    booked_by: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None]


class RoomFault(Base):
    """A fault of a room's multimedia equipment (S2.5), and the charge for misuse, if any."""

    __tablename__ = "room_faults"

    id: Mapped[int] = mapped_column(primary_key=True)
    room: Mapped[str] = mapped_column(ForeignKey("rooms.code"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    description: Mapped[str] = mapped_column(String(500))
    reported_by: Mapped[int]
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    charged_staff_id: Mapped[int | None]
    charged_department: Mapped[str | None] = mapped_column(String(64))
    charge_cents: Mapped[int | None] = mapped_column(BigInteger)
    charged_by: Mapped[int | None]


add_platform_tables(Base.metadata)
