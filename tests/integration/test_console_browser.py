"""The console in a real browser (issue 11): headless Chromium (Debian's chromium and
chromium-driver, scripts/ensure_chromium.sh) driven by Selenium against the real services.

One flow, as the people do it: the agent signs in and is shown the pop of a call routed to her
while she was away; a second call pops up live within a second with the caller's history; she
classifies and dispatches; the department clerk starts and records the result; the agent
replies and records the revisit; a leader closes the order, then declares an outage, whose
banner reaches the agent's open page; the agent requests a day's leave, which the deputy team
lead (her department's head) and the supervising leader approve. Waits, never sleeps."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from gateway.tokens import TokenGuard
from services.staffing import seed as staffing_seed
from svckit import workdays
from svckit.clock import wall_now
from tests.browser.chrome import available, chromium
from tests.integration import harness
from tests.integration.client import KNOWN_CALLER, call

pytestmark = pytest.mark.skipif(not available(), reason="needs chromium and chromium-driver "
                                "(scripts/ensure_chromium.sh, which `make test` runs)")
POP_SECONDS = 1.0
FAILURES = Path("var/screenshots")  # a failing wait leaves the page here


@pytest.fixture
def console(stores, inbox_store, run_service, amqp_uri):
    """The services with one seat agent (so the calls are hers), a duty leader, the deputy team
    lead, the demo organisation around the hall and a known caller; the console's address."""
    harness.add_staff(stores["staffing"], [
        ("agent01", "seat_agent", "8001"), ("leader01", "duty_leader", "8101"),
        ("lead01", "deputy_team_lead", "8201"),
    ])
    staffing_seed.seed_org(stores["staffing"], harness.PASSWORD)
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    run_service("staffing")
    calls = run_service("calls", OUTAGES={"areas": {"城南区": ["城南区"], "城北区": ["城北区"]}})
    run_service("inbox")
    gateway = run_service("gateway")
    return {"agi": harness.agi_port(calls), "gateway": gateway,
            "url": f"http://127.0.0.1:{harness.http_port(gateway)}"}


def wait(driver, seconds: float = 10.0) -> WebDriverWait:
    return WebDriverWait(driver, seconds, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,))


def visible(driver, css: str, seconds: float = 10.0):
    try:
        return wait(driver, seconds).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, css)))
    except TimeoutException:
        FAILURES.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(FAILURES / "console-test-failure.png"))
        page = driver.find_element(By.TAG_NAME, "body").text[:2000]
        raise AssertionError(f"{css} did not show; the page: {page}") from None


def sign_in(driver, username: str) -> None:
    visible(driver, "#signin-form")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(harness.PASSWORD)
    driver.find_element(By.ID, "signin-submit").click()
    wait(driver).until(EC.invisibility_of_element_located((By.ID, "signin")))
    visible(driver, "#main .view")


def sign_out(driver) -> None:
    driver.find_element(By.ID, "sign-out").click()
    visible(driver, "#signin-form")


def go(driver, base: str, fragment: str, ready_css: str) -> None:
    """Open a page of the console (loaded afresh, as a person's reload would)."""
    driver.get(f"{base}/#/{fragment}")
    driver.refresh()
    visible(driver, ready_css)


def act(driver, action: str, fields: dict | None = None) -> None:
    """Fill the action's form and send it; wait for the page to show the order again."""
    def opened(d):  # the page may be drawn anew meanwhile: click the button that is there
        visible(d, f'#actions button[data-open="{action}"]').click()
        return d.find_element(By.CSS_SELECTOR, f'.action-card[data-action="{action}"]')

    card = wait(driver).until(opened)
    for name, value in (fields or {}).items():
        control = card.find_element(By.NAME, name)
        if control.tag_name == "select":
            Select(control).select_by_value(value)
        else:
            control.clear()
            control.send_keys(value)
    card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    try:
        wait(driver).until(EC.staleness_of(card))
    except TimeoutException:
        refusal = card.find_element(By.CSS_SELECTOR, ".error").text
        raise AssertionError(f"{action} was not done: {refusal}") from None


def end_session(console, driver) -> None:
    """The browser's tokens stop working: its refresh token is used by someone else (so it is
    spent) and the member's access tokens are revoked at the gateway, as a role change does."""
    session = json.loads(driver.execute_script("return sessionStorage.getItem('csc.session')"))
    spent = requests.post(f"{console['url']}/api/auth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": session["refresh"]})
    assert spent.status_code == 200, spent.text
    guard = next(d for d in console["gateway"].dependencies if isinstance(d, TokenGuard))
    guard.state.revocations.revoke(int(session["staff"]["id"]))


def history(driver) -> str:
    return driver.find_element(By.ID, "timeline").text


def test_an_order_from_call_to_close_and_a_leave_through_its_chain(console):
    base = console["url"]
    with chromium() as driver:
        # a call routed to agent01 before she signs in: its pop waits in the inbox
        first = call(console, caller_num=KNOWN_CALLER[0], digits=["2"]).variables
        driver.get(base + "/")
        assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
        sign_in(driver, "agent01")
        pending = visible(driver, "#pop-open")
        assert pending.get_attribute("data-order") == first["WORK_ORDER_ID"]
        visible(driver, "#pop-name")  # the details arrived
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ENTER)  # one key opens it
        visible(driver, '.action-card[data-action="classify"]')  # the next step, open
        assert first["WORK_ORDER_ID"] in driver.find_element(By.ID, "order-details").text
        assert visible(driver, "#presence-state").text == "就绪"

        # a live call: the pop appears within a second, with the caller's earlier order
        placed = call(console, caller_num=KNOWN_CALLER[0], digits=["2"])
        returned = time.monotonic()
        order_id = placed.variables["WORK_ORDER_ID"]
        wait(driver, 5).until(lambda d: d.execute_script(
            "return document.getElementById('pop-open')?.dataset.order") == order_id)
        popped = time.monotonic() - returned
        earlier = visible(driver, "#pop-earlier")
        print(f"screen pop shown {popped:.3f} s after the call's AGI session ended")
        assert popped <= POP_SECONDS, f"the pop took {popped:.2f} s"
        assert visible(driver, "#pop-name").text == KNOWN_CALLER[1]
        assert "故障报修" in earlier.text
        assert len(earlier.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1
        driver.find_element(By.ID, "pop-open").click()
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "order-details"), order_id))

        act(driver, "classify", {"category": "fault_report", "area": "urban"})
        act(driver, "dispatch", {"department": "metering", "note": "请计量室上门检查"})
        assert "派发" in history(driver)
        agent_tab = driver.current_window_handle

        # the department clerk, in a second tab (its own session): start and record the result
        driver.switch_to.new_window("tab")
        driver.get(base + "/")
        sign_in(driver, "win03")
        queue = visible(driver, "#main .view table")
        assert KNOWN_CALLER[1] in queue.text
        go(driver, base, f"order/{order_id}", '#actions button[data-open="start"]')
        act(driver, "start")
        act(driver, "record_result", {"result": "已更换电能表，恢复供电"})
        sign_out(driver)

        # the agent replies and records the revisit
        driver.switch_to.window(agent_tab)
        go(driver, base, f"order/{order_id}", '#actions button[data-open="reply"]')
        assert "已更换电能表" in driver.find_element(By.ID, "order-result").text
        # her session ends while she types the reply (its tokens revoked, the refresh token
        # spent elsewhere): sending asks her to sign in again over the page, then goes on
        visible(driver, '#actions button[data-open="reply"]').click()
        card = visible(driver, '.action-card[data-action="reply"]')
        card.find_element(By.NAME, "reply").send_keys("您好，计量室已更换电能表，已恢复供电。")
        end_session(console, driver)
        send = card.find_element(By.CSS_SELECTOR, "button[type=submit]")
        driver.execute_script("arguments[0].click()", send)  # the overlay may be up already
        password = visible(driver, "#signin-form input[name=password]")
        assert driver.find_element(By.NAME, "username").get_attribute("value") == "agent01"
        password.send_keys(harness.PASSWORD)
        driver.find_element(By.ID, "signin-submit").click()
        wait(driver).until(EC.staleness_of(card))  # the reply was sent as typed
        assert "您好，计量室已更换电能表" in driver.find_element(By.ID, "order-details").text
        act(driver, "revisit", {"satisfaction": "5"})
        assert "等待值长办结" in visible(driver, "#order-waiting").text  # what comes next

        # a duty leader closes it, then declares an outage: the agent's page shows the banner
        leader_tab = [h for h in driver.window_handles if h != agent_tab][0]
        driver.switch_to.window(leader_tab)
        sign_in(driver, "leader01")
        go(driver, base, f"order/{order_id}", '#actions button[data-open="close"]')
        act(driver, "close")
        assert "已办结" in driver.find_element(By.CSS_SELECTOR, "#main .toolbar").text
        go(driver, base, "outages", "#main form")
        Select(driver.find_element(By.NAME, "area")).select_by_value("城南区")
        driver.find_element(By.NAME, "description").send_keys("10kV 建设线故障抢修")
        driver.find_element(By.CSS_SELECTOR, "#main form button[type=submit]").click()
        driver.switch_to.window(agent_tab)
        banner = visible(driver, "#outage-banner", 5)
        assert "城南区" in banner.text and "建设线" in banner.text

        # leave: agent01 asks for a day; her head (the deputy team lead), then the supervising
        # leader approve (S1.17)
        day = workdays.next_working_day(workdays.local_date(wall_now()) + timedelta(days=1))
        go(driver, base, "leave", "#main form")
        form = driver.find_element(By.CSS_SELECTOR, "#main form")
        Select(form.find_element(By.NAME, "leave_type")).select_by_value("personal")
        driver.execute_script("arguments[0].value = arguments[1]",
                              form.find_element(By.NAME, "starts_on"), day.isoformat())
        form.find_element(By.NAME, "reason").send_keys("家中有事")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "leave-mine"), "审批中"))
        driver.switch_to.window(leader_tab)
        sign_out(driver)
        for approver in ("lead01", "supervisor01"):
            sign_in(driver, approver)
            go(driver, base, "leave", "#leave-waiting")
            wait(driver).until(EC.text_to_be_present_in_element((By.ID, "leave-waiting"), "事假"))
            button = driver.find_element(By.CSS_SELECTOR, "#leave-waiting button.primary")
            button.click()
            wait(driver).until(EC.staleness_of(button))
            sign_out(driver)
        driver.switch_to.window(agent_tab)
        go(driver, base, "leave", "#leave-mine")
        assert "已批准" in driver.find_element(By.ID, "leave-mine").text
        # no script failed on any page (refused requests are the services' answers, not these)
        failures = [e for e in driver.get_log("browser") if e.get("source") == "javascript"]
        assert failures == []
