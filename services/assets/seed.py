"""The demo hall's assets for a first run (issue 13): assets at each window, the finance room's
safe and note counter, the three departments' seals, the hall's keys, both training rooms with
their multimedia equipment.

Custodians are staff ids, which staffing assigns: the caller passes ``people`` (username → id),
read by the operator's seeding script through staffing's own seed module; the assets service
never reads staffing's tables.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from services.assets.models import Asset, AssetChange, HallKey, Room, Seal
from svckit.clock import wall_now
from svckit.db import ServiceStore

ROOMS = [("expansion_hall", "业扩大厅会议室"), ("hall_95598", "95598大厅会议室")]
# window, the window's keeper (its A holder in staffing's demo organisation)
WINDOWS = [("W01", "win01"), ("W02", "win02"), ("W03", "win03"), ("W04", "win05")]
WINDOW_KIT = [  # kind, name, value in cents
    ("computer", "台式电脑", 520_000), ("printer", "激光打印机", 180_000),
    ("desk", "窗口柜台", 260_000), ("chair", "办公椅", 45_000), ("cabinet", "文件柜", 98_000),
]
# tag, kind, name, location kind, location, keeper, acquired, value in cents
OTHER_ASSETS = [
    ("HALL-COPIER-1", "copier", "复印机", "office", "hall_office", "assets01",
     date(2021, 4, 1), 1_250_000),
    ("HALL-CARPET-1", "carpet", "大厅地毯", "office", "hall", "assets01", date(2019, 9, 1),
     320_000),
    ("FIN-SAFE-1", "safe", "财务室保险箱", "office", "finance_room", "win05", date(2018, 3, 1),
     680_000),
    ("FIN-COUNTER-1", "note_counter", "验钞机", "office", "finance_room", "win05",
     date(2022, 6, 1), 160_000),
    *[(f"{code.upper()}-{kind.upper()}-1", "multimedia", name, "room", code, "trainer01",
       date(2020, 8, 1), value)
      for code, _ in ROOMS
      for kind, name, value in (("pc", "多媒体计算机", 650_000), ("tv", "电视", 420_000),
                                ("kit", "辅助器材(投影、音响)", 230_000))],
]
SEALS = [("marketing", "营销部业务专用章", "win01"), ("metering", "计量室业务专用章", "win03"),
         ("finance", "财务部收费专用章", "win05")]
KEYS = [  # tag, kind, name, holder (S1.12)
    ("MAIN-REMOTE-1", "main_door_remote", "大厅正门遥控器", "director01"),
    ("MAIN-REMOTE-2", "main_door_remote", "大厅正门遥控器(备)", "deputy01"),
    ("AUTO-DOOR-1", "auto_door", "自动门钥匙", "director01"),
    ("AUTO-DOOR-2", "auto_door", "自动门钥匙(备)", "deputy01"),
    ("FIN-ROOM-1", "finance_room", "财务室钥匙", "win06"),
]
ACQUIRED = date(2020, 1, 6)
ADMIN = "assets01"


def demo_assets() -> list[tuple]:
    rows = [(f"{window}-{kind.upper()}", kind, f"{window} {name}", "window", window, keeper,
             ACQUIRED, value)
            for window, keeper in WINDOWS for kind, name, value in WINDOW_KIT]
    return rows + OTHER_ASSETS


def seed_demo(store: ServiceStore, people: dict[str, int]) -> bool:
    """Insert the demo hall unless rooms exist; True when it seeded. ``people``: username →
    staff id (a name missing: nobody keeps that item yet)."""
    now = wall_now()
    with store.transaction() as session:
        if session.scalar(select(func.count()).select_from(Room)):
            return False
        session.add_all(Room(code=code, name=name) for code, name in ROOMS)
        session.add_all(Seal(department=d, name=n, custodian_id=people.get(k)) for d, n, k in SEALS)
        session.add_all(HallKey(tag=t, kind=k, name=n, holder_id=people.get(h))
                        for t, k, n, h in KEYS)
        session.flush()
        for tag, kind, name, where_kind, where, keeper, acquired, value in demo_assets():
            asset = Asset(tag=tag, kind=kind, name=name, location_kind=where_kind,
                          location=where, custodian_id=people.get(keeper),
                          acquired_on=acquired, value_cents=value)
            session.add(asset)
            session.flush()
            session.add(AssetChange(asset_id=asset.id, change="added", on_day=acquired, at=now,
                                    by_id=people.get(ADMIN, 0), to_location=where,
                                    to_custodian=asset.custodian_id, reason="demo register"))
    return True
