"""The assets service's alerts in the inboxes of the people they name (issues 11, 13), on SQLite
and PostgreSQL: staffing (demo organisation), assets (demo hall), the inbox and the gateway. A
window's fault reaches the bureau office; a seal left out at closing time reaches its
custodian, the section chief and the hall director, and the unchecked window its holder; the
rules for every alert are unit-tested (tests/unit/test_alert_notices.py)."""

from __future__ import annotations

from tests.integration import harness
from tests.integration.client import get, post
from tests.integration.test_assets import at, bearer, hall, ok, wait_events  # noqa: F401

EXTRA_DATABASES = ("inbox", "assets")  # tests/conftest.py db_urls


def notices(system: dict, headers: dict, kind: str) -> list[dict]:
    return [n for n in ok(get(system, "/inbox?limit=100", headers))["items"] if n["kind"] == kind]


def test_an_assets_alert_reaches_each_named_person_s_inbox(hall, inbox_store):  # noqa: F811
    hall["run_service"]("inbox")
    ids = hall["ids"]
    who = {name: bearer(hall, name) for name in (
        "win01", "win02", "win03", "mkt_chief", "director01", "office01")}

    hall["clock"].set(at(10))
    ok(post(hall, "/assets/windows/W02/checks", who["win02"],
            {"kind": "check_in", "equipment_ok": False, "fault": "打印机卡纸"}))
    seal = next(s for s in ok(get(hall, "/assets/seals", who["win01"]))["items"]
                if s["department"] == "marketing")
    ok(post(hall, f"/assets/seals/{seal['id']}/out", who["win02"], {"purpose": "盖章"}))
    [repair] = harness.wait_for(lambda: notices(hall, who["office01"], "repair.status_changed"))
    assert repair["subject"] == {"type": "repair", "id": str(repair["params"]["repair_id"])}
    assert (repair["params"]["status"], repair["params"]["capacity"]) == (
        "registered", "bureau_office")

    hall["clock"].set(at(17, 31))  # closing: the seal is still out, W02 lacks its check-out
    [late] = wait_events(hall["store"], "seal.not_returned", 1)
    told = {"win01": "custodian", "mkt_chief": "section_chief", "director01": "hall_director"}
    assert {n["staff_id"]: n["capacity"] for n in late["notify"]} == {
        ids[name]: capacity for name, capacity in told.items()}
    for name, capacity in told.items():
        [notice] = harness.wait_for(lambda n=name: notices(hall, who[n], "seal.not_returned"))
        assert notice["subject"] == {"type": "seal", "id": str(seal["id"])}
        assert notice["params"]["taken_out_by"] == ids["win02"]
        assert notice["params"]["capacity"] == capacity and notice["read_at"] is None
    [w02] = [n for n in harness.wait_for(lambda: notices(hall, who["win02"], "window.unchecked"))
             if n["subject"]["id"] == "W02"]
    assert w02["params"]["missing"] == ["check_out"]
    # named by nothing: the seal's taker (not its custodian) and another department's window
    assert notices(hall, who["win02"], "seal.not_returned") == []
    assert notices(hall, who["win03"], "seal.not_returned") == []
    page = ok(get(hall, "/inbox?unread=true", who["director01"]))
    assert page["unread_count"] == len(page["items"]) >= 1
