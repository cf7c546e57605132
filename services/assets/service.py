"""The assets service (issue 13): the hall's fixed assets, seals, keys, window equipment,
repairs, supplies and training rooms (S1.9, S1.11-14, S2). A thin nameko class: the rules
live in ``ledger``, ``custody``, ``upkeep`` and ``rooms``, storage in the ``*_store`` modules.
``caller`` is the authenticated staff id the gateway passes; refusals become 4xx there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from nameko.dependency_providers import Config
from nameko.web.handlers import http
from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError

from contracts.events import Envelope, LeaveApproved, StaffLeft, StaffTransferred
from services.assets import custody_store, figures, register_store, rooms_store, upkeep_store
from services.assets.models import Base
from services.assets.org_view import Org
from services.assets.refusals import REFUSALS, Conflict
from services.assets.schemas import CheckQuery, parse
from services.assets.unit import Unit
from svckit import workdays
from svckit.clock import Clock, ClockNotSettable, configured_timer
from svckit.db import Database
from svckit.events import reliable_event_handler
from svckit.inbox import first_delivery
from svckit.metrics import metrics_response
from svckit.rpc import RpcProxy, rpc
from svckit.service import ObservedService
from svckit.staff_cache import StaffCacheProvider

ALERTS_RAISED = Counter("csc_assets_alerts_total", "Assets alerts raised, by type.", ["type"])
HANDOVER_TASKS = Counter("csc_custody_handover_tasks_total",
                         "Custody handover tasks opened, by reason.", ["reason"])


class AssetsService(ObservedService):
    name = "assets"

    config = Config()
    db = Database(Base.metadata)
    clock = Clock()
    directory = StaffCacheProvider("ORG")
    staffing = RpcProxy("staffing")

    # --- fixed assets (S1.13) ------------------------------------------------------------

    @rpc(expected_exceptions=REFUSALS)
    def list_assets(self, caller: int, query: dict) -> dict:
        with self._unit() as unit:
            return register_store.listing(unit, caller, query)

    @rpc(expected_exceptions=REFUSALS)
    def get_asset(self, caller: int, asset_id: int) -> dict:
        with self._unit() as unit:
            return register_store.details(unit, caller, asset_id)

    @rpc(expected_exceptions=REFUSALS)
    def add_asset(self, caller: int, data: dict) -> dict:
        with self._unit() as unit:
            return register_store.add(unit, caller, data)

    @rpc(expected_exceptions=REFUSALS)
    def move_asset(self, caller: int, asset_id: int, data: dict) -> dict:
        with self._unit() as unit:
            return register_store.move(unit, caller, asset_id, data)

    @rpc(expected_exceptions=REFUSALS)
    def dispose_asset(self, caller: int, asset_id: int, data: dict) -> dict:
        with self._unit() as unit:
            return register_store.dispose(unit, caller, asset_id, data)

    @rpc(expected_exceptions=REFUSALS)
    def sub_ledger(self, caller: int, query: dict) -> dict:
        with self._unit() as unit:
            return register_store.sub_ledger(unit, caller, query)

    # --- custody: seals (S1.11), keys (S1.12), handovers (S1.13, S1.19) -------------------

    @rpc(expected_exceptions=REFUSALS)
    def seals(self, caller: int) -> dict:
        with self._unit() as unit:
            return custody_store.seals(unit, caller)

    @rpc(expected_exceptions=REFUSALS)
    def seal_log(self, caller: int, seal_id: int) -> dict:
        with self._unit() as unit:
            return custody_store.seal_log(unit, caller, seal_id)

    @rpc(expected_exceptions=REFUSALS)
    def take_out_seal(self, caller: int, seal_id: int, data: dict) -> dict:
        with self._unit() as unit:
            return custody_store.take_out(unit, caller, seal_id, data)

    @rpc(expected_exceptions=REFUSALS)
    def return_seal(self, caller: int, seal_id: int) -> dict:
        with self._unit() as unit:
            return custody_store.bring_back(unit, caller, seal_id)

    @rpc(expected_exceptions=REFUSALS)
    def keys(self, caller: int) -> dict:
        with self._unit() as unit:
            return custody_store.keys(unit, caller)

    @rpc(expected_exceptions=REFUSALS)
    def key_log(self, caller: int, key_id: int) -> dict:
        with self._unit() as unit:
            return custody_store.key_log(unit, caller, key_id)

    @rpc(expected_exceptions=REFUSALS)
    def hand_key(self, caller: int, key_id: int, data: dict) -> dict:
        with self._unit() as unit:
            return custody_store.hand_key(unit, caller, key_id, data)

    @rpc(expected_exceptions=REFUSALS)
    def handover_tasks(self, caller: int, query: dict) -> dict:
        with self._unit() as unit:
            return custody_store.tasks(unit, caller, query)

    @rpc(expected_exceptions=REFUSALS)
    def confirm_handover(self, caller: int, task_id: int) -> dict:
        with self._unit() as unit:
            return custody_store.confirm(unit, caller, task_id)

    @rpc(expected_exceptions=REFUSALS)
    def custody_of(self, caller: int, staff_id: int) -> dict:
        with self._unit() as unit:
            return custody_store.custody_of(unit, caller, staff_id)

    @reliable_event_handler("staffing", "staff.transferred")
    def on_staff_transferred(self, event: Envelope, moved: StaffTransferred) -> None:
        self._hand_over(event, moved.staff_id, "transfer", moved.from_department)

    @reliable_event_handler("staffing", "staff.left")
    def on_staff_left(self, event: Envelope, left: StaffLeft) -> None:
        self._hand_over(event, left.staff_id, "departure", left.department)

    @reliable_event_handler("staffing", "leave.approved")
    def on_leave_approved(self, event: Envelope, leave: LeaveApproved) -> None:
        """S1.12: a holder going on leave hands seals and keys over first."""
        self._hand_over(event, leave.staff_id, "leave", None)

    def _hand_over(self, event: Envelope, staff_id: int, reason: str, department) -> None:
        self.directory.forget(staff_id)  # the organisation changed: ask staffing again
        with self._unit() as unit:
            if not first_delivery(unit.session, f"assets.handover.{reason}", str(event.id)):
                return
            if department is None:
                department = (unit.staff_of(staff_id) or {}).get("department")
            opened = custody_store.request_handover(unit, staff_id, reason, department)
        HANDOVER_TASKS.labels(reason).inc(len(opened))

    # --- window equipment (S1.9), repairs (S1.13), supplies (S1.14) ------------------------

    @rpc(expected_exceptions=REFUSALS)
    def record_window_check(self, caller: int, window: str, data: dict) -> dict:
        with self._unit() as unit:
            return upkeep_store.record_check(unit, caller, window, data)

    @rpc(expected_exceptions=REFUSALS)
    def window_checks(self, caller: int, day: str | None = None) -> dict:
        with self._unit() as unit:
            parsed = parse(CheckQuery, {"day": day})
            return upkeep_store.checks_of_day(unit, caller, parsed.day)

    @rpc(expected_exceptions=REFUSALS)
    def register_repair(self, caller: int, data: dict) -> dict:
        with self._unit() as unit:
            return upkeep_store.register_repair(unit, caller, data)

    @rpc(expected_exceptions=REFUSALS)
    def advance_repair(self, caller: int, repair_id: int, step: str) -> dict:
        with self._unit() as unit:
            return upkeep_store.advance_repair(unit, caller, repair_id, step)

    @rpc(expected_exceptions=REFUSALS)
    def repairs(self, caller: int, query: dict) -> dict:
        with self._unit() as unit:
            return upkeep_store.repairs(unit, caller, query)

    @rpc(expected_exceptions=REFUSALS)
    def request_supply(self, caller: int, data: dict) -> dict:
        with self._unit() as unit:
            return upkeep_store.request_supply(unit, caller, data)

    @rpc(expected_exceptions=REFUSALS)
    def advance_supply(self, caller: int, request_id: int, step: str) -> dict:
        with self._unit() as unit:
            return upkeep_store.advance_supply(unit, caller, request_id, step)

    @rpc(expected_exceptions=REFUSALS)
    def supply_report(self, caller: int, query: dict) -> dict:
        with self._unit() as unit:
            return upkeep_store.monthly_report(unit, caller, query)

    # --- training rooms (S2) -------------------------------------------------------------

    @rpc(expected_exceptions=REFUSALS)
    def rooms(self, caller: int) -> dict:
        with self._unit() as unit:
            return rooms_store.room_list(unit, caller)

    @rpc(expected_exceptions=REFUSALS)
    def room_bookings(self, caller: int, room: str, query: dict) -> dict:
        with self._unit() as unit:
            return rooms_store.bookings(unit, caller, room, query)

    @rpc(expected_exceptions=REFUSALS)
    def book_room(self, caller: int, room: str, data: dict) -> dict:
        try:
            with self._unit() as unit:
                return rooms_store.book(unit, caller, room, data)
        except IntegrityError:  # the database's guarantee: a racing booking won (migration 0001)
            raise Conflict(f"room {room} is booked at that time already (S2)") from None

    @rpc(expected_exceptions=REFUSALS)
    def decide_booking(self, caller: int, booking_id: int, approve: bool) -> dict:
        try:
            with self._unit() as unit:
                return rooms_store.decide(unit, caller, booking_id, bool(approve))
        except IntegrityError:
            raise Conflict("the room was booked meanwhile for that time (S2)") from None

    @rpc(expected_exceptions=REFUSALS)
    def report_room_fault(self, caller: int, room: str, data: dict) -> dict:
        with self._unit() as unit:
            return rooms_store.report_fault(unit, caller, room, data)

    @rpc(expected_exceptions=REFUSALS)
    def charge_room_fault(self, caller: int, fault_id: int, data: dict) -> dict:
        with self._unit() as unit:
            return rooms_store.charge(unit, caller, fault_id, data)

    # --- alerts on a timer, metrics, tests' clock -------------------------------------------

    @configured_timer("ALERTS", "sweep_interval_seconds", 30)
    def sweep(self) -> None:
        """Seals not back by the day's close (S1.11); windows unchecked after it (S1.9)."""
        workdays.refresh()
        grace = timedelta(minutes=float(
            (self.config.get("ALERTS") or {}).get("window_grace_minutes", 30)))
        with self._unit() as unit:
            seals = custody_store.raise_overdue_seals(unit)
            windows = upkeep_store.raise_unchecked_windows(unit, grace)
        ALERTS_RAISED.labels("seal.not_returned").inc(seals)
        ALERTS_RAISED.labels("window.unchecked").inc(windows)

    @http("GET", "/metrics")
    def metrics_page(self, request):
        with self.db.transaction() as session:
            figures.refresh(session, self.clock.now())  # csc_assets_alerts_open
        return metrics_response()

    @rpc(expected_exceptions=(ClockNotSettable,))
    def set_test_clock(self, now_iso: str | None) -> str:
        """Fix the service's time (tests only: ``TEST_CLOCK: true``); None: the real time."""
        self.clock.set(datetime.fromisoformat(now_iso) if now_iso else None)
        return self.clock.now().isoformat()

    def _organisation(self) -> Org:
        return Org.from_overview(self.staffing.organisation())

    @contextmanager
    def _unit(self) -> Iterator[Unit]:
        """One unit of work at the service's time, with the organisation asked lazily."""
        with self.db.transaction() as session:
            yield Unit(session, self.clock.now(),
                       lambda: self.directory.org(self._organisation),
                       lambda staff_id: self.directory.staff(staff_id, self.staffing.get_staff))
