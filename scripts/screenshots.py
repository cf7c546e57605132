"""`make screenshots`: a PNG of each main screen of the console, taken in headless Chromium
from the running demo system (`make run`), into var/screenshots/.

It places two simulated calls (as `make call` does), signs in as the agent the second was
routed to (her pop is waiting), then as a duty leader and the deputy team lead; the pages are
those a person would open. Each run adds its calls and a leave request to the demo data."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from asterisk_sim import place_call
from svckit import workdays
from svckit.clock import wall_now
from tests.browser.chrome import chromium

URL = os.environ.get("CONSOLE_URL", "http://" + os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8000"))
AGI = os.environ.get("FASTAGI_ADDRESS", "127.0.0.1:4573")
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo")
OUT = Path("var/screenshots")


def visible(driver, css: str, seconds: float = 15.0):
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def sign_in(driver, username: str) -> None:
    driver.get(URL + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(URL + "/")
    visible(driver, "#signin-form")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "signin-submit").click()
    visible(driver, "#main .view")


def shot(driver, name: str, fragment: str | None, ready: str) -> None:
    if fragment is not None:
        driver.get(f"{URL}/#/{fragment}")
        driver.refresh()
    visible(driver, ready)
    driver.execute_script("return document.fonts.ready")
    path = OUT / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"  {path}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    host, port = AGI.rsplit(":", 1)
    # an inquiry, then a service application (repeated fault reports from one area would make
    # a storm and be merged): the second call's pop shows the first as the caller's history
    place_call(host, int(port), caller_num="13800138000", digits=["1"])
    transcript = place_call(host, int(port), caller_num="13800138000", digits=["4"])
    target = transcript.variables.get("ROUTE_TARGET", "")
    order_id = transcript.variables["WORK_ORDER_ID"]
    if not target.startswith("PJSIP/80"):
        print(f"the call went to {target}, not an agent: is `make run` up?", file=sys.stderr)
        return 1
    agent = f"agent{target.removeprefix('PJSIP/80')}"
    print(f"call {order_id} routed to {agent}; screenshots:")
    with chromium(1440, 900) as driver:
        sign_in(driver, agent)
        shot(driver, "1-agent-screen-pop", None, "#pop-earlier, #pop-card .muted")
        driver.find_element(By.ID, "pop-open").click()
        shot(driver, "2-work-order", None, "#order-details")
        shot(driver, "3-my-work", "work", "#my-queue")
        day = workdays.next_working_day(workdays.local_date(wall_now()) + timedelta(days=1))
        driver.get(f"{URL}/#/leave")
        form = visible(driver, "#main form")
        driver.execute_script("arguments[0].value = arguments[1]",
                              form.find_element(By.NAME, "starts_on"), day.isoformat())
        form.find_element(By.NAME, "reason").send_keys("家中有事")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 10).until(  # answered, or refused with the reason shown
            lambda d: EC.staleness_of(form)(d) or form.find_element(By.CSS_SELECTOR, ".error").text)
        shot(driver, "6-leave", None, "#leave-mine")
        sign_in(driver, "leader01")
        shot(driver, "4-leader-board", "board", "#main .view")
        shot(driver, "5-staffing-plan", "plan", "#plan-chart")
        shot(driver, "7-evaluation", "evaluation", "#main table")
        shot(driver, "8-outages", "outages", "#main form")
        sign_in(driver, "lead01")
        shot(driver, "9-leave-approvals", "leave", "#leave-waiting")
        shot(driver, "10-organisation", "org", "#main table")
        Select(driver.find_element(By.ID, "lang")).select_by_value("en")
        shot(driver, "11-board-in-english", "board", "#board-stats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
