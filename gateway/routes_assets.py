"""The assets service's routes (issue 13): fixed assets and the sub-ledger (S1.13), custody
handovers (S1.13, S1.19), seals (S1.11), keys (S1.12), window checks (S1.9), repairs and
supplies (S1.13-14), training rooms (S2). A mixin of GatewayService: the gateway only
authenticates and passes the caller's staff id; the assets service decides authority."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from gateway import models as m
from gateway import replies as r
from gateway.csvout import csv_download, to_csv
from gateway.edge import route
from gateway.shapes import fields_given, paged
from services.assets import schemas as s
from svckit.rpc import RpcProxy

CSV = ("application/json", "text/csv")


class AssetsRoutes:
    # With publisher confirms (unlike the hot read paths' proxies): a request published while
    # no assets service runs comes back unroutable at once, a 503, instead of hanging the
    # worker and surfacing as another service's error on a later publish.
    assets = RpcProxy("assets")

    # --- fixed assets (S1.13) --------------------------------------------------------------

    @route("GET", "/api/assets", query=m.AssetQuery,
           reply=r.AssetPage)
    def assets_list(self, request: Request, query: m.AssetQuery) -> dict:
        """The register, ``?location=W01&kind=computer&include_disposed=true``, paged."""
        return paged(request, self._assets(request, "list_assets", fields_given(query)))

    @route("POST", "/api/assets", body=s.NewAsset,
           reply=r.AssetView)
    def assets_add(self, request: Request, body: s.NewAsset) -> dict:
        """Add an asset (the fixed-asset administrator only)."""
        return self._assets(request, "add_asset", fields_given(body))

    @route("GET", "/api/assets/<int:asset_id>",
           reply=r.AssetDetail)
    def assets_get(self, request: Request, asset_id: int) -> dict:
        """An asset with its whole history."""
        return self._assets(request, "get_asset", asset_id)

    @route("POST", "/api/assets/<int:asset_id>/move", body=s.AssetMove,
           reply=r.AssetView)
    def assets_move(self, request: Request, asset_id: int, body: s.AssetMove) -> dict:
        return self._assets(request, "move_asset", asset_id, fields_given(body))

    @route("POST", "/api/assets/<int:asset_id>/dispose", body=s.Disposal,
           reply=r.AssetView)
    def assets_dispose(self, request: Request, asset_id: int, body: s.Disposal) -> dict:
        """Dispose of an asset, with a reason (the administrator only)."""
        return self._assets(request, "dispose_asset", asset_id, fields_given(body))

    @route("GET", "/api/assets/ledger", query=s.LedgerQuery, produces=CSV,
           reply=r.AssetLedger)
    def assets_ledger(self, request: Request, query: s.LedgerQuery) -> dict | Response:
        """The hall's sub-ledger ``?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]``: opening,
        additions, disposals and closing per kind, in count and value (cents)."""
        ledger = self._assets(request, "sub_ledger", fields_given(query))
        if query.format == "csv":
            rows = ({"from": ledger["from"], "to": ledger["to"], **line}
                    for line in ledger["lines"])
            return csv_download(to_csv(rows), f"asset-ledger-{ledger['from']}-{ledger['to']}.csv")
        return ledger

    # --- custody ---------------------------------------------------------------------------

    @route("GET", "/api/assets/custody/<int:staff_id>",
           reply=r.Custody)
    def assets_custody(self, request: Request, staff_id: int) -> dict:
        """What a person holds (assets, seals, keys) and their open handovers."""
        return self._assets(request, "custody_of", staff_id)

    @route("GET", "/api/assets/handovers", query=m.HandoverQuery,
           reply=r.CustodyTaskPage)
    def assets_handovers(self, request: Request, query: m.HandoverQuery) -> dict:
        """Handover tasks the caller may see (own, their section's, all for the hall's leaders
        and the administrator), ``?state=open``, paged."""
        return paged(request, self._assets(request, "handover_tasks", fields_given(query)))

    @route("POST", "/api/assets/handovers/<int:task_id>/confirm",
           reply=r.CustodyTask)
    def assets_handover_confirm(self, request: Request, task_id: int) -> dict:
        """The one who receives confirms the handover."""
        return self._assets(request, "confirm_handover", task_id)

    @route("GET", "/api/assets/seals",
           reply=r.SealList)
    def assets_seals(self, request: Request) -> dict:
        return self._assets(request, "seals")

    @route("GET", "/api/assets/seals/<int:seal_id>",
           reply=r.SealLog)
    def assets_seal_log(self, request: Request, seal_id: int) -> dict:
        return self._assets(request, "seal_log", seal_id)

    @route("POST", "/api/assets/seals/<int:seal_id>/out", body=s.SealOut,
           reply=r.SealView)
    def assets_seal_out(self, request: Request, seal_id: int, body: s.SealOut) -> dict:
        """Take a department's seal out (its custodian or that department's staff)."""
        return self._assets(request, "take_out_seal", seal_id, fields_given(body))

    @route("POST", "/api/assets/seals/<int:seal_id>/back",
           reply=r.SealReturned)
    def assets_seal_back(self, request: Request, seal_id: int) -> dict:
        return self._assets(request, "return_seal", seal_id)

    @route("GET", "/api/assets/keys",
           reply=r.KeyList)
    def assets_keys(self, request: Request) -> dict:
        return self._assets(request, "keys")

    @route("GET", "/api/assets/keys/<int:key_id>",
           reply=r.KeyLog)
    def assets_key_log(self, request: Request, key_id: int) -> dict:
        return self._assets(request, "key_log", key_id)

    @route("POST", "/api/assets/keys/<int:key_id>/handover", body=s.KeyGiven,
           reply=r.KeyView)
    def assets_key_handover(self, request: Request, key_id: int, body: s.KeyGiven) -> dict:
        """The holder hands a key to ``to_staff_id`` (S1.12 decides who may hold it)."""
        return self._assets(request, "hand_key", key_id, fields_given(body))

    # --- window equipment, repairs, supplies ----------------------------------------------------

    @route("POST", "/api/assets/windows/<string:window>/checks", body=s.WindowCheckIn,
           reply=r.WindowCheckView)
    def assets_window_check(self, request: Request, window: str, body: s.WindowCheckIn) -> dict:
        """The day's check_in (equipment works) or check_out (locked, power off); a fault
        opens a repair."""
        return self._assets(request, "record_window_check", window, fields_given(body))

    @route("GET", "/api/assets/windows/checks", query=s.CheckQuery,
           reply=r.WindowChecks)
    def assets_window_checks(self, request: Request, query: s.CheckQuery) -> dict:
        return self._assets(request, "window_checks",
                            query.day.isoformat() if query.day else None)

    @route("GET", "/api/assets/repairs", query=m.RepairQuery,
           reply=r.RepairPage)
    def assets_repairs(self, request: Request, query: m.RepairQuery) -> dict:
        return paged(request, self._assets(request, "repairs", fields_given(query)))

    @route("POST", "/api/assets/repairs", body=s.NewRepair,
           reply=r.RepairView)
    def assets_repair_register(self, request: Request, body: s.NewRepair) -> dict:
        """Register a broken part with the bureau office."""
        return self._assets(request, "register_repair", fields_given(body))

    @route("POST", "/api/assets/repairs/<int:repair_id>/<string:repair_step>",
           reply=r.RepairView)
    def assets_repair_step(self, request: Request, repair_id: int, repair_step: str) -> dict:
        """ordered, received (the bureau office), fitted."""
        return self._assets(request, "advance_repair", repair_id, str(repair_step))

    @route("POST", "/api/assets/supplies", body=s.NewSupply,
           reply=r.SupplyView)
    def assets_supply_request(self, request: Request, body: s.NewSupply) -> dict:
        return self._assets(request, "request_supply", fields_given(body))

    @route("POST", "/api/assets/supplies/<int:supply_id>/<string:supply_step>",
           reply=r.SupplyView)
    def assets_supply_step(self, request: Request, supply_id: int, supply_step: str) -> dict:
        """approve, reject, collect (the bureau office)."""
        return self._assets(request, "advance_supply", supply_id, str(supply_step))

    @route("GET", "/api/assets/supplies/report", query=s.SupplyReportQuery, produces=CSV,
           reply=r.SupplyReport)
    def assets_supply_report(self, request: Request,
                             query: s.SupplyReportQuery) -> dict | Response:
        """Supplies collected in a month per department and item ``?month=YYYY-MM``."""
        report = self._assets(request, "supply_report", fields_given(query))
        if query.format == "csv":
            rows = ({"month": report["month"], **row} for row in report["items"])
            return csv_download(to_csv(rows), f"supplies-{query.month}.csv")
        return report

    # --- training rooms (S2) ------------------------------------------------------------

    @route("GET", "/api/assets/rooms",
           reply=r.RoomList)
    def assets_rooms(self, request: Request) -> dict:
        return self._assets(request, "rooms")

    @route("GET", "/api/assets/rooms/<string:room>/bookings", query=s.BookingQuery,
           reply=r.RoomDay)
    def assets_room_bookings(self, request: Request, room: str, query: s.BookingQuery) -> dict:
        return self._assets(request, "room_bookings", room, fields_given(query))

    @route("POST", "/api/assets/rooms/<string:room>/bookings", body=s.NewBooking,
           reply=r.BookingView)
    def assets_room_book(self, request: Request, room: str, body: s.NewBooking) -> dict:
        """Confirmed, pending the supervising leader, or referred to the general office."""
        return self._assets(request, "book_room", room, fields_given(body))

    @route("POST", "/api/assets/bookings/<int:booking_id>/decision", body=m.BookingDecision,
           reply=r.BookingView)
    def assets_booking_decide(self, request: Request, booking_id: int,
                              body: m.BookingDecision) -> dict:
        """The supervising leader approves (or not) a use other than training or meetings."""
        return self._assets(request, "decide_booking", booking_id, body.approve)

    @route("POST", "/api/assets/rooms/<string:room>/faults", body=s.NewFault,
           reply=r.RoomFaultView)
    def assets_room_fault(self, request: Request, room: str, body: s.NewFault) -> dict:
        """Report a fault of the room's equipment to the trainer at once."""
        return self._assets(request, "report_room_fault", room, fields_given(body))

    @route("POST", "/api/assets/faults/<int:fault_id>/charge", body=s.Charge,
           reply=r.RoomFaultView)
    def assets_fault_charge(self, request: Request, fault_id: int, body: s.Charge) -> dict:
        """The trainer charges damage from misuse at cost to a person and department."""
        return self._assets(request, "charge_room_fault", fault_id, fields_given(body))

    def _assets(self, request: Request, method: str, *args):
        return self._as_caller(self.assets, request, method, *args)

