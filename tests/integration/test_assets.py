"""The assets service end to end through the gateway (issue 13), on SQLite and PostgreSQL:
staffing (with its demo organisation), assets (the demo hall) and the gateway, clocks pinned
on working days of March 2026. One system per database, whole flows, few starts."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from gateway.auth import issue_token
from services.assets import seed as assets_seed
from services.assets.models import RoomBooking
from services.staffing.seed import seed_org, staff_ids
from svckit.clock import Clock
from svckit.db import ServiceStore
from tests.integration import harness
from tests.integration.client import get, login, post

EXTRA_DATABASES = ("assets",)  # tests/conftest.py db_urls

SH = ZoneInfo("Asia/Shanghai")
SECRET = harness.config("")["GATEWAY"]["token_secret"]
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=SH)  # a working day


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


@pytest.fixture
def hall(stores, assets_store, run_service):
    """staffing (demo organisation) + assets (demo hall) + gateway; clocks at TUESDAY."""
    seed_org(stores["staffing"], harness.PASSWORD)
    ids = staff_ids(stores["staffing"])
    assert assets_seed.seed_demo(assets_store, ids)
    run_service("staffing", at=TUESDAY)
    service = run_service("assets", at=TUESDAY, ORG={"cache_seconds": 0},
                          ALERTS={"sweep_interval_seconds": 0.1, "window_grace_minutes": 0})
    gateway = run_service("gateway")
    return {"api": f"http://127.0.0.1:{harness.http_port(gateway)}/api", "ids": ids,
            "store": assets_store, "run_service": run_service,
            "metrics": f"http://127.0.0.1:{harness.http_port(service)}/metrics",
            "clock": next(d for d in service.dependencies if isinstance(d, Clock))}


def events(store: ServiceStore, event_type: str) -> list[dict]:
    table = store.outbox
    with store.transaction() as session:
        rows = session.execute(select(table.c.body).where(table.c.event_type == event_type)
                               .order_by(table.c.id))
        return [json.loads(row.body)["payload"] for row in rows]


def wait_events(store, event_type: str, count: int) -> list[dict]:
    return harness.wait_for(lambda: (found := events(store, event_type)) and
                            len(found) >= count and found)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def refused(response, status: int, words: str = "") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and words in problem["detail"], problem
    return problem


def bearer(hall: dict, username: str) -> dict:
    """A token as the gateway issues it, minted here: each login costs an Argon2 hash
    (0.4 s), and logins are tested elsewhere; the services still decide from staffing's
    current record."""
    staff = {"id": hall["ids"][username], "username": username, "role": "staff"}
    token = issue_token(staff, SECRET, timedelta(minutes=15))
    return {"Authorization": f"Bearer {token}"}


def sweeps() -> float:
    """How many times the assets timer has run (its entrypoint counter)."""
    return REGISTRY.get_sample_value("csc_entrypoint_calls_total", {
        "service": "assets", "entrypoint": "sweep", "kind": "timer"}) or 0


def alerts_open(hall: dict) -> dict[str, float]:
    """The gauge csc_assets_alerts_open by type, as Prometheus scrapes it (issue 17)."""
    page = requests.get(hall["metrics"], timeout=10)
    assert page.status_code == 200, page.text
    return {sample.labels["type"]: sample.value
            for family in text_string_to_metric_families(page.text)
            if family.name == "csc_assets_alerts_open" for sample in family.samples}


def notified(payload: dict) -> dict[int, str]:
    return {n["staff_id"]: n["capacity"] for n in payload["notify"]}


def test_the_hall_s_assets_custody_upkeep_and_rooms(hall):
    ids, store = hall["ids"], hall["store"]
    who = {name: bearer(hall, name) for name in (
        "director01", "deputy01", "win01", "win02", "win03", "win05", "win06",
        "mkt_chief", "fin_chief", "trainer01", "office01", "supervisor01", "hr01")}
    who["assets01"] = login(hall, "assets01")  # one through the token endpoint

    # --- the register and its sub-ledger over a year of changes (S1.13) --------------------
    new = {"tag": "W01-SCANNER", "kind": "printer", "name": "扫描打印一体机",
           "location_kind": "window", "location": "W01", "acquired_on": "2025-02-10",
           "value_cents": 300_000}
    refused(post(hall, "/assets", who["win01"], new), 403, "fixed-asset administrator")
    problem = refused(post(hall, "/assets", who["assets01"], {**new, "value_cents": -1}), 400)
    assert problem["errors"][0]["loc"] == ["body", "value_cents"]
    changes = [("2025-02-10", "printer", 300_000), ("2025-05-20", "computer", 610_000),
               ("2025-08-01", "chair", 50_000), ("2025-11-30", "cabinet", 120_000)]
    added = [ok(post(hall, "/assets", who["assets01"], {
        **new, "tag": f"NEW-{n}", "kind": kind, "acquired_on": day, "value_cents": value}))
        for n, (day, kind, value) in enumerate(changes)]
    seeded = ok(get(hall, "/assets?location=W02&kind=computer", who["win02"]))["items"][0]
    ok(post(hall, f"/assets/{added[0]['id']}/move", who["assets01"],
            {"location_kind": "office", "location": "hall_office", "reason": "窗口调整"}))
    for asset_id, day in ((added[2]["id"], "2025-12-01"), (seeded["id"], "2025-06-30"),
                          (added[1]["id"], "2026-01-15")):
        ok(post(hall, f"/assets/{asset_id}/dispose", who["assets01"],
                {"reason": "损坏报废", "disposed_on": day}))
    refused(post(hall, f"/assets/{seeded['id']}/dispose", who["assets01"], {"reason": "x"}),
            409, "disposed of")
    history = ok(get(hall, f"/assets/{added[0]['id']}", who["win01"]))["history"]
    assert [h["change"] for h in history] == ["added", "moved"]
    assert len(events(store, "asset.disposed")) == 3

    year = ok(get(hall, "/assets/ledger?from=2025-01-01&to=2025-12-31", who["director01"]))
    total = year["lines"][-1]
    assert year["reconciles"] and total["kind"] == "total"
    seed_count = len(assets_seed.demo_assets())
    assert total["opening"]["count"] == seed_count
    assert (total["additions"]["count"], total["disposals"]["count"]) == (4, 2)
    assert total["closing"]["count"] == seed_count + 4 - 2
    for line in year["lines"]:
        for part in ("count", "value_cents"):
            assert line["opening"][part] + line["additions"][part] - line["disposals"][part] \
                == line["closing"][part], line
    after = ok(get(hall, "/assets/ledger?from=2026-01-01&to=2026-03-03", who["assets01"]))
    assert after["lines"][-1]["opening"] == total["closing"]
    assert after["lines"][-1]["closing"]["count"] == total["closing"]["count"] - 1
    csv = get(hall, "/assets/ledger?from=2025-01-01&to=2025-12-31&format=csv", who["assets01"])
    assert csv.headers["Content-Type"].startswith("text/csv") and "closing.value_cents" in csv.text
    refused(get(hall, "/assets/ledger?from=2025-01-01&to=2025-12-31", who["win01"]), 403)
    refused(get(hall, "/assets/ledger?from=2025-13-01&to=2025-12-31", who["assets01"]), 400)

    # --- window checks (S1.9), a fault opens a repair (S1.13) -------------------------------
    ok(post(hall, "/assets/windows/W01/checks", who["win01"], {"kind": "check_in"}))
    refused(post(hall, "/assets/windows/W01/checks", who["win01"], {"kind": "check_in"}), 409)
    refused(post(hall, "/assets/windows/W01/checks", who["win03"], {"kind": "check_in"}), 403)
    check = ok(post(hall, "/assets/windows/W02/checks", who["win02"],
                    {"kind": "check_in", "equipment_ok": False, "fault": "打印机卡纸"}))
    ok(post(hall, "/assets/windows/W01/checks", who["win01"],
            {"kind": "check_out", "locked_and_off": True}))
    [registered] = wait_events(store, "repair.status_changed", 1)
    assert registered["status"] == "registered" and registered["window"] == "W02"
    assert notified(registered) == {ids["office01"]: "bureau_office"}
    repair = check["repair_id"]
    refused(post(hall, f"/assets/repairs/{repair}/ordered", who["win02"]), 403)
    refused(post(hall, f"/assets/repairs/{repair}/received", who["office01"]), 409)
    for step, person in (("ordered", "office01"), ("received", "office01"),
                         ("fitted", "assets01")):
        assert ok(post(hall, f"/assets/repairs/{repair}/{step}", who[person]))["status"] == step
    assert [r["id"] for r in ok(get(hall, "/assets/repairs?status=fitted", who["win02"]))[
        "items"]] == [repair]
    ok(post(hall, "/assets/repairs", who["win03"], {"description": "W03 键盘损坏",
                                                     "window": "W03"}))
    day = {w["window"]: w for w in ok(get(hall, "/assets/windows/checks", who["win01"]))[
        "windows"]}
    assert (day["W01"]["missing"], day["W02"]["missing"]) == ([], ["check_out"])

    # --- supplies (S1.14) -----------------------------------------------------------------
    asked = ok(post(hall, "/assets/supplies", who["win01"], {"item": "A4纸", "quantity": 5}))
    refused(post(hall, f"/assets/supplies/{asked['id']}/approve", who["win01"]), 403)
    refused(post(hall, f"/assets/supplies/{asked['id']}/collect", who["office01"]), 409)
    for step in ("approve", "collect"):
        ok(post(hall, f"/assets/supplies/{asked['id']}/{step}", who["office01"]))
    report = ok(get(hall, "/assets/supplies/report?month=2026-03", who["office01"]))
    assert report["items"] == [{"department": "marketing", "item": "A4纸", "requests": 1,
                                "quantity": 5}]
    refused(get(hall, "/assets/supplies/report?month=2026-03&department=marketing",
                who["win03"]), 403)

    # --- keys (S1.12) ---------------------------------------------------------------------
    keys = {k["tag"]: k for k in ok(get(hall, "/assets/keys", who["win01"]))["items"]}
    ok(post(hall, f"/assets/keys/{keys['MAIN-REMOTE-1']['id']}/handover", who["director01"],
            {"to_staff_id": ids["win01"], "note": "named to open the hall"}))
    refused(post(hall, f"/assets/keys/{keys['AUTO-DOOR-2']['id']}/handover", who["deputy01"],
                 {"to_staff_id": ids["win02"]}), 400, "one person only")
    refused(post(hall, f"/assets/keys/{keys['FIN-ROOM-1']['id']}/handover", who["win06"],
                 {"to_staff_id": ids["win01"]}), 400, "finance section")
    refused(post(hall, f"/assets/keys/{keys['FIN-ROOM-1']['id']}/handover", who["win05"],
                 {"to_staff_id": ids["win05"]}), 403, "holder")
    ok(post(hall, f"/assets/keys/{keys['FIN-ROOM-1']['id']}/handover", who["win06"],
            {"to_staff_id": ids["win05"]}))
    log = ok(get(hall, f"/assets/keys/{keys['FIN-ROOM-1']['id']}", who["win01"]))["handovers"]
    assert [(h["from"], h["to"]) for h in log] == [(ids["win06"], ids["win05"])]

    # --- training rooms (S2) --------------------------------------------------------------
    def booking(**fields):
        return {"starts_at": "2026-03-05T14:00:00+08:00", "ends_at": "2026-03-05T15:30:00+08:00",
                "purpose": "training", "title": "业扩流程培训", "attendees": 6, **fields}

    assert ok(post(hall, "/assets/rooms/expansion_hall/bookings", who["win02"],
                   booking()))["state"] == "confirmed"
    refused(post(hall, "/assets/rooms/expansion_hall/bookings", who["win03"], booking(
        starts_at="2026-03-05T15:00:00+08:00", ends_at="2026-03-05T16:00:00+08:00")), 409)
    day = ok(get(hall, "/assets/rooms/expansion_hall/bookings?day=2026-03-05", who["win03"]))
    assert [(b["title"], b["state"]) for b in day["items"]] == [("业扩流程培训", "confirmed")]
    big = ok(post(hall, "/assets/rooms/expansion_hall/bookings", who["win02"],
                  booking(attendees=12, starts_at="2026-03-06T09:00:00+08:00",
                          ends_at="2026-03-06T10:00:00+08:00")))
    wide = ok(post(hall, "/assets/rooms/hall_95598/bookings", who["win02"],
                   booking(company_wide=True, attendees=3)))
    assert (big["state"], wide["state"]) == ("referred", "referred")
    assert "fewer than 10" in big["reason"] and "S2.3" in wide["reason"]
    referred = wait_events(store, "room.booking_referred", 2)
    assert {r["booking_id"] for r in referred} == {big["id"], wide["id"]}
    party = ok(post(hall, "/assets/rooms/hall_95598/bookings", who["win02"], booking(
        purpose="other", title="联欢", starts_at="2026-03-06T16:00:00+08:00",
        ends_at="2026-03-06T17:00:00+08:00")))
    assert party["state"] == "pending"
    [asked_leader] = wait_events(store, "room.approval_requested", 1)
    assert notified(asked_leader) == {ids["supervisor01"]: "supervising_leader"}
    refused(post(hall, f"/assets/bookings/{party['id']}/decision", who["director01"],
                 {"approve": True}), 403)
    assert ok(post(hall, f"/assets/bookings/{party['id']}/decision", who["supervisor01"],
                   {"approve": True}))["state"] == "confirmed"

    def race(person: str):
        return post(hall, "/assets/rooms/hall_95598/bookings", who[person], booking(
            starts_at="2026-03-09T09:00:00+08:00", ends_at="2026-03-09T11:00:00+08:00"))

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(r.status_code for r in pool.map(race, ["win02", "win03"]))
    assert statuses == [200, 409]
    with pytest.raises(IntegrityError), store.transaction() as session:  # the guarantee itself
        row = {"room": "hall_95598", "purpose": "meeting", "title": "x", "attendees": 2,
               "company_wide": False, "state": "confirmed", "reason": "", "booked_by": 1,
               "created_at": at(9), "starts_at": at(10, 0, 9), "ends_at": at(10, 30, 9)}
        session.execute(insert(RoomBooking.__table__), row)
    room = ok(get(hall, "/assets/rooms", who["win02"]))["items"][0]
    assert room["code"] == "expansion_hall" and len(room["equipment"]) == 3
    tv = next(e for e in room["equipment"] if "TV" in e["tag"])
    assert tv["custodian_id"] == ids["trainer01"]
    fault = ok(post(hall, "/assets/rooms/expansion_hall/faults", who["win02"],
                    {"asset_id": tv["id"], "description": "电视被私自挪动后无信号"}))
    [told] = wait_events(store, "room.fault_reported", 1)
    assert notified(told) == {ids["trainer01"]: "trainer"}
    charge = {"staff_id": ids["win02"], "department": "marketing", "charge_cents": 35_000}
    refused(post(hall, f"/assets/faults/{fault['id']}/charge", who["win02"], charge), 403)
    assert ok(post(hall, f"/assets/faults/{fault['id']}/charge", who["trainer01"],
                   charge))["charge_cents"] == 35_000

    # --- a seal left out at closing time (S1.11) ------------------------------------------
    seals = {s["department"]: s for s in ok(get(hall, "/assets/seals", who["win01"]))["items"]}
    marketing = seals["marketing"]["id"]
    refused(post(hall, f"/assets/seals/{marketing}/out", who["win03"], {}), 403)
    hall["clock"].set(at(10))
    out = ok(post(hall, f"/assets/seals/{marketing}/out", who["win02"], {"purpose": "盖章"}))
    assert out["due_back_at"] == "2026-03-03T17:30:00+08:00"
    refused(post(hall, f"/assets/seals/{marketing}/out", who["win01"], {}), 409)
    hall["clock"].set(at(17, 31))  # closing: the seal is still out, W02-W04 lack checks
    [late] = wait_events(store, "seal.not_returned", 1)
    assert (late["seal_id"], late["taken_out_by"]) == (marketing, ids["win02"])
    assert notified(late) == {ids["win01"]: "custodian", ids["mkt_chief"]: "section_chief",
                              ids["director01"]: "hall_director"}
    unchecked = wait_events(store, "window.unchecked", 3)
    assert {(u["window"], tuple(u["missing"])) for u in unchecked} == {
        ("W02", ("check_out",)), ("W03", ("check_in", "check_out")),
        ("W04", ("check_in", "check_out"))}
    w02 = next(u for u in unchecked if u["window"] == "W02")
    assert notified(w02) == {ids["win02"]: "window_holder", ids["mkt_chief"]: "section_chief",
                             ids["director01"]: "hall_director"}
    assert ok(get(hall, "/assets/seals", who["win01"]))["items"][1]["alert_open"] is True
    opened = alerts_open(hall)
    assert (opened["seal.not_returned"], opened["window.unchecked"]) == (1, 3)
    assert opened["key.handover_pending"] == opened["seal.handover_pending"] == 0
    back = ok(post(hall, f"/assets/seals/{marketing}/back", who["win02"]))
    assert back["was_overdue"] and not back["alert_open"] and not back["out"]
    assert alerts_open(hall)["seal.not_returned"] == 0  # returned: the alert is closed
    log = ok(get(hall, f"/assets/seals/{marketing}", who["mkt_chief"]))["log"]
    assert [(m["action"], m["by"]) for m in log] == [("out", ids["win02"]), ("back", ids["win02"])]
    hall["clock"].set(at(17, 45))
    swept = sweeps()
    harness.wait_for(lambda: sweeps() >= swept + 2)  # two more passes raise nothing new
    assert len(events(store, "seal.not_returned")) == 1  # once
    assert len(events(store, "window.unchecked")) == 3
    hall["clock"].set(TUESDAY)

    # --- a transfer hands over custody; the receiver confirms (S1.13, S1.19) ---------------
    holds = ok(get(hall, f"/assets/custody/{ids['win01']}", who["mkt_chief"]))["holds"]
    assert {h["item"] for h in holds} == {"asset", "seal", "key"}
    ok(post(hall, f"/org/staff/{ids['win01']}/transfer", who["hr01"],
            {"department": "metering"}))
    [moved] = wait_events(store, "custody.handover_requested", 1)
    assert moved["reason"] == "transfer" and moved["staff_id"] == ids["win01"]
    assert {(i["item"], i["item_id"]) for i in moved["items"]} == {
        (h["item"], h["item_id"]) for h in holds}
    receivers = {i["label"].split()[0]: i["to_staff_id"] for i in moved["items"]}
    assert receivers["W01-COMPUTER"] == ids["win02"]  # the window's remaining holder
    assert receivers["营销部业务专用章"] == ids["mkt_chief"]
    assert receivers["MAIN-REMOTE-1"] == ids["director01"]
    assert notified(moved) == {ids["win02"]: "successor", ids["mkt_chief"]: "successor",
                               ids["director01"]: "successor", ids["assets01"]: "fixed_asset_admin"}
    tasks = ok(get(hall, "/assets/handovers?state=open", who["mkt_chief"]))["items"]
    assert len(tasks) == len(holds)
    seal_task = next(t for t in tasks if t["item"] == "seal")
    pc_task = next(t for t in tasks if t["label"].startswith("W01-COMPUTER"))
    refused(post(hall, f"/assets/handovers/{seal_task['id']}/confirm", who["win02"]), 403,
            "receives")
    ok(post(hall, f"/assets/handovers/{seal_task['id']}/confirm", who["mkt_chief"]))
    ok(post(hall, f"/assets/handovers/{pc_task['id']}/confirm", who["win02"]))
    refused(post(hall, f"/assets/handovers/{pc_task['id']}/confirm", who["win02"]), 409)
    pc = ok(get(hall, f"/assets/{pc_task['item_id']}", who["win02"]))
    assert pc["custodian_id"] == ids["win02"] and pc["history"][-1]["change"] == "handed"
    left = ok(get(hall, f"/assets/custody/{ids['win01']}", who["director01"]))
    assert len(left["holds"]) == len(holds) - 2 == len(left["open_handovers"])
    assert len(wait_events(store, "custody.handed_over", 2)) == 2
    confirmed = (seal_task["id"], pc_task["id"])
    still_open = Counter(t["item"] for t in tasks if t["id"] not in confirmed)
    assert still_open["key"] and not still_open["seal"]
    opened = alerts_open(hall)
    assert {kind: opened[f"{kind}.handover_pending"] for kind in ("asset", "seal", "key")} == {
        kind: still_open[kind] for kind in ("asset", "seal", "key")}

    # --- a leaver is never left holding anything without an alert naming it ----------------
    holds = ok(get(hall, f"/assets/custody/{ids['win05']}", who["fin_chief"]))["holds"]
    ok(post(hall, f"/org/staff/{ids['win05']}/departure", who["hr01"], {"reason": "resigned"}))
    gone = wait_events(store, "custody.handover_requested", 2)[-1]
    assert gone["reason"] == "departure" and gone["staff_id"] == ids["win05"]
    assert sorted(i["label"] for i in gone["items"]) == sorted(h["label"] for h in holds)
    assert {i["to_staff_id"] for i in gone["items"] if "FIN-ROOM" in i["label"]} == {
        ids["fin_chief"]}
    assert all(i["to_staff_id"] for i in gone["items"])

    # --- a key holder's approved leave asks for the keys first (S1.12) ---------------------
    leave = ok(post(hall, "/leave", who["deputy01"], {"leave_type": "personal",
                                                      "starts_on": "2026-03-04",
                                                      "half_days": 1}))
    name_of = {v: k for k, v in ids.items()}
    while leave["status"] == "pending":
        approver = name_of[leave["waiting_for"]["staff_id"]]
        leave = ok(post(hall, f"/leave/{leave['id']}/approve", bearer(hall, approver), {}))
    away = wait_events(store, "custody.handover_requested", 3)[-1]
    assert away["reason"] == "leave" and away["staff_id"] == ids["deputy01"]
    assert {i["label"].split()[0] for i in away["items"]} == {"MAIN-REMOTE-2", "AUTO-DOOR-2"}
    assert {i["to_staff_id"] for i in away["items"]} == {ids["director01"]}
