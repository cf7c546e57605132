"""Sample payloads of the assets service's events (issue 13), for the catalogue tests."""

from datetime import UTC, date, datetime

from contracts.events import (
    AssetChanged,
    Capacity,
    CustodyHandedOver,
    CustodyHandoverRequested,
    HeldItem,
    Notified,
    Payload,
    RepairStatusChanged,
    RoomApprovalRequested,
    RoomBookingReferred,
    RoomFaultReported,
    SealNotReturned,
    WindowUnchecked,
)

AT = datetime(2026, 3, 2, 9, 45, tzinfo=UTC)
DAY = date(2026, 3, 2)
NOTIFY = [Notified(staff_id=3, capacity=Capacity.SECTION_CHIEF),
          Notified(staff_id=1, capacity=Capacity.HALL_DIRECTOR)]

ASSETS_SAMPLES: dict[type[Payload], Payload] = {
    AssetChanged: AssetChanged(
        asset_id=4, tag="W01-COMPUTER", kind="computer", location="W01", custodian_id=21,
        value_cents=520_000, reason="", on_day=DAY, by_staff_id=30, at=AT),
    CustodyHandoverRequested: CustodyHandoverRequested(
        staff_id=21, reason="transfer", department="marketing",
        items=[HeldItem(item="seal", item_id=1, label="营销部业务专用章", task_id=9,
                        to_staff_id=3)],
        notify=[Notified(staff_id=3, capacity=Capacity.SUCCESSOR), *NOTIFY[1:]], at=AT),
    CustodyHandedOver: CustodyHandedOver(
        task_id=9, item="seal", item_id=1, label="营销部业务专用章", from_staff_id=21,
        to_staff_id=3, at=AT),
    SealNotReturned: SealNotReturned(
        seal_id=1, department="marketing", custodian_id=21, taken_out_by=22, taken_out_at=AT,
        due_at=AT, notify=[Notified(staff_id=21, capacity=Capacity.CUSTODIAN), *NOTIFY]),
    WindowUnchecked: WindowUnchecked(
        window="W01", department="marketing", day=DAY, missing=["check_out"],
        notify=[Notified(staff_id=21, capacity=Capacity.WINDOW_HOLDER), *NOTIFY]),
    RepairStatusChanged: RepairStatusChanged(
        repair_id=2, status="registered", description="打印机卡纸", asset_id=5, window="W01",
        by_staff_id=21, notify=[Notified(staff_id=40, capacity=Capacity.BUREAU_OFFICE)], at=AT),
    RoomBookingReferred: RoomBookingReferred(
        booking_id=3, room="hall_95598", title="全员培训", attendees=40, company_wide=True,
        starts_at=AT, ends_at=AT, booked_by=12, reason="company-wide training (S2.3)"),
    RoomApprovalRequested: RoomApprovalRequested(
        booking_id=4, room="hall_95598", title="联欢", starts_at=AT, ends_at=AT, booked_by=12,
        notify=[Notified(staff_id=5, capacity=Capacity.SUPERVISING_LEADER)]),
    RoomFaultReported: RoomFaultReported(
        fault_id=1, room="expansion_hall", asset_id=30, description="电视无信号",
        reported_by=12, notify=[Notified(staff_id=31, capacity=Capacity.TRAINER)], at=AT),
}
ASSETS_BAD_ENUM: dict[type[Payload], tuple[str, object]] = {
    AssetChanged: ("value_cents", -1),
    CustodyHandoverRequested: ("reason", "holiday"),
    CustodyHandedOver: ("item", "car"),
    SealNotReturned: ("department", "d" * 65),
    WindowUnchecked: ("window", "w" * 41),
    RepairStatusChanged: ("status", "lost"),
    RoomBookingReferred: ("attendees", 0),
    RoomApprovalRequested: ("room", "r" * 41),
    RoomFaultReported: ("charge_cents", -5),
}
