"""The console's CTI controls in a real browser (issue 16): headless Chromium against the
services and the AMI simulator (SQLite; the API paths are tested on both databases in
test_cti.py). A duty leader sees on the live board an agent on a call and listens in: the
simulator receives the Originate into the coaching context and a toast says her phone rings.
The agent, on the order's page, calls the customer back: the simulator rings her phone, then
the customer, and the outcome appears on the page. The plan shows the half hour's forecast
beside what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By

from services.staffing.models import CallArrival
from tests.browser.chrome import available, chromium
from tests.integration import harness
from tests.integration.client import KNOWN_CALLER, call, get, login
from tests.integration.test_console_browser import go, sign_in, visible, wait
from tests.integration.test_cti import (  # noqa: F401
    T0,
    ami_settings,
    at,
    clock_of,
    handling,
    pbx,
    state_is,
)

EXTRA_DATABASES = ("inbox",)  # tests/conftest.py db_urls

pytestmark = pytest.mark.skipif(not available(), reason="needs chromium and chromium-driver")


@pytest.fixture
def desk(stores, hotline_staff, inbox_store, run_service, amqp_uri, pbx):  # noqa: F811
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    with stores["staffing"].transaction() as session:  # four Mondays' 09:00 calls: a forecast
        session.add_all(CallArrival(
            call_uniqueid=f"past.{week}.{n}", started_at=T0 - timedelta(weeks=week, minutes=-n),
            ended_at=T0 - timedelta(weeks=week, minutes=-n - 3), outcome="routed",
            category="inquiry") for week in range(1, 5) for n in range(3))
    staffing = run_service("staffing", at=T0, AMI=ami_settings(pbx))
    calls = run_service("calls", at=T0)
    run_service("inbox")
    gateway = run_service("gateway")
    url = f"http://127.0.0.1:{harness.http_port(gateway)}"
    return {"agi": harness.agi_port(calls), "stores": stores, "url": url, "api": f"{url}/api",
            "clock": clock_of(staffing)}


def press(driver, css: str) -> None:
    """Click the button once it shows; the live board is drawn anew now and then."""
    def pressed(d):
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
        except NoSuchElementException:
            return False
        return True
    wait(driver).until(pressed)


def spied(sim) -> list[tuple[str, str, str, str]]:
    return [(m.get("Channel"), m.get("Context"), m.get("Exten"), m.get("Variable"))
            for m in sim.originated if m.get("Context") == "csc-coach"]


def interval_cells(driver, starts: str) -> list[str]:
    row = f'//*[@id="plan-intervals"]//tr[td[1][normalize-space()="{starts}"]]/td'
    return [cell.text for cell in driver.find_elements(By.XPATH, row)]


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_listen_in_call_back_and_the_plan_beside_what_happened(desk, pbx):  # noqa: F811
    system, base = desk, desk["url"]
    harness.wait_for(lambda: pbx.logged_in() == 1)
    state_is(system, "8001", "ready")
    placed = call(system, caller_num=KNOWN_CALLER[0], digits=["1"])
    order_id = placed.variables["WORK_ORDER_ID"]
    assert placed.variables["ROUTE_TARGET"] == "PJSIP/8001"
    line = pbx.arrive(placed.uniqueid, variables={"WORK_ORDER_ID": order_id})
    pbx.ring(line, "PJSIP/8001")
    state_is(system, "8001", "ringing")
    at(system, 5)
    pbx.answer_call(line)
    state_is(system, "8001", "on_call")

    with chromium() as driver:
        # the duty leader's board: agent01 on a call; "listen" rings her phone into ChanSpy
        driver.get(base + "/#/board")
        sign_in(driver, "leader01")
        press(driver, 'button[data-coach="listen-1"]')  # agent01's row
        toast = visible(driver, '#toasts [data-toast="coach.originated"]')
        assert "Agent01" in toast.text
        harness.wait_for(lambda: spied(pbx))
        assert spied(pbx) == [("PJSIP/8101", "csc-coach", "listen", "SPY_TARGET=PJSIP/8001")]
        leader_tab = driver.current_window_handle

        at(system, 65)
        pbx.hang_up(line)
        state_is(system, "8001", "wrap_up")
        at(system, 80)  # her wrap-up is over: her phone is free for the call back
        state_is(system, "8001", "ready")

        # agent01 on the order's page: the talk time Asterisk reported, then a call back
        driver.switch_to.new_window("tab")
        driver.get(base + "/")
        sign_in(driver, "agent01")
        handling(system, login(system, "agent01"), order_id, "wrapup_seconds")
        go(driver, base, f"order/{order_id}", "#order-handling")
        assert "60" in driver.find_element(By.ID, "order-handling").text  # talk 60 s
        visible(driver, "#call-back").click()
        visible(driver, '#toasts [data-toast="callback.ringing"]')
        visible(driver, '#toasts [data-toast="callback_outcome.reached"]')
        outcome = visible(driver, "#callback-calls [data-outcome]")
        assert outcome.get_attribute("data-outcome") == "reached"
        dialled = [m for m in pbx.originated if m.get("Context") == "csc-callback"]
        assert [(m.get("Channel"), m.get("Exten")) for m in dialled] == [
            ("PJSIP/8001", KNOWN_CALLER[3].replace("-", ""))]  # her phone, then the contact

        # the plan: 09:00 Beijing, the call's half hour, forecast beside what happened
        driver.switch_to.window(leader_tab)
        go(driver, base, "plan/2026-03-02", "#plan-intervals table")
        plan = get(system, "/staffing-plan?date=2026-03-02", login(system, "leader01")).json()
        [half_hour] = [r for r in plan["intervals"] if r["starts"] == "09:00"]
        assert half_hour["arrivals"] > 0
        starts, forecast, *happened = interval_cells(driver, "09:00")
        assert (starts, float(forecast)) == ("09:00", pytest.approx(half_hour["arrivals"]))
        assert happened == ["1", "1", "0"]  # offered, answered within 20 s, abandoned
        visible(driver, "#plan-happened")  # the day's totals above
        errors = [e for e in driver.get_log("browser") if e.get("source") == "javascript"]
        assert errors == []
